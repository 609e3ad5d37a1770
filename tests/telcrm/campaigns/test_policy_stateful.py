"""CP-T1 and CP-T2: random interleavings of consents, opt-outs, do-not-call entries,
complaints, campaign status changes, call lists, clock moves, contact requests and
outcomes against the real engine on the database.

After every step no rule may be broken (checked on the rows themselves, by
``assert_no_rule_broken``), every decision is logged exactly once, and the naive
reference implementation (``reference_policy``), fed the same events, agrees with
every decision the engine takes: allowed or not, and the rule that decided.

``World`` is the database and the reference side by side. The state machine and the
plain stream test below drive it; both also replay allowed contacts (CP-T6), and
test_policy_boundaries.py replays a sample of a stream's with their evidence.

Shrinking a failure is slow (every example builds its world on the database): a
failing run may spend minutes minimising before it reports.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from tests.telcrm.campaigns.helpers import running_campaign
from tests.telcrm.campaigns.reference_policy import ReferencePolicy
from tests.telcrm.factories import CustomerFactory, UserFactory

from telcrm.campaigns.choices import (
    CampaignChannel,
    CampaignStatus,
    ContactOutcome,
    DecisionStage,
    MemberGroup,
    MemberState,
    OptOutSource,
    PolicyRule,
)
from telcrm.campaigns.models import (
    CallingWindow,
    Campaign,
    CampaignMember,
    ContactAttempt,
    ContactDecision,
    ContactSuppression,
    FrequencyCap,
    Holiday,
    PolicySettings,
    RegionTimeZone,
)
from telcrm.campaigns.policy import contact_reserve, decision_replay, may_contact
from telcrm.campaigns.services import (
    call_outcome_record,
    customer_opt_out,
    marketing_consent_grant,
)
from telcrm.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    Direction,
    DoNotCallSource,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
)
from telcrm.customers.models import Consent, Customer, DoNotCallEntry, Interaction
from telcrm.customers.services import consent_record, consent_withdraw
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium
from telcrm.users.choices import Role
from telcrm.users.models import User

UTC = datetime.UTC
SECOND = datetime.timedelta(seconds=1)
DAY = datetime.timedelta(days=1)
CALL = CampaignChannel.OUTBOUND_CALL
TIMED_CHANNELS = (CampaignChannel.OUTBOUND_CALL, CampaignChannel.SMS)
CONSENT_CHANNEL_OF = {
    CampaignChannel.OUTBOUND_CALL: ConsentChannel.PHONE_CALL,
    CampaignChannel.SMS: ConsentChannel.SMS,
    CampaignChannel.EMAIL: ConsentChannel.EMAIL,
    CampaignChannel.BUSINESS_HALL: ConsentChannel.ANY,
}

N_CUSTOMERS = 2
N_CAMPAIGNS = 3
PROVINCES = ("北京市", "新疆维吾尔自治区", "浙江省", "Île-de-France", "New York")
ZONES = ("Asia/Shanghai", "Asia/Urumqi", "Europe/Paris", "America/New_York")
# Province-specific calling windows: (weekday or None, from, until).
WINDOW_TEMPLATES: dict[str, tuple[tuple[int | None, datetime.time, datetime.time], ...]]
WINDOW_TEMPLATES = {
    "france": tuple(
        (weekday, datetime.time(*start), datetime.time(*end))
        for weekday in range(5)
        for start, end in (((10,), (13,)), ((14,), (20,)))
    ),
    "us_federal": ((None, datetime.time(8), datetime.time(21)),),
    "evening": ((None, datetime.time(18), datetime.time(19, 30)),),
}
# Local times the clock may jump to: the windows' edges and either side of them.
LOCAL_MOMENTS = tuple(
    datetime.time(*hms)
    for hms in (
        (0, 0, 0),
        (7, 59, 59),
        (8, 0, 0),
        (8, 59, 59),
        (9, 0, 0),
        (9, 59, 59),
        (10, 0, 0),
        (11, 59, 59),
        (12, 0, 0),
        (12, 59, 59),
        (13, 0, 0),
        (13, 59, 59),
        (14, 0, 0),
        (17, 59, 59),
        (18, 0, 0),
        (19, 29, 59),
        (19, 30, 0),
        (19, 59, 59),
        (20, 0, 0),
        (20, 59, 59),
        (21, 0, 0),
        (23, 59, 59),
    )
)
# Local times inside the default calling hours (a call "during office hours").
IN_HOURS = (
    datetime.time(9),
    datetime.time(10, 30),
    datetime.time(11, 59, 59),
    datetime.time(14),
    datetime.time(16, 45),
    datetime.time(19, 59, 59),
)
# Outcomes, the harmless ones more often (refusals and opt-outs stop contact for long).
OUTCOMES = (
    ContactOutcome.NO_ANSWER,
    ContactOutcome.NO_ANSWER,
    ContactOutcome.ACCEPTED,
    ContactOutcome.CALL_BACK,
    ContactOutcome.REFUSED,
    ContactOutcome.OPT_OUT,
)
# Most customers start with a usable consent, so that contacts get as far as the
# later rules.
CONSENT_BASES: tuple[frozenset[tuple[str, str]], ...] = (
    frozenset({(ConsentPurpose.MARKETING, "any"), (ConsentPurpose.PROFILING, "any")}),
    frozenset(
        {
            (ConsentPurpose.MARKETING, "phone_call"),
            (ConsentPurpose.MARKETING, "sms"),
            (ConsentPurpose.PROFILING, "sms"),
        }
    ),
    frozenset({(ConsentPurpose.MARKETING, "any")}),
    frozenset(),
)
CONSENT_PAIRS = tuple(
    (purpose, channel)
    for purpose in (ConsentPurpose.MARKETING, ConsentPurpose.PROFILING)
    for channel in ConsentChannel.values
)


@dataclass(frozen=True)
class CustomerSpec:
    address_province: str
    phone_province: str  # "" = the number's region unknown
    consents: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class CampaignSpec:
    channel: str
    priority: int
    uses_usage_data: bool
    status: str
    starts_in_days: int
    lasts_days: int


@dataclass(frozen=True)
class WorldSpec:
    start: datetime.datetime
    zones: dict[str, str]
    holidays: tuple[tuple[int, str], ...]  # (days after the start, province)
    province_windows: dict[str, str]
    daily_cap: bool
    calls_per_30_days: int
    refusal_cool_off_days: int
    complaint_cool_off_days: int
    customers: tuple[CustomerSpec, ...]
    campaigns: tuple[CampaignSpec, ...]


def world_specs() -> st.SearchStrategy[WorldSpec]:
    customer = st.builds(
        CustomerSpec,
        address_province=st.sampled_from(PROVINCES),
        phone_province=st.sampled_from(("", *PROVINCES)),
        consents=st.builds(
            frozenset.union,
            st.sampled_from(CONSENT_BASES[:1] * 3 + CONSENT_BASES[1:]),
            st.frozensets(st.sampled_from(CONSENT_PAIRS), max_size=2),
        ),
    )
    campaign = st.builds(
        CampaignSpec,
        channel=st.sampled_from(
            [
                CALL,
                CALL,
                CampaignChannel.SMS,
                CampaignChannel.EMAIL,
                CampaignChannel.BUSINESS_HALL,
            ]
        ),
        priority=st.sampled_from([5, 5, 3, 7]),
        uses_usage_data=st.sampled_from([False, False, False, True]),
        status=st.sampled_from(
            [CampaignStatus.RUNNING] * 6
            + [CampaignStatus.PILOT, CampaignStatus.APPROVED, CampaignStatus.COMPLETED]
        ),
        starts_in_days=st.integers(-10, 1),
        lasts_days=st.integers(30, 150),
    )
    steady = st.builds(
        CampaignSpec,
        channel=st.sampled_from([CALL, CampaignChannel.SMS]),
        priority=st.sampled_from([5, 5, 3, 7]),
        uses_usage_data=st.sampled_from([False, False, False, True]),
        status=st.just(CampaignStatus.RUNNING),
        starts_in_days=st.just(-10),
        lasts_days=st.just(400),
    )
    start = st.integers(0, 80 * 24 * 60).map(
        lambda minutes: (
            datetime.datetime(2026, 9, 20, tzinfo=UTC)
            + datetime.timedelta(minutes=minutes)
        )
    )
    return st.builds(
        WorldSpec,
        start=start,
        zones=st.dictionaries(st.sampled_from(PROVINCES), st.sampled_from(ZONES)),
        holidays=st.lists(
            st.tuples(st.integers(-1, 120), st.sampled_from(("", *PROVINCES))),
            max_size=3,
            unique=True,
        ).map(tuple),
        province_windows=st.dictionaries(
            st.sampled_from(PROVINCES),
            st.sampled_from(sorted(WINDOW_TEMPLATES)),
            max_size=2,
        ),
        # Mostly the defaults (2 calls in 30 days, 1 contact a day).
        daily_cap=st.sampled_from([True, True, False]),
        calls_per_30_days=st.sampled_from([2, 2, 1, 3]),
        # The defaults, or short cool-offs that end within a run.
        refusal_cool_off_days=st.sampled_from([60, 3]),
        complaint_cool_off_days=st.sampled_from([14, 1]),
        customers=st.tuples(*[customer] * N_CUSTOMERS),
        # The first campaign runs all along, so that every world has one to ask.
        campaigns=st.tuples(steady, *[campaign] * (N_CAMPAIGNS - 1)),
    )


def _next_local(
    now: datetime.datetime, zone: str, moment: datetime.time
) -> datetime.datetime:
    """The first instant at or after ``now`` when the clock in ``zone`` shows
    ``moment``."""
    local = now.astimezone(ZoneInfo(zone))
    for days in range(3):
        day = local.date() + datetime.timedelta(days=days)
        candidate = datetime.datetime.combine(day, moment, tzinfo=ZoneInfo(zone))
        if candidate.astimezone(UTC) >= now:
            return candidate.astimezone(UTC)
    raise AssertionError("a local time comes round within three days")


class World:
    """The database and the reference policy, fed the same events at the same
    (simulated) moments. Every decision asked of the engine is compared with the
    reference's, and counted, so that the log can be checked."""

    def __init__(self, spec: WorldSpec) -> None:
        self.spec = spec
        self.now = spec.start
        self.agent = cast(User, UserFactory(role=Role.AGENT))
        self._configure(spec)
        numbers = PolicySettings.objects.get(pk=1)
        self.reference = ReferencePolicy(
            default_zone=django_settings.TIME_ZONE,
            refusal_cool_off_days=numbers.refusal_cool_off_days,
            complaint_cool_off_days=numbers.complaint_cool_off_days,
        )
        self._reference_configure()
        self.customers = [self._customer(c) for c in spec.customers]
        self.phones = {
            c.pk: ContactMedium.objects.get(party=c.party, kind=ContactKind.PHONE).phone
            for c in self.customers
        }
        self.campaigns = [self._campaign(c).pk for c in spec.campaigns]
        self.decisions_asked = 0
        self.reserved: list[int] = []  # attempts waiting for their outcome
        self.allowed: list[int] = []  # decisions that reserved an attempt
        self.open_complaints: list[int] = []
        self.comparisons: dict[str, int] = {}
        self._attempted_at: datetime.datetime | None = None
        self.standing = standing_load(self.customers)

    # -- set-up --------------------------------------------------------------------

    def _configure(self, spec: WorldSpec) -> None:
        for province, zone in spec.zones.items():
            RegionTimeZone.objects.create(province=province, time_zone=zone)
        for days, province in spec.holidays:
            Holiday.objects.get_or_create(
                date=spec.start.date() + datetime.timedelta(days=days),
                province=province,
                defaults={"name": "Random holiday"},
            )
        for province, template in spec.province_windows.items():
            for weekday, start, end in WINDOW_TEMPLATES[template]:
                CallingWindow.objects.create(
                    province=province, weekday=weekday, starts_at=start, ends_at=end
                )
        FrequencyCap.objects.filter(channel="", window_days=1).update(
            active=spec.daily_cap
        )
        FrequencyCap.objects.filter(channel=CALL, window_days=30).update(
            max_attempts=spec.calls_per_30_days
        )
        PolicySettings.objects.filter(pk=1).update(
            refusal_cool_off_days=spec.refusal_cool_off_days,
            complaint_cool_off_days=spec.complaint_cool_off_days,
        )

    def _reference_configure(self) -> None:
        """The administrators' settings, as the reference learns them."""
        ref = self.reference
        for province, zone in RegionTimeZone.objects.values_list(
            "province", "time_zone"
        ):
            ref.set_zone(province, zone)
        for day, province in Holiday.objects.values_list("date", "province"):
            ref.add_holiday(day, province)
        for window in CallingWindow.objects.all():
            ref.add_window(
                window.starts_at,
                window.ends_at,
                province=window.province,
                weekday=window.weekday,
            )
        for cap in FrequencyCap.objects.filter(active=True):
            ref.add_cap(cap.pk, cap.channel, cap.window_days, cap.max_attempts)

    def _customer(self, spec: CustomerSpec) -> Customer:
        customer = cast(Customer, CustomerFactory())
        phone = f"+86139{customer.pk:08d}"
        ContactMedium.objects.create(
            party=customer.party,
            kind=ContactKind.PHONE,
            phone=phone,
            province=spec.phone_province,
            is_primary=True,
        )
        ContactMedium.objects.create(
            party=customer.party,
            kind=ContactKind.ADDRESS,
            province=spec.address_province,
            is_primary=True,
        )
        self.reference.add_customer(
            customer.pk,
            province=spec.address_province,
            phones={phone: spec.phone_province},
        )
        granted = self.now - 100 * DAY
        for purpose, channel in sorted(spec.consents):
            consent_record(
                customer=customer,
                purpose=purpose,
                channel=channel,
                source=ConsentSource.BUSINESS_HALL,
                at=granted,
            )
            self.reference.grant_consent(customer.pk, purpose, channel, granted)
        return customer

    def _campaign(self, spec: CampaignSpec) -> Campaign:
        starts_on = self.now.date() + datetime.timedelta(days=spec.starts_in_days)
        campaign = running_campaign(
            channel=spec.channel,
            priority=spec.priority,
            uses_usage_data=spec.uses_usage_data,
            status=spec.status,
            starts_on=starts_on,
            ends_on=starts_on + datetime.timedelta(days=spec.lasts_days),
        )
        self.reference.add_campaign(
            campaign.pk,
            status=campaign.status,
            channel=campaign.channel,
            priority=campaign.priority,
            uses_usage_data=campaign.uses_usage_data,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            created_by=campaign.created_by_id,
            approved_by=campaign.decided_by_id,
        )
        return campaign

    # -- events ----------------------------------------------------------------------

    def _after_attempts(self) -> None:
        """A fact recorded after an attempt happens a second later: the rows carry
        times, not the order of events within one instant, and the invariants read
        the rows. (Facts recorded before a request at the same instant, and several
        attempts at one instant, stay possible.)"""
        if self._attempted_at == self.now:
            self.now += SECOND

    def grant_consent(self, c: int, purpose: str, channel: str) -> None:
        self._after_attempts()
        customer = self.customers[c]
        consent_record(
            customer=customer,
            purpose=purpose,
            channel=channel,
            source=ConsentSource.CALL_CENTRE,
            at=self.now,
        )
        self.reference.grant_consent(customer.pk, purpose, channel, self.now)

    def withdraw_consent(self, c: int, purpose: str, channel: str) -> None:
        self._after_attempts()
        customer = self.customers[c]
        consent_withdraw(
            customer=customer, purpose=purpose, channel=channel, at=self.now
        )
        self.reference.withdraw_consent(customer.pk, purpose, channel, self.now)

    def opt_out(self, c: int, source: str) -> None:
        self._after_attempts()
        customer = self.customers[c]
        customer_opt_out(customer=customer, source=source, at=self.now)
        self.reference.opt_out(customer.pk, self.now)

    def fresh_consent(self, c: int, channel: str) -> None:
        self._after_attempts()
        customer = self.customers[c]
        marketing_consent_grant(customer=customer, channel=channel, at=self.now)
        self.reference.fresh_consent(customer.pk, channel, self.now)

    def add_dnc(self, c: int, hours: int | None) -> None:
        self._after_attempts()
        phone = self.phones[self.customers[c].pk]
        until = None if hours is None else self.now + datetime.timedelta(hours=hours)
        DoNotCallEntry.objects.create(
            phone=phone,
            source=DoNotCallSource.CUSTOMER_REQUEST,
            added_at=self.now,
            expires_at=until,
        )
        self.reference.add_dnc(phone, self.now, until)

    def open_complaint(self, c: int) -> int:
        self._after_attempts()
        customer = self.customers[c]
        complaint = Interaction.objects.create(
            customer=customer,
            channel=InteractionChannel.CALL_CENTRE,
            direction=Direction.INBOUND,
            kind=InteractionKind.COMPLAINT,
            outcome=InteractionOutcome.OPEN,
            occurred_at=self.now,
        )
        self.reference.open_complaint(customer.pk, complaint.pk, self.now)
        self.open_complaints.append(complaint.pk)
        return complaint.pk

    def close_complaint(self, complaint_id: int) -> None:
        self._after_attempts()
        Interaction.objects.filter(pk=complaint_id).update(
            outcome=InteractionOutcome.RESOLVED, ended_at=self.now
        )
        self.reference.close_complaint(complaint_id, self.now)
        self.open_complaints.remove(complaint_id)

    def advance(self, delta: datetime.timedelta) -> None:
        self.now += delta

    def advance_to_local(self, province: str, moment: datetime.time) -> None:
        zone = self.spec.zones.get(province, django_settings.TIME_ZONE)
        self.now = _next_local(self.now, zone, moment)

    def edges(self) -> list[datetime.datetime]:
        """Moments after now where a window or cool-off ends: the rolling windows'
        and cool-offs' edges measured from attempts and closed complaints, and one
        second before each."""
        refusal = datetime.timedelta(days=self.spec.refusal_cool_off_days)
        complaint = datetime.timedelta(days=self.spec.complaint_cool_off_days)
        lengths = [DAY, 30 * DAY, refusal]
        starts = list(ContactAttempt.objects.values_list("at", flat=True))
        edges = [s + length for s in starts for length in lengths]
        for ended in Interaction.objects.filter(
            kind=InteractionKind.COMPLAINT, ended_at__isnull=False
        ).values_list("ended_at", flat=True):
            if ended is not None:
                edges.append(ended + complaint)
        both = {e + shift for e in edges for shift in (-SECOND, datetime.timedelta())}
        return sorted(e for e in both if e > self.now)

    def advance_to_edge(self, pick: int) -> None:
        edges = self.edges()
        if edges:
            self.now = edges[pick % len(edges)]

    def move_clock(self, move: tuple[Any, ...]) -> None:
        kind, *args = move
        if kind == "by":
            self.advance(*args)
        elif kind == "to_local":
            self.advance_to_local(*args)
        else:
            self.advance_to_edge(*args)

    def call_list(self, c: int, k: int, queued: bool) -> None:
        if queued:
            self.queue(c, k)
        else:
            self.unqueue(c, k)

    def set_status(self, k: int, status: str) -> None:
        """Approve, pause (back to approved), resume, complete, cancel... saved as
        the services save it, so that the campaign's history keeps it."""
        campaign = Campaign.objects.get(pk=self.campaigns[k])
        campaign.status = status
        campaign.save(update_fields=["status"])
        self.reference.set_campaign_status(self.campaigns[k], status)

    def queue(self, c: int, k: int) -> None:
        """The customer put on the campaign's call list (as a list build does)."""
        customer_id, campaign_id = self.customers[c].pk, self.campaigns[k]
        CampaignMember.objects.update_or_create(
            campaign_id=campaign_id,
            customer_id=customer_id,
            defaults={"group": MemberGroup.TREATMENT, "state": MemberState.QUEUED},
        )
        self.reference.queue(customer_id, campaign_id)

    def unqueue(self, c: int, k: int) -> None:
        customer_id, campaign_id = self.customers[c].pk, self.campaigns[k]
        CampaignMember.objects.filter(
            campaign_id=campaign_id, customer_id=customer_id
        ).update(state=MemberState.DONE)
        self.reference.unqueue(customer_id, campaign_id)

    def _compare(
        self,
        decision: ContactDecision,
        expected: tuple[bool, str],
        what: str,
    ) -> None:
        got = (decision.allowed, decision.rule)
        assert got == expected, (
            f"{what} at {self.now.isoformat()}: engine {got} {decision.detail}, "
            f"reference {expected}"
        )
        self.comparisons[decision.rule] = self.comparisons.get(decision.rule, 0) + 1

    def request_contact(
        self, c: int, k: int, channel: str | None
    ) -> tuple[int, int] | None:
        """``contact_reserve`` as a dialer calls it; (attempt, decision) if allowed."""
        customer_id = self.customers[c].pk
        campaign = Campaign.objects.get(pk=self.campaigns[k])
        channel = channel or campaign.channel
        expected = self.reference.may_contact(
            customer_id, campaign.pk, channel, self.now
        )
        logged = ContactDecision.objects.count()
        decision, attempt = contact_reserve(
            customer=customer_id, campaign=campaign, channel=channel, at=self.now
        )
        self.decisions_asked += 1
        assert ContactDecision.objects.count() == logged + 1
        assert ContactDecision.objects.filter(pk=decision.pk).exists()
        self._compare(decision, expected, f"reserve c{c} k{k} {channel}")
        if attempt is None:
            return None
        assert attempt.decision_id == decision.pk
        self.reference.attempt(customer_id, campaign.pk, channel, self.now, attempt.pk)
        self.reserved.append(attempt.pk)
        self._attempted_at = self.now
        self.allowed.append(decision.pk)
        return attempt.pk, decision.pk

    def campaigns_ask(self, c: int, order: Sequence[int]) -> list[int]:
        """Every campaign, in ``order``, asks for the customer at this moment (they
        compete for the caps' slots); the attempts reserved."""
        made = [self.request_contact(c, k, None) for k in order]
        return [pair[0] for pair in made if pair is not None]

    def call_in_hours(
        self, c: int, moment: datetime.time, order: Sequence[int]
    ) -> list[int]:
        """The next time the customer's address shows ``moment``, the campaigns ask."""
        self.advance_to_local(self.spec.customers[c].address_province, moment)
        return self.campaigns_ask(c, order)

    def call_at_edge(self, c: int, pick: int, order: Sequence[int]) -> list[int]:
        """At a rolling window's or cool-off's edge, the campaigns ask."""
        self.advance_to_edge(pick)
        return self.campaigns_ask(c, order)

    def call_while_queued_elsewhere(
        self, c: int, other: int, moment: datetime.time, order: Sequence[int]
    ) -> list[int]:
        """The customer waits on a campaign's call list (rule 10), and the campaigns
        ask in office hours."""
        self.queue(c, other)
        return self.call_in_hours(c, moment, order)

    def list_build_check(self, c: int, k: int) -> None:
        """The list-build question (no minute yet) for the campaign's channel."""
        customer_id = self.customers[c].pk
        campaign = Campaign.objects.get(pk=self.campaigns[k])
        expected = self.reference.may_contact(
            customer_id,
            campaign.pk,
            campaign.channel,
            self.now,
            DecisionStage.LIST_BUILD,
        )
        logged = ContactDecision.objects.count()
        decision = may_contact(
            customer_id,
            campaign,
            campaign.channel,
            self.now,
            stage=DecisionStage.LIST_BUILD,
        )
        self.decisions_asked += 1
        assert ContactDecision.objects.count() == logged + 1
        self._compare(decision, expected, f"list build c{c} k{k}")

    def record_outcome(self, attempt_id: int, outcome: str) -> None:
        self._after_attempts()
        attempt = ContactAttempt.objects.get(pk=attempt_id)
        call_outcome_record(
            attempt=attempt, outcome=outcome, by=self.agent, at=self.now
        )
        self.reference.outcome(attempt_id, outcome, self.now)
        self.reserved.remove(attempt_id)

    def replay(self, pick: int) -> None:
        """CP-T6: an allowed contact, replayed from the records as they stand now,
        gets the same decision on the same evidence (consent, zones, counts)."""
        if not self.allowed:
            return
        logged = ContactDecision.objects.get(pk=self.allowed[pick % len(self.allowed)])
        replayed = decision_replay(logged)
        assert (replayed.allowed, replayed.rule, replayed.detail) == (
            True,
            PolicyRule.ALLOWED,
            logged.detail,
        ), f"replay of decision {logged.pk} at {logged.at.isoformat()}: {replayed}"

    # -- a stream of events (the plain differential test, CP-T6) -----------------------

    def apply(self, event: tuple[Any, ...]) -> None:
        """One event of ``events()``: a method's name and its arguments (an outcome
        and a complaint's closing pick among those open), then the invariants."""
        kind, *args = event
        if kind == "outcome":
            if self.reserved:
                self.record_outcome(
                    self.reserved[args[0] % len(self.reserved)], args[1]
                )
        elif kind == "complaint_close":
            if self.open_complaints:
                self.close_complaint(
                    self.open_complaints[args[0] % len(self.open_complaints)]
                )
        else:
            getattr(self, kind)(*args)
        assert_no_rule_broken(self)


