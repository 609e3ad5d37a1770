"""Writes of the campaigns app: the lifecycle, the target list with its control
group, contact outcomes and opt-outs (docs/campaigns.md)."""

from __future__ import annotations

import datetime
import secrets
from collections import defaultdict
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from telcrm.campaigns.choices import (
    ACTIVE_STATUSES,
    FINAL_OUTCOMES,
    CampaignChannel,
    CampaignGoal,
    CampaignStatus,
    ContactOutcome,
    MemberGroup,
    MemberState,
    OptOutSource,
    PolicyRule,
    SuppressionKind,
)
from telcrm.campaigns.models import (
    Campaign,
    CampaignMember,
    ContactAttempt,
    ContactDecision,
    ContactSuppression,
    Referral,
)
from telcrm.campaigns.policy import contact_reserve, customer_contact_lock
from telcrm.campaigns.targeting import (
    rule_uses_usage_data,
    target_customers,
    target_rule_clean,
)
from telcrm.core.bulk import rows_insert
from telcrm.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    Direction,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
)
from telcrm.customers.models import Customer, Interaction
from telcrm.customers.services import consent_record, consent_withdraw
from telcrm.inventory.models import Subscription
from telcrm.lib.phones import InvalidPhoneNumber, phone_national, phone_normalize
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium
from telcrm.users.models import User


@transaction.atomic
def campaign_create(
    *,
    by: User,
    name: str,
    goal: str,
    channel: str,
    offer: str,
    target_rule: dict[str, Any],
    expected_acceptance_rate: Decimal,
    budget: Decimal,
    starts_on: datetime.date,
    ends_on: datetime.date,
    priority: int = 5,
    project: str = "",
    script: str = "",
    expected_revenue_per_acceptance: Decimal = Decimal(0),
    cost_per_attempt: Decimal = Decimal("2.00"),
    cost_per_acceptance: Decimal = Decimal(0),
    control_fraction: float = 0.1,
    pilot_size: int = 0,
    max_attempts_per_customer: int = 3,
) -> Campaign:
    """A draft campaign; its code is ``CMP`` + its number."""
    rule = target_rule_clean(target_rule)
    campaign = Campaign(
        code=f"TMP{secrets.token_hex(6)}",
        name=name,
        project=project,
        goal=CampaignGoal(goal),
        channel=CampaignChannel(channel),
        offer=offer,
        script=script,
        target_rule=rule,
        uses_usage_data=rule_uses_usage_data(rule),
        expected_acceptance_rate=expected_acceptance_rate,
        expected_revenue_per_acceptance=expected_revenue_per_acceptance,
        priority=priority,
        budget=budget,
        cost_per_attempt=cost_per_attempt,
        cost_per_acceptance=cost_per_acceptance,
        starts_on=starts_on,
        ends_on=ends_on,
        control_fraction=control_fraction,
        pilot_size=pilot_size,
        max_attempts_per_customer=max_attempts_per_customer,
        random_seed=secrets.randbits(62),
        created_by=by,
    )
    campaign.full_clean(exclude=["code"])
    campaign.save()
    campaign.code = f"CMP{campaign.pk:06d}"
    campaign.save(update_fields=["code"])
    return campaign


# What the creator may change while the campaign is a draft or was rejected.
EDITABLE_FIELDS = frozenset(
    {
        "name",
        "project",
        "goal",
        "channel",
        "offer",
        "script",
        "target_rule",
        "expected_acceptance_rate",
        "expected_revenue_per_acceptance",
        "priority",
        "budget",
        "cost_per_attempt",
        "cost_per_acceptance",
        "starts_on",
        "ends_on",
        "control_fraction",
        "pilot_size",
        "max_attempts_per_customer",
    }
)


@transaction.atomic
def campaign_update(
    *, campaign: Campaign, by: User, changes: dict[str, Any]
) -> Campaign:
    """Edit a draft or rejected campaign (its creator only; ``changes`` maps
    ``EDITABLE_FIELDS`` to new values). The target rule is cleaned as at creation."""
    campaign = _locked(campaign)
    _require_status(campaign, CampaignStatus.DRAFT, CampaignStatus.REJECTED)
    if by.pk != campaign.created_by_id:
        raise PermissionDenied(_("Only the campaign's creator edits it."))
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be edited: %(fields)s.")
            % {"fields": ", ".join(sorted(unknown))}
        )
    for name, value in changes.items():
        setattr(campaign, name, value)
    if "target_rule" in changes:
        campaign.target_rule = target_rule_clean(changes["target_rule"])
        campaign.uses_usage_data = rule_uses_usage_data(campaign.target_rule)
    campaign.full_clean()
    campaign.save()
    return campaign


