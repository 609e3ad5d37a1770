"""Daily call lists: eligible members of every active outbound-call campaign, checked
by the contact policy and spread over the agents' seats, higher priority first.

Campaigns are built one after another in rank order (priority, then age), and each
one's queued contacts are written before the next is checked, so the policy's
priority rule sees them: a customer with one slot left under a cap goes to the
higher-ranked campaign.
"""

from __future__ import annotations

import datetime
import operator
from collections import Counter, defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import reduce
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
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
    customer_facts,
    cyclic_gc_paused,
    decide_many,
    id_chunks,
    policy_config_load,
)
from telcrm.campaigns.rules import CustomerFacts, PendingContact, PolicyConfig
from telcrm.customers.models import Customer


@dataclass
class CampaignListResult:
    code: str
    eligible: int = 0
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
    """(Re)build every agent's call list for ``day``."""
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
    campaigns = active_campaigns(day, CampaignChannel.OUTBOUND_CALL)
    with cyclic_gc_paused():
        # Every campaign's members' facts at once: a customer on several lists is
        # read once. The contacts each list queues join their facts' pending ones.
        facts = customer_facts(eligible_customers(campaigns, day), at, config)
        for campaign in campaigns:
            report.results.append(
                _campaign_list(campaign, day, at, remaining, config, facts)
            )
    return report


def eligible_customers(
    campaigns: Sequence[Campaign], day: datetime.date
) -> QuerySet[Customer]:
    """The customers waiting for a list in any of ``campaigns``."""
    waiting = [
        Q(pk__in=eligible_members(campaign, day).values("customer_id"))
        for campaign in campaigns
    ]
    return Customer.objects.filter(reduce(operator.or_, waiting, Q(pk__in=[])))


def _campaign_list(
    campaign: Campaign,
    day: datetime.date,
    at: datetime.datetime,
    remaining: dict[int, int],
    config: PolicyConfig,
    facts: dict[int, CustomerFacts],
) -> CampaignListResult:
    result = CampaignListResult(campaign.code)
    members = dict(eligible_members(campaign, day).values_list("customer_id", "pk"))
    result.eligible = len(members)
    if not members:
        return result
    decisions = decide_many(
        {customer_id: facts[customer_id] for customer_id in members},
        campaign,
        campaign.channel,
        at,
        stage=DecisionStage.LIST_BUILD,
        config=config,
    )
    allowed: list[int] = []  # customers, in id order
    denied_by_rule: dict[str, list[int]] = defaultdict(list)
    for customer_id in sorted(decisions):
        decision = decisions[customer_id]
        if decision.allowed:
            allowed.append(customer_id)
        else:
            denied_by_rule[decision.rule].append(members[customer_id])
            result.denied[decision.rule] += 1
    result.allowed = len(allowed)
    for rule, member_ids in denied_by_rule.items():
        for chunk in id_chunks(member_ids):
            CampaignMember.objects.filter(pk__in=chunk).exclude(
                last_denied_rule=rule
            ).update(last_denied_rule=rule)
    by_agent = _assign([members[c] for c in allowed], remaining)
    for agent_id, member_ids in by_agent.items():
        for chunk in id_chunks(member_ids):
            CampaignMember.objects.filter(pk__in=chunk).update(
                state=MemberState.QUEUED,
                assigned_agent_id=agent_id,
                call_day=day,
                last_denied_rule="",
            )
        result.queued += len(member_ids)
    # _assign deals the allowed in order: the first ``queued`` of them got seats.
    queued = PendingContact((-campaign.priority, campaign.pk), campaign.channel)
    for customer_id in allowed[: result.queued]:
        facts[customer_id].pending.append(queued)
    return result


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
