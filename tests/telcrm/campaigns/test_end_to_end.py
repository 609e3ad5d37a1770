"""A retention campaign on a generated operator, from the pipeline's cell to its
measured uplift (issue 7, "Done when"; docs/campaigns.md, "Measuring results").

The operator is generated, imported and scored by a pipeline run. Its high-value
high-risk cell (``retain_key``) becomes a retention campaign: a marketer creates it,
consents are captured for a random 90 % of the list, a supervisor approves it (the
control group is drawn then), a pilot of a fifth of the list is called and evaluated,
then the full run: every simulated day the call lists are built over the agents'
seats and each agent calls its queue inside calling hours, the customers answering
as the generator's ``CampaignResponder`` says. After the campaign the responder
decides who left within the horizon, which is recorded in the store as the CRM
records a customer who left (closed, with the date), and the campaign is evaluated.

The cell is the pipeline's own, with the band cuts of an operator whose retention team
can call a wide cell (``PipelineSettings.bands``): high value is the top 40 % of the
value scores, high risk the riskiest 40 % of the churn probabilities (ranked), so the
cell holds about 16 % of the customers valued. With the default cuts (top 20 % x
riskiest 10 %) it would hold about 2 %, too few on an operator small enough for the
test suite to show anything. The generator's baseline churn
is low (about 4 % of customers over 90 days, the riskiest high-value customers 5-20 %
over a year), so the response model is one where the effect is as large as it can be: a
year's horizon, every accepted offer saves its would-be churner (``save_rate`` 1), most
calls are answered and most decisions accept. The control group is half the list, the
share that gives the narrowest interval for a given list.
"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test.utils import override_settings
from tests.telcrm.factories import UserFactory

from telcrm.campaigns.choices import (
    CampaignChannel,
    CampaignGoal,
    ContactOutcome,
    MemberGroup,
    MemberState,
)
from telcrm.campaigns.evaluation import CampaignEvaluation, Contacts, campaign_evaluate
from telcrm.campaigns.lists import call_lists_build
from telcrm.campaigns.models import (
    AgentCapacity,
    Campaign,
    CampaignMember,
    ContactAttempt,
    ContactDecision,
)
from telcrm.campaigns.services import (
    call_outcome_record,
    call_start,
    campaign_approve,
    campaign_complete,
    campaign_create,
    campaign_full_run_start,
    campaign_pilot_start,
    campaign_submit,
)
from telcrm.campaigns.targeting import target_customers
from telcrm.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    CustomerStatus,
)
from telcrm.customers.models import Customer
from telcrm.customers.services import consent_record
from telcrm.inventory.choices import LIVE_STATUSES, SubscriptionStatus
from telcrm.inventory.models import Subscription
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm_pipeline.run import PipelineSettings
from telcrm_pipeline.segments import ValueRiskBands
from telcrm_pipeline.synthetic import (
    CampaignResponder,
    GeneratorConfig,
    ResponseModel,
    generate_operator,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning:ibis"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:mlxtend"),
]

# Four months from July 2026 (the churn model's time split needs them); the campaign
# starts the day after, on 2026-11-01, when the responder's horizon begins. Half a CDR
# per line and day is plenty for the scores and keeps the import short; so does a
# fixed number of consumption profiles (the run does not search for it).
OPERATOR = GeneratorConfig(
    out=Path("operator"),
    customers=1500,
    months=4,
    seed=5,
    start="2026-07",
    cdr_per_line_day=0.5,
)
RESPONSES = ResponseModel(
    seed=7,
    horizon_days=365,
    save_rate=1.0,
    answer_rate=0.85,
    accept_rate=0.8,
)
CONSENT_SHARE = 0.9
CONTROL_SHARE = 0.5
PILOT_SHARE = 0.2
AGENTS, CALLS_PER_AGENT = 4, 40
PILOT_DAYS, FULL_RUN_DAYS = 2, 8
ZONE = ZoneInfo(settings.TIME_ZONE)


@pytest.fixture(scope="module")
def operator_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("campaign-operator")
    generate_operator(dataclasses.replace(OPERATOR, out=out))
    return out


@pytest.fixture
def policy_defaults() -> None:
    """The contact policy's default rows (migration 0002): a transactional test run
    before this one flushes every table, migration data included."""
    from django.apps import apps

    from telcrm.campaigns.models import PolicySettings

    if not PolicySettings.objects.exists():
        defaults = importlib.import_module(
            "telcrm.campaigns.migrations.0002_policy_defaults"
        )
        defaults.add_defaults(apps, None)


@pytest.fixture
def scored_operator(
    operator_dir: Path, tmp_path: Path, policy_defaults: None
) -> Iterator[Path]:
    """The operator imported and scored by a pipeline run, in a private home."""
    from telcrm.analytics.services import pipeline_run
    from telcrm.imports.services import import_directory

    home = tmp_path / "home"
    with override_settings(TELCRM_HOME=home, TELCRM_STORE_DIR=home / "store"):
        import_directory(operator_dir / "silos")
        pipeline_run(
            operator="campaign end-to-end test",
            pipeline_settings=PipelineSettings(profiles=4, bands=WIDE_CELL),
        )
        yield operator_dir


# The retention team's wide cell: top 40 % of value x riskiest 40 % (percentile ranks).
WIDE_CELL = ValueRiskBands(value_cuts=(30.0, 60.0), risk_cuts=(30.0, 60.0))


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), ZONE)


class Simulation:
    """The agents' days: what they were told and what they recorded."""

    def __init__(self, responder: CampaignResponder, agents: list[User]) -> None:
        self.responder = responder
        self.agents = agents
        self.outcomes: Counter[str] = Counter()
        self.accepted: set[str] = set()
        self.denied_at_dial: Counter[str] = Counter()

    def day(self, day: datetime.date) -> None:
        """Build the day's lists; each agent calls its queue from 09:30, two minutes
        a call, and records what the customer answered."""
        call_lists_build(day=day)
        for agent in self.agents:
            queue = (
                CampaignMember.objects.filter(
                    assigned_agent=agent, call_day=day, state=MemberState.QUEUED
                )
                .select_related("campaign", "customer")
                .order_by("pk")
            )
            for position, member in enumerate(queue):
                at = local(day, 9, 30) + datetime.timedelta(minutes=2 * position)
                decision, attempt = call_start(member=member, agent=agent, at=at)
                if attempt is None:
                    self.denied_at_dial[decision.rule] += 1
                    continue
                cust_no = member.customer.customer_number
                outcome = self.responder.call_outcome(
                    cust_no, attempt=member.attempts + 1
                )
                call_outcome_record(
                    attempt=attempt,
                    outcome=outcome,
                    by=agent,
                    at=at + datetime.timedelta(minutes=1),
                    # "Call me tomorrow afternoon."
                    callback_at=local(day + datetime.timedelta(days=1), 15)
                    if outcome == ContactOutcome.CALL_BACK
                    else None,
                )
                self.outcomes[outcome] += 1
                if outcome == ContactOutcome.ACCEPTED:
                    self.accepted.add(cust_no)


