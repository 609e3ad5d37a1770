"""Reads of the campaigns app: campaign lists per role, a target list's size and
yield, and what an approver weighs: overlap with other campaigns, the load on the
contact caps and on the call-centre seats (docs/campaigns.md)."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from telcrm.campaigns.choices import (
    ACTIVE_STATUSES,
    CampaignChannel,
    CampaignStatus,
    ContactOutcome,
    MemberGroup,
    MemberState,
    PolicyRule,
)
from telcrm.campaigns.models import (
    AgentCapacity,
    Campaign,
    CampaignMember,
    ContactAttempt,
    ContactSuppression,
)
from telcrm.campaigns.policy import policy_preview
from telcrm.campaigns.targeting import target_customers
from telcrm.customers.models import Customer
from telcrm.users.models import User

# Campaigns that hold (or will soon hold) customers: what an approver compares with.
COMMITTED_STATUSES = (CampaignStatus.APPROVED, *ACTIVE_STATUSES)
# Members still to be called (pending a list, or on one).
OPEN_STATES = (MemberState.PENDING, MemberState.QUEUED)
# Customers a policy preview decides on at most; a larger list is sampled evenly
# (5,000 give each rule's share to within 1.4 points at 95 %, in about a second).
PREVIEW_LIMIT = 5_000
CENT = Decimal("0.01")


# --- Lists -------------------------------------------------------------------------


def campaigns_all() -> QuerySet[Campaign]:
    """Every campaign, awaiting approval first, then by priority and age."""
    return (
        Campaign.objects.select_related("created_by", "decided_by")
        .annotate(
            awaiting=Case(
                When(status=CampaignStatus.SUBMITTED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("awaiting", "-priority", "-id")
    )


def campaigns_created_by(user: User) -> QuerySet[Campaign]:
    return campaigns_all().filter(created_by=user)


def campaigns_awaiting(user: User) -> QuerySet[Campaign]:
    """Campaigns waiting for an approver other than their creator."""
    return (
        campaigns_all().filter(status=CampaignStatus.SUBMITTED).exclude(created_by=user)
    )


# --- A target list's size and yield -------------------------------------------------


@dataclass(frozen=True)
class Yield:
    """A target list's expected figures (the approval standard)."""

    target: int
    control: int
    pilot: int
    attempts_per_customer: int
    acceptance_rate: Decimal
    revenue_per_acceptance: Decimal
    cost_per_attempt: Decimal
    cost_per_acceptance: Decimal
    budget: Decimal

    @property
    def treated(self) -> int:
        """Customers to be contacted: the target list less the control group."""
        return self.target - self.control

    @property
    def attempts(self) -> int:
        """Contact attempts planned: every treated customer's allowance."""
        return self.treated * self.attempts_per_customer

    @property
    def acceptances(self) -> Decimal:
        return (self.treated * self.acceptance_rate).quantize(Decimal("0.1"))

    @property
    def revenue(self) -> Decimal:
        return (self.acceptances * self.revenue_per_acceptance).quantize(CENT)

    @property
    def cost(self) -> Decimal:
        """Attempts at their cost plus the offer's cost per acceptance (at most:
        every treated customer takes all attempts)."""
        return (
            self.attempts * self.cost_per_attempt
            + self.acceptances * self.cost_per_acceptance
        ).quantize(CENT)

    @property
    def within_budget(self) -> bool:
        return self.cost <= self.budget


def control_size(strata: dict[str, int], control_fraction: float) -> int:
    """The control group's size as the approval draws it: per stratum,
    ``round(n × share)``."""
    return sum(round(n * control_fraction) for n in strata.values())


def target_strata(rule: dict[str, Any]) -> dict[str, int]:
    """Customers the rule selects now, per segment (the control group's strata)."""
    rows = (
        target_customers(rule)
        .order_by()
        .values("score__segment_code")
        .annotate(n=Count("pk"))
    )
    strata: Counter[str] = Counter()
    for row in rows:
        strata[row["score__segment_code"] or ""] += row["n"]
    return dict(strata)


def yield_estimate(
    *,
    rule: dict[str, Any],
    control_fraction: float,
    pilot_size: int,
    attempts_per_customer: int,
    acceptance_rate: Decimal,
    revenue_per_acceptance: Decimal,
    cost_per_attempt: Decimal,
    cost_per_acceptance: Decimal,
    budget: Decimal,
) -> Yield:
    """The figures of a target rule as it would be drawn now (the live count)."""
    strata = target_strata(rule)
    target = sum(strata.values())
    control = control_size(strata, control_fraction)
    return Yield(
        target=target,
        control=control,
        pilot=min(pilot_size, target - control),
        attempts_per_customer=attempts_per_customer,
        acceptance_rate=acceptance_rate,
        revenue_per_acceptance=revenue_per_acceptance,
        cost_per_attempt=cost_per_attempt,
        cost_per_acceptance=cost_per_acceptance,
        budget=budget,
    )