customer_indexes = st.integers(0, N_CUSTOMERS - 1)
campaign_indexes = st.integers(0, N_CAMPAIGNS - 1)
campaign_orders = st.permutations(range(N_CAMPAIGNS))
purposes = st.sampled_from(
    [ConsentPurpose.MARKETING, ConsentPurpose.PROFILING, ConsentPurpose.THIRD_PARTY]
)
consent_channels = st.sampled_from(ConsentChannel.values)
# A fresh consent, mostly for the channels the campaigns use.
fresh_channels = st.sampled_from(
    [
        ConsentChannel.ANY,
        ConsentChannel.ANY,
        ConsentChannel.PHONE_CALL,
        ConsentChannel.SMS,
        ConsentChannel.EMAIL,
        ConsentChannel.APP_PUSH,
    ]
)
# Mostly the campaign's own channel (None), sometimes any channel.
request_channels = st.sampled_from((None,) * 6 + tuple(CampaignChannel.values))
durations = st.one_of(
    st.integers(1, 180).map(lambda n: datetime.timedelta(minutes=n)),
    st.integers(1, 48).map(lambda n: datetime.timedelta(hours=n)),
    st.integers(1, 3).map(lambda n: datetime.timedelta(days=n)),
    st.integers(4, 40).map(lambda n: datetime.timedelta(days=n)),
)
# A clock move (``World.move_clock``): by a duration, to a local time somewhere, or
# to the next edge of a rolling window or cool-off.
clock_moves = st.one_of(
    st.tuples(st.just("by"), durations),
    st.tuples(
        st.just("to_local"), st.sampled_from(PROVINCES), st.sampled_from(LOCAL_MOMENTS)
    ),
    st.tuples(st.just("to_edge"), st.integers(0, 20)),
)
# Mostly back to running (or pilot): an inactive campaign decides nothing else.
statuses = st.sampled_from(
    [CampaignStatus.RUNNING] * 6
    + [CampaignStatus.PILOT] * 3
    + [s for s in CampaignStatus.values if s not in ("running", "pilot")]
)
# Mostly entries that expire (an entry for good ends every contact by phone).
dnc_hours = st.one_of(
    st.integers(1, 72), st.integers(1, 72), st.integers(1, 24 * 40), st.none()
)


