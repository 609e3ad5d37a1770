"""A campaign's life through the services, what an approver is shown (overlap, the
load on the caps and the seats), referrals and the ``call_lists`` command."""

from __future__ import annotations

import datetime
import io
from collections import Counter
from decimal import Decimal
from typing import Any, cast

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from tests.telcrm.campaigns.helpers import (
    MONDAY_10,
    reachable_customer,
    running_campaign,
)
from tests.telcrm.factories import CustomerFactory, SubscriptionFactory, UserFactory

from telcrm.analytics.models import CustomerScore, PipelineRun
from telcrm.campaigns.choices import (
    CampaignChannel,
    CampaignGoal,
    CampaignStatus,
    ContactOutcome,
    MemberGroup,
    MemberState,
    OptOutSource,
    PolicyRule,
)
from telcrm.campaigns.models import (
    AgentCapacity,
    Campaign,
    CampaignMember,
    ContactDecision,
    FrequencyCap,
    Referral,
)
from telcrm.campaigns.policy import contact_reserve, policy_preview
from telcrm.campaigns.selectors import (
    campaign_overlap,
    campaign_policy_load,
    campaign_progress,
    campaign_seat_load,
    campaign_yield,
    status_history,
    yield_estimate,
)
from telcrm.campaigns.services import (
    campaign_approve,
    campaign_cancel,
    campaign_complete,
    campaign_create,
    campaign_full_run_start,
    campaign_pilot_start,
    campaign_reject,
    campaign_submit,
    campaign_update,
    customer_opt_out,
    referral_record,
)
from telcrm.campaigns.targeting import target_customers
from telcrm.customers.models import Customer
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db
CALL = CampaignChannel.OUTBOUND_CALL
DAY = datetime.timedelta(days=1)
TODAY = datetime.date(2026, 11, 16)
PROVINCE = "浙江省"


def marketer() -> User:
    return cast(User, UserFactory(role=Role.MARKETER))


def supervisor() -> User:
    return cast(User, UserFactory(role=Role.SUPERVISOR))


def draft(by: User, **fields: Any) -> Campaign:
    terms: dict[str, Any] = {
        "name": "Keep the key customers",
        "goal": CampaignGoal.RETENTION,
        "channel": CALL,
        "offer": "20 GB a month for 6 months",
        "target_rule": {"provinces": [PROVINCE]},
        "expected_acceptance_rate": Decimal("0.25"),
        "expected_revenue_per_acceptance": Decimal("600.00"),
        "budget": Decimal("5000.00"),
        "starts_on": TODAY,
        "ends_on": TODAY + 4 * DAY,
        "control_fraction": 0.2,
        **fields,
    }
    return campaign_create(by=by, **terms)


def scored(customer: Customer, segment: str) -> Customer:
    run = PipelineRun.objects.first() or PipelineRun.objects.create(
        started_at=MONDAY_10, started_by="test"
    )
    CustomerScore.objects.create(
        customer=customer, run=run, segment_code=segment, scored_at=MONDAY_10
    )
    return customer


def target_of_three_strata() -> list[Customer]:
    """15 reachable customers: 7 in retain_key, 5 in retain, 3 not scored."""
    customers = [scored(reachable_customer(), "retain_key") for _ in range(7)]
    customers += [scored(reachable_customer(), "retain") for _ in range(5)]
    customers += [reachable_customer() for _ in range(3)]
    return customers


# --- The lifecycle ------------------------------------------------------------------


def test_a_draft_gets_its_code_and_only_its_creator_submits_it() -> None:
    author = marketer()
    campaign = draft(author)

    assert campaign.code == f"CMP{campaign.pk:06d}"
    assert campaign.status == CampaignStatus.DRAFT
    assert campaign.target_rule == {"provinces": [PROVINCE]}
    assert campaign.uses_usage_data is False
    with pytest.raises(PermissionDenied):
        campaign_submit(campaign=campaign, by=marketer())
    submitted = campaign_submit(campaign=campaign, by=author, at=MONDAY_10)
    assert (submitted.status, submitted.submitted_at) == (
        CampaignStatus.SUBMITTED,
        MONDAY_10,
    )


