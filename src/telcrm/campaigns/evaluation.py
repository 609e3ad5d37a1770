"""What a campaign achieved, measured against its control group (R9; reads only).

The figures are defined in docs/campaigns.md, "Measuring results":

* **Groups.** Intention to treat: every member assigned to the pilot or the
  treatment group counts as treated, whether anyone reached them or not; the control
  group was never contacted. The pilot alone against the same control group is the
  figure a supervisor judges the pilot by.
* **Contacts.** Attempts, answered attempts (refused, accepted, call back, opt-out:
  the customer came to the phone), acceptances (members who accepted the offer),
  opt-outs; response rate = answered / attempts, acceptance rate of the treated =
  accepting members / treated members, of the answered = accepted / answered.
* **Churn.** A member churned within the horizon when the store shows the customer
  closed (``Customer.status`` closed, as imports and the CRM record a customer who
  left) with a status date up to the horizon's last day (or none). The horizon runs
  ``horizon_days`` days from the campaign's first day; every member was active when
  the list was drawn, so any such closing came after the draw.
* **Uplift** = retention rate (treated) - retention rate (control), with Newcombe's
  hybrid score interval (method 10 of Newcombe 1998: Wilson intervals of both
  rates combined, no continuity correction) at 95 %.
* **ARPU** before and after, per group: the mean monthly bill of a member, over the
  customer-months with a bill (``billing.Bill``: the ``ARPU_MONTHS`` months before
  the campaign's first month; after: the months from the next one to the horizon's
  last), None without bills.
* **Revenue kept** = uplift x treated members x ARPU before (treated) x horizon
  months (``horizon_days / 30``): the bills that the customers the campaign kept
  pay during the horizon. **Cost** = attempts x cost per attempt + acceptances x
  cost per acceptance; **ROI** = (revenue kept - cost) / cost.
* **Complaint to stay**: of the members reached by a retention call who had a
  complaint in the 90 days before their first answered call, the share who stayed.

Money is exact (``Decimal``, from exact fractions); rates are floats.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from statsmodels.stats.proportion import confint_proportions_2indep

from telcrm.billing.models import Bill
from telcrm.campaigns.choices import (
    ACTIVE_STATUSES,
    CampaignGoal,
    CampaignStatus,
    ContactOutcome,
    MemberGroup,
)
from telcrm.campaigns.models import Campaign, CampaignMember, ContactAttempt, Referral
from telcrm.customers.choices import CustomerStatus, InteractionKind
from telcrm.customers.models import Interaction
from telcrm.users.models import User

HORIZON_DAYS = 90
ARPU_MONTHS = 3
DAYS_PER_MONTH = 30
COMPLAINT_LOOKBACK = datetime.timedelta(days=90)
CONFIDENCE = 0.95
CI_METHOD = "newcomb"
CENT = Decimal("0.01")
# Outcomes in which the customer came to the phone.
ANSWERED = (
    ContactOutcome.REFUSED,
    ContactOutcome.ACCEPTED,
    ContactOutcome.CALL_BACK,
    ContactOutcome.OPT_OUT,
)
TREATED = (MemberGroup.PILOT, MemberGroup.TREATMENT)
RETENTION_GOALS = (CampaignGoal.RETENTION, CampaignGoal.WIN_BACK)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def cents(value: Fraction) -> Decimal:
    """An exact amount rounded half up to the cent."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Contacts:
    """Attempts of one group (or one agent) by outcome."""

    attempts: int = 0
    answered: int = 0
    accepted: int = 0
    opt_outs: int = 0
    no_answer: int = 0
    in_progress: int = 0
    # Messages sent (SMS, e-mail): nobody can answer them on the spot.
    sent: int = 0

    @classmethod
    def of(cls, outcomes: Counter[str]) -> Contacts:
        return cls(
            attempts=sum(outcomes.values()),
            answered=sum(outcomes[o] for o in ANSWERED),
            accepted=outcomes[ContactOutcome.ACCEPTED],
            opt_outs=outcomes[ContactOutcome.OPT_OUT],
            no_answer=outcomes[ContactOutcome.NO_ANSWER],
            in_progress=outcomes[ContactOutcome.RESERVED],
            sent=outcomes[ContactOutcome.SENT],
        )

    def __add__(self, other: Contacts) -> Contacts:
        return Contacts(
            self.attempts + other.attempts,
            self.answered + other.answered,
            self.accepted + other.accepted,
            self.opt_outs + other.opt_outs,
            self.no_answer + other.no_answer,
            self.in_progress + other.in_progress,
            self.sent + other.sent,
        )

    @property
    def response_rate(self) -> float | None:
        """Answered per call with a known outcome: calls still in progress and sent
        messages could not be answered (None for a campaign of messages)."""
        return ratio(self.answered, self.attempts - self.in_progress - self.sent)

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted per answered attempt."""
        return ratio(self.accepted, self.answered)


@dataclass(frozen=True)
class GroupOutcome:
    """One group's members, churn within the horizon and ARPU."""

    members: int
    churned: int
    arpu_before_exact: Fraction | None
    arpu_after_exact: Fraction | None

    @property
    def retained(self) -> int:
        return self.members - self.churned

    @property
    def retention_rate(self) -> float | None:
        return ratio(self.retained, self.members)

    @property
    def churn_rate(self) -> float | None:
        return ratio(self.churned, self.members)

    @property
    def arpu_before(self) -> Decimal | None:
        return None if self.arpu_before_exact is None else cents(self.arpu_before_exact)

    @property
    def arpu_after(self) -> Decimal | None:
        return None if self.arpu_after_exact is None else cents(self.arpu_after_exact)

    @property
    def arpu_change(self) -> Decimal | None:
        if self.arpu_before_exact is None or self.arpu_after_exact is None:
            return None
        return cents(self.arpu_after_exact - self.arpu_before_exact)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high


