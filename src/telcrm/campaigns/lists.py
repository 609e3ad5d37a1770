"""Daily call lists: eligible members of every active outbound-call campaign, checked
by the contact policy and spread over the agents' seats, higher priority first.

Campaigns are built one after another in rank order (priority, then age), and each
one's queued contacts are written before the next is checked, so the policy's
priority rule sees them: a customer with one slot left under a cap goes to the
higher-ranked campaign. A campaign's members are decided only until the seats left
are full (``call_lists_build``).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from telcrm.campaigns.choices import (
    CampaignChannel,
    CampaignStatus,
    ContactOutcome,
    DecisionStage,
    MemberGroup,
    MemberState,
)
from telcrm.campaigns.models import AgentCapacity, Campaign, CampaignMember
from telcrm.campaigns.policy import (
    contact_reserve,
    cyclic_gc_paused,
    id_chunks,
    may_contact_many,
    policy_config_load,
)
from telcrm.campaigns.rules import PolicyConfig

# Members decided at a time while a campaign's list fills: at least enough for the
# policy's one-query-per-fact reads to pay, at most what keeps a batch's facts small.
MIN_DECISION_BATCH = 500
MAX_DECISION_BATCH = 20_000


@dataclass
class CampaignListResult:
    """One campaign's list: its waiting members (``eligible``), those the policy
    decided before the seats were full (``decided``), and of those the ``allowed``,
    the ``queued`` (given a seat) and the denials by rule."""

    code: str
    eligible: int = 0
    decided: int = 0
    allowed: int = 0
    queued: int = 0
    denied: Counter[str] = field(default_factory=Counter)


@dataclass
class CallListReport:
    day: datetime.date
    capacity: int
    results: list[CampaignListResult] = field(default_factory=list)

    @property
    def queued(self) -> int:
        return sum(r.queued for r in self.results)


def contact_groups(campaign: Campaign) -> list[str]:
    """The groups a campaign contacts in its current state."""
    if campaign.status == CampaignStatus.PILOT:
        return [MemberGroup.PILOT]
    if campaign.status == CampaignStatus.RUNNING:
        return [MemberGroup.PILOT, MemberGroup.TREATMENT]
    return []


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of ``day`` in the operator's zone: lists are checked as of then."""
    return datetime.datetime.combine(day, datetime.time(), ZoneInfo(settings.TIME_ZONE))


def eligible_members(
    campaign: Campaign, day: datetime.date
) -> QuerySet[CampaignMember]:
    """Members waiting for a list, whose call-back time (if any) falls by ``day``."""
    day_end = day_start(day + datetime.timedelta(days=1))
    return CampaignMember.objects.filter(
        campaign=campaign,
        group__in=contact_groups(campaign),
        state=MemberState.PENDING,
    ).filter(Q(callback_at__isnull=True) | Q(callback_at__lt=day_end))


def active_campaigns(day: datetime.date, channel: str) -> list[Campaign]:
    return list(
        Campaign.objects.filter(
            status__in=[CampaignStatus.PILOT, CampaignStatus.RUNNING],
            channel=channel,
            starts_on__lte=day,
            ends_on__gte=day,
        ).order_by("-priority", "id")
    )


@transaction.atomic
def call_lists_build(*, day: datetime.date) -> CallListReport:
    """(Re)build every agent's call list for ``day``.

    Each campaign's waiting members are decided in order (call-backs due first,
    then by customer) only until its allowed ones fill the seats still free: a
    million-customer operator with 16,000 seats decides tens of thousands of
    members a day, not every member of every list (docs/benchmarks.md). Members not
    reached wait for the next build; the approval panel's policy preview gives the
    whole list's picture.
    """
    # Yesterday's unfinished lists and an earlier build of today go back to pending.
    CampaignMember.objects.filter(state=MemberState.QUEUED, call_day__lte=day).update(
        state=MemberState.PENDING, assigned_agent=None, call_day=None
    )
    seats = list(
        AgentCapacity.objects.filter(active=True, agent__is_active=True)
        .order_by("agent_id")
        .values_list("agent_id", "calls_per_day")
    )
    remaining = {agent: calls for agent, calls in seats}
    report = CallListReport(day=day, capacity=sum(remaining.values()))
    config = policy_config_load()
    at = day_start(day)
    with cyclic_gc_paused():
        for campaign in active_campaigns(day, CampaignChannel.OUTBOUND_CALL):
            report.results.append(_campaign_list(campaign, day, at, remaining, config))
    return report