def test_the_creator_can_never_approve_or_reject() -> None:
    author = cast(User, UserFactory(role=Role.SUPERVISOR))
    campaign = campaign_submit(campaign=draft(author), by=author)

    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=campaign, by=author)
    with pytest.raises(PermissionDenied):
        campaign_reject(campaign=campaign, by=author, note="no")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.decided_by) == (CampaignStatus.SUBMITTED, None)
    assert CampaignMember.objects.count() == 0
    # Nor can the database be talked into it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.APPROVED, decided_by=author, decided_at=MONDAY_10
        )


def test_approval_draws_a_stratified_control_group_and_the_pilot() -> None:
    target_of_three_strata()
    author = marketer()
    campaign = campaign_submit(campaign=draft(author, pilot_size=4), by=author)

    approved = campaign_approve(campaign=campaign, by=supervisor(), note="Go")

    assert approved.status == CampaignStatus.APPROVED
    assert approved.target_count_at_approval == 15
    members = CampaignMember.objects.filter(campaign=approved)
    by_stratum = Counter(
        members.filter(group=MemberGroup.CONTROL).values_list("stratum", flat=True)
    )
    # round(7 x 0.2) = 1, round(5 x 0.2) = 1, round(3 x 0.2) = 1
    assert by_stratum == {"retain_key": 1, "retain": 1, "": 1}
    assert Counter(members.values_list("group", flat=True)) == {
        MemberGroup.CONTROL: 3,
        MemberGroup.PILOT: 4,
        MemberGroup.TREATMENT: 8,
    }
    assert set(
        members.filter(group=MemberGroup.CONTROL).values_list("state", flat=True)
    ) == {MemberState.HELD_OUT}
    figures = campaign_yield(approved)
    assert (figures.target, figures.control, figures.treated, figures.pilot) == (
        15,
        3,
        12,
        4,
    )


def test_a_rejection_says_why_and_the_creator_edits_and_submits_again() -> None:
    author, approver = marketer(), supervisor()
    campaign = campaign_submit(campaign=draft(author), by=author)

    with pytest.raises(ValidationError):
        campaign_reject(campaign=campaign, by=approver, note="  ")
    rejected = campaign_reject(campaign=campaign, by=approver, note="Too costly")
    assert (rejected.status, rejected.decision_note) == (
        CampaignStatus.REJECTED,
        "Too costly",
    )
    with pytest.raises(PermissionDenied):
        campaign_update(campaign=rejected, by=marketer(), changes={"priority": 7})
    with pytest.raises(ValidationError):
        campaign_update(campaign=rejected, by=author, changes={"status": "running"})
    edited = campaign_update(
        campaign=rejected,
        by=author,
        changes={"budget": Decimal("3000.00"), "target_rule": {"segments": ["retain"]}},
    )
    assert (edited.budget, edited.target_rule, edited.uses_usage_data) == (
        Decimal("3000.00"),
        {"segments": ["retain"]},
        True,
    )
    assert campaign_submit(campaign=edited, by=author).status == (
        CampaignStatus.SUBMITTED
    )
    with pytest.raises(ValidationError):
        campaign_update(campaign=edited, by=author, changes={"priority": 7})