# The states each running step starts from (the campaign page shows the steps its
# state allows from these too).
PILOT_FROM = (CampaignStatus.APPROVED,)
FULL_RUN_FROM = (CampaignStatus.APPROVED, CampaignStatus.PILOT)
COMPLETE_FROM = ACTIVE_STATUSES
ENDED = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)


def _require_status(campaign: Campaign, *allowed: str) -> None:
    if campaign.status not in allowed:
        raise ValidationError(
            _("Campaign %(code)s is %(status)s; this step needs it %(allowed)s.")
            % {
                "code": campaign.code,
                "status": campaign.get_status_display(),
                "allowed": " / ".join(str(CampaignStatus(s).label) for s in allowed),
            }
        )


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_submit(
    *, campaign: Campaign, by: User, at: datetime.datetime | None = None
) -> Campaign:
    campaign = _locked(campaign)
    _require_status(campaign, CampaignStatus.DRAFT, CampaignStatus.REJECTED)
    if by.pk != campaign.created_by_id:
        raise PermissionDenied(_("Only the campaign's creator submits it."))
    campaign.status = CampaignStatus.SUBMITTED
    campaign.submitted_at = at or timezone.now()
    campaign.decided_by = None
    campaign.decided_at = None
    campaign.save()
    return campaign


def _decide(
    campaign: Campaign, by: User, note: str, at: datetime.datetime | None
) -> None:
    if by.pk == campaign.created_by_id:
        raise PermissionDenied(
            _("A campaign is approved by someone other than its creator.")
        )
    _require_status(campaign, CampaignStatus.SUBMITTED)
    campaign.decided_by = by
    campaign.decided_at = at or timezone.now()
    campaign.decision_note = note


@transaction.atomic
def campaign_approve(
    *, campaign: Campaign, by: User, note: str = "", at: datetime.datetime | None = None
) -> Campaign:
    """Approve and freeze the target list: members drawn now, with the control group."""
    campaign = _locked(campaign)
    _decide(campaign, by, note, at)
    campaign.status = CampaignStatus.APPROVED
    campaign.target_count_at_approval = _members_draw(campaign)
    campaign.save()
    return campaign


@transaction.atomic
def campaign_reject(
    *, campaign: Campaign, by: User, note: str, at: datetime.datetime | None = None
) -> Campaign:
    if not note.strip():
        raise ValidationError(_("Say why the campaign is rejected."))
    campaign = _locked(campaign)
    _decide(campaign, by, note, at)
    campaign.status = CampaignStatus.REJECTED
    campaign.save()
    return campaign


# A new member's row, in ``_members_draw``'s order (the rest are NULL).
MEMBER_COLUMNS = (
    "campaign_id", "customer_id", "group", "stratum", "state", "attempts",
    "last_outcome", "last_denied_rule",
)  # fmt: skip


def _members_draw(campaign: Campaign) -> int:
    """The frozen target list, a stratified control group and the pilot sample.

    Within each segment (the stratum) the customers are shuffled with the campaign's
    recorded seed; the first ``round(n * control_fraction)`` are the control group.
    The pilot is a random sample of the rest. Re-running this with the seed on the
    same list gives the same groups, which is how an auditor checks them.
    """
    rows = list(
        target_customers(campaign.target_rule)
        .order_by("pk")
        .values_list("pk", "score__segment_code")
    )
    rng = np.random.default_rng(campaign.random_seed)
    strata: dict[str, list[int]] = defaultdict(list)
    for customer_id, segment in rows:
        strata[segment or ""].append(customer_id)
    group_of: dict[int, str] = {}
    stratum_of: dict[int, str] = {}
    treated: list[int] = []
    for stratum in sorted(strata):
        ids = np.array(strata[stratum], dtype=np.int64)
        rng.shuffle(ids)
        n_control = round(len(ids) * campaign.control_fraction)
        for position, customer_id in enumerate(ids.tolist()):
            stratum_of[customer_id] = stratum
            group_of[customer_id] = (
                MemberGroup.CONTROL if position < n_control else MemberGroup.TREATMENT
            )
            if position >= n_control:
                treated.append(customer_id)
    pilot_n = min(campaign.pilot_size, len(treated))
    pilot = rng.choice(np.array(treated, dtype=np.int64), pilot_n, replace=False)
    for customer_id in pilot.tolist():
        group_of[customer_id] = MemberGroup.PILOT
    # A target list can hold a million customers: rows, not model instances.
    rows_insert(
        CampaignMember._meta.db_table,
        MEMBER_COLUMNS,
        (
            (
                campaign.pk, customer_id, group, stratum_of[customer_id],
                MemberState.HELD_OUT if group == MemberGroup.CONTROL
                else MemberState.PENDING,
                0, "", "",
            )
            for customer_id, group in group_of.items()
        ),
    )  # fmt: skip
    return len(group_of)