def events() -> st.SearchStrategy[tuple[Any, ...]]:
    """One event of a random stream, in ``World.apply``'s terms."""
    request = st.tuples(
        st.just("request_contact"), customer_indexes, campaign_indexes, request_channels
    )
    return st.one_of(
        request,
        st.tuples(
            st.just("call_in_hours"),
            customer_indexes,
            st.sampled_from(IN_HOURS),
            campaign_orders,
        ),
        st.tuples(
            st.just("call_at_edge"),
            customer_indexes,
            st.integers(0, 20),
            campaign_orders,
        ),
        st.tuples(
            st.just("call_while_queued_elsewhere"),
            customer_indexes,
            campaign_indexes,
            st.sampled_from(IN_HOURS),
            campaign_orders,
        ),
        st.tuples(
            st.just("grant_consent"), customer_indexes, purposes, consent_channels
        ),
        st.tuples(
            st.just("withdraw_consent"), customer_indexes, purposes, consent_channels
        ),
        st.tuples(
            st.just("opt_out"), customer_indexes, st.sampled_from(OptOutSource.values)
        ),
        st.tuples(st.just("fresh_consent"), customer_indexes, fresh_channels),
        st.tuples(st.just("add_dnc"), customer_indexes, dnc_hours),
        st.tuples(st.just("open_complaint"), customer_indexes),
        st.tuples(st.just("complaint_close"), st.integers(0, 9)),
        st.tuples(st.just("move_clock"), clock_moves),
        st.tuples(st.just("set_status"), campaign_indexes, statuses),
        st.tuples(
            st.just("call_list"), customer_indexes, campaign_indexes, st.booleans()
        ),
        st.tuples(st.just("list_build_check"), customer_indexes, campaign_indexes),
        st.tuples(st.just("replay"), st.integers(0, 50)),
        st.tuples(st.just("outcome"), st.integers(0, 9), st.sampled_from(OUTCOMES)),
    )