def test_pilot_then_full_run_then_complete() -> None:
    target_of_three_strata()
    author, approver = marketer(), supervisor()
    campaign = campaign_submit(campaign=draft(author, pilot_size=4), by=author)
    campaign = campaign_approve(campaign=campaign, by=approver)

    assert campaign_pilot_start(campaign=campaign, by=author).status == (
        CampaignStatus.PILOT
    )
    with pytest.raises(ValidationError):
        campaign_pilot_start(campaign=campaign, by=author)
    assert campaign_full_run_start(campaign=campaign, by=author).status == (
        CampaignStatus.RUNNING
    )
    done = campaign_complete(campaign=campaign, by=approver)
    assert done.status == CampaignStatus.COMPLETED
    assert Counter(
        CampaignMember.objects.filter(campaign=done).values_list("state", flat=True)
    ) == {MemberState.DONE: 12, MemberState.HELD_OUT: 3}
    with pytest.raises(ValidationError):
        campaign_cancel(campaign=done, by=approver)
    assert [change.status for change in status_history(done)] == [
        CampaignStatus.DRAFT,
        CampaignStatus.SUBMITTED,
        CampaignStatus.APPROVED,
        CampaignStatus.PILOT,
        CampaignStatus.RUNNING,
        CampaignStatus.COMPLETED,
    ]


def test_a_campaign_without_a_pilot_goes_straight_to_the_full_run() -> None:
    author = marketer()
    campaign = campaign_submit(campaign=draft(author), by=author)
    campaign = campaign_approve(campaign=campaign, by=supervisor())

    with pytest.raises(ValidationError):
        campaign_pilot_start(campaign=campaign, by=author)
    assert campaign_cancel(campaign=campaign, by=author).status == (
        CampaignStatus.CANCELLED
    )


# --- What the approver sees -----------------------------------------------------------


def test_yield_estimate_is_the_approval_standard() -> None:
    target_of_three_strata()

    figures = yield_estimate(
        rule={"provinces": [PROVINCE]},
        control_fraction=0.2,
        pilot_size=4,
        attempts_per_customer=3,
        acceptance_rate=Decimal("0.25"),
        revenue_per_acceptance=Decimal("600.00"),
        cost_per_attempt=Decimal("2.00"),
        cost_per_acceptance=Decimal("50.00"),
        budget=Decimal("300.00"),
    )

    assert (figures.target, figures.control, figures.treated, figures.pilot) == (
        15,
        3,
        12,
        4,
    )
    assert figures.attempts == 36
    assert figures.acceptances == Decimal("3.0")
    assert figures.revenue == Decimal("1800.00")
    # 36 attempts x 2 + 3 acceptances x 50
    assert figures.cost == Decimal("222.00")
    assert figures.within_budget is True


def test_policy_preview_counts_by_rule_and_logs_no_decision() -> None:
    author = marketer()
    campaign = campaign_submit(campaign=draft(author), by=author)
    reachable_customer()
    reachable_customer()
    reachable_customer(channels=())
    customer_opt_out(
        customer=reachable_customer(), source=OptOutSource.WEB, at=MONDAY_10 - DAY
    )
    refused = reachable_customer()
    called = reachable_customer()
    other = running_campaign()
    contact_reserve(
        customer=refused,
        campaign=other,
        channel=CALL,
        at=MONDAY_10 - 3 * DAY,
        outcome=ContactOutcome.REFUSED,
    )
    contact_reserve(customer=called, campaign=other, channel=CALL, at=MONDAY_10 - DAY)
    contact_reserve(
        customer=called, campaign=other, channel=CALL, at=MONDAY_10 - 2 * DAY
    )
    logged = ContactDecision.objects.count()

    counts = policy_preview(
        target_customers(campaign.target_rule), campaign, CALL, MONDAY_10
    )

    assert counts == {
        PolicyRule.ALLOWED: 2,
        PolicyRule.CONSENT: 1,
        PolicyRule.SUPPRESSION: 1,
        PolicyRule.COOL_OFF: 1,
        PolicyRule.FREQUENCY_CAP: 1,
    }
    assert ContactDecision.objects.count() == logged
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SUBMITTED


