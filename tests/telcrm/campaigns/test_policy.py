"""The contact policy's rules, one by one, through ``may_contact`` and the
reservation (docs/campaigns.md)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.telcrm.campaigns.helpers import (
    MONDAY_10,
    reachable_customer,
    running_campaign,
)
from tests.telcrm.factories import UserFactory

from telcrm.campaigns.choices import (
    CampaignChannel,
    CampaignStatus,
    ContactOutcome,
    DecisionStage,
    OptOutSource,
    PolicyRule,
)
from telcrm.campaigns.models import ContactAttempt, ContactDecision, Holiday
from telcrm.campaigns.policy import (
    contact_reserve,
    decision_replay,
    may_contact,
    may_contact_many,
)
from telcrm.campaigns.services import customer_opt_out, marketing_consent_grant
from telcrm.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    Direction,
    DoNotCallSource,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
)
from telcrm.customers.models import DoNotCallEntry, Interaction
from telcrm.customers.services import consent_withdraw

pytestmark = pytest.mark.django_db
CALL = CampaignChannel.OUTBOUND_CALL
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def test_a_reachable_customer_is_allowed_and_the_decision_is_logged() -> None:
    campaign = running_campaign()
    customer = reachable_customer()
    decision = may_contact(customer, campaign, CALL, MONDAY_10)
    assert (decision.allowed, decision.rule) == (True, PolicyRule.ALLOWED)
    logged = ContactDecision.objects.get()
    assert logged.pk == decision.pk
    assert (
        logged.detail["consent_id"]
        == customer.consents.get(
            purpose=ConsentPurpose.MARKETING, channel=ConsentChannel.PHONE_CALL
        ).pk
    )
    assert logged.detail["zones"] == ["Asia/Shanghai"]


@pytest.mark.parametrize(
    "status",
    [
        CampaignStatus.DRAFT,
        CampaignStatus.SUBMITTED,
        CampaignStatus.APPROVED,
        CampaignStatus.COMPLETED,
        CampaignStatus.CANCELLED,
    ],
)
def test_rule_1_only_a_campaign_in_pilot_or_running_contacts(status: str) -> None:
    campaign = running_campaign(status=status)
    decision = may_contact(reachable_customer(), campaign, CALL, MONDAY_10)
    assert decision.rule == PolicyRule.CAMPAIGN_ACTIVE


def test_rule_1_outside_the_campaign_dates_is_denied() -> None:
    campaign = running_campaign(ends_on=datetime.date(2026, 11, 15))
    decision = may_contact(reachable_customer(), campaign, CALL, MONDAY_10)
    assert decision.rule == PolicyRule.CAMPAIGN_ACTIVE


def test_rule_2_an_opt_out_blocks_every_campaign_and_channel_at_once() -> None:
    customer = reachable_customer()
    call, sms = running_campaign(), running_campaign(channel=CampaignChannel.SMS)
    customer_opt_out(customer=customer, source=OptOutSource.SMS_REPLY, at=MONDAY_10)
    later = MONDAY_10 + datetime.timedelta(seconds=1)
    assert may_contact(customer, call, CALL, later).rule == PolicyRule.SUPPRESSION
    assert may_contact(customer, sms, CampaignChannel.SMS, later).rule == (
        PolicyRule.SUPPRESSION
    )


def test_rule_2_a_fresh_consent_lifts_an_opt_out() -> None:
    customer = reachable_customer()
    campaign = running_campaign()
    customer_opt_out(customer=customer, source=OptOutSource.WEB, at=MONDAY_10 - DAY)
    marketing_consent_grant(
        customer=customer, channel=ConsentChannel.PHONE_CALL, at=MONDAY_10 - HOUR
    )
    assert may_contact(customer, campaign, CALL, MONDAY_10).allowed


def test_rule_2_a_number_on_the_do_not_call_list_blocks_calls_not_email() -> None:
    customer = reachable_customer(channels=(ConsentChannel.ANY,))
    phone = customer.party.contact_media.get(kind="phone").phone
    DoNotCallEntry.objects.create(
        phone=phone, source=DoNotCallSource.REGULATOR, added_at=MONDAY_10 - DAY
    )
    call = running_campaign()
    email = running_campaign(channel=CampaignChannel.EMAIL)
    assert may_contact(customer, call, CALL, MONDAY_10).rule == PolicyRule.SUPPRESSION
    assert may_contact(customer, email, CampaignChannel.EMAIL, MONDAY_10).allowed


def test_rule_2_one_customer_is_looked_up_not_the_whole_do_not_call_list() -> None:
    """At the moment of contact the list is searched for the customer's numbers: it
    may be a regulator's registry of millions, read whole for every call before."""
    customer = reachable_customer()
    phone = customer.party.contact_media.get(kind="phone").phone
    others = [f"+861390000{n:04d}" for n in range(3)]
    for number in [*others, phone]:
        DoNotCallEntry.objects.create(
            phone=number, source=DoNotCallSource.REGULATOR, added_at=MONDAY_10 - DAY
        )
    campaign = running_campaign()
    with CaptureQueriesContext(connection) as queries:
        decision = may_contact(customer, campaign, CALL, MONDAY_10)
    entry = DoNotCallEntry.objects.get(phone=phone)
    assert (decision.rule, decision.detail) == (
        PolicyRule.SUPPRESSION,
        {"dnc_entry_id": entry.pk},
    )
    (lookup,) = [q["sql"] for q in queries if "customers_donotcallentry" in q["sql"]]
    assert phone in lookup
    assert not any(number in lookup for number in others)