def is_drawn(campaign: Campaign) -> bool:
    """Whether the target list is frozen (drawn at approval)."""
    return campaign.target_count_at_approval is not None


def campaign_yield(campaign: Campaign) -> Yield:
    """The campaign's figures: from its frozen list once approved, else from its
    target rule as it would be drawn now."""
    terms: dict[str, Any] = {
        "attempts_per_customer": campaign.max_attempts_per_customer,
        "acceptance_rate": campaign.expected_acceptance_rate,
        "revenue_per_acceptance": campaign.expected_revenue_per_acceptance,
        "cost_per_attempt": campaign.cost_per_attempt,
        "cost_per_acceptance": campaign.cost_per_acceptance,
        "budget": campaign.budget,
    }
    if not is_drawn(campaign):
        return yield_estimate(
            rule=campaign.target_rule,
            control_fraction=campaign.control_fraction,
            pilot_size=campaign.pilot_size,
            **terms,
        )
    groups = dict(
        campaign.members.order_by()
        .values_list("group")
        .annotate(n=Count("pk"))
        .values_list("group", "n")
    )
    return Yield(
        target=sum(groups.values()),
        control=groups.get(MemberGroup.CONTROL, 0),
        pilot=groups.get(MemberGroup.PILOT, 0),
        **terms,
    )


# --- What happened: groups, states, outcomes ------------------------------------------


# Outcomes a member's last call can have (``reserved`` is a call in progress).
MEMBER_OUTCOMES = tuple(o for o in ContactOutcome if o != ContactOutcome.RESERVED)


@dataclass
class GroupRow:
    group: str
    label: str
    members: int = 0
    attempts: int = 0
    states: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)

    def state_counts(self) -> list[int]:
        """Members per state, in ``MemberState`` order."""
        return [self.states[state] for state in MemberState.values]

    def outcome_counts(self) -> list[int]:
        """Members per last outcome, in ``MEMBER_OUTCOMES`` order."""
        return [self.outcomes[outcome] for outcome in MEMBER_OUTCOMES]


@dataclass(frozen=True)
class Counted:
    code: str
    label: str
    n: int


@dataclass(frozen=True)
class CampaignProgress:
    groups: list[GroupRow]
    attempts_by_outcome: list[Counted]
    denials_by_rule: list[Counted]

    @property
    def total(self) -> GroupRow:
        row = GroupRow("", "")
        for group in self.groups:
            row.members += group.members
            row.attempts += group.attempts
            row.states.update(group.states)
            row.outcomes.update(group.outcomes)
        return row


def campaign_progress(campaign: Campaign) -> CampaignProgress:
    """Members per group by state and last outcome, attempts by outcome, and the
    rule that last kept members off a list or a call, by rule."""
    rows = {group: GroupRow(group, str(label)) for group, label in MemberGroup.choices}
    counts = (
        campaign.members.order_by()
        .values("group", "state", "last_outcome")
        .annotate(n=Count("pk"), attempts=Sum("attempts"))
    )
    for count in counts:
        row = rows[count["group"]]
        row.members += count["n"]
        row.attempts += count["attempts"] or 0
        row.states[count["state"]] += count["n"]
        if count["last_outcome"]:
            row.outcomes[count["last_outcome"]] += count["n"]
    attempts = dict(
        ContactAttempt.objects.filter(campaign=campaign)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("pk"))
        .values_list("outcome", "n")
    )
    denied = dict(
        campaign.members.exclude(last_denied_rule="")
        .order_by()
        .values_list("last_denied_rule")
        .annotate(n=Count("pk"))
        .values_list("last_denied_rule", "n")
    )
    return CampaignProgress(
        groups=list(rows.values()),
        attempts_by_outcome=[
            Counted(outcome, str(label), attempts[outcome])
            for outcome, label in ContactOutcome.choices
            if outcome in attempts
        ],
        denials_by_rule=[
            Counted(rule, str(label), denied[rule])
            for rule, label in PolicyRule.choices
            if rule in denied
        ],
    )


@dataclass(frozen=True)
class StatusChange:
    at: datetime.datetime
    status: str
    by: User | None

    @property
    def status_label(self) -> str:
        return str(CampaignStatus(self.status).label)


