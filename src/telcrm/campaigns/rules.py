"""The contact policy's rules as a pure function over one customer's facts (R9).

``decide`` is the one place where the rules live. ``policy.py`` gathers the facts
from the database (for one customer at the moment of contact, or for a whole target
list at once) and logs every decision; nothing here touches the database, so the
same code answers both and a plain reference implementation can be compared with it.

Rules, in order; the first that denies decides (docs/campaigns.md):

1. campaign approved (by someone other than its creator) and active on this day;
2. global suppression: an opt-out or objection, or the number on the do-not-call list;
4. a marketing consent for this channel (or for any channel) valid at the moment;
5. when the campaign targets with call-record data, a consent to profiling;
6. cool-off: a refusal within N days, an open complaint, or one closed within M days;
7. calling hours and holidays in the customer's local time, for calls and SMS; where
   the address and the number lie in different zones, both must allow;
8. frequency caps on rolling windows, counting attempts across all campaigns;
10. priority: slots left under a cap go to queued contacts of higher-ranked campaigns.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from telcrm.campaigns.choices import (
    ACTIVE_STATUSES,
    CampaignChannel,
    ContactOutcome,
    DecisionStage,
    PolicyRule,
)

# Channels that reach a person at a moment of the day: calling hours apply.
TIMED_CHANNELS = frozenset({CampaignChannel.OUTBOUND_CALL, CampaignChannel.SMS})
# Channels that dial a number: the do-not-call list applies.
NUMBER_CHANNELS = TIMED_CHANNELS
# The consent channel (customers.ConsentChannel) each campaign channel needs; a
# consent for "any" channel covers them all, and is the only one a business-hall
# approach can rely on.
CONSENT_CHANNEL: dict[str, str] = {
    CampaignChannel.OUTBOUND_CALL: "phone_call",
    CampaignChannel.SMS: "sms",
    CampaignChannel.EMAIL: "email",
    CampaignChannel.BUSINESS_HALL: "any",
}
MARKETING = "marketing"
PROFILING = "profiling"

Span = tuple[datetime.time, datetime.time]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CapRule:
    cap_id: int
    channel: str  # "" counts every channel
    window: datetime.timedelta
    max_attempts: int

    def applies_to(self, channel: str) -> bool:
        return self.channel in ("", channel)


@dataclass(frozen=True)
class PolicyConfig:
    caps: tuple[CapRule, ...]
    # province ("" = default) -> weekday (None = every day) -> spans [from, until)
    windows: dict[str, dict[int | None, tuple[Span, ...]]]
    # date -> provinces on holiday ("" = the whole country)
    holidays: dict[datetime.date, frozenset[str]]
    zones: dict[str, str]  # province -> IANA zone
    default_zone: str
    refusal_cool_off: datetime.timedelta
    complaint_cool_off: datetime.timedelta

    @property
    def longest_lookback(self) -> datetime.timedelta:
        windows = [cap.window for cap in self.caps] + [self.refusal_cool_off]
        return max(windows, default=datetime.timedelta(0))

    def zone_of(self, province: str) -> str:
        return self.zones.get(province, self.default_zone)

    def spans(self, province: str, weekday: int) -> tuple[Span, ...]:
        by_day = self.windows.get(province) or self.windows.get("", {})
        return by_day.get(None, ()) + by_day.get(weekday, ())

    def is_holiday(self, day: datetime.date, province: str) -> bool:
        on_holiday = self.holidays.get(day, frozenset())
        return "" in on_holiday or province in on_holiday


@dataclass(frozen=True)
class CampaignTerms:
    """What the rules need to know of a campaign."""

    campaign_id: int
    status: str
    channel: str
    priority: int
    uses_usage_data: bool
    starts_on: datetime.date
    ends_on: datetime.date
    created_by_id: int
    decided_by_id: int | None

    @property
    def rank(self) -> tuple[int, int]:
        """Sort key: higher priority first, then the older campaign (deterministic)."""
        return (-self.priority, self.campaign_id)


@dataclass(frozen=True)
class ConsentFact:
    consent_id: int
    purpose: str
    channel: str
    granted_at: datetime.datetime
    withdrawn_at: datetime.datetime | None

    def valid_at(self, at: datetime.datetime) -> bool:
        return self.granted_at <= at and (
            self.withdrawn_at is None or self.withdrawn_at > at
        )


@dataclass(frozen=True)
class Period:
    """A suppression, a do-not-call entry or a complaint: from ``start`` until
    ``end`` (exclusive; None = still running)."""

    ref_id: int
    start: datetime.datetime
    end: datetime.datetime | None

    def covers(self, at: datetime.datetime) -> bool:
        return self.start <= at and (self.end is None or self.end > at)


@dataclass(frozen=True)
class AttemptFact:
    at: datetime.datetime
    channel: str
    campaign_id: int
    outcome: str


@dataclass(frozen=True)
class PendingContact:
    """A customer queued on another active campaign's call list."""

    campaign_rank: tuple[int, int]
    channel: str