@transaction.atomic
def campaign_pilot_start(*, campaign: Campaign, by: User) -> Campaign:
    """Contact the pilot sample only (the rest wait for the full run)."""
    campaign = _locked(campaign)
    _require_status(campaign, *PILOT_FROM)
    if campaign.pilot_size == 0:
        raise ValidationError(_("This campaign has no pilot; start the full run."))
    campaign.status = CampaignStatus.PILOT
    campaign.save()
    return campaign


@transaction.atomic
def campaign_full_run_start(*, campaign: Campaign, by: User) -> Campaign:
    campaign = _locked(campaign)
    _require_status(campaign, *FULL_RUN_FROM)
    campaign.status = CampaignStatus.RUNNING
    campaign.save()
    return campaign


@transaction.atomic
def campaign_complete(*, campaign: Campaign, by: User) -> Campaign:
    campaign = _locked(campaign)
    _require_status(campaign, *COMPLETE_FROM)
    campaign.status = CampaignStatus.COMPLETED
    campaign.save()
    CampaignMember.objects.filter(
        campaign=campaign, state__in=[MemberState.PENDING, MemberState.QUEUED]
    ).update(state=MemberState.DONE, assigned_agent=None, call_day=None)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, by: User) -> Campaign:
    campaign = _locked(campaign)
    if campaign.status in ENDED:
        raise ValidationError(_("A completed campaign cannot be cancelled."))
    campaign.status = CampaignStatus.CANCELLED
    campaign.save()
    CampaignMember.objects.filter(
        campaign=campaign, state__in=[MemberState.PENDING, MemberState.QUEUED]
    ).update(state=MemberState.DONE, assigned_agent=None, call_day=None)
    return campaign


# One transaction with the reservation: the member's attempt count and state change
# together with the attempt, or not at all.
@transaction.atomic
def call_start(
    *, member: CampaignMember, agent: User, at: datetime.datetime | None = None
) -> tuple[ContactDecision, ContactAttempt | None]:
    """The agent is about to dial: the policy decides again and, if it allows,
    the attempt is reserved in the same transaction (rule 9)."""
    if member.group == MemberGroup.CONTROL:
        raise ValidationError(_("Control-group customers are never contacted."))
    moment = at or timezone.now()
    # Under the customer's lock, so that a second click (or a second tab) sees the
    # first one's call: it must neither reserve a second attempt nor, refused by
    # the daily cap, take the customer off the list in the middle of the call.
    with customer_contact_lock(member.customer_id):
        if not CampaignMember.objects.filter(
            pk=member.pk, state=MemberState.QUEUED
        ).exists():
            raise ValidationError(_("This customer is not on a call list."))
        in_progress = ContactAttempt.objects.filter(
            member_id=member.pk, outcome=ContactOutcome.RESERVED
        )
        if in_progress.exists():
            raise ValidationError(_("A call to this customer is already in progress."))
        decision, attempt = contact_reserve(
            customer=member.customer_id,
            campaign=member.campaign,
            channel=member.campaign.channel,
            at=moment,
            agent=agent,
            member=member,
        )
    if attempt is None:
        CampaignMember.objects.filter(pk=member.pk).update(
            state=MemberState.PENDING,
            assigned_agent=None,
            call_day=None,
            last_denied_rule=decision.rule,
        )
    else:
        CampaignMember.objects.filter(pk=member.pk).update(
            attempts=F("attempts") + 1, last_denied_rule=""
        )
    return decision, attempt