def members_in_call_order(
    campaign: Campaign, day: datetime.date
) -> list[tuple[int, int]]:
    """``(customer id, member id)`` of the members waiting for ``day``'s list, in
    the order they are offered seats: call-backs promised for the day first (by
    their time), then the others by customer."""
    waiting = eligible_members(campaign, day).order_by(
        F("callback_at").asc(nulls_last=True), "customer_id"
    )
    return list(waiting.values_list("customer_id", "pk"))


def decision_batch_size(wanted: int) -> int:
    """How many members to decide next when ``wanted`` more allowed ones would fill
    the seats: as many as are wanted (most are allowed), within bounds that keep
    the rounds few and the overshoot small."""
    return min(MAX_DECISION_BATCH, max(MIN_DECISION_BATCH, wanted))


def _campaign_list(
    campaign: Campaign,
    day: datetime.date,
    at: datetime.datetime,
    remaining: dict[int, int],
    config: PolicyConfig,
) -> CampaignListResult:
    result = CampaignListResult(campaign.code)
    free = sum(remaining.values())
    if not free:
        # No seat left for this campaign today: nobody is decided.
        result.eligible = eligible_members(campaign, day).count()
        return result
    waiting = members_in_call_order(campaign, day)
    result.eligible = len(waiting)
    allowed: list[int] = []  # member ids, in call order
    while result.decided < len(waiting) and len(allowed) < free:
        batch = waiting[
            result.decided : result.decided + decision_batch_size(free - len(allowed))
        ]
        allowed += _decide_batch(batch, campaign, at, config, result)
        result.decided += len(batch)
    result.allowed = len(allowed)
    by_agent = _assign(allowed, remaining)
    for agent_id, member_ids in by_agent.items():
        for chunk in id_chunks(member_ids):
            CampaignMember.objects.filter(pk__in=chunk).update(
                state=MemberState.QUEUED, assigned_agent_id=agent_id, call_day=day
            )
        result.queued += len(member_ids)
    return result


def _decide_batch(
    batch: Sequence[tuple[int, int]],
    campaign: Campaign,
    at: datetime.datetime,
    config: PolicyConfig,
    result: CampaignListResult,
) -> list[int]:
    """Decide (and log) ``batch``'s members, record each one's latest denial (or
    clear it), count the denials in ``result``; the allowed member ids, in order.

    The facts are read afresh per batch, so the contacts queued by campaigns ranked
    higher, written before this one is built, count for the priority rule.
    """
    decisions = may_contact_many(
        [customer for customer, _ in batch],
        campaign,
        campaign.channel,
        at,
        stage=DecisionStage.LIST_BUILD,
        config=config,
    )
    allowed = [member for customer, member in batch if decisions[customer].allowed]
    latest_denial: dict[str, list[int]] = defaultdict(list)
    latest_denial[""] = allowed
    for customer, member in batch:
        decision = decisions[customer]
        if not decision.allowed:
            latest_denial[decision.rule].append(member)
            result.denied[decision.rule] += 1
    for rule, member_ids in latest_denial.items():
        for chunk in id_chunks(member_ids):
            CampaignMember.objects.filter(pk__in=chunk).exclude(
                last_denied_rule=rule
            ).update(last_denied_rule=rule)
    return allowed


def _assign(member_ids: list[int], remaining: dict[int, int]) -> dict[int, list[int]]:
    """Deal members to agents round-robin while seats remain; uses up
    ``remaining``."""
    by_agent: dict[int, list[int]] = defaultdict(list)
    queue = deque(a for a, left in remaining.items() if left > 0)
    for member_id in member_ids:
        if not queue:
            break
        agent = queue.popleft()
        by_agent[agent].append(member_id)
        remaining[agent] -= 1
        if remaining[agent] > 0:
            queue.append(agent)
    return by_agent


def messages_send(
    *, campaign: Campaign, at: datetime.datetime | None = None
) -> Counter[str]:
    """Send an SMS or e-mail campaign to its eligible members, each message reserved
    under the contact policy at the moment of sending; returns counts by rule."""
    moment = at or timezone.now()
    config = policy_config_load()
    counts: Counter[str] = Counter()
    day = timezone.localdate(moment)
    for member in eligible_members(campaign, day).select_related("campaign"):
        decision, attempt = contact_reserve(
            customer=member.customer_id,
            campaign=campaign,
            channel=campaign.channel,
            at=moment,
            member=member,
            outcome=ContactOutcome.SENT,
            config=config,
        )
        counts[decision.rule] += 1
        member.attempts += attempt is not None
        member.state = MemberState.DONE if attempt else MemberState.PENDING
        member.last_outcome = ContactOutcome.SENT if attempt else ""
        member.last_denied_rule = "" if attempt else decision.rule
        member.save(
            update_fields=["attempts", "state", "last_outcome", "last_denied_rule"]
        )
    return counts
