"""Reads of the campaign pages: what each role sees of the campaigns, the detail
page's panels, and the call console's customer summary."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from telcrm.campaigns.choices import CampaignStatus, MemberState
from telcrm.campaigns.models import Campaign, CampaignMember, ContactAttempt
from telcrm.campaigns.selectors import (
    CampaignProgress,
    Overlap,
    PolicyLoad,
    SeatLoad,
    StatusChange,
    Yield,
    call_queue,
    campaign_overlap,
    campaign_policy_load,
    campaign_progress,
    campaign_seat_load,
    campaign_yield,
    campaigns_all,
    campaigns_awaiting,
    campaigns_created_by,
    open_attempt,
    status_history,
)
from telcrm.customers.models import Customer
from telcrm.parties.choices import PartyKind
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web import labels
from telcrm.web.customer360.display import Shown
from telcrm.web.customer360.selectors import customer_360
from telcrm.web.scope import holds_role

CAMPAIGNS_SHOWN = 200
INTERACTIONS_SHOWN = 5
LINES_SHOWN = 10
QUEUE_SHOWN = 50

# Who does what with campaigns (docs/campaigns.md, "Campaign lifecycle").
READER_ROLES = frozenset(
    {Role.MARKETER, Role.SUPERVISOR, Role.ANALYST, Role.AUDITOR, Role.ADMINISTRATOR}
)
AUTHOR_ROLES = frozenset({Role.MARKETER})
APPROVER_ROLES = frozenset({Role.SUPERVISOR})
AGENT_ROLES = frozenset({Role.AGENT})
# Edited while a draft, or after a rejection (then submitted again).
EDITABLE_STATUSES = (CampaignStatus.DRAFT, CampaignStatus.REJECTED)


def reads_campaigns(user: User) -> bool:
    return holds_role(user, READER_ROLES)


def writes_campaigns(user: User) -> bool:
    return holds_role(user, AUTHOR_ROLES)


def approves_campaigns(user: User) -> bool:
    return holds_role(user, APPROVER_ROLES)


def runs_campaigns(user: User) -> bool:
    """Marketers (their own campaigns) and supervisors start, end and cancel."""
    return holds_role(user, AUTHOR_ROLES | APPROVER_ROLES)


def makes_calls(user: User) -> bool:
    return holds_role(user, AGENT_ROLES)


def may_run(user: User, campaign: Campaign) -> bool:
    """Start the pilot or full run, complete or cancel this campaign."""
    return approves_campaigns(user) or (
        writes_campaigns(user) and campaign.created_by_id == user.pk
    )


def may_edit(user: User, campaign: Campaign) -> bool:
    return (
        writes_campaigns(user)
        and campaign.created_by_id == user.pk
        and campaign.status in EDITABLE_STATUSES
    )


def may_decide(user: User, campaign: Campaign) -> bool:
    """Approve or reject: a supervisor who did not create it, while it waits."""
    return (
        approves_campaigns(user)
        and campaign.created_by_id != user.pk
        and campaign.status == CampaignStatus.SUBMITTED
    )


def campaign_by_code(code: str) -> Campaign:
    try:
        return Campaign.objects.select_related("created_by", "decided_by").get(
            code=code
        )
    except Campaign.DoesNotExist:
        raise Http404 from None


def target_rule_rows(rule: dict[str, Any]) -> list[tuple[str, str]]:
    """The target rule as the page shows it: (what, which) in the user's language."""
    kinds = dict(PartyKind.choices)
    named: dict[str, tuple[str, Callable[[str], str]]] = {
        "segments": (_("Segments"), labels.segment_name),
        "value_bands": (_("Value bands"), labels.band_label),
        "risk_bands": (_("Risk bands"), labels.band_label),
        "customer_types": (_("Customer types"), labels.customer_type_label),
        "party_kinds": (
            _("Individuals or organisations"),
            lambda code: str(kinds.get(code, code)),
        ),
        "offerings": (_("Product codes"), str),
        "provinces": (_("Provinces"), str),
    }
    rows = [
        (title, ", ".join(label(code) for code in rule[key]))
        for key, (title, label) in named.items()
        if rule.get(key)
    ]
    low, high = rule.get("churn_min"), rule.get("churn_max")
    if low is not None or high is not None:
        rows.append(
            (
                _("Churn probability"),
                f"{low if low is not None else 0:g} – "
                f"{high if high is not None else 1:g}",
            )
        )
    return rows