def test_a_large_target_list_is_previewed_on_an_even_sample() -> None:
    author = marketer()
    campaign = campaign_submit(campaign=draft(author), by=author)
    for _ in range(9):
        reachable_customer()
    for _ in range(3):
        reachable_customer(channels=())

    load = campaign_policy_load(campaign, MONDAY_10, limit=6)

    assert (load.target, load.previewed, load.sampled) == (12, 6, True)
    # Every other customer by number: 5 of the 9 reachable ones, 1 of the 3 others.
    assert [(row.rule, row.customers, row.estimate) for row in load.rows] == [
        (PolicyRule.CONSENT, 1, 2),
        (PolicyRule.ALLOWED, 5, 10),
    ]
    whole = campaign_policy_load(campaign, MONDAY_10)
    assert [(row.rule, row.customers, row.estimate) for row in whole.rows] == [
        (PolicyRule.CONSENT, 3, 3),
        (PolicyRule.ALLOWED, 9, 9),
    ]


def test_overlap_with_approved_and_running_campaigns() -> None:
    customers = [reachable_customer() for _ in range(4)]
    author = marketer()
    campaign = campaign_submit(campaign=draft(author), by=author)
    running = running_campaign(priority=7)
    approved = running_campaign(status=CampaignStatus.APPROVED)
    finished = running_campaign(status=CampaignStatus.COMPLETED)
    for customer, group in zip(
        customers[:3],
        (MemberGroup.TREATMENT, MemberGroup.CONTROL, MemberGroup.PILOT),
        strict=True,
    ):
        held_out = group == MemberGroup.CONTROL
        CampaignMember.objects.create(
            campaign=running,
            customer=customer,
            group=group,
            state=MemberState.HELD_OUT if held_out else MemberState.PENDING,
        )
    CampaignMember.objects.create(
        campaign=approved, customer=customers[0], group=MemberGroup.TREATMENT
    )
    CampaignMember.objects.create(
        campaign=finished, customer=customers[3], group=MemberGroup.TREATMENT
    )

    overlap = campaign_overlap(campaign)

    assert overlap.customers == 3
    assert [(r.code, r.members, r.contacted) for r in overlap.rows] == [
        (running.code, 3, 2),
        (approved.code, 1, 1),
    ]


def test_seat_load_counts_higher_ranked_campaigns_over_the_shared_days() -> None:
    for _ in range(2):
        AgentCapacity.objects.create(
            agent=UserFactory(role=Role.AGENT), calls_per_day=40
        )
    AgentCapacity.objects.create(
        agent=UserFactory(role=Role.AGENT), calls_per_day=99, active=False
    )
    for _ in range(5):
        reachable_customer()
    author = marketer()
    campaign = campaign_submit(campaign=draft(author, priority=5), by=author)
    higher = running_campaign(priority=8, ends_on=TODAY + 9 * DAY)
    lower = running_campaign(priority=2)
    for owner in (higher, lower):
        for _ in range(30):
            CampaignMember.objects.create(
                campaign=owner, customer=CustomerFactory(), group=MemberGroup.TREATMENT
            )

    seats = campaign_seat_load(campaign, TODAY)

    assert seats is not None
    assert (seats.days, seats.seats, seats.calls_per_day, seats.capacity) == (
        5,
        2,
        80,
        400,
    )
    # 30 members x 3 attempts over the higher campaign's 10 days; 5 of them shared.
    assert [(row.code, row.calls) for row in seats.higher] == [(higher.code, 45)]
    # 5 target customers, 1 held out, 4 x 3 attempts.
    assert (seats.higher_need, seats.available, seats.need, seats.fits) == (
        45,
        355,
        12,
        True,
    )
    sms = draft(author, channel=CampaignChannel.SMS)
    assert campaign_seat_load(sms, TODAY) is None