def test_rule_4_no_consent_for_the_channel_is_a_refusal() -> None:
    customer = reachable_customer(channels=(ConsentChannel.SMS,))
    decision = may_contact(customer, running_campaign(), CALL, MONDAY_10)
    assert decision.rule == PolicyRule.CONSENT


def test_rule_4_a_withdrawn_consent_stops_contact() -> None:
    customer = reachable_customer()
    consent_withdraw(
        customer=customer,
        purpose=ConsentPurpose.MARKETING,
        channel=ConsentChannel.PHONE_CALL,
        at=MONDAY_10 - HOUR,
    )
    decision = may_contact(customer, running_campaign(), CALL, MONDAY_10)
    assert decision.rule == PolicyRule.CONSENT


def test_rule_5_targeting_on_call_records_needs_consent_to_profiling() -> None:
    customer = reachable_customer(profiling=False)
    plain, profiled = running_campaign(), running_campaign(uses_usage_data=True)
    assert may_contact(customer, plain, CALL, MONDAY_10).allowed
    assert may_contact(customer, profiled, CALL, MONDAY_10).rule == (
        PolicyRule.USAGE_DATA_CONSENT
    )


def test_rule_6_a_refusal_holds_sixty_days() -> None:
    customer = reachable_customer()
    first = running_campaign(starts_on=datetime.date(2026, 9, 1))
    second = running_campaign()
    _, attempt = contact_reserve(
        customer=customer,
        campaign=first,
        channel=CALL,
        at=MONDAY_10 - 59 * DAY,
        outcome=ContactOutcome.REFUSED,
    )
    assert attempt is not None
    assert may_contact(customer, second, CALL, MONDAY_10).rule == PolicyRule.COOL_OFF
    assert may_contact(customer, second, CALL, MONDAY_10 + DAY).allowed


def test_rule_6_an_open_complaint_and_a_recently_closed_one_hold_contact() -> None:
    customer = reachable_customer()
    campaign = running_campaign()
    complaint = Interaction.objects.create(
        customer=customer,
        channel=InteractionChannel.CALL_CENTRE,
        direction=Direction.INBOUND,
        kind=InteractionKind.COMPLAINT,
        outcome=InteractionOutcome.OPEN,
        occurred_at=MONDAY_10 - 30 * DAY,
    )
    assert may_contact(customer, campaign, CALL, MONDAY_10).rule == PolicyRule.COOL_OFF
    complaint.outcome = InteractionOutcome.RESOLVED
    complaint.ended_at = MONDAY_10 - 13 * DAY
    complaint.save()
    assert may_contact(customer, campaign, CALL, MONDAY_10).rule == PolicyRule.COOL_OFF
    assert may_contact(customer, campaign, CALL, MONDAY_10 + DAY).allowed


@pytest.mark.parametrize(
    ("local_time", "allowed"),
    [
        ("08:59:59", False),
        ("09:00:00", True),
        ("11:59:59", True),
        ("12:00:00", False),
        ("13:59:59", False),
        ("14:00:00", True),
        ("19:59:59", True),
        ("20:00:00", False),
    ],
)
def test_rule_7_calling_hours_in_local_time(local_time: str, allowed: bool) -> None:
    campaign = running_campaign()
    at = datetime.datetime.fromisoformat(f"2026-11-16T{local_time}+08:00")
    decision = may_contact(reachable_customer(), campaign, CALL, at)
    assert decision.allowed is allowed
    assert decision.rule == (
        PolicyRule.ALLOWED if allowed else PolicyRule.CALLING_HOURS
    )