@dataclass
class CustomerFacts:
    customer_id: int
    provinces: tuple[str, ...] = ("",)  # the address's and the number's
    suppressions: list[Period] = field(default_factory=list)
    dnc_entries: list[Period] = field(default_factory=list)
    consents: list[ConsentFact] = field(default_factory=list)
    attempts: list[AttemptFact] = field(default_factory=list)
    complaints: list[Period] = field(default_factory=list)
    pending: list[PendingContact] = field(default_factory=list)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(at: datetime.datetime, zone: str) -> datetime.date:
    return at.astimezone(_zone(zone)).date()


def decide(
    facts: CustomerFacts,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    config: PolicyConfig,
    stage: str = DecisionStage.CONTACT,
) -> Decision:
    """The contact policy's decision for one customer, campaign, channel and moment.

    At ``list_build`` the calling-hours rule asks whether the list's day (the
    operator's date of ``at``) is a calling day where the customer lives: not a
    holiday there, with some calling window (the call's minute is not known yet);
    every other rule is the same.
    """
    for rule in (
        _campaign_active,
        _suppression,
        _consent,
        _usage_data_consent,
        _cool_off,
        _calling_hours,
        _caps_and_priority,
    ):
        decision = rule(facts, campaign, channel, at, config, stage)
        if not decision.allowed:
            return decision
    return Decision(
        True, PolicyRule.ALLOWED, _evidence(facts, campaign, channel, at, config)
    )


def _deny(rule: str, **detail: Any) -> Decision:
    return Decision(False, rule, detail)


_PASS = Decision(True, PolicyRule.ALLOWED)


def _campaign_active(
    facts: CustomerFacts,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    config: PolicyConfig,
    stage: str,
) -> Decision:
    day = local_date(at, config.default_zone)
    approved = (
        campaign.decided_by_id is not None
        and campaign.decided_by_id != campaign.created_by_id
    )
    if (
        campaign.status not in ACTIVE_STATUSES
        or not approved
        or channel != campaign.channel
        or not campaign.starts_on <= day <= campaign.ends_on
    ):
        return _deny(
            PolicyRule.CAMPAIGN_ACTIVE, status=campaign.status, day=day.isoformat()
        )
    return _PASS


def _suppression(
    facts: CustomerFacts,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    config: PolicyConfig,
    stage: str,
) -> Decision:
    for period in facts.suppressions:
        if period.covers(at):
            return _deny(PolicyRule.SUPPRESSION, suppression_id=period.ref_id)
    if channel in NUMBER_CHANNELS:
        for entry in facts.dnc_entries:
            if entry.covers(at):
                return _deny(PolicyRule.SUPPRESSION, dnc_entry_id=entry.ref_id)
    return _PASS


def valid_consent(
    consents: Iterable[ConsentFact],
    purpose: str,
    channels: Sequence[str],
    at: datetime.datetime,
) -> ConsentFact | None:
    """The earliest-granted consent valid at ``at`` (deterministic evidence)."""
    valid = [
        c
        for c in consents
        if c.purpose == purpose and c.channel in channels and c.valid_at(at)
    ]
    return min(valid, key=lambda c: (c.granted_at, c.consent_id), default=None)


def _marketing_consent(
    facts: CustomerFacts, channel: str, at: datetime.datetime
) -> ConsentFact | None:
    needed = CONSENT_CHANNEL[channel]
    return valid_consent(facts.consents, MARKETING, (needed, "any"), at)


def _usage_consent(facts: CustomerFacts, at: datetime.datetime) -> ConsentFact | None:
    # Profiling is one purpose whatever the channel a consent was given for.
    channels = ("phone_call", "sms", "email", "app_push", "any")
    return valid_consent(facts.consents, PROFILING, channels, at)


def _consent(
    facts: CustomerFacts,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    config: PolicyConfig,
    stage: str,
) -> Decision:
    if _marketing_consent(facts, channel, at) is None:
        return _deny(PolicyRule.CONSENT, purpose=MARKETING, channel=channel)
    return _PASS


def _usage_data_consent(
    facts: CustomerFacts,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    config: PolicyConfig,
    stage: str,
) -> Decision:
    if campaign.uses_usage_data and _usage_consent(facts, at) is None:
        return _deny(PolicyRule.USAGE_DATA_CONSENT, purpose=PROFILING)
    return _PASS