def colleague(role: str, n: int) -> User:
    """A member of staff next to the operator's own (whose numbers are S00001...)."""
    return cast(
        User,
        UserFactory(
            role=role, username=f"e2e_{role}_{n}", staff_number=f"E2E-{role}-{n}"
        ),
    )


def customer_leaves(customer: Customer, on: datetime.date) -> None:
    """As the CRM records a customer who left: closed on that date, lines ended."""
    customer.status = CustomerStatus.CLOSED
    customer.status_date = on
    customer.save(update_fields=["status", "status_date", "updated"])
    Subscription.objects.filter(customer=customer, status__in=LIVE_STATUSES).update(
        status=SubscriptionStatus.TERMINATED, end_date=on
    )


def numbers(campaign: Campaign, *groups: str) -> list[str]:
    return list(
        CampaignMember.objects.filter(campaign=campaign, group__in=groups)
        .order_by("pk")
        .values_list("customer__customer_number", flat=True)
    )


def test_a_retention_campaign_from_the_cell_to_its_measured_uplift(
    scored_operator: Path,
) -> None:
    responder = CampaignResponder(scored_operator, RESPONSES)
    start = responder.horizon_start
    rng = np.random.default_rng(RESPONSES.seed)
    marketer = colleague(Role.MARKETER, 1)
    supervisor = colleague(Role.SUPERVISOR, 1)
    agents = [colleague(Role.AGENT, n) for n in range(1, AGENTS + 1)]
    for agent in agents:
        AgentCapacity.objects.create(agent=agent, calls_per_day=CALLS_PER_AGENT)

    # The marketer turns the pipeline's cell into a campaign (the live count first).
    rule = {"segments": ["retain_key"]}
    listed = target_customers(rule).count()
    assert listed >= 150, listed
    campaign = campaign_create(
        by=marketer,
        name="Key customers at risk",
        project="Retention 2026",
        goal=CampaignGoal.RETENTION,
        channel=CampaignChannel.OUTBOUND_CALL,
        offer="20 GB a month free for 12 months",
        target_rule=rule,
        expected_acceptance_rate=Decimal("0.40"),
        budget=Decimal(20000),
        cost_per_attempt=Decimal("3.00"),
        cost_per_acceptance=Decimal("60.00"),
        starts_on=start,
        ends_on=start + datetime.timedelta(days=30),
        priority=8,
        control_fraction=CONTROL_SHARE,
        pilot_size=round(PILOT_SHARE * listed),
    )
    assert campaign.uses_usage_data
    # The control group is drawn with the campaign's own seed, random per campaign:
    # a fixed one makes this run reproducible.
    campaign.random_seed = RESPONSES.seed
    campaign.save(update_fields=["random_seed"])

    # Consents (marketing calls and profiling) for a random 90 % of the list.
    consented_at = local(start - datetime.timedelta(days=10), 12)
    for customer in target_customers(rule).order_by("pk"):
        if rng.random() < CONSENT_SHARE:
            for purpose, channel in [
                (ConsentPurpose.MARKETING, ConsentChannel.PHONE_CALL),
                (ConsentPurpose.PROFILING, ConsentChannel.ANY),
            ]:
                consent_record(
                    customer=customer,
                    purpose=purpose,
                    channel=channel,
                    source=ConsentSource.CALL_CENTRE,
                    at=consented_at,
                )

    # Approval: never by the creator; the list and its control group are drawn.
    campaign_submit(campaign=campaign, by=marketer)
    with pytest.raises(PermissionDenied):
        campaign_approve(campaign=campaign, by=marketer)
    campaign = campaign_approve(campaign=campaign, by=supervisor)
    control_n = round(listed * CONTROL_SHARE)
    pilot_n = round(PILOT_SHARE * listed)
    groups = Counter(
        CampaignMember.objects.filter(campaign=campaign).values_list("group", flat=True)
    )
    assert groups == {
        MemberGroup.CONTROL: control_n,
        MemberGroup.PILOT: pilot_n,
        MemberGroup.TREATMENT: listed - control_n - pilot_n,
    }
    treated = numbers(campaign, MemberGroup.PILOT, MemberGroup.TREATMENT)
    control = numbers(campaign, MemberGroup.CONTROL)
    pilot = set(numbers(campaign, MemberGroup.PILOT))

    # The pilot, judged before the full run.
    simulation = Simulation(responder, agents)
    campaign_pilot_start(campaign=campaign, by=supervisor)
    days = [start + datetime.timedelta(days=d + 1) for d in range(PILOT_DAYS)]
    for day in days:
        simulation.day(day)
    judged = campaign_evaluate(
        campaign, horizon_days=RESPONSES.horizon_days, as_of=days[-1]
    )
    assert judged.pilot is not None
    assert judged.pilot.treated.members == pilot_n
    assert judged.pilot.contacts == Contacts.of(simulation.outcomes)
    assert judged.pilot.acceptances == len(simulation.accepted)
    assert simulation.accepted <= pilot
    assert judged.overall.contacts == judged.pilot.contacts  # nobody else called yet
    assert judged.pilot.contacts.attempts > pilot_n / 2

    # The full run, then the campaign ends.
    campaign_full_run_start(campaign=campaign, by=supervisor)
    for offset in range(FULL_RUN_DAYS):
        simulation.day(days[-1] + datetime.timedelta(days=offset + 1))
    campaign_complete(campaign=campaign, by=supervisor)

    # The follow-up: who left within the horizon, recorded as the CRM would.
    left_from = campaign.ends_on + datetime.timedelta(days=1)
    span = (responder.horizon_end - left_from).days + 1
    churned: dict[str, bool] = {}
    for cust_no in treated + control:
        churned[cust_no] = responder.churned(
            cust_no, accepted_offer=cust_no in simulation.accepted
        )
        if churned[cust_no]:
            on = left_from + datetime.timedelta(days=int(rng.integers(span)))
            customer_leaves(Customer.objects.get(customer_number=cust_no), on)

    evaluation = campaign_evaluate(
        campaign,
        horizon_days=RESPONSES.horizon_days,
        as_of=responder.horizon_end + datetime.timedelta(days=1),
    )

    assert_counts(evaluation, simulation, campaign, treated, control, churned)
    expected = responder.expected_uplift(treated, simulation.accepted, control)
    interval = evaluation.overall.uplift_ci
    assert interval is not None
    assert expected in interval, (expected, evaluation.overall.uplift, interval)
    # With the seeds fixed the run is the same on SQLite and PostgreSQL: 105 treated
    # and 105 control, a known effect of 10.4 points, 9 more of the treated kept.
    assert (len(treated), len(control)) == (105, 105)
    assert evaluation.overall.uplift == pytest.approx(9 / 105)
    assert 0 < interval.low < expected < interval.high  # the effect is detected