INTERACTION_OUTCOME = {
    ContactOutcome.NO_ANSWER: InteractionOutcome.NO_CONTACT,
    ContactOutcome.CALL_BACK: InteractionOutcome.OPEN,
    ContactOutcome.REFUSED: InteractionOutcome.DECLINED,
    ContactOutcome.OPT_OUT: InteractionOutcome.DECLINED,
    ContactOutcome.ACCEPTED: InteractionOutcome.ACCEPTED,
    ContactOutcome.SENT: InteractionOutcome.CLOSED,
}


@transaction.atomic
def call_outcome_record(
    *,
    attempt: ContactAttempt,
    outcome: str,
    by: User,
    at: datetime.datetime | None = None,
    callback_at: datetime.datetime | None = None,
    note: str = "",
) -> ContactAttempt:
    """Record how a reserved attempt ended; an opt-out takes effect at once."""
    attempt = (
        ContactAttempt.objects.select_for_update(of=("self",))
        .select_related("campaign", "member")
        .get(pk=attempt.pk)
    )
    if attempt.outcome != ContactOutcome.RESERVED:
        raise ValidationError(_("This attempt's outcome is already recorded."))
    if outcome == ContactOutcome.RESERVED or outcome not in ContactOutcome.values:
        raise ValidationError(
            _("Unknown call outcome %(outcome)s.") % {"outcome": outcome}
        )
    moment = at or timezone.now()
    if outcome == ContactOutcome.CALL_BACK and attempt.member is not None:
        # A member's call-back is scheduled on the lists: it needs its moment.
        _callback_check(callback_at, attempt.campaign, max(moment, attempt.at))
    attempt.outcome = outcome
    attempt.outcome_at = max(moment, attempt.at)
    attempt.note = note
    attempt.save(update_fields=["outcome", "outcome_at", "note"])
    if attempt.member is not None:
        _member_after(attempt.member, attempt.campaign, outcome, callback_at)
    _interaction_log(attempt, by)
    if outcome == ContactOutcome.OPT_OUT:
        customer_opt_out(
            customer=Customer.objects.get(pk=attempt.customer_id),
            source=OptOutSource.AGENT,
            at=attempt.outcome_at,
            by=by,
        )
    return attempt


def _callback_check(
    callback_at: datetime.datetime | None, campaign: Campaign, now: datetime.datetime
) -> None:
    """A call-back is promised for a later moment while the campaign still runs."""
    if callback_at is None:
        raise ValidationError(_("Say when to call back."))
    if callback_at <= now:
        raise ValidationError(_("A call back is for a later time."))
    if timezone.localdate(callback_at) > campaign.ends_on:
        raise ValidationError(
            _("The campaign ends on %(day)s: call back by then.")
            % {"day": campaign.ends_on.isoformat()}
        )


def _member_after(
    member: CampaignMember,
    campaign: Campaign,
    outcome: str,
    callback_at: datetime.datetime | None,
) -> None:
    member.last_outcome = outcome
    member.assigned_agent = None
    member.call_day = None
    calls_back = outcome == ContactOutcome.CALL_BACK
    member.callback_at = callback_at if calls_back else None
    # A call-back the customer asked for is kept even after the campaign's last
    # attempt (the contact policy still decides when it is made).
    exhausted = member.attempts >= campaign.max_attempts_per_customer
    if outcome in FINAL_OUTCOMES or (exhausted and not calls_back):
        member.state = MemberState.DONE
    else:
        member.state = MemberState.PENDING
    member.save(
        update_fields=[
            "last_outcome",
            "assigned_agent",
            "call_day",
            "callback_at",
            "state",
        ]
    )


def _interaction_log(attempt: ContactAttempt, by: User) -> None:
    """The attempt in the customer's contact history (the 360 timeline)."""
    campaign = attempt.campaign
    retention = campaign.goal in (CampaignGoal.RETENTION, CampaignGoal.WIN_BACK)
    Interaction.objects.create(
        reference=f"CA{attempt.pk:010d}",
        customer_id=attempt.customer_id,
        channel=InteractionChannel.OUTBOUND
        if campaign.channel == CampaignChannel.OUTBOUND_CALL
        else InteractionChannel.APP,
        direction=Direction.OUTBOUND,
        kind=InteractionKind.RETENTION if retention else InteractionKind.SALES,
        outcome=INTERACTION_OUTCOME[ContactOutcome(attempt.outcome)],
        description=f"{campaign.code} {campaign.name}: "
        f"{ContactOutcome(attempt.outcome).label}",
        staff=by,
        occurred_at=attempt.at,
        ended_at=attempt.outcome_at,
    )