# -- the invariants, on the rows as they stand ----------------------------------------


def _in_force(
    start: datetime.datetime, end: datetime.datetime | None, at: datetime.datetime
) -> bool:
    return start <= at and (end is None or at < end)


def _window_open(at: datetime.datetime, province: str, standing: Standing) -> bool:
    zone = standing.zones.get(province, django_settings.TIME_ZONE)
    local = at.astimezone(ZoneInfo(zone))
    day = local.date()
    if (day, "") in standing.holidays or (day, province) in standing.holidays:
        return False
    mine = [w for w in standing.windows if w[0] == province] or [
        w for w in standing.windows if w[0] == ""
    ]
    moment = local.time().replace(tzinfo=None)
    return any(
        (weekday is None or weekday == local.weekday()) and start <= moment < end
        for _, weekday, start, end in mine
    )


def _describe(attempt: ContactAttempt) -> str:
    return (
        f"attempt {attempt.pk} customer {attempt.customer_id} campaign "
        f"{attempt.campaign_id} {attempt.channel} at {attempt.at.isoformat()}"
    )


@dataclass(frozen=True)
class Standing:
    """What the invariants read once per world: the policy's settings and the
    customers' provinces and numbers (none of them changes during a run)."""

    caps: tuple[FrequencyCap, ...]
    refusal_cool_off: datetime.timedelta
    complaint_cool_off: datetime.timedelta
    zones: dict[str, str]
    windows: tuple[tuple[str, int | None, datetime.time, datetime.time], ...]
    holidays: frozenset[tuple[datetime.date, str]]
    provinces: dict[int, frozenset[str]]
    phones: dict[int, frozenset[str]]