def uplift_interval(
    treated_retained: int,
    treated: int,
    control_retained: int,
    control: int,
    confidence: float = CONFIDENCE,
) -> Interval | None:
    """Newcombe's hybrid score interval of retention(treated) - retention(control)."""
    if not treated or not control:
        return None
    low, high = confint_proportions_2indep(
        treated_retained,
        treated,
        control_retained,
        control,
        method=CI_METHOD,
        compare="diff",
        alpha=1 - confidence,
    )
    return Interval(float(low), float(high))


@dataclass(frozen=True)
class Comparison:
    """Treated (all, or the pilot alone) against the control group."""

    treated: GroupOutcome
    control: GroupOutcome
    contacts: Contacts
    acceptances: int
    cost: Decimal
    uplift_exact: Fraction | None
    uplift_ci: Interval | None
    revenue_kept: Decimal | None

    @property
    def uplift(self) -> float | None:
        return None if self.uplift_exact is None else float(self.uplift_exact)

    @property
    def acceptance_rate(self) -> float | None:
        """Accepting members per treated member (intention to treat)."""
        return ratio(self.acceptances, self.treated.members)

    @property
    def roi(self) -> float | None:
        if self.revenue_kept is None or not self.cost:
            return None
        return float((self.revenue_kept - self.cost) / self.cost)


@dataclass(frozen=True)
class AgentFigures:
    agent_id: int | None
    name: str
    contacts: Contacts


@dataclass(frozen=True)
class ComplaintToStay:
    complained: int
    stayed: int

    @property
    def rate(self) -> float | None:
        return ratio(self.stayed, self.complained)