@transaction.atomic
def customer_opt_out(
    *,
    customer: Customer,
    source: str,
    at: datetime.datetime | None = None,
    by: User | None = None,
    note: str = "",
) -> ContactSuppression:
    """The customer says stop: suppressed on every campaign and channel at once,
    marketing consents withdrawn, and taken off every call list."""
    moment = at or timezone.now()
    current = ContactSuppression.objects.filter(
        customer=customer, kind=SuppressionKind.OPT_OUT, lifted_at__isnull=True
    ).first()
    suppression = current or ContactSuppression.objects.create(
        customer=customer,
        kind=SuppressionKind.OPT_OUT,
        source=OptOutSource(source),
        since=moment,
        note=note,
        recorded_by=by,
    )
    for channel in ConsentChannel.values:
        consent_withdraw(
            customer=customer,
            purpose=ConsentPurpose.MARKETING,
            channel=channel,
            at=moment,
        )
    CampaignMember.objects.filter(
        customer=customer, state__in=[MemberState.PENDING, MemberState.QUEUED]
    ).update(
        state=MemberState.DONE,
        assigned_agent=None,
        call_day=None,
        last_denied_rule=PolicyRule.SUPPRESSION,
    )
    return suppression


@transaction.atomic
def marketing_consent_grant(
    *,
    customer: Customer,
    channel: str,
    source: str = ConsentSource.CALL_CENTRE,
    evidence: str = "",
    at: datetime.datetime | None = None,
    by: User | None = None,
) -> None:
    """A fresh marketing consent; it lifts an earlier opt-out (China: a refusal
    holds until fresh consent)."""
    moment = at or timezone.now()
    consent_record(
        customer=customer,
        purpose=ConsentPurpose.MARKETING,
        channel=channel,
        source=source,
        evidence=evidence,
        at=moment,
        by=by,
    )
    ContactSuppression.objects.filter(
        customer=customer,
        kind=SuppressionKind.OPT_OUT,
        lifted_at__isnull=True,
        since__lte=moment,
    ).update(lifted_at=moment)


def referral_credit() -> Decimal:
    """The credit a referring customer earns (setting ``TELCRM_REFERRAL_CREDIT``,
    in yuan; 20 by default)."""
    return Decimal(str(getattr(settings, "TELCRM_REFERRAL_CREDIT", "20.00")))


@transaction.atomic
def referral_record(
    *,
    referrer: Customer,
    referred_phone: str,
    campaign: Campaign | None = None,
    by: User | None = None,
    at: datetime.datetime | None = None,
) -> Referral:
    """A customer names someone who may become a customer (a phone number).

    One credit per number: a number already referred, or already a customer's,
    earns nothing. The credit is granted at once (``credited_at``); an operator that
    credits only when the referred number signs up would set it then.
    """
    try:
        phone = phone_normalize(referred_phone)
    except InvalidPhoneNumber:
        raise ValidationError(
            _("%(phone)s is not a phone number.") % {"phone": referred_phone}
        ) from None
    if ContactMedium.objects.filter(
        party_id=referrer.party_id, kind=ContactKind.PHONE, phone=phone
    ).exists():
        raise ValidationError(_("Customers cannot refer themselves."))
    if (
        ContactMedium.objects.filter(kind=ContactKind.PHONE, phone=phone).exists()
        or Subscription.objects.filter(service_number=phone_national(phone)).exists()
    ):
        raise ValidationError(
            _("This number already belongs to a customer: no referral credit.")
        )
    if Referral.objects.filter(referred_phone=phone).exists():
        raise ValidationError(_("This number was already referred."))
    moment = at or timezone.now()
    return Referral.objects.create(
        referrer=referrer,
        referred_phone=phone,
        campaign=campaign,
        recorded_at=moment,
        recorded_by=by,
        credit=referral_credit(),
        credited_at=moment,
    )
