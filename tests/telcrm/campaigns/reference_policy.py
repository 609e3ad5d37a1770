"""A deliberately naive reference implementation of the contact policy (CP-T2).

Written from the rule text (the docstring of ``telcrm.campaigns.rules`` and
docs/campaigns.md), not from the engine's code: it shares nothing with ``rules.py``
or ``policy.py`` but the choices' string values. It keeps one event log (what
happened, in the order it happened) and answers every question by scanning the whole
log: no index, no cache, no optimisation, so that it is easy to read against the text.

Events with a time (consents, opt-outs, do-not-call entries, complaints, attempts and
their outcomes) count for a decision at ``at`` when they happened at or before
``at``. Configuration (zones, holidays, windows, caps), customers, campaigns, their
status and the call-list queue are timeless: they are what stands now.

The rules, in order; the first that denies decides:

1. the campaign is pilot or running, was approved by someone other than its creator,
   the channel is the campaign's, and the day in the operator's zone lies within the
   campaign's dates;
2. the customer opted out (until a fresh marketing consent), or, for calls and SMS,
   one of their numbers is on the do-not-call list;
4. a marketing consent for this channel, or for any channel, holds at ``at``;
5. a campaign targeting with call records also needs a profiling consent (any channel);
6. no refusal within the refusal cool-off (counted from the refused call), no open
   complaint, none closed less than the complaint cool-off ago;
7. for calls and SMS: in every zone the customer lives in (address and number), not a
   holiday there and inside a calling window (a province's own windows replace the
   default ones); at list build, the operator's date of ``at`` is the day in every
   zone, and it only needs a window;
8. every cap applying to the channel holds fewer attempts than its maximum in
   ``(at - window, at]`` (attempts of every campaign, whatever their outcome), and
   in every window ending at an attempt recorded with a later moment that an
   attempt at ``at`` would fall in;
10. the attempts plus the contacts queued for higher-ranked active campaigns (higher
    priority, then the older campaign) leave a slot under every cap.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from telcrm.campaigns.choices import (
    CampaignChannel,
    CampaignStatus,
    ContactOutcome,
    DecisionStage,
    PolicyRule,
)

CALL = CampaignChannel.OUTBOUND_CALL.value
SMS = CampaignChannel.SMS.value
EMAIL = CampaignChannel.EMAIL.value
BUSINESS_HALL = CampaignChannel.BUSINESS_HALL.value
MARKETING = "marketing"
PROFILING = "profiling"
ANY_CHANNEL = "any"
# The consent channel each campaign channel asks for (a consent for "any" channel
# always does); a business-hall approach has no channel of its own.
CONSENT_FOR = {CALL: "phone_call", SMS: "sms", EMAIL: "email", BUSINESS_HALL: "any"}
TIMED = (CALL, SMS)
CONTACT = DecisionStage.CONTACT.value
LIST_BUILD = DecisionStage.LIST_BUILD.value


@dataclass(frozen=True)
class Event:
    kind: str
    at: datetime.datetime | None  # None: timeless (what stands now)
    data: dict[str, Any] = field(default_factory=dict)


class ReferencePolicy:
    """The policy as an event log and a scan over it."""

    def __init__(
        self,
        *,
        default_zone: str,
        refusal_cool_off_days: int = 60,
        complaint_cool_off_days: int = 14,
    ) -> None:
        self.default_zone = default_zone
        self.refusal_cool_off = datetime.timedelta(days=refusal_cool_off_days)
        self.complaint_cool_off = datetime.timedelta(days=complaint_cool_off_days)
        self.log: list[Event] = []

    # -- the log -------------------------------------------------------------------

    def _add(self, kind: str, at: datetime.datetime | None = None, **data: Any) -> None:
        self.log.append(Event(kind, at, data))

    def _seen(self, kind: str, at: datetime.datetime) -> list[Event]:
        """Events of ``kind`` that had happened by ``at`` (timeless ones always)."""
        return [e for e in self.log if e.kind == kind and (e.at is None or e.at <= at)]

    def _all(self, kind: str) -> list[Event]:
        return [e for e in self.log if e.kind == kind]

    # -- configuration ---------------------------------------------------------------

    def set_zone(self, province: str, zone: str) -> None:
        self._add("zone", province=province, zone=zone)

    def add_holiday(self, day: datetime.date, province: str = "") -> None:
        self._add("holiday", day=day, province=province)

    def add_window(
        self,
        start: datetime.time,
        end: datetime.time,
        *,
        province: str = "",
        weekday: int | None = None,
    ) -> None:
        self._add("window", province=province, weekday=weekday, start=start, end=end)

    def add_cap(
        self, cap_id: int, channel: str, window_days: int, max_attempts: int
    ) -> None:
        """An active cap; ``channel`` "" counts every channel."""
        self._add(
            "cap",
            cap_id=cap_id,
            channel=channel,
            window=datetime.timedelta(days=window_days),
            max_attempts=max_attempts,
        )

    # -- customers and campaigns -----------------------------------------------------

    def add_customer(
        self, customer: int, *, province: str, phones: dict[str, str]
    ) -> None:
        """``province``: the address's; ``phones``: number -> the number's province."""
        self._add("customer", customer=customer, province=province, phones=phones)

    def add_campaign(
        self,
        campaign: int,
        *,
        status: str,
        channel: str,
        priority: int,
        uses_usage_data: bool,
        starts_on: datetime.date,
        ends_on: datetime.date,
        created_by: int,
        approved_by: int | None,
    ) -> None:
        self._add(
            "campaign",
            campaign=campaign,
            status=status,
            channel=channel,
            priority=priority,
            uses_usage_data=uses_usage_data,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=created_by,
            approved_by=approved_by,
        )

    def set_campaign_status(self, campaign: int, status: str) -> None:
        self._add("campaign_status", campaign=campaign, status=status)

    def queue(self, customer: int, campaign: int) -> None:
        """The customer is put on the campaign's call list."""
        self._add("queue", customer=customer, campaign=campaign)

    def unqueue(self, customer: int, campaign: int) -> None:
        self._add("unqueue", customer=customer, campaign=campaign)

    # -- what customers say and do ---------------------------------------------------

    def grant_consent(
        self, customer: int, purpose: str, channel: str, at: datetime.datetime
    ) -> None:
        self._add("grant", at, customer=customer, purpose=purpose, channel=channel)

    def withdraw_consent(
        self, customer: int, purpose: str, channel: str, at: datetime.datetime
    ) -> None:
        self._add("withdraw", at, customer=customer, purpose=purpose, channel=channel)

    def opt_out(self, customer: int, at: datetime.datetime) -> None:
        """Stop: suppressed everywhere, marketing consents gone, off every list."""
        self._add("opt_out", at, customer=customer)

    def fresh_consent(self, customer: int, channel: str, at: datetime.datetime) -> None:
        """A new marketing consent, which also ends an opt-out."""
        self._add("fresh_consent", at, customer=customer, channel=channel)

    def add_dnc(
        self,
        phone: str,
        at: datetime.datetime,
        until: datetime.datetime | None = None,
    ) -> None:
        self._add("dnc", at, phone=phone, until=until)

    def open_complaint(
        self, customer: int, complaint: int, at: datetime.datetime
    ) -> None:
        self._add("complaint_open", at, customer=customer, complaint=complaint)

    def close_complaint(self, complaint: int, at: datetime.datetime) -> None:
        self._add("complaint_close", at, complaint=complaint)

    def attempt(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        attempt: int,
    ) -> None:
        self._add(
            "attempt",
            at,
            customer=customer,
            campaign=campaign,
            channel=channel,
            attempt=attempt,
        )

    def outcome(self, attempt: int, outcome: str, at: datetime.datetime) -> None:
        """How an attempt ended, recorded at ``at``; an opt-out is an opt-out."""
        self._add("outcome", at, attempt=attempt, outcome=outcome)

    # -- the decision ----------------------------------------------------------------

    def may_contact(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        stage: str = CONTACT,
    ) -> tuple[bool, str]:
        """(allowed, the deciding rule) for this customer, campaign, channel, moment."""
        checks = (
            self._campaign_not_active,
            self._suppressed,
            self._no_consent,
            self._no_profiling_consent,
            self._cooling_off,
            self._outside_calling_hours,
            self._cap_full,
            self._slots_taken_by_higher_ranks,
        )
        for check in checks:
            rule = check(customer, campaign, channel, at, stage)
            if rule is not None:
                return False, rule
        return True, PolicyRule.ALLOWED.value

    # -- facts, each by a scan of the log --------------------------------------------

    def _customer(self, customer: int) -> dict[str, Any]:
        found = [
            e.data for e in self._all("customer") if e.data["customer"] == customer
        ]
        return found[-1]

    def _campaign(self, campaign: int) -> dict[str, Any]:
        found = [
            e.data for e in self._all("campaign") if e.data["campaign"] == campaign
        ]
        terms = dict(found[-1])
        for e in self._all("campaign_status"):
            if e.data["campaign"] == campaign:
                terms["status"] = e.data["status"]
        return terms

    def _attempts(self, customer: int, at: datetime.datetime) -> list[dict[str, Any]]:
        return [
            e.data | {"at": e.at}
            for e in self._seen("attempt", at)
            if e.data["customer"] == customer
        ]

    def _outcome_known(self, attempt: int, at: datetime.datetime) -> str | None:
        """The outcome recorded for ``attempt`` by ``at`` (None: not known yet)."""
        known = None
        for e in self._seen("outcome", at):
            if e.data["attempt"] == attempt:
                known = e.data["outcome"]
        return known

    def _customer_of_attempt(self, attempt: int) -> int:
        for e in self._all("attempt"):
            if e.data["attempt"] == attempt:
                return int(e.data["customer"])
        raise KeyError(attempt)

    def _is_opt_out(self, e: Event, customer: int) -> bool:
        if e.kind == "opt_out":
            return bool(e.data["customer"] == customer)
        return (
            e.kind == "outcome"
            and e.data["outcome"] == ContactOutcome.OPT_OUT.value
            and self._customer_of_attempt(e.data["attempt"]) == customer
        )

    def _timeline(self, customer: int, at: datetime.datetime) -> list[Event]:
        """The customer's timed events up to ``at``, in the order they happened."""
        mine = []
        for e in self.log:
            if e.at is None or e.at > at:
                continue
            if e.data.get("customer") == customer or self._is_opt_out(e, customer):
                mine.append(e)
        return mine

    def _consents_held(
        self, customer: int, at: datetime.datetime
    ) -> set[tuple[str, str]]:
        """(purpose, channel) pairs the customer consents to at ``at``."""
        held: set[tuple[str, str]] = set()
        for e in self._timeline(customer, at):
            if e.kind == "grant":
                held.add((e.data["purpose"], e.data["channel"]))
            elif e.kind == "withdraw":
                held.discard((e.data["purpose"], e.data["channel"]))
            elif e.kind == "fresh_consent":
                held.add((MARKETING, e.data["channel"]))
            elif self._is_opt_out(e, customer):
                held = {pair for pair in held if pair[0] != MARKETING}
        return held

    def _opted_out(self, customer: int, at: datetime.datetime) -> bool:
        opted_out = False
        for e in self._timeline(customer, at):
            if self._is_opt_out(e, customer):
                opted_out = True
            elif e.kind == "fresh_consent":
                opted_out = False
        return opted_out

    def _provinces(self, customer: int) -> list[str]:
        record = self._customer(customer)
        provinces = []
        for province in [record["province"], *record["phones"].values()]:
            if province and province not in provinces:
                provinces.append(province)
        return provinces or [""]

    def _zone(self, province: str) -> str:
        zone = self.default_zone
        for e in self._all("zone"):
            if e.data["province"] == province:
                zone = e.data["zone"]
        return zone

    def _queued(self, customer: int) -> list[int]:
        """Campaigns whose call list holds the customer now."""
        queued: list[int] = []
        for e in self.log:
            if e.kind == "queue" and e.data["customer"] == customer:
                if e.data["campaign"] not in queued:
                    queued.append(e.data["campaign"])
            elif e.kind == "unqueue" and e.data["customer"] == customer:
                queued = [c for c in queued if c != e.data["campaign"]]
            elif self._is_opt_out(e, customer):
                queued = []
        return queued

    def _caps(self, channel: str) -> list[dict[str, Any]]:
        return [e.data for e in self._all("cap") if e.data["channel"] in ("", channel)]

    def _count(self, customer: int, cap: dict[str, Any], at: datetime.datetime) -> int:
        """The fullest window of ``cap`` an attempt at ``at`` would fall in: the
        one ending at ``at``, and those ending at attempts recorded with a later
        moment (a worker whose clock read earlier) less than a window after it."""
        counted = [
            e.at
            for e in self._all("attempt")
            if e.data["customer"] == customer
            and cap["channel"] in ("", e.data["channel"])
            and e.at is not None
        ]
        ends = [at] + [t for t in counted if at < t < at + cap["window"]]
        return max(
            len([t for t in counted if end - cap["window"] < t <= end]) for end in ends
        )

    # -- the rules ---------------------------------------------------------------------

    def _campaign_not_active(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        stage: str,
    ) -> str | None:
        terms = self._campaign(campaign)
        today = at.astimezone(ZoneInfo(self.default_zone)).date()
        approved = (
            terms["approved_by"] is not None
            and terms["approved_by"] != terms["created_by"]
        )
        active = terms["status"] in (
            CampaignStatus.PILOT.value,
            CampaignStatus.RUNNING.value,
        )
        if (
            not active
            or not approved
            or channel != terms["channel"]
            or today < terms["starts_on"]
            or today > terms["ends_on"]
        ):
            return PolicyRule.CAMPAIGN_ACTIVE.value
        return None

    def _suppressed(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        stage: str,
    ) -> str | None:
        if self._opted_out(customer, at):
            return PolicyRule.SUPPRESSION.value
        if channel in TIMED:
            phones = self._customer(customer)["phones"]
            for e in self._seen("dnc", at):
                until = e.data["until"]
                if e.data["phone"] in phones and (until is None or at < until):
                    return PolicyRule.SUPPRESSION.value
        return None

    def _no_consent(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        stage: str,
    ) -> str | None:
        held = self._consents_held(customer, at)
        if (MARKETING, CONSENT_FOR[channel]) in held or (
            MARKETING,
            ANY_CHANNEL,
        ) in held:
            return None
        return PolicyRule.CONSENT.value

    def _no_profiling_consent(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        stage: str,
    ) -> str | None:
        if not self._campaign(campaign)["uses_usage_data"]:
            return None
        held = self._consents_held(customer, at)
        if any(purpose == PROFILING for purpose, _ in held):
            return None
        return PolicyRule.USAGE_DATA_CONSENT.value

    def _cooling_off(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        stage: str,
    ) -> str | None:
        for attempt in self._attempts(customer, at):
            refused = (
                self._outcome_known(attempt["attempt"], at)
                == ContactOutcome.REFUSED.value
            )
            if refused and attempt["at"] <= at < attempt["at"] + self.refusal_cool_off:
                return PolicyRule.COOL_OFF.value
        for opened in self._seen("complaint_open", at):
            if opened.data["customer"] != customer:
                continue
            closes = [
                e
                for e in self._seen("complaint_close", at)
                if e.data["complaint"] == opened.data["complaint"]
            ]
            if not closes:
                return PolicyRule.COOL_OFF.value
            closed_at = closes[-1].at
            assert closed_at is not None
            if at < closed_at + self.complaint_cool_off:
                return PolicyRule.COOL_OFF.value
        return None

    def _outside_calling_hours(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        stage: str,
    ) -> str | None:
        if channel not in TIMED:
            return None
        for province in self._provinces(customer):
            local = at.astimezone(ZoneInfo(self._zone(province)))
            # At list build: the operator's date, in every zone.
            day = (
                at.astimezone(ZoneInfo(self.default_zone)).date()
                if stage == LIST_BUILD
                else local.date()
            )
            for e in self._all("holiday"):
                if e.data["day"] == day and e.data["province"] in (
                    "",
                    province,
                ):
                    return PolicyRule.CALLING_HOURS.value
            windows = [
                e.data for e in self._all("window") if e.data["province"] == province
            ]
            if not windows:
                windows = [
                    e.data for e in self._all("window") if e.data["province"] == ""
                ]
            today = [
                w
                for w in windows
                if w["weekday"] is None or w["weekday"] == day.weekday()
            ]
            clock = local.time().replace(tzinfo=None)
            if stage == LIST_BUILD:
                open_now = len(today) > 0
            else:
                open_now = any(w["start"] <= clock < w["end"] for w in today)
            if not open_now:
                return PolicyRule.CALLING_HOURS.value
        return None

    def _cap_full(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        stage: str,
    ) -> str | None:
        for cap in self._caps(channel):
            if self._count(customer, cap, at) >= cap["max_attempts"]:
                return PolicyRule.FREQUENCY_CAP.value
        return None

    def _slots_taken_by_higher_ranks(
        self,
        customer: int,
        campaign: int,
        channel: str,
        at: datetime.datetime,
        stage: str,
    ) -> str | None:
        mine = self._campaign(campaign)
        ahead_of_me = []
        for other in self._queued(customer):
            terms = self._campaign(other)
            if other == campaign or terms["status"] not in (
                CampaignStatus.PILOT.value,
                CampaignStatus.RUNNING.value,
            ):
                continue
            higher = terms["priority"] > mine["priority"] or (
                terms["priority"] == mine["priority"] and other < campaign
            )
            if higher:
                ahead_of_me.append(terms)
        for cap in self._caps(channel):
            waiting = [t for t in ahead_of_me if cap["channel"] in ("", t["channel"])]
            if self._count(customer, cap, at) + len(waiting) >= cap["max_attempts"]:
                return PolicyRule.PRIORITY.value
        return None