@dataclass(frozen=True)
class CampaignEvaluation:
    campaign: Campaign
    horizon_start: datetime.date
    horizon_end: datetime.date
    observed_until: datetime.date
    members: dict[str, int]
    overall: Comparison
    pilot: Comparison | None
    agents: list[AgentFigures]
    control_attempts: int
    complaint_to_stay: ComplaintToStay | None
    referrals: int
    referral_credit: Decimal

    @property
    def horizon_complete(self) -> bool:
        return self.observed_until >= self.horizon_end


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def months_before(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def horizon_months(horizon_days: int) -> Fraction:
    return Fraction(horizon_days, DAYS_PER_MONTH)


def group_members(
    campaign: Campaign, groups: Iterable[str]
) -> QuerySet[CampaignMember]:
    return CampaignMember.objects.filter(campaign=campaign, group__in=list(groups))


def churned_filter(until: datetime.date, prefix: str = "customer__") -> Q:
    """Members (or customers, with ``prefix=""``) closed by ``until``."""
    return Q(**{f"{prefix}status": CustomerStatus.CLOSED}) & (
        Q(**{f"{prefix}status_date__isnull": True})
        | Q(**{f"{prefix}status_date__lte": until})
    )


def arpu(
    members: QuerySet[CampaignMember],
    first_month: datetime.date,
    last_month: datetime.date,
) -> Fraction | None:
    """Mean monthly bill per customer-month with a bill, periods in
    [first_month, last_month]; None without bills."""
    if last_month < first_month:
        return None
    bills = Bill.objects.filter(
        billing_account__customer__in=members.values("customer_id"),
        period__gte=first_month,
        period__lte=last_month,
    )
    months = bills.values("billing_account__customer_id", "period").distinct().count()
    if not months:
        return None
    total = bills.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return Fraction(total) / months


def group_outcome(
    campaign: Campaign,
    groups: Iterable[str],
    until: datetime.date,
    arpu_months: int,
) -> GroupOutcome:
    members = group_members(campaign, groups)
    counts = members.aggregate(
        members=Count("pk"), churned=Count("pk", filter=churned_filter(until))
    )
    start_month = month_start(campaign.starts_on)
    return GroupOutcome(
        members=counts["members"],
        churned=counts["churned"],
        arpu_before_exact=arpu(
            members,
            months_before(start_month, arpu_months),
            months_before(start_month, 1),
        ),
        arpu_after_exact=arpu(
            members, months_before(start_month, -1), month_start(until)
        ),
    )


def outcomes_of(attempts: QuerySet[ContactAttempt]) -> Counter[str]:
    return Counter(
        dict(attempts.values_list("outcome").annotate(n=Count("pk")).order_by())
    )


def compare(
    campaign: Campaign,
    groups: tuple[str, ...],
    control: GroupOutcome,
    until: datetime.date,
    horizon_days: int,
    arpu_months: int,
) -> Comparison:
    treated = group_outcome(campaign, groups, until, arpu_months)
    attempts = ContactAttempt.objects.filter(
        campaign=campaign, member__group__in=groups
    )
    contacts = Contacts.of(outcomes_of(attempts))
    acceptances = (
        attempts.filter(outcome=ContactOutcome.ACCEPTED)
        .values("member_id")
        .distinct()
        .count()
    )
    cost = (
        contacts.attempts * campaign.cost_per_attempt
        + acceptances * campaign.cost_per_acceptance
    )
    uplift: Fraction | None = None
    interval = None
    revenue: Decimal | None = None
    if treated.members and control.members:
        uplift = Fraction(treated.retained, treated.members) - Fraction(
            control.retained, control.members
        )
        interval = uplift_interval(
            treated.retained, treated.members, control.retained, control.members
        )
        if treated.arpu_before_exact is not None:
            revenue = cents(
                uplift
                * treated.members
                * treated.arpu_before_exact
                * horizon_months(horizon_days)
            )
    return Comparison(
        treated=treated,
        control=control,
        contacts=contacts,
        acceptances=acceptances,
        cost=cost,
        uplift_exact=uplift,
        uplift_ci=interval,
        revenue_kept=revenue,
    )


def agent_name(user: User) -> str:
    return user.full_name or user.get_username()


def agent_figures(attempts: QuerySet[ContactAttempt]) -> list[AgentFigures]:
    """Attempts by agent and outcome, busiest agent first."""
    by_agent: dict[int | None, Counter[str]] = defaultdict(Counter)
    for agent_id, outcome, n in (
        attempts.values_list("agent_id", "outcome").annotate(n=Count("pk")).order_by()
    ):
        by_agent[agent_id][outcome] += n
    users = User.objects.in_bulk([a for a in by_agent if a is not None])
    rows = [
        AgentFigures(
            agent_id,
            agent_name(users[agent_id]) if agent_id in users else "—",
            Contacts.of(outcomes),
        )
        for agent_id, outcomes in by_agent.items()
    ]
    return sorted(rows, key=lambda r: (-r.contacts.attempts, r.name, r.agent_id or 0))


def complaint_to_stay(campaign: Campaign, until: datetime.date) -> ComplaintToStay:
    """Members reached by a retention call with a complaint in the 90 days before
    their first answered call, and how many of them stayed."""
    first_call = dict(
        ContactAttempt.objects.filter(
            campaign=campaign, member__group__in=TREATED, outcome__in=ANSWERED
        )
        .values("customer_id")
        .annotate(first=Min("at"))
        .values_list("customer_id", "first")
        .order_by()
    )
    complained: set[int] = set()
    complaints = Interaction.objects.filter(
        kind=InteractionKind.COMPLAINT,
        customer_id__in=ContactAttempt.objects.filter(
            campaign=campaign, member__group__in=TREATED, outcome__in=ANSWERED
        ).values("customer_id"),
    ).values_list("customer_id", "occurred_at")
    for customer_id, at in complaints:
        first = first_call.get(customer_id)
        if first is not None and first - COMPLAINT_LOOKBACK <= at < first:
            complained.add(customer_id)
    churned = set(
        CampaignMember.objects.filter(campaign=campaign, customer_id__in=complained)
        .filter(churned_filter(until))
        .values_list("customer_id", flat=True)
    )
    return ComplaintToStay(len(complained), len(complained - churned))


def campaign_evaluate(
    campaign: Campaign,
    *,
    horizon_days: int = HORIZON_DAYS,
    as_of: datetime.date | None = None,
    arpu_months: int = ARPU_MONTHS,
) -> CampaignEvaluation:
    """Every figure of one campaign as the store stands on ``as_of`` (default today):
    churn is counted up to the horizon's last day or ``as_of``, whichever is first."""
    horizon_start = campaign.starts_on
    horizon_end = horizon_start + datetime.timedelta(days=horizon_days - 1)
    today = as_of or timezone.localdate()
    until = min(horizon_end, today)
    members = dict(
        CampaignMember.objects.filter(campaign=campaign)
        .values_list("group")
        .annotate(n=Count("pk"))
        .order_by()
    )
    control = group_outcome(campaign, [MemberGroup.CONTROL], until, arpu_months)
    overall = compare(campaign, TREATED, control, until, horizon_days, arpu_months)
    pilot = (
        compare(
            campaign, (MemberGroup.PILOT,), control, until, horizon_days, arpu_months
        )
        if members.get(MemberGroup.PILOT)
        else None
    )
    attempts = ContactAttempt.objects.filter(campaign=campaign)
    referrals = Referral.objects.filter(campaign=campaign).aggregate(
        n=Count("pk"), credit=Sum("credit")
    )
    return CampaignEvaluation(
        campaign=campaign,
        horizon_start=horizon_start,
        horizon_end=horizon_end,
        observed_until=until,
        members={group: members.get(group, 0) for group in MemberGroup.values},
        overall=overall,
        pilot=pilot,
        agents=agent_figures(attempts),
        control_attempts=attempts.filter(member__group=MemberGroup.CONTROL).count(),
        complaint_to_stay=complaint_to_stay(campaign, until)
        if campaign.goal in RETENTION_GOALS
        else None,
        referrals=referrals["n"],
        referral_credit=referrals["credit"] or Decimal(0),
    )


# --- Across campaigns ------------------------------------------------------------

EVALUATED_STATUSES = (
    CampaignStatus.PILOT,
    CampaignStatus.RUNNING,
    CampaignStatus.COMPLETED,
    CampaignStatus.CANCELLED,
)


@dataclass
class ProjectFigures:
    """Campaigns of one project, summed."""

    project: str
    campaigns: int = 0
    treated: int = 0
    control: int = 0
    contacts: Contacts = field(default_factory=Contacts)
    acceptances: int = 0
    cost: Decimal = Decimal(0)
    revenue_kept: Decimal = Decimal(0)
    # The cost of the campaigns whose revenue kept is known (bills before and after),
    # and how many campaigns have none: ROI compares like with like.
    cost_with_revenue: Decimal = Decimal(0)
    without_revenue: int = 0
    referrals: int = 0

    @property
    def roi(self) -> float | None:
        """Over the campaigns whose revenue kept is known; None when none is."""
        if not self.cost_with_revenue:
            return None
        return float(
            (self.revenue_kept - self.cost_with_revenue) / self.cost_with_revenue
        )

    def add(self, evaluation: CampaignEvaluation) -> None:
        overall = evaluation.overall
        self.campaigns += 1
        self.treated += overall.treated.members
        self.control += overall.control.members
        self.contacts += overall.contacts
        self.acceptances += overall.acceptances
        self.cost += overall.cost
        if overall.revenue_kept is None:
            self.without_revenue += 1
        else:
            self.revenue_kept += overall.revenue_kept
            self.cost_with_revenue += overall.cost
        self.referrals += evaluation.referrals


@dataclass(frozen=True)
class ResultsOverview:
    campaigns: list[CampaignEvaluation]
    projects: list[ProjectFigures]
    agents: list[AgentFigures]


def evaluated_campaigns() -> QuerySet[Campaign]:
    """Campaigns that have contacted or may contact anyone, newest first: running
    and finished ones, and cancelled ones that contacted someone (a campaign
    cancelled before its first contact has drawn its groups, but treated nobody)."""
    contacted = Exists(ContactAttempt.objects.filter(campaign=OuterRef("pk")))
    return (
        Campaign.objects.filter(status__in=EVALUATED_STATUSES)
        .alias(contacted=contacted)
        .filter(~Q(status=CampaignStatus.CANCELLED) | Q(contacted=True))
        .order_by("-starts_on", "-pk")
    )


def results_overview(
    *, horizon_days: int = HORIZON_DAYS, as_of: datetime.date | None = None
) -> ResultsOverview:
    """Every evaluated campaign, summed per project (``Campaign.project``), and the
    agents' figures over all their campaign calls."""
    evaluations = [
        campaign_evaluate(c, horizon_days=horizon_days, as_of=as_of)
        for c in evaluated_campaigns()
    ]
    projects: dict[str, ProjectFigures] = {}
    for evaluation in evaluations:
        name = evaluation.campaign.project
        projects.setdefault(name, ProjectFigures(name)).add(evaluation)
    return ResultsOverview(
        campaigns=evaluations,
        projects=sorted(projects.values(), key=lambda p: (p.project == "", p.project)),
        agents=agent_figures(ContactAttempt.objects.filter(agent__isnull=False)),
    )


@dataclass(frozen=True)
class CampaignsTile:
    """The dashboards' campaign tile."""

    running: int
    month: datetime.date
    contacts: Contacts
    last_completed: CampaignEvaluation | None


def campaigns_tile(
    *, today: datetime.date | None = None, horizon_days: int = HORIZON_DAYS
) -> CampaignsTile:
    """Running campaigns, this month's contacts and their acceptance, and the
    uplift of the campaign completed last (latest end date)."""
    day = today or timezone.localdate()
    first = month_start(day)
    start = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    end = timezone.make_aware(
        datetime.datetime.combine(months_before(first, -1), datetime.time())
    )
    last = (
        Campaign.objects.filter(status=CampaignStatus.COMPLETED)
        .order_by("-ends_on", "-pk")
        .first()
    )
    return CampaignsTile(
        running=Campaign.objects.filter(status__in=ACTIVE_STATUSES).count(),
        month=first,
        contacts=Contacts.of(
            outcomes_of(ContactAttempt.objects.filter(at__gte=start, at__lt=end))
        ),
        last_completed=None
        if last is None
        else campaign_evaluate(last, horizon_days=horizon_days, as_of=day),
    )