def test_progress_counts_groups_states_and_outcomes() -> None:
    campaign = running_campaign()
    customers = [reachable_customer() for _ in range(3)]
    CampaignMember.objects.create(
        campaign=campaign, customer=customers[0], group=MemberGroup.TREATMENT,
        state=MemberState.DONE, attempts=1, last_outcome=ContactOutcome.ACCEPTED,
    )  # fmt: skip
    CampaignMember.objects.create(
        campaign=campaign, customer=customers[1], group=MemberGroup.TREATMENT,
        last_denied_rule=PolicyRule.CONSENT,
    )  # fmt: skip
    CampaignMember.objects.create(
        campaign=campaign, customer=customers[2], group=MemberGroup.CONTROL,
        state=MemberState.HELD_OUT,
    )  # fmt: skip

    progress = campaign_progress(campaign)

    rows = {row.group: row for row in progress.groups}
    assert (
        rows[MemberGroup.TREATMENT].members,
        rows[MemberGroup.TREATMENT].attempts,
    ) == (
        2,
        1,
    )
    assert rows[MemberGroup.TREATMENT].state_counts() == [1, 0, 1, 0]
    assert rows[MemberGroup.CONTROL].state_counts() == [0, 0, 0, 1]
    assert progress.total.members == 3
    assert [(c.code, c.n) for c in progress.denials_by_rule] == [
        (PolicyRule.CONSENT, 1)
    ]


# --- Referrals ----------------------------------------------------------------------


def test_a_referral_is_credited_once_per_number(settings: Any) -> None:
    referrer = reachable_customer()
    campaign = running_campaign()
    agent = cast(User, UserFactory(role=Role.AGENT))

    referral = referral_record(
        referrer=referrer,
        referred_phone="139 0000 1111",
        campaign=campaign,
        by=agent,
        at=MONDAY_10,
    )

    assert (referral.referred_phone, referral.credit, referral.credited_at) == (
        "+8613900001111",
        Decimal("20.00"),
        MONDAY_10,
    )
    assert (referral.referrer, referral.campaign, referral.recorded_by) == (
        referrer,
        campaign,
        agent,
    )
    with pytest.raises(ValidationError):
        referral_record(referrer=reachable_customer(), referred_phone="13900001111")
    settings.TELCRM_REFERRAL_CREDIT = "35.50"
    assert referral_record(
        referrer=referrer, referred_phone="13900002222"
    ).credit == Decimal("35.50")


def test_no_referral_of_oneself_an_existing_customer_or_a_non_number() -> None:
    referrer = reachable_customer()
    own = referrer.party.contact_media.get(kind=ContactKind.PHONE).phone
    other = reachable_customer()
    ContactMedium.objects.filter(party=other.party).delete()
    SubscriptionFactory(customer=other, service_number="13911112222")

    for phone in (own, "13911112222", "12345"):
        with pytest.raises(ValidationError):
            referral_record(referrer=referrer, referred_phone=phone)
    assert Referral.objects.count() == 0


# --- The command ---------------------------------------------------------------------


def test_call_lists_command_builds_the_days_lists() -> None:
    FrequencyCap.objects.all().delete()
    agent = UserFactory(role=Role.AGENT)
    AgentCapacity.objects.create(agent=agent, calls_per_day=2)
    campaign = running_campaign()
    for customer in (reachable_customer(), reachable_customer(), reachable_customer()):
        CampaignMember.objects.create(
            campaign=campaign, customer=customer, group=MemberGroup.TREATMENT
        )
    CampaignMember.objects.create(
        campaign=campaign,
        customer=reachable_customer(channels=()),
        group=MemberGroup.TREATMENT,
    )
    out = io.StringIO()

    call_command("call_lists", "--day", "2026-11-16", stdout=out)

    assert out.getvalue().splitlines() == [
        "call lists of 2026-11-16: seat capacity 2",
        f"{campaign.code}: eligible 4, decided 4, allowed 3, queued 2; "
        "denied: consent 1",
        "queued 2 calls",
    ]
    assert (
        CampaignMember.objects.filter(
            state=MemberState.QUEUED, assigned_agent=agent, call_day=TODAY
        ).count()
        == 2
    )


def test_call_lists_command_refuses_a_bad_day() -> None:
    with pytest.raises(CommandError):
        call_command("call_lists", "--day", "16/11/2026", stdout=io.StringIO())