def status_history(campaign: Campaign) -> list[StatusChange]:
    """Each change of status, oldest first, with who made it (from the history)."""
    changes: list[StatusChange] = []
    for record in campaign.history.select_related("history_user").order_by(
        "history_date", "history_id"
    ):
        if not changes or changes[-1].status != record.status:
            changes.append(
                StatusChange(record.history_date, record.status, record.history_user)
            )
    return changes


# --- Approval: overlap, caps, seats -------------------------------------------------


def target_of(campaign: Campaign) -> QuerySet[Customer]:
    """The customers the campaign contacts: its treated members once drawn, else
    those its rule selects now."""
    if is_drawn(campaign):
        return Customer.objects.filter(
            pk__in=campaign.members.exclude(group=MemberGroup.CONTROL).values(
                "customer_id"
            )
        )
    return target_customers(campaign.target_rule)


@dataclass(frozen=True)
class OverlapRow:
    campaign_id: int
    code: str
    name: str
    status: str
    priority: int
    channel: str
    members: int
    contacted: int

    @property
    def status_label(self) -> str:
        return str(CampaignStatus(self.status).label)

    @property
    def channel_label(self) -> str:
        return str(CampaignChannel(self.channel).label)


@dataclass(frozen=True)
class Overlap:
    rows: list[OverlapRow]
    customers: int  # target customers on at least one other committed campaign


def campaign_overlap(campaign: Campaign) -> Overlap:
    """How many of the campaign's target customers are members of each other
    approved or active campaign (``contacted``: outside its control group)."""
    others = CampaignMember.objects.filter(
        campaign__status__in=COMMITTED_STATUSES,
        customer_id__in=target_of(campaign).values("pk"),
    ).exclude(campaign=campaign)
    rows = (
        others.order_by()
        .values(
            "campaign_id",
            "campaign__code",
            "campaign__name",
            "campaign__status",
            "campaign__priority",
            "campaign__channel",
        )
        .annotate(
            members=Count("pk"),
            contacted=Count("pk", filter=~Q(group=MemberGroup.CONTROL)),
        )
        .order_by("-campaign__priority", "campaign_id")
    )
    return Overlap(
        rows=[
            OverlapRow(
                campaign_id=row["campaign_id"],
                code=row["campaign__code"],
                name=row["campaign__name"],
                status=row["campaign__status"],
                priority=row["campaign__priority"],
                channel=row["campaign__channel"],
                members=row["members"],
                contacted=row["contacted"],
            )
            for row in rows
        ],
        customers=others.values("customer_id").distinct().count(),
    )


@dataclass(frozen=True)
class PolicyLoadRow:
    rule: str
    label: str
    customers: int  # in the preview
    estimate: int  # over the whole list


@dataclass(frozen=True)
class PolicyLoad:
    """A campaign's target list through the contact policy as if it ran today."""

    at: datetime.datetime
    target: int
    previewed: int
    rows: list[PolicyLoadRow]

    @property
    def sampled(self) -> bool:
        return self.previewed < self.target


def campaign_policy_load(
    campaign: Campaign, at: datetime.datetime, *, limit: int = PREVIEW_LIMIT
) -> PolicyLoad:
    """``policy_preview`` of the campaign's target list at ``at``, customers per
    deciding rule. Lists above ``limit`` are previewed on an even sample (every
    k-th customer by number) and the counts scaled to the whole list."""
    target = target_of(campaign)
    ids = list(target.order_by("pk").values_list("pk", flat=True))
    if len(ids) > limit:
        step = len(ids) / limit
        chosen: Any = [ids[int(i * step)] for i in range(limit)]
    else:
        chosen = target
    counts = policy_preview(chosen, campaign, campaign.channel, at) if ids else {}
    previewed = sum(counts.values())
    scale = len(ids) / previewed if previewed else 0
    return PolicyLoad(
        at=at,
        target=len(ids),
        previewed=previewed,
        rows=[
            PolicyLoadRow(
                rule=rule,
                label=str(label),
                customers=counts[rule],
                estimate=round(counts[rule] * scale),
            )
            for rule, label in PolicyRule.choices
            if counts.get(rule)
        ],
    )


@dataclass(frozen=True)
class HigherNeed:
    code: str
    priority: int
    calls: int  # left to make, prorated to the days shared with this campaign


@dataclass(frozen=True)
class SeatLoad:
    """A call campaign's calls against the seats' capacity over its days."""

    first_day: datetime.date
    last_day: datetime.date
    seats: int  # agents on outbound duty
    calls_per_day: int  # their capacity, all together
    need: int  # calls this campaign needs: treated × attempts per customer
    higher: list[HigherNeed]

    @property
    def days(self) -> int:
        return max((self.last_day - self.first_day).days + 1, 0)

    @property
    def capacity(self) -> int:
        return self.calls_per_day * self.days

    @property
    def higher_need(self) -> int:
        return sum(row.calls for row in self.higher)

    @property
    def available(self) -> int:
        return max(self.capacity - self.higher_need, 0)

    @property
    def fits(self) -> bool:
        return self.need <= self.available