@dataclass(frozen=True)
class CampaignLists:
    """The campaigns page: ``mine`` for marketers, ``awaiting`` for supervisors,
    and every campaign for everyone who reads them."""

    mine: list[Campaign]
    awaiting: list[Campaign]
    everything: list[Campaign]


def campaign_lists(user: User) -> CampaignLists:
    def first(qs: QuerySet[Campaign]) -> list[Campaign]:
        return list(qs[:CAMPAIGNS_SHOWN])

    return CampaignLists(
        mine=first(campaigns_created_by(user)) if writes_campaigns(user) else [],
        awaiting=first(campaigns_awaiting(user)) if approves_campaigns(user) else [],
        everything=first(campaigns_all()),
    )


@dataclass(frozen=True)
class ApprovalPanel:
    overlap: Overlap
    policy: PolicyLoad
    seats: SeatLoad | None


@dataclass(frozen=True)
class CampaignPage:
    campaign: Campaign
    figures: Yield
    progress: CampaignProgress
    history: list[StatusChange]
    approval: ApprovalPanel | None


def campaign_page(
    campaign: Campaign, user: User, *, now: datetime.datetime
) -> CampaignPage:
    """The detail page; the approval panel only for who may decide on it now."""
    figures = campaign_yield(campaign)
    approval = None
    if may_decide(user, campaign):
        approval = ApprovalPanel(
            overlap=campaign_overlap(campaign),
            policy=campaign_policy_load(campaign, now),
            seats=campaign_seat_load(campaign, timezone.localdate(now), figures),
        )
    return CampaignPage(
        campaign=campaign,
        figures=figures,
        progress=campaign_progress(campaign),
        history=status_history(campaign),
        approval=approval,
    )


# --- The call console ---------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSummary:
    """What the agent reads before and during the call (masked as on the 360 page)."""

    customer: Customer
    score: Any
    contacts: list[dict[str, object]]
    lines: list[dict[str, object]]
    interactions: list[dict[str, object]]


def customer_summary(
    customer: Customer, *, unmasked: bool, today: datetime.date
) -> CustomerSummary:
    view = customer_360(customer, today=today)
    shown = Shown(unmasked=unmasked)
    return CustomerSummary(
        customer=view.customer,
        score=view.score,
        contacts=[shown.contact(contact) for contact in view.contacts],
        lines=[shown.line(line) for line in view.lines[:LINES_SHOWN]],
        interactions=[
            shown.interaction(item)
            for item in list(view.interactions)[:INTERACTIONS_SHOWN]
        ],
    )


@dataclass(frozen=True)
class Console:
    """The agent's day: the call in progress, or the next customer, and the queue."""

    day: datetime.date
    attempt: ContactAttempt | None
    member: CampaignMember | None
    queue: list[CampaignMember]
    queued: int

    @property
    def campaign(self) -> Campaign | None:
        if self.attempt is not None:
            return self.attempt.campaign
        return self.member.campaign if self.member is not None else None

    @property
    def customer(self) -> Customer | None:
        if self.attempt is not None:
            return self.attempt.customer
        return self.member.customer if self.member is not None else None


def console(agent: User, day: datetime.date) -> Console:
    """The agent's call in progress, or the next customer to call now: a call-back
    is offered from its promised time on, not before."""
    queue = call_queue(agent, day)
    shown = list(queue[:QUEUE_SHOWN])
    attempt = open_attempt(agent)
    due = Q(callback_at__isnull=True) | Q(callback_at__lte=timezone.now())
    return Console(
        day=day,
        attempt=attempt,
        member=None if attempt is not None else queue.filter(due).first(),
        queue=shown,
        queued=queue.count(),
    )


def queued_member_for(
    agent: User, member_id: int, day: datetime.date
) -> CampaignMember:
    """A member on the agent's list of ``day`` (anyone else's: 404)."""
    try:
        return CampaignMember.objects.select_related("campaign").get(
            pk=member_id,
            assigned_agent=agent,
            call_day=day,
            state=MemberState.QUEUED,
        )
    except CampaignMember.DoesNotExist:
        raise Http404 from None


def attempt_for(agent: User, attempt_id: int) -> ContactAttempt:
    """One of the agent's own attempts (anyone else's: 404)."""
    try:
        return ContactAttempt.objects.select_related(
            "campaign", "customer", "member"
        ).get(pk=attempt_id, agent=agent)
    except ContactAttempt.DoesNotExist:
        raise Http404 from None