def standing_load(customers: Sequence[Customer]) -> Standing:
    numbers = PolicySettings.objects.get(pk=1)
    provinces: dict[int, set[str]] = {c.pk: set() for c in customers}
    phones: dict[int, set[str]] = {c.pk: set() for c in customers}
    for customer_id, province, phone in ContactMedium.objects.filter(
        party__customer__in=customers
    ).values_list("party__customer", "province", "phone"):
        if province:
            provinces[customer_id].add(province)
        if phone:
            phones[customer_id].add(phone)
    return Standing(
        caps=tuple(FrequencyCap.objects.filter(active=True)),
        refusal_cool_off=datetime.timedelta(days=numbers.refusal_cool_off_days),
        complaint_cool_off=datetime.timedelta(days=numbers.complaint_cool_off_days),
        zones=dict(RegionTimeZone.objects.values_list("province", "time_zone")),
        windows=tuple(
            CallingWindow.objects.values_list(
                "province", "weekday", "starts_at", "ends_at"
            )
        ),
        holidays=frozenset(Holiday.objects.values_list("date", "province")),
        provinces={cid: frozenset(found or {""}) for cid, found in provinces.items()},
        phones={cid: frozenset(found) for cid, found in phones.items()},
    )


def _grouped(rows: Iterable[tuple[Any, ...]]) -> dict[Any, list[tuple[Any, ...]]]:
    """Rows by their first column (a customer, a phone number)."""
    grouped: dict[Any, list[tuple[Any, ...]]] = {}
    for customer_id, *rest in rows:
        grouped.setdefault(customer_id, []).append(tuple(rest))
    return grouped