def test_rule_7_no_calls_on_a_holiday_but_email_is_fine() -> None:
    Holiday.objects.create(date=datetime.date(2026, 11, 16), name="Test day")
    customer = reachable_customer(channels=(ConsentChannel.ANY,))
    call, email = running_campaign(), running_campaign(channel=CampaignChannel.EMAIL)
    assert may_contact(customer, call, CALL, MONDAY_10).rule == (
        PolicyRule.CALLING_HOURS
    )
    assert may_contact(customer, email, CampaignChannel.EMAIL, MONDAY_10).allowed


def test_rule_8_two_calls_in_thirty_days_and_one_a_day() -> None:
    customer = reachable_customer()
    a, b = running_campaign(), running_campaign()
    day_one = MONDAY_10
    assert contact_reserve(customer=customer, campaign=a, channel=CALL, at=day_one)[1]
    same_day = day_one + 5 * HOUR
    decision, attempt = contact_reserve(
        customer=customer, campaign=b, channel=CALL, at=same_day
    )
    assert (decision.rule, attempt) == (PolicyRule.FREQUENCY_CAP, None)
    assert contact_reserve(
        customer=customer, campaign=b, channel=CALL, at=day_one + DAY
    )[1]
    # Day 30 after the first attempt is still inside its 30-day window; day 31 not.
    third = day_one + 29 * DAY
    assert may_contact(customer, b, CALL, third).rule == PolicyRule.FREQUENCY_CAP
    assert may_contact(customer, b, CALL, day_one + 30 * DAY + HOUR).allowed
    assert ContactAttempt.objects.filter(customer=customer).count() == 2


def test_list_build_and_contact_agree_through_the_batch_path() -> None:
    campaign = running_campaign()
    ok = reachable_customer()
    no_consent = reachable_customer(channels=())
    decisions = may_contact_many(
        [ok.pk, no_consent.pk], campaign, CALL, MONDAY_10, stage=DecisionStage.CONTACT
    )
    assert {k: d.rule for k, d in decisions.items()} == {
        ok.pk: PolicyRule.ALLOWED,
        no_consent.pk: PolicyRule.CONSENT,
    }
    assert ContactDecision.objects.count() == 2


def test_an_allowed_contact_replays_to_the_same_decision() -> None:
    customer = reachable_customer()
    decision, attempt = contact_reserve(
        customer=customer,
        campaign=running_campaign(),
        channel=CALL,
        at=MONDAY_10,
        agent=UserFactory(),
    )
    assert attempt is not None
    replayed = decision_replay(decision)
    assert (replayed.allowed, replayed.rule) == (True, PolicyRule.ALLOWED)
    assert replayed.detail == decision.detail


def test_rule_8_a_reservation_stamped_before_a_recorded_attempt_counts_it() -> None:
    """A worker that read the clock first may reach the customer's lock last: the
    attempt already recorded, an hour later than its own moment, fills the day's
    window all the same."""
    first, second = running_campaign(), running_campaign()
    customer = reachable_customer()
    assert contact_reserve(
        customer=customer, campaign=first, channel=CALL, at=MONDAY_10 + HOUR
    )[1]
    decision, attempt = contact_reserve(
        customer=customer, campaign=second, channel=CALL, at=MONDAY_10
    )
    assert (decision.rule, decision.detail["count"], attempt) == (
        PolicyRule.FREQUENCY_CAP,
        1,
        None,
    )


def test_rule_8_an_attempt_must_fit_every_window_it_falls_in() -> None:
    """Calls on days 10 and 20 fill the 30-day window ending on day 20, which holds
    day 0 too; the window ending on day 0 alone would have room."""
    customer = reachable_customer()
    campaign = running_campaign()
    for day in (10, 20):
        assert contact_reserve(
            customer=customer, campaign=campaign, channel=CALL, at=MONDAY_10 + day * DAY
        )[1]
    decision, attempt = contact_reserve(
        customer=customer, campaign=campaign, channel=CALL, at=MONDAY_10
    )
    assert (decision.rule, decision.detail["count"], attempt) == (
        PolicyRule.FREQUENCY_CAP,
        2,
        None,
    )
    assert ContactAttempt.objects.filter(customer=customer).count() == 2