def assert_counts(
    evaluation: CampaignEvaluation,
    simulation: Simulation,
    campaign: Campaign,
    treated: list[str],
    control: list[str],
    churned: dict[str, bool],
) -> None:
    overall = evaluation.overall
    assert evaluation.horizon_complete
    assert overall.treated.members == len(treated)
    assert overall.control.members == len(control)
    # Every attempt is one the agents recorded; none is left in progress.
    attempts = ContactAttempt.objects.filter(campaign=campaign)
    assert overall.contacts == Contacts.of(simulation.outcomes)
    assert overall.contacts.attempts == attempts.count() == simulation.outcomes.total()
    assert overall.contacts.in_progress == 0
    # The acceptances are the responder's accepted set.
    assert overall.acceptances == len(simulation.accepted)
    assert (
        set(
            attempts.filter(outcome=ContactOutcome.ACCEPTED).values_list(
                "customer__customer_number", flat=True
            )
        )
        == simulation.accepted
    )
    # The control group was never contacted, nor even considered for a call.
    control_ids = Customer.objects.filter(customer_number__in=control).values("pk")
    assert evaluation.control_attempts == 0
    assert not ContactAttempt.objects.filter(customer__in=control_ids).exists()
    assert not ContactDecision.objects.filter(
        campaign=campaign, customer__in=control_ids
    ).exists()
    # Churn as the follow-up recorded it.
    assert overall.treated.churned == sum(churned[c] for c in treated)
    assert overall.control.churned == sum(churned[c] for c in control)
    assert overall.cost == (
        overall.contacts.attempts * campaign.cost_per_attempt
        + overall.acceptances * campaign.cost_per_acceptance
    )