def assert_no_rule_broken(world: World) -> None:
    """Every attempt on record respected every rule at its moment, and every
    decision asked is logged once (CP-T1's invariants, read from the rows)."""
    assert ContactDecision.objects.count() == world.decisions_asked
    all_attempts = list(
        ContactAttempt.objects.select_related("campaign", "decision").order_by(
            "at", "pk"
        )
    )
    if not all_attempts:
        return
    standing = world.standing
    suppressions = _grouped(
        ContactSuppression.objects.values_list("customer", "since", "lifted_at")
    )
    dnc = _grouped(
        DoNotCallEntry.objects.values_list("phone", "added_at", "expires_at")
    )
    consents = _grouped(
        Consent.objects.values_list(
            "customer", "purpose", "channel", "granted_at", "withdrawn_at"
        )
    )
    complaints = _grouped(
        Interaction.objects.filter(kind=InteractionKind.COMPLAINT).values_list(
            "customer", "occurred_at", "ended_at"
        )
    )
    refusal_cool_off = standing.refusal_cool_off
    complaint_cool_off = standing.complaint_cool_off
    for customer in world.customers:
        attempts = [a for a in all_attempts if a.customer_id == customer.pk]
        provinces = standing.provinces[customer.pk]
        numbers = [
            entry
            for phone in standing.phones[customer.pk]
            for entry in dnc.get(phone, [])
        ]
        for attempt in attempts:
            at, what = attempt.at, _describe(attempt)
            decision = attempt.decision
            assert (
                decision.allowed,
                decision.rule,
                decision.stage,
                decision.customer_id,
                decision.campaign_id,
                decision.channel,
                decision.at,
            ) == (
                True,
                PolicyRule.ALLOWED,
                DecisionStage.CONTACT,
                attempt.customer_id,
                attempt.campaign_id,
                attempt.channel,
                at,
            ), what
            campaign = attempt.campaign
            day = at.astimezone(ZoneInfo(django_settings.TIME_ZONE)).date()
            assert attempt.channel == campaign.channel, what
            assert campaign.starts_on <= day <= campaign.ends_on, what
            # Rule 7: inside the window in every zone the customer lives in.
            if attempt.channel in TIMED_CHANNELS:
                for province in provinces:
                    assert _window_open(at, province, standing), (
                        f"{what}: outside calling hours in {province}"
                    )
            # Rule 8: no rolling window ending at an attempt holds more than its cap.
            for cap in standing.caps:
                if cap.channel not in ("", attempt.channel):
                    continue
                counted = [
                    a
                    for a in attempts
                    if cap.channel in ("", a.channel) and at - cap.window < a.at <= at
                ]
                assert len(counted) <= cap.max_attempts, f"{what}: over {cap.name}"
            # Rule 2: not while suppressed, not to a number on the do-not-call list.
            for since, lifted in suppressions.get(customer.pk, []):
                assert not _in_force(since, lifted, at), f"{what}: suppressed"
            if attempt.channel in TIMED_CHANNELS:
                for added, expires in numbers:
                    assert not _in_force(added, expires, at), f"{what}: do not call"
            # Rule 6: no refusal known at the time within its cool-off, no complaint.
            for earlier in attempts:
                refused = (
                    earlier.pk != attempt.pk
                    and earlier.outcome == ContactOutcome.REFUSED
                    and earlier.outcome_at is not None
                    and earlier.outcome_at <= at
                )
                assert not (
                    refused and earlier.at <= at < earlier.at + refusal_cool_off
                ), f"{what}: within the refusal cool-off of {earlier.pk}"
            for occurred, ended in complaints.get(customer.pk, []):
                until = None if ended is None else ended + complaint_cool_off
                assert not _in_force(occurred, until, at), f"{what}: complaint"
            # Rules 4 and 5: valid consents for the purpose and channel.
            needed = (CONSENT_CHANNEL_OF[CampaignChannel(attempt.channel)], "any")
            assert any(
                purpose == ConsentPurpose.MARKETING
                and channel in needed
                and _in_force(granted, withdrawn, at)
                for purpose, channel, granted, withdrawn in consents.get(
                    customer.pk, []
                )
            ), f"{what}: no marketing consent"
            if campaign.uses_usage_data:
                assert any(
                    purpose == ConsentPurpose.PROFILING
                    and _in_force(granted, withdrawn, at)
                    for purpose, _, granted, withdrawn in consents.get(customer.pk, [])
                ), f"{what}: no profiling consent"


