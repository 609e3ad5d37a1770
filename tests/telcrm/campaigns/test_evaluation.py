"""Campaign evaluation on small hand-built campaigns whose figures are worked out by
hand (docs/campaigns.md, "Measuring results")."""

from __future__ import annotations

import datetime
import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

import pytest
from tests.telcrm.campaigns.helpers import (
    MONDAY_10,
    reachable_customer,
    running_campaign,
)
from tests.telcrm.factories import (
    BillFactory,
    BillingAccountFactory,
    CustomerFactory,
    UserFactory,
)

from telcrm.accounts.models import BillingAccount
from telcrm.campaigns.choices import (
    CampaignChannel,
    CampaignStatus,
    ContactOutcome,
    DecisionStage,
    MemberGroup,
    MemberState,
    PolicyRule,
)
from telcrm.campaigns.evaluation import (
    Contacts,
    campaign_evaluate,
    campaigns_tile,
    results_overview,
    uplift_interval,
)
from telcrm.campaigns.models import (
    Campaign,
    CampaignMember,
    ContactAttempt,
    ContactDecision,
    Referral,
)
from telcrm.campaigns.services import call_outcome_record, call_start
from telcrm.customers.choices import (
    CustomerStatus,
    Direction,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
)
from telcrm.customers.models import Interaction
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# The campaign starts on 2026-11-01: the horizon of 90 days ends on 2027-01-29.
AFTER_HORIZON = datetime.date(2027, 3, 1)
Z = 1.959963984540054  # the standard normal's 97.5th percentile


def member(
    campaign: Campaign,
    group: str,
    *,
    closed_on: datetime.date | None = None,
    closed: bool = False,
) -> CampaignMember:
    customer = CustomerFactory(
        status=CustomerStatus.CLOSED if closed or closed_on else CustomerStatus.ACTIVE,
        status_date=closed_on,
    )
    return CampaignMember.objects.create(
        campaign=campaign,
        customer=customer,
        group=group,
        state=MemberState.HELD_OUT
        if group == MemberGroup.CONTROL
        else MemberState.DONE,
    )


def attempt(
    m: CampaignMember, outcome: str, agent: User | None, at: datetime.datetime
) -> ContactAttempt:
    decision = ContactDecision.objects.create(
        customer_id=m.customer_id,
        campaign=m.campaign,
        channel=CampaignChannel.OUTBOUND_CALL,
        at=at,
        stage=DecisionStage.CONTACT,
        allowed=True,
        rule=PolicyRule.ALLOWED,
    )
    return ContactAttempt.objects.create(
        customer_id=m.customer_id,
        campaign=m.campaign,
        member=m,
        channel=CampaignChannel.OUTBOUND_CALL,
        at=at,
        agent=agent,
        outcome=outcome,
        outcome_at=None if outcome == ContactOutcome.RESERVED else at,
        decision=decision,
    )


def bill(account: BillingAccount, year: int, month: int, amount: str) -> None:
    period = datetime.date(year, month, 1)
    BillFactory(
        billing_account=account,
        period=period,
        issue_date=period,
        due_date=period + 20 * DAY,
        amount=Decimal(amount),
    )


def complaint(customer_id: int, at: datetime.datetime) -> None:
    Interaction.objects.create(
        customer_id=customer_id,
        channel=InteractionChannel.CALL_CENTRE,
        direction=Direction.INBOUND,
        kind=InteractionKind.COMPLAINT,
        outcome=InteractionOutcome.RESOLVED,
        occurred_at=at,
        ended_at=at + HOUR,
    )


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson's score interval of one proportion (Newcombe 1998, method 3)."""
    p = successes / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - spread) / (1 + Z * Z / n), (centre + spread) / (1 + Z * Z / n)