def calls_left(campaign_ids: list[int]) -> dict[int, int]:
    """Calls the campaigns still have to make: every open, contacted member's
    attempts left."""
    rows = (
        CampaignMember.objects.filter(
            campaign_id__in=campaign_ids, state__in=OPEN_STATES
        )
        .exclude(group=MemberGroup.CONTROL)
        .order_by()
        .values("campaign_id")
        .annotate(left=Sum(F("campaign__max_attempts_per_customer") - F("attempts")))
    )
    return {row["campaign_id"]: max(row["left"] or 0, 0) for row in rows}


def campaign_seat_load(
    campaign: Campaign, today: datetime.date, figures: Yield | None = None
) -> SeatLoad | None:
    """Expected calls against the seats' daily capacity over the campaign's days
    still ahead, less what higher-ranked approved or active call campaigns need over
    the same days (each one's calls left spread evenly over its own days left).
    None for campaigns that do not call. ``figures``: the campaign's yield, when the
    caller has it already (counting a large target list takes seconds)."""
    if campaign.channel != CampaignChannel.OUTBOUND_CALL:
        return None
    first, last = max(today, campaign.starts_on), campaign.ends_on
    seats = AgentCapacity.objects.filter(active=True, agent__is_active=True)
    capacity = seats.aggregate(n=Count("pk"), calls=Sum("calls_per_day"))
    if is_drawn(campaign):
        need = calls_left([campaign.pk]).get(campaign.pk, 0)
    else:
        need = (figures or campaign_yield(campaign)).attempts
    ahead = Q(priority__gt=campaign.priority) | Q(
        priority=campaign.priority, pk__lt=campaign.pk
    )
    others = list(
        Campaign.objects.filter(
            ahead,
            status__in=COMMITTED_STATUSES,
            channel=CampaignChannel.OUTBOUND_CALL,
            starts_on__lte=last,
            ends_on__gte=first,
        )
        .exclude(pk=campaign.pk)
        .order_by("-priority", "pk")
    )
    left = calls_left([other.pk for other in others])
    higher = []
    for other in others:
        their_first = max(today, other.starts_on)
        their_days = (other.ends_on - their_first).days + 1
        shared = (min(last, other.ends_on) - max(first, their_first)).days + 1
        if their_days <= 0 or shared <= 0:
            continue
        calls = round(left.get(other.pk, 0) * shared / their_days)
        higher.append(HigherNeed(other.code, other.priority, calls))
    return SeatLoad(
        first_day=first,
        last_day=last,
        seats=capacity["n"] or 0,
        calls_per_day=capacity["calls"] or 0,
        need=need,
        higher=higher,
    )


# --- One customer, one agent --------------------------------------------------------

MEMBERSHIPS_SHOWN = 20


def customer_memberships(customer_id: int) -> list[CampaignMember]:
    """The customer's campaign memberships, newest campaign first (the 360 page)."""
    return list(
        CampaignMember.objects.filter(customer_id=customer_id)
        .select_related("campaign")
        .order_by("-campaign__starts_on", "-campaign_id")[:MEMBERSHIPS_SHOWN]
    )


def active_suppression(customer_id: int) -> ContactSuppression | None:
    """The customer's suppression in force (opt-out or objection), if any."""
    return (
        ContactSuppression.objects.filter(
            customer_id=customer_id, lifted_at__isnull=True
        )
        .order_by("since", "pk")
        .first()
    )


def call_queue(agent: User, day: datetime.date) -> QuerySet[CampaignMember]:
    """The agent's call list of ``day``: queued members, higher priority first;
    within a campaign the promised call-backs by their time, then the others."""
    return (
        CampaignMember.objects.filter(
            assigned_agent=agent, call_day=day, state=MemberState.QUEUED
        )
        .exclude(group=MemberGroup.CONTROL)
        .select_related("campaign", "customer__party")
        .order_by(
            "-campaign__priority",
            "campaign_id",
            F("callback_at").asc(nulls_last=True),
            "pk",
        )
    )


def open_attempt(agent: User) -> ContactAttempt | None:
    """The agent's call in progress (reserved, outcome not yet recorded)."""
    return (
        ContactAttempt.objects.filter(agent=agent, outcome=ContactOutcome.RESERVED)
        .select_related("campaign", "member", "customer__party")
        .order_by("at", "pk")
        .first()
    )