# -- CP-T1 and CP-T2: the state machine ------------------------------------------------


class ContactPolicyMachine(RuleBasedStateMachine):
    """Random interleavings on the real engine; every example in its own savepoint,
    rolled back at teardown."""

    reserved = Bundle("reserved")
    complaints = Bundle("complaints")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._world: World | None = None

    @property
    def world(self) -> World:
        assert self._world is not None
        return self._world

    @initialize(spec=world_specs())
    def build(self, spec: WorldSpec) -> None:
        self._world = World(spec)

    @rule(c=customer_indexes, purpose=purposes, channel=consent_channels)
    def grant_consent(self, c: int, purpose: str, channel: str) -> None:
        self.world.grant_consent(c, purpose, channel)

    @rule(c=customer_indexes, purpose=purposes, channel=consent_channels)
    def withdraw_consent(self, c: int, purpose: str, channel: str) -> None:
        self.world.withdraw_consent(c, purpose, channel)

    @rule(c=customer_indexes, source=st.sampled_from(OptOutSource.values))
    def opt_out(self, c: int, source: str) -> None:
        self.world.opt_out(c, source)

    @rule(c=customer_indexes, channel=fresh_channels)
    def fresh_consent(self, c: int, channel: str) -> None:
        self.world.fresh_consent(c, channel)

    @rule(c=customer_indexes, hours=dnc_hours)
    def add_dnc(self, c: int, hours: int | None) -> None:
        self.world.add_dnc(c, hours)

    @rule(target=complaints, c=customer_indexes)
    def open_complaint(self, c: int) -> int:
        return self.world.open_complaint(c)

    @rule(complaint=consumes(complaints))
    def close_complaint(self, complaint: int) -> None:
        self.world.close_complaint(complaint)

    @rule(move=clock_moves)
    def advance_clock(self, move: tuple[Any, ...]) -> None:
        self.world.move_clock(move)

    @rule(k=campaign_indexes, status=statuses)
    def change_campaign_status(self, k: int, status: str) -> None:
        self.world.set_status(k, status)

    @rule(c=customer_indexes, k=campaign_indexes, queued=st.booleans())
    def put_on_or_take_off_call_list(self, c: int, k: int, queued: bool) -> None:
        self.world.call_list(c, k, queued)

    @rule(
        target=reserved,
        c=customer_indexes,
        k=campaign_indexes,
        channel=request_channels,
    )
    def request_contact(self, c: int, k: int, channel: str | None) -> Any:
        made = self.world.request_contact(c, k, channel)
        return multiple() if made is None else made[0]

    @rule(
        target=reserved,
        c=customer_indexes,
        moment=st.sampled_from(IN_HOURS),
        order=campaign_orders,
    )
    def request_contact_in_office_hours(
        self, c: int, moment: datetime.time, order: list[int]
    ) -> Any:
        return multiple(*self.world.call_in_hours(c, moment, order))

    @rule(
        target=reserved,
        c=customer_indexes,
        pick=st.integers(0, 20),
        order=campaign_orders,
    )
    def request_contact_at_an_edge(self, c: int, pick: int, order: list[int]) -> Any:
        return multiple(*self.world.call_at_edge(c, pick, order))

    @rule(
        target=reserved,
        c=customer_indexes,
        other=campaign_indexes,
        moment=st.sampled_from(IN_HOURS),
        order=campaign_orders,
    )
    def request_contact_while_queued_elsewhere(
        self, c: int, other: int, moment: datetime.time, order: list[int]
    ) -> Any:
        return multiple(
            *self.world.call_while_queued_elsewhere(c, other, moment, order)
        )

    @rule(c=customer_indexes, k=campaign_indexes)
    def ask_at_list_build(self, c: int, k: int) -> None:
        self.world.list_build_check(c, k)

    @rule(attempt=consumes(reserved), outcome=st.sampled_from(OUTCOMES))
    def record_outcome(self, attempt: int, outcome: str) -> None:
        self.world.record_outcome(attempt, outcome)

    @rule(pick=st.integers(0, 50))
    def replay_an_allowed_contact(self, pick: int) -> None:
        self.world.replay(pick)

    @invariant()
    def no_rule_broken(self) -> None:
        if self._world is not None:
            assert_no_rule_broken(self._world)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)


@pytest.mark.django_db
def test_no_interleaving_breaks_a_rule_and_the_reference_agrees() -> None:
    run_state_machine_as_test(
        ContactPolicyMachine,
        settings=settings(
            max_examples=80,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=world_specs(), stream=st.lists(events(), min_size=5, max_size=60))
def test_the_reference_agrees_on_random_streams(
    spec: WorldSpec, stream: list[tuple[Any, ...]]
) -> None:
    with transaction.atomic():
        world = World(spec)
        for event in stream:
            world.apply(event)
        transaction.set_rollback(True)