def newcombe(a: int, m: int, b: int, n: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval of a/m - b/n (1998, method 10)."""
    p1, p2 = a / m, b / n
    l1, u1 = wilson(a, m)
    l2, u2 = wilson(b, n)
    d = p1 - p2
    return (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def test_the_interval_is_newcombes() -> None:
    # Newcombe (1998), Statistics in Medicine 17, table II, example (a): 56/70 - 48/80,
    # method 10: 0.0524 to 0.3339.
    published = uplift_interval(56, 70, 48, 80)
    assert published is not None
    assert (round(published.low, 4), round(published.high, 4)) == (0.0524, 0.3339)
    for counts in [(9, 10, 3, 5), (10, 10, 5, 5), (0, 10, 0, 5), (40, 41, 1, 3)]:
        interval = uplift_interval(*counts)
        assert interval is not None
        low, high = newcombe(*counts)
        assert interval.low == pytest.approx(low, abs=1e-12)
        assert interval.high == pytest.approx(high, abs=1e-12)
    assert uplift_interval(3, 4, 0, 0) is None


@dataclass
class Built:
    campaign: Campaign
    agent_a: User
    agent_b: User
    members: dict[str, CampaignMember]


@pytest.fixture
def built() -> Built:
    """Pilot P1-P4, treatment T1-T6, control C1-C5 (see each test for the sums)."""
    campaign = running_campaign(
        status=CampaignStatus.COMPLETED,
        project="Retention 2026",
        cost_per_attempt=Decimal("2.00"),
        cost_per_acceptance=Decimal("15.00"),
    )
    a = cast(User, UserFactory(role=Role.AGENT, full_name="Agent A"))
    b = cast(User, UserFactory(role=Role.AGENT, full_name="Agent B"))
    m = {f"P{i}": member(campaign, MemberGroup.PILOT) for i in range(1, 5)}
    m |= {f"T{i}": member(campaign, MemberGroup.TREATMENT) for i in (1, 2, 3, 5)}
    # Churned inside the horizon, and closed only after it (retained in it).
    m["T4"] = member(
        campaign, MemberGroup.TREATMENT, closed_on=datetime.date(2026, 12, 10)
    )
    m["T6"] = member(
        campaign, MemberGroup.TREATMENT, closed_on=datetime.date(2027, 2, 15)
    )
    # Churned inside the horizon; closed between the draw and the start; active.
    m["C1"] = member(
        campaign, MemberGroup.CONTROL, closed_on=datetime.date(2026, 11, 20)
    )
    m["C2"] = member(
        campaign, MemberGroup.CONTROL, closed_on=datetime.date(2026, 10, 25)
    )
    for i in (3, 4, 5):
        m[f"C{i}"] = member(campaign, MemberGroup.CONTROL)
    t = MONDAY_10
    for key, outcome, agent in [
        ("P1", ContactOutcome.NO_ANSWER, a),
        ("P1", ContactOutcome.ACCEPTED, a),
        ("P2", ContactOutcome.REFUSED, a),
        ("P3", ContactOutcome.CALL_BACK, b),
        ("P3", ContactOutcome.ACCEPTED, b),
        ("T1", ContactOutcome.OPT_OUT, b),
        ("T2", ContactOutcome.ACCEPTED, a),
        ("T3", ContactOutcome.NO_ANSWER, b),
        ("T3", ContactOutcome.NO_ANSWER, b),
        ("T4", ContactOutcome.REFUSED, b),
        ("T5", ContactOutcome.RESERVED, a),
    ]:
        t += HOUR
        attempt(m[key], outcome, agent, t)
    return Built(campaign, a, b, m)


def test_members_contacts_and_cost(built: Built) -> None:
    evaluation = campaign_evaluate(built.campaign, as_of=AFTER_HORIZON)

    assert evaluation.members == {"pilot": 4, "treatment": 6, "control": 5}
    overall = evaluation.overall
    assert overall.contacts == Contacts(
        attempts=11, answered=7, accepted=3, opt_outs=1, no_answer=3, in_progress=1
    )
    # The call in progress has no outcome yet: 7 of the 10 finished were answered.
    assert overall.contacts.response_rate == 7 / 10
    assert overall.contacts.acceptance_rate == 3 / 7
    assert overall.acceptances == 3
    assert overall.acceptance_rate == 0.3
    # 11 attempts x 2.00 + 3 acceptances x 15.00
    assert overall.cost == Decimal("67.00")
    assert evaluation.control_attempts == 0


def test_retention_uplift_and_its_interval(built: Built) -> None:
    evaluation = campaign_evaluate(built.campaign, as_of=AFTER_HORIZON)

    overall = evaluation.overall
    assert (evaluation.horizon_start, evaluation.horizon_end) == (
        datetime.date(2026, 11, 1),
        datetime.date(2027, 1, 29),
    )
    assert evaluation.horizon_complete
    # Treated: T4 churned (T6 left after the horizon); control: C1 and C2.
    assert (overall.treated.members, overall.treated.churned) == (10, 1)
    assert (overall.control.members, overall.control.churned) == (5, 2)
    assert overall.treated.retention_rate == 0.9
    assert overall.control.retention_rate == 0.6
    assert overall.control.churn_rate == 0.4
    assert str(overall.uplift_exact) == "3/10"
    assert overall.uplift == 0.3
    assert overall.uplift_ci is not None
    low, high = newcombe(9, 10, 3, 5)
    assert overall.uplift_ci.low == pytest.approx(low, abs=1e-12)
    assert overall.uplift_ci.high == pytest.approx(high, abs=1e-12)
    assert (round(low, 4), round(high, 4)) == (-0.1150, 0.6783)


def test_the_horizon_not_yet_over_counts_churn_up_to_today(built: Built) -> None:
    evaluation = campaign_evaluate(built.campaign, as_of=datetime.date(2026, 12, 1))

    assert evaluation.observed_until == datetime.date(2026, 12, 1)
    assert not evaluation.horizon_complete
    # T4 closes on 2026-12-10: not yet.
    assert evaluation.overall.treated.churned == 0
    assert evaluation.overall.control.churned == 2


def test_arpu_revenue_kept_and_roi(built: Built) -> None:
    m = built.members

    def account(key: str) -> BillingAccount:
        return cast(BillingAccount, BillingAccountFactory(customer=m[key].customer))

    p1, p2a, p2b, t2, c3 = (account(k) for k in ("P1", "P2", "P2", "T2", "C3"))
    bill(p1, 2026, 7, "500.00")  # before the 3 months: left out
    bill(p1, 2026, 8, "100.00")
    bill(p1, 2026, 9, "110.00")
    bill(p2a, 2026, 10, "30.00")  # two accounts, one customer-month of 75.00
    bill(p2b, 2026, 10, "45.00")
    bill(t2, 2026, 10, "60.00")
    bill(p1, 2026, 11, "999.00")  # the start month: neither before nor after
    bill(p1, 2026, 12, "120.00")
    bill(t2, 2027, 1, "80.00")
    bill(p1, 2027, 2, "777.00")  # after the horizon's last month
    bill(c3, 2026, 9, "50.00")
    bill(c3, 2026, 10, "70.00")

    evaluation = campaign_evaluate(built.campaign, as_of=AFTER_HORIZON)

    treated, control = evaluation.overall.treated, evaluation.overall.control
    # (100 + 110 + 75 + 60) / 4 customer-months; (120 + 80) / 2
    assert treated.arpu_before == Decimal("86.25")
    assert treated.arpu_after == Decimal("100.00")
    assert treated.arpu_change == Decimal("13.75")
    assert control.arpu_before == Decimal("60.00")
    assert control.arpu_after is None
    assert control.arpu_change is None
    # 0.3 uplift x 10 treated x 86.25 x 3 months (90 days)
    assert evaluation.overall.revenue_kept == Decimal("776.25")
    assert evaluation.overall.roi == float(Decimal("709.25") / Decimal("67.00"))

    pilot = evaluation.pilot
    assert pilot is not None
    # P1 (100, 110) and P2 (75): 285 / 3; the pilot kept everyone: 1.0 - 0.6
    assert pilot.treated.arpu_before == Decimal("95.00")
    assert str(pilot.uplift_exact) == "2/5"
    # 5 attempts x 2.00 + 2 acceptances x 15.00; 0.4 x 4 x 95 x 3
    assert pilot.cost == Decimal("40.00")
    assert pilot.revenue_kept == Decimal("456.00")
    assert pilot.roi == 10.4


def test_without_bills_there_is_no_arpu_nor_revenue_kept(built: Built) -> None:
    evaluation = campaign_evaluate(built.campaign, as_of=AFTER_HORIZON)

    assert evaluation.overall.treated.arpu_before is None
    assert evaluation.overall.revenue_kept is None
    assert evaluation.overall.roi is None


def test_the_pilot_against_the_control_group(built: Built) -> None:
    evaluation = campaign_evaluate(built.campaign, as_of=AFTER_HORIZON)

    pilot = evaluation.pilot
    assert pilot is not None
    assert (pilot.treated.members, pilot.treated.churned) == (4, 0)
    assert pilot.control == evaluation.overall.control
    assert pilot.contacts == Contacts(
        attempts=5, answered=4, accepted=2, opt_outs=0, no_answer=1, in_progress=0
    )
    assert pilot.acceptances == 2
    assert pilot.acceptance_rate == 0.5
    assert pilot.uplift_ci is not None
    low, high = newcombe(4, 4, 3, 5)
    assert pilot.uplift_ci.low == pytest.approx(low, abs=1e-12)
    assert pilot.uplift_ci.high == pytest.approx(high, abs=1e-12)


def test_per_agent(built: Built) -> None:
    evaluation = campaign_evaluate(built.campaign, as_of=AFTER_HORIZON)

    rows = [(r.name, r.contacts) for r in evaluation.agents]
    assert rows == [
        (
            "Agent B",
            Contacts(
                attempts=6, answered=4, accepted=1, opt_outs=1, no_answer=2,
                in_progress=0,
            ),
        ),
        (
            "Agent A",
            Contacts(
                attempts=5, answered=3, accepted=2, opt_outs=0, no_answer=1,
                in_progress=1,
            ),
        ),
    ]  # fmt: skip
    assert evaluation.agents[1].contacts.acceptance_rate == 2 / 3


def test_complaint_to_stay_and_referrals(built: Built) -> None:
    m = built.members

    def first_answered(key: str) -> datetime.datetime:
        return (
            ContactAttempt.objects.filter(member=m[key])
            .exclude(outcome__in=[ContactOutcome.NO_ANSWER, ContactOutcome.RESERVED])
            .order_by("at")
            .values_list("at", flat=True)
            .first()
        ) or MONDAY_10

    complaint(m["P2"].customer_id, first_answered("P2") - 30 * DAY)  # stayed
    complaint(m["T4"].customer_id, first_answered("T4") - 60 * DAY)  # churned
    complaint(m["T2"].customer_id, first_answered("T2") - 100 * DAY)  # too early
    complaint(m["P3"].customer_id, first_answered("P3") + HOUR)  # after the call
    complaint(m["T3"].customer_id, MONDAY_10 - 10 * DAY)  # never answered
    complaint(m["C3"].customer_id, MONDAY_10 - 10 * DAY)  # control: never called
    referrer = m["P1"].customer
    for credit, campaign in [("50.00", built.campaign), ("30.00", built.campaign)]:
        Referral.objects.create(
            referrer=referrer,
            referred_phone="+8613900000001",
            campaign=campaign,
            recorded_at=MONDAY_10,
            credit=Decimal(credit),
        )
    Referral.objects.create(
        referrer=referrer, referred_phone="+8613900000002", recorded_at=MONDAY_10
    )

    evaluation = campaign_evaluate(built.campaign, as_of=AFTER_HORIZON)

    stay = evaluation.complaint_to_stay
    assert stay is not None
    assert (stay.complained, stay.stayed, stay.rate) == (2, 1, 0.5)
    assert (evaluation.referrals, evaluation.referral_credit) == (2, Decimal("80.00"))


def test_an_empty_campaign_has_no_rates() -> None:
    campaign = running_campaign()

    evaluation = campaign_evaluate(campaign, as_of=AFTER_HORIZON)

    assert evaluation.members == {"pilot": 0, "treatment": 0, "control": 0}
    overall = evaluation.overall
    assert overall.contacts == Contacts()
    assert overall.contacts.response_rate is None
    assert overall.treated.retention_rate is None
    assert (overall.uplift, overall.uplift_ci, overall.revenue_kept) == (
        None,
        None,
        None,
    )
    assert overall.cost == Decimal(0)
    assert overall.roi is None
    assert evaluation.pilot is None
    assert evaluation.agents == []


def test_projects_sum_their_campaigns_and_agents_span_campaigns(built: Built) -> None:
    other = running_campaign(project="Retention 2026", cost_per_attempt=Decimal("3.00"))
    treated = member(other, MemberGroup.TREATMENT)
    member(other, MemberGroup.CONTROL)
    attempt(treated, ContactOutcome.ACCEPTED, built.agent_a, MONDAY_10)
    elsewhere = running_campaign(project="Win-back")
    attempt(member(elsewhere, MemberGroup.TREATMENT), ContactOutcome.REFUSED, None,
            MONDAY_10)  # fmt: skip
    running_campaign(status=CampaignStatus.DRAFT, project="Not started")

    overview = results_overview(as_of=AFTER_HORIZON)

    assert {e.campaign.pk for e in overview.campaigns} == {
        built.campaign.pk,
        other.pk,
        elsewhere.pk,
    }
    projects = {p.project: p for p in overview.projects}
    assert set(projects) == {"Retention 2026", "Win-back"}
    retention = projects["Retention 2026"]
    assert (retention.campaigns, retention.treated, retention.control) == (2, 11, 6)
    assert retention.contacts.attempts == 12
    assert retention.acceptances == 4
    # 67.00 + 1 x 3.00 (the other campaign offers nothing per acceptance)
    assert retention.cost == Decimal("70.00")
    # No bills: no revenue kept, so no ROI (not -100 %).
    assert (retention.without_revenue, retention.revenue_kept, retention.roi) == (
        2,
        Decimal(0),
        None,
    )
    assert projects["Win-back"].contacts == Contacts(attempts=1, answered=1)
    agents = {r.name: r.contacts for r in overview.agents}
    assert set(agents) == {"Agent A", "Agent B"}  # attempts without an agent: none
    assert (agents["Agent A"].attempts, agents["Agent A"].accepted) == (6, 3)


def test_a_projects_roi_counts_only_campaigns_with_revenue_kept(built: Built) -> None:
    m = built.members
    for key, period, amount in [("P1", 10, "100.00"), ("P1", 12, "100.00")]:
        account = BillingAccountFactory(customer=m[key].customer)
        bill(cast(BillingAccount, account), 2026, period, amount)
    unbilled = running_campaign(
        project="Retention 2026", cost_per_attempt=Decimal("5.00")
    )
    attempt(member(unbilled, MemberGroup.TREATMENT), ContactOutcome.REFUSED, None,
            MONDAY_10)  # fmt: skip
    billed = campaign_evaluate(built.campaign, as_of=AFTER_HORIZON).overall
    assert billed.revenue_kept is not None

    (project,) = results_overview(as_of=AFTER_HORIZON).projects

    assert (project.campaigns, project.without_revenue) == (2, 1)
    assert project.cost == billed.cost + Decimal("5.00")
    assert project.revenue_kept == billed.revenue_kept
    # The unbilled campaign's 5.00 is left out of the ROI, as its revenue is.
    assert project.roi == billed.roi


def test_a_campaign_cancelled_before_any_contact_is_not_evaluated() -> None:
    untouched = running_campaign(status=CampaignStatus.CANCELLED)
    member(untouched, MemberGroup.TREATMENT)
    member(untouched, MemberGroup.CONTROL)
    stopped = running_campaign(status=CampaignStatus.CANCELLED)
    attempt(member(stopped, MemberGroup.TREATMENT), ContactOutcome.REFUSED, None,
            MONDAY_10)  # fmt: skip

    overview = results_overview(as_of=AFTER_HORIZON)

    assert [e.campaign.pk for e in overview.campaigns] == [stopped.pk]


def test_sent_messages_have_no_response_rate() -> None:
    sms = Contacts.of(Counter({ContactOutcome.SENT: 3}))

    assert (sms.attempts, sms.sent, sms.answered) == (3, 3, 0)
    assert sms.response_rate is None
    calls = Contacts.of(
        Counter({ContactOutcome.SENT: 3, ContactOutcome.REFUSED: 1,
                 ContactOutcome.NO_ANSWER: 1})
    )  # fmt: skip
    assert (sms + calls).response_rate == 1 / 2


def test_the_dashboard_tile(built: Built) -> None:
    running_campaign()  # running
    running_campaign(status=CampaignStatus.PILOT)
    older = running_campaign(
        status=CampaignStatus.COMPLETED,
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 2, 1),
    )
    attempt(member(older, MemberGroup.TREATMENT), ContactOutcome.ACCEPTED, None,
            datetime.datetime(2026, 1, 10, 3, tzinfo=datetime.UTC))  # fmt: skip

    tile = campaigns_tile(today=datetime.date(2026, 11, 30))

    assert tile.running == 2
    assert tile.month == datetime.date(2026, 11, 1)
    assert tile.contacts == Contacts(
        attempts=11, answered=7, accepted=3, opt_outs=1, no_answer=3, in_progress=1
    )
    assert tile.last_completed is not None
    assert tile.last_completed.campaign == built.campaign
    # On 2026-11-30: control C1 and C2 gone, T4 not yet (2026-12-10): 1.0 - 0.6.
    assert str(tile.last_completed.overall.uplift_exact) == "2/5"
    assert campaigns_tile(today=datetime.date(2026, 12, 1)).contacts == Contacts()


def test_outcomes_recorded_through_the_services_are_counted() -> None:
    # On PostgreSQL the outcome's row lock once also joined the nullable member
    # (FOR UPDATE on the nullable side of an outer join is refused).
    campaign = running_campaign()
    agent = cast(User, UserFactory(role=Role.AGENT))
    queued = CampaignMember.objects.create(
        campaign=campaign,
        customer=reachable_customer(),
        group=MemberGroup.TREATMENT,
        state=MemberState.QUEUED,
        assigned_agent=agent,
        call_day=MONDAY_10.date(),
    )
    _, reserved = call_start(member=queued, agent=agent, at=MONDAY_10)
    assert reserved is not None

    call_outcome_record(
        attempt=reserved, outcome=ContactOutcome.ACCEPTED, by=agent, at=MONDAY_10
    )

    overall = campaign_evaluate(campaign, as_of=AFTER_HORIZON).overall
    assert overall.contacts == Contacts(attempts=1, answered=1, accepted=1)
    assert (overall.acceptances, overall.cost) == (1, Decimal("2.00"))