def _cool_off(
    facts: CustomerFacts,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    config: PolicyConfig,
    stage: str,
) -> Decision:
    for attempt in facts.attempts:
        if (
            attempt.outcome == ContactOutcome.REFUSED
            and attempt.at <= at < attempt.at + config.refusal_cool_off
        ):
            return _deny(PolicyRule.COOL_OFF, refused_at=attempt.at.isoformat())
    for complaint in facts.complaints:
        cooled = (
            complaint.end is not None
            and at >= complaint.end + config.complaint_cool_off
        )
        if complaint.start <= at and not cooled:
            return _deny(PolicyRule.COOL_OFF, complaint_id=complaint.ref_id)
    return _PASS


def _calling_hours(
    facts: CustomerFacts,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    config: PolicyConfig,
    stage: str,
) -> Decision:
    if channel not in TIMED_CHANNELS:
        return _PASS
    for province in facts.provinces:
        zone = config.zone_of(province)
        local = at.astimezone(_zone(zone))
        # A list is built for a calendar day of the operator's, and every zone calls
        # on that date: a list built at midnight must not check a zone to the west
        # against the day before.
        day = (
            local_date(at, config.default_zone)
            if stage == DecisionStage.LIST_BUILD
            else local.date()
        )
        if config.is_holiday(day, province):
            return _deny(PolicyRule.CALLING_HOURS, zone=zone, holiday=day.isoformat())
        spans = config.spans(province, day.weekday())
        moment = local.time().replace(tzinfo=None)
        open_now = (
            bool(spans)
            if stage == DecisionStage.LIST_BUILD
            else any(start <= moment < end for start, end in spans)
        )
        if not open_now:
            return _deny(PolicyRule.CALLING_HOURS, zone=zone, local=local.isoformat())
    return _PASS


def attempts_in_window(
    attempts: Iterable[AttemptFact], cap: CapRule, at: datetime.datetime
) -> int:
    """Attempts counted by ``cap`` in the rolling window (at - window, at]."""
    since = at - cap.window
    return sum(1 for a in attempts if cap.applies_to(a.channel) and since < a.at <= at)


def busiest_window(
    attempts: Sequence[AttemptFact], cap: CapRule, at: datetime.datetime
) -> int:
    """The most attempts ``cap`` counts in any rolling window an attempt at ``at``
    would fall in: the one ending at ``at`` and those ending at a later attempt less
    than a window after it.

    Later attempts exist when workers' clocks disagree: a worker that read the clock
    first can reach the customer's lock last, after an attempt stamped later than its
    own ``at``; counting only ``(at - window, at]`` would let both through.
    """
    used = attempts_in_window(attempts, cap, at)
    until = at + cap.window
    for later in attempts:
        if at < later.at < until and cap.applies_to(later.channel):
            used = max(used, attempts_in_window(attempts, cap, later.at))
    return used


def _caps_and_priority(
    facts: CustomerFacts,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    config: PolicyConfig,
    stage: str,
) -> Decision:
    used_by_cap = [
        (cap, busiest_window(facts.attempts, cap, at))
        for cap in config.caps
        if cap.applies_to(channel)
    ]
    # Rule 8 before rule 10: a cap already full denies as a cap, whoever waits.
    for cap, used in used_by_cap:
        if used >= cap.max_attempts:
            return _deny(PolicyRule.FREQUENCY_CAP, cap_id=cap.cap_id, count=used)
    for cap, used in used_by_cap:
        ahead = sum(
            1
            for p in facts.pending
            if p.campaign_rank < campaign.rank and cap.applies_to(p.channel)
        )
        if used + ahead >= cap.max_attempts:
            return _deny(
                PolicyRule.PRIORITY, cap_id=cap.cap_id, count=used, queued_ahead=ahead
            )
    return _PASS


def _evidence(
    facts: CustomerFacts,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    config: PolicyConfig,
) -> dict[str, Any]:
    """What an allowed decision rested on, enough to replay it (CP-T6)."""
    consent = _marketing_consent(facts, channel, at)
    usage = _usage_consent(facts, at) if campaign.uses_usage_data else None
    return {
        "consent_id": consent.consent_id if consent else None,
        "usage_consent_id": usage.consent_id if usage else None,
        "zones": sorted({config.zone_of(p) for p in facts.provinces}),
        "counts": {
            str(cap.cap_id): attempts_in_window(facts.attempts, cap, at)
            for cap in config.caps
            if cap.applies_to(channel)
        },
    }
