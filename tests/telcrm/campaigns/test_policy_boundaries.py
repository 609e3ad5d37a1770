"""CP-T3, CP-T5 and CP-T6 on the real engine: the rules at their exact edges, an
opt-out through every channel, and allowed contacts replayed from the records.

Local times are built in the customer's zone and handed to the engine as instants;
every expectation is an exact rule and, where the log carries one, the exact detail.
"""

from __future__ import annotations

import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.telcrm.campaigns.helpers import (
    MONDAY_10,
    reachable_customer,
    running_campaign,
)
from tests.telcrm.campaigns.test_policy_stateful import World, events, world_specs
from tests.telcrm.factories import UserFactory

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
    RegionTimeZone,
)
from telcrm.campaigns.policy import contact_reserve, decision_replay, may_contact
from telcrm.campaigns.services import call_outcome_record, customer_opt_out
from telcrm.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentStatus,
    Direction,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
)
from telcrm.customers.models import Consent, Customer, Interaction
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db
CALL = CampaignChannel.OUTBOUND_CALL
SECOND = datetime.timedelta(seconds=1)
DAY = datetime.timedelta(days=1)
PARIS, NEW_YORK, XINJIANG = "Île-de-France", "New York", "新疆维吾尔自治区"
ZONE_OF = {PARIS: "Europe/Paris", NEW_YORK: "America/New_York", XINJIANG: "Asia/Urumqi"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def autumn_campaign() -> Campaign:
    """A campaign running from September to January (the DST switches, the refusals
    of September)."""
    return running_campaign(
        starts_on=datetime.date(2026, 9, 1), ends_on=datetime.date(2027, 1, 31)
    )


@pytest.fixture
def zones() -> None:
    for province, zone in ZONE_OF.items():
        RegionTimeZone.objects.create(province=province, time_zone=zone)


def customer_in(
    address: str, phone: str = "", channels: tuple[str, ...] = (ConsentChannel.ANY,)
) -> Customer:
    """A reachable customer whose address lies in ``address`` and whose number's
    region is ``phone`` (none when empty)."""
    customer = reachable_customer(province=address, channels=channels)
    ContactMedium.objects.filter(party=customer.party, kind=ContactKind.PHONE).update(
        province=phone
    )
    return customer


def local(day: datetime.date, clock: str, zone: str) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time.fromisoformat(clock), tzinfo=ZoneInfo(zone)
    )


def agent() -> User:
    return cast(User, UserFactory(role=Role.AGENT))


def cap(channel: str, days: int) -> FrequencyCap:
    return FrequencyCap.objects.get(channel=channel, window_days=days)


def decided(decision: ContactDecision) -> tuple[bool, str]:
    return decision.allowed, decision.rule


# -- CP-T3: calling hours at their edges, across zones and DST switches ---------------

HOUR_EDGES = [
    ("08:59:59", False),
    ("09:00:00", True),
    ("11:59:59", True),
    ("12:00:00", False),
    ("19:59:59", True),
    ("20:00:00", False),
]


@pytest.mark.parametrize(
    ("province", "day"),
    [
        (PARIS, datetime.date(2026, 10, 24)),  # the day before the switch (CEST)
        (PARIS, datetime.date(2026, 10, 25)),  # CEST -> CET at 03:00
        (PARIS, datetime.date(2026, 10, 26)),  # CET
        (NEW_YORK, datetime.date(2026, 10, 31)),  # EDT
        (NEW_YORK, datetime.date(2026, 11, 1)),  # EDT -> EST at 02:00
        (NEW_YORK, datetime.date(2026, 11, 2)),  # EST
    ],
)
@pytest.mark.parametrize(("clock", "allowed"), HOUR_EDGES)
def test_calling_hours_edges_in_the_customers_zone(
    zones: None, province: str, day: datetime.date, clock: str, allowed: bool
) -> None:
    customer = customer_in(province, province)
    at = local(day, clock, ZONE_OF[province])
    decision = may_contact(customer, autumn_campaign(), CALL, at)
    if allowed:
        assert decided(decision) == (True, PolicyRule.ALLOWED)
        assert decision.detail["zones"] == [ZONE_OF[province]]
    else:
        assert decided(decision) == (False, PolicyRule.CALLING_HOURS)
        assert decision.detail == {
            "zone": ZONE_OF[province],
            "local": at.isoformat(),
        }


def test_the_same_instant_is_in_hours_before_the_switch_and_not_after(
    zones: None,
) -> None:
    """07:30 UTC is 09:30 in Paris in summer time and 08:30 in winter time."""
    customer = customer_in(PARIS, PARIS)
    campaign = autumn_campaign()
    summer = datetime.datetime(2026, 10, 24, 7, 30, tzinfo=datetime.UTC)
    winter = datetime.datetime(2026, 10, 25, 7, 30, tzinfo=datetime.UTC)
    assert decided(may_contact(customer, campaign, CALL, summer)) == (
        True,
        PolicyRule.ALLOWED,
    )
    denied = may_contact(customer, campaign, CALL, winter)
    assert decided(denied) == (False, PolicyRule.CALLING_HOURS)
    assert denied.detail["local"] == "2026-10-25T08:30:00+01:00"


@pytest.mark.parametrize(
    ("shanghai", "allowed", "zone"),
    [
        ("10:30:00", False, "Asia/Urumqi"),  # Urumqi 08:30
        ("11:00:00", True, None),  # Urumqi 09:00
        ("11:59:59", True, None),
        ("12:30:00", False, "Asia/Shanghai"),  # Urumqi 10:30: Shanghai at lunch
        ("14:30:00", False, "Asia/Urumqi"),  # Urumqi 12:30
        ("16:00:00", True, None),  # Urumqi 14:00
        ("19:59:59", True, None),
        ("20:00:00", False, "Asia/Shanghai"),  # Urumqi 18:00
    ],
)
def test_address_and_number_in_different_zones_the_stricter_window_wins(
    zones: None, shanghai: str, allowed: bool, zone: str | None
) -> None:
    customer = customer_in("浙江省", XINJIANG)
    at = local(datetime.date(2026, 11, 16), shanghai, "Asia/Shanghai")
    decision = may_contact(customer, running_campaign(), CALL, at)
    if allowed:
        assert decided(decision) == (True, PolicyRule.ALLOWED)
        assert decision.detail["zones"] == ["Asia/Shanghai", "Asia/Urumqi"]
    else:
        assert decided(decision) == (False, PolicyRule.CALLING_HOURS)
        assert decision.detail["zone"] == zone


def test_a_holiday_in_the_numbers_province_only_still_stops_the_call(
    zones: None,
) -> None:
    Holiday.objects.create(
        date=datetime.date(2026, 11, 16), province=XINJIANG, name="Regional"
    )
    at = local(datetime.date(2026, 11, 16), "16:00:00", "Asia/Shanghai")
    campaign = running_campaign()
    assert decided(may_contact(customer_in("浙江省"), campaign, CALL, at)) == (
        True,
        PolicyRule.ALLOWED,
    )
    decision = may_contact(customer_in("浙江省", XINJIANG), campaign, CALL, at)
    assert decided(decision) == (False, PolicyRule.CALLING_HOURS)
    assert decision.detail == {"zone": "Asia/Urumqi", "holiday": "2026-11-16"}


def test_a_holiday_is_a_date_in_the_customers_own_zone(zones: None) -> None:
    """New York's holiday of 16 November is over when Shanghai's 17th begins, and
    holds until New York's midnight."""
    Holiday.objects.create(
        date=datetime.date(2026, 11, 16), province=NEW_YORK, name="Local"
    )
    customer = customer_in(NEW_YORK, NEW_YORK)
    campaign = running_campaign()
    evening = local(datetime.date(2026, 11, 16), "19:30:00", "America/New_York")
    assert evening.astimezone(SHANGHAI).date() == datetime.date(2026, 11, 17)
    decision = may_contact(customer, campaign, CALL, evening)
    assert decision.detail == {"zone": "America/New_York", "holiday": "2026-11-16"}
    morning = local(datetime.date(2026, 11, 17), "09:00:00", "America/New_York")
    assert decided(may_contact(customer, campaign, CALL, morning)) == (
        True,
        PolicyRule.ALLOWED,
    )


def test_a_list_is_built_for_the_operators_date_in_every_zone(zones: None) -> None:
    """A list for 16 November is built at Shanghai's midnight, still the 15th in
    Urumqi: the 16th is the day checked there too."""
    Holiday.objects.create(
        date=datetime.date(2026, 11, 16), province=XINJIANG, name="Regional"
    )
    Holiday.objects.create(
        date=datetime.date(2026, 11, 15), province=NEW_YORK, name="Local"
    )
    campaign = running_campaign()
    build = local(datetime.date(2026, 11, 16), "00:00:00", "Asia/Shanghai")
    assert build.astimezone(ZoneInfo("Asia/Urumqi")).day == 15

    def at_list_build(customer: Customer) -> tuple[bool, str]:
        decision = may_contact(
            customer, campaign, CALL, build, stage=DecisionStage.LIST_BUILD
        )
        return decided(decision)

    assert at_list_build(customer_in(XINJIANG, XINJIANG)) == (
        False,
        PolicyRule.CALLING_HOURS,
    )
    # New York's holiday of the 15th is over: the list is for the 16th, a Monday.
    assert at_list_build(customer_in(NEW_YORK, NEW_YORK)) == (
        True,
        PolicyRule.ALLOWED,
    )


FRENCH_HOURS = [
    (weekday, datetime.time(start), datetime.time(end))
    for weekday in range(5)
    for start, end in ((10, 13), (14, 20))
]


@pytest.mark.parametrize(
    ("day", "clock", "allowed"),
    [
        (datetime.date(2026, 11, 16), "09:30:00", False),  # the default would allow
        (datetime.date(2026, 11, 16), "09:59:59", False),
        (datetime.date(2026, 11, 16), "10:00:00", True),
        (datetime.date(2026, 11, 16), "12:30:00", True),  # the default would deny
        (datetime.date(2026, 11, 16), "12:59:59", True),
        (datetime.date(2026, 11, 16), "13:00:00", False),
        (datetime.date(2026, 11, 20), "19:59:59", True),  # Friday
        (datetime.date(2026, 11, 21), "10:30:00", False),  # Saturday: no window
    ],
)
def test_a_provinces_own_windows_replace_the_default(
    zones: None, day: datetime.date, clock: str, allowed: bool
) -> None:
    for weekday, start, end in FRENCH_HOURS:
        CallingWindow.objects.create(
            province=PARIS, weekday=weekday, starts_at=start, ends_at=end
        )
    customer = customer_in(PARIS)
    at = local(day, clock, "Europe/Paris")
    decision = may_contact(customer, running_campaign(), CALL, at)
    expected = PolicyRule.ALLOWED if allowed else PolicyRule.CALLING_HOURS
    assert decided(decision) == (allowed, expected)


def test_province_windows_leave_other_provinces_on_the_default(zones: None) -> None:
    for weekday, start, end in FRENCH_HOURS:
        CallingWindow.objects.create(
            province=PARIS, weekday=weekday, starts_at=start, ends_at=end
        )
    campaign = running_campaign()
    saturday = local(datetime.date(2026, 11, 21), "10:30:00", "Asia/Shanghai")
    assert decided(may_contact(customer_in("浙江省"), campaign, CALL, saturday)) == (
        True,
        PolicyRule.ALLOWED,
    )
    # At list build a day with no window at all is already a denial.
    parisian = customer_in(PARIS)
    build = may_contact(
        parisian, campaign, CALL, saturday, stage=DecisionStage.LIST_BUILD
    )
    assert decided(build) == (False, PolicyRule.CALLING_HOURS)
    monday_night = local(datetime.date(2026, 11, 16), "03:00:00", "Europe/Paris")
    assert decided(
        may_contact(
            parisian, campaign, CALL, monday_night, stage=DecisionStage.LIST_BUILD
        )
    ) == (True, PolicyRule.ALLOWED)


# -- CP-T3: rolling windows and cool-offs at their edges ------------------------------


def test_the_thirty_day_window_excludes_the_attempt_made_exactly_thirty_days_ago() -> (
    None
):
    customer = reachable_customer()
    a, b = running_campaign(), running_campaign()
    calls, daily = cap(CALL, 30), cap("", 1)
    first = MONDAY_10
    assert contact_reserve(customer=customer, campaign=a, channel=CALL, at=first)[1]
    # One day later to the second: the first attempt has left the daily window.
    assert may_contact(customer, b, CALL, first + DAY - SECOND).detail == {
        "cap_id": daily.pk,
        "count": 1,
    }
    second, attempt = contact_reserve(
        customer=customer, campaign=b, channel=CALL, at=first + DAY
    )
    assert attempt is not None
    assert second.detail["counts"] == {str(calls.pk): 1, str(daily.pk): 0}
    edge = first + 30 * DAY
    inside = may_contact(customer, a, CALL, edge - SECOND)
    assert decided(inside) == (False, PolicyRule.FREQUENCY_CAP)
    assert inside.detail == {"cap_id": calls.pk, "count": 2}
    at_edge = may_contact(customer, a, CALL, edge)
    assert decided(at_edge) == (True, PolicyRule.ALLOWED)
    assert at_edge.detail["counts"] == {str(calls.pk): 1, str(daily.pk): 0}


@pytest.mark.parametrize(
    ("nth", "allowed", "rule"),
    [
        (1, True, PolicyRule.ALLOWED),
        (2, True, PolicyRule.ALLOWED),
        (3, False, PolicyRule.FREQUENCY_CAP),
    ],
)
def test_the_nth_marketing_call_in_thirty_days(
    nth: int, allowed: bool, rule: str
) -> None:
    """Two calls in 30 days across campaigns; an SMS between them does not count
    against the call cap."""
    customer = reachable_customer()
    campaigns = [running_campaign() for _ in range(nth)]
    sms = running_campaign(channel=CampaignChannel.SMS)
    moments = [MONDAY_10 + 3 * i * DAY for i in range(nth)]
    sent = contact_reserve(
        customer=customer, campaign=sms, channel=CampaignChannel.SMS, at=MONDAY_10 - DAY
    )[1]
    assert sent is not None
    for campaign, at in zip(campaigns[:-1], moments[:-1], strict=True):
        assert contact_reserve(
            customer=customer, campaign=campaign, channel=CALL, at=at
        )[1]
    decision, attempt = contact_reserve(
        customer=customer, campaign=campaigns[-1], channel=CALL, at=moments[-1]
    )
    assert decided(decision) == (allowed, rule)
    assert (attempt is not None) is allowed
    calls = ContactAttempt.objects.filter(customer=customer, channel=CALL).count()
    assert calls == min(nth, 2)


@pytest.mark.parametrize(
    ("after", "allowed"),
    [
        (59 * DAY, False),  # the 60th day after the refusal
        (60 * DAY - SECOND, False),
        (60 * DAY, True),  # the 61st day begins 60 days after
        (61 * DAY, True),
    ],
)
def test_the_refusal_cool_off_ends_sixty_days_after_the_call(
    after: datetime.timedelta, allowed: bool
) -> None:
    customer = reachable_customer()
    first, second = autumn_campaign(), autumn_campaign()
    refused_at = local(datetime.date(2026, 9, 17), "10:00:00", "Asia/Shanghai")
    _, attempt = contact_reserve(
        customer=customer, campaign=first, channel=CALL, at=refused_at
    )
    assert attempt is not None
    call_outcome_record(
        attempt=attempt,
        outcome=ContactOutcome.REFUSED,
        by=agent(),
        at=refused_at + datetime.timedelta(minutes=4),
    )
    decision = may_contact(customer, second, CALL, refused_at + after)
    if allowed:
        assert decided(decision) == (True, PolicyRule.ALLOWED)
    else:
        assert decided(decision) == (False, PolicyRule.COOL_OFF)
        assert decision.detail == {
            "refused_at": refused_at.astimezone(datetime.UTC).isoformat()
        }


def _complaint(customer: Customer, opened: datetime.datetime) -> Interaction:
    return Interaction.objects.create(
        customer=customer,
        channel=InteractionChannel.CALL_CENTRE,
        direction=Direction.INBOUND,
        kind=InteractionKind.COMPLAINT,
        outcome=InteractionOutcome.OPEN,
        occurred_at=opened,
    )


@pytest.mark.parametrize(
    ("closed_before", "allowed"),
    [(14 * DAY - SECOND, False), (14 * DAY, True), (15 * DAY, True)],
)
def test_the_complaint_cool_off_ends_fourteen_days_after_closing(
    closed_before: datetime.timedelta, allowed: bool
) -> None:
    customer = reachable_customer()
    campaign = running_campaign()
    complaint = _complaint(customer, MONDAY_10 - 40 * DAY)
    assert decided(may_contact(customer, campaign, CALL, MONDAY_10)) == (
        False,
        PolicyRule.COOL_OFF,
    )
    complaint.outcome = InteractionOutcome.RESOLVED
    complaint.ended_at = MONDAY_10 - closed_before
    complaint.save()
    decision = may_contact(customer, campaign, CALL, MONDAY_10)
    if allowed:
        assert decided(decision) == (True, PolicyRule.ALLOWED)
    else:
        assert decided(decision) == (False, PolicyRule.COOL_OFF)
        assert decision.detail == {"complaint_id": complaint.pk}


# -- CP-T3: priority between campaigns (rule 10) --------------------------------------


def _queued(customer: Customer, campaign: Campaign) -> CampaignMember:
    return CampaignMember.objects.create(
        campaign=campaign,
        customer=customer,
        group=MemberGroup.TREATMENT,
        state=MemberState.QUEUED,
    )


def _one_call_slot_left(customer: Customer) -> None:
    """One call three days ago: one of the two calls in 30 days is left."""
    earlier = running_campaign()
    _, attempt = contact_reserve(
        customer=customer, campaign=earlier, channel=CALL, at=MONDAY_10 - 3 * DAY
    )
    assert attempt is not None


def test_the_last_slot_goes_to_the_higher_priority_campaigns_queued_contact() -> None:
    customer = reachable_customer()
    _one_call_slot_left(customer)
    high, low = running_campaign(priority=7), running_campaign(priority=5)
    _queued(customer, high)
    denied = may_contact(customer, low, CALL, MONDAY_10)
    assert decided(denied) == (False, PolicyRule.PRIORITY)
    assert denied.detail == {"cap_id": cap(CALL, 30).pk, "count": 1, "queued_ahead": 1}
    assert decided(may_contact(customer, high, CALL, MONDAY_10)) == (
        True,
        PolicyRule.ALLOWED,
    )


def test_a_lower_priority_queued_contact_does_not_hold_the_slot() -> None:
    customer = reachable_customer()
    _one_call_slot_left(customer)
    high, low = running_campaign(priority=7), running_campaign(priority=5)
    _queued(customer, low)
    assert decided(may_contact(customer, high, CALL, MONDAY_10)) == (
        True,
        PolicyRule.ALLOWED,
    )


def test_equal_priorities_the_older_campaign_goes_first() -> None:
    customer = reachable_customer()
    _one_call_slot_left(customer)
    older, newer = running_campaign(priority=6), running_campaign(priority=6)
    assert older.pk < newer.pk
    _queued(customer, older)
    _queued(customer, newer)
    assert decided(may_contact(customer, newer, CALL, MONDAY_10)) == (
        False,
        PolicyRule.PRIORITY,
    )
    assert decided(may_contact(customer, older, CALL, MONDAY_10)) == (
        True,
        PolicyRule.ALLOWED,
    )


def test_a_paused_campaigns_queue_holds_no_slot() -> None:
    customer = reachable_customer()
    _one_call_slot_left(customer)
    paused = running_campaign(priority=9, status=CampaignStatus.APPROVED)
    _queued(customer, paused)
    low = running_campaign(priority=1)
    assert decided(may_contact(customer, low, CALL, MONDAY_10)) == (
        True,
        PolicyRule.ALLOWED,
    )


def test_a_full_cap_denies_as_a_cap_even_when_a_higher_campaign_waits() -> None:
    """Rule 8 comes before rule 10: with today's contact made, the customer is
    capped whoever waits in the queue (the engine said "priority" here)."""
    customer = reachable_customer()
    high, low = running_campaign(priority=7), running_campaign(priority=5)
    _queued(customer, high)
    _, attempt = contact_reserve(
        customer=customer, campaign=high, channel=CALL, at=MONDAY_10
    )
    assert attempt is not None
    afternoon = MONDAY_10 + datetime.timedelta(hours=5)
    denied = may_contact(customer, low, CALL, afternoon)
    assert decided(denied) == (False, PolicyRule.FREQUENCY_CAP)
    assert denied.detail == {"cap_id": cap("", 1).pk, "count": 1}


# -- CP-T5: an opt-out through any channel stops everything at once --------------------

CHANNELS = [
    CampaignChannel.OUTBOUND_CALL,
    CampaignChannel.SMS,
    CampaignChannel.EMAIL,
    CampaignChannel.BUSINESS_HALL,
]


def _every_decision(
    customer: Customer, campaigns: list[Campaign], at: datetime.datetime
) -> list[ContactDecision]:
    return [
        may_contact(customer, campaign, campaign.channel, at, stage=stage)
        for campaign in campaigns
        for stage in (DecisionStage.LIST_BUILD, DecisionStage.CONTACT)
    ]


@pytest.mark.parametrize("source", OptOutSource.values)
def test_an_opt_out_from_any_source_blocks_every_campaign_and_channel_at_once(
    source: str,
) -> None:
    customer = reachable_customer(channels=(ConsentChannel.ANY,))
    campaigns = [running_campaign(channel=channel) for channel in CHANNELS]
    before = MONDAY_10 - SECOND
    assert all(d.allowed for d in _every_decision(customer, campaigns, before))
    for campaign in campaigns:
        _queued(customer, campaign)
    suppression = customer_opt_out(customer=customer, source=source, at=MONDAY_10)
    assert (suppression.source, suppression.since) == (source, MONDAY_10)
    for at in (MONDAY_10, MONDAY_10 + SECOND):
        for decision in _every_decision(customer, campaigns, at):
            assert decided(decision) == (False, PolicyRule.SUPPRESSION)
            assert decision.detail == {"suppression_id": suppression.pk}
    for campaign in campaigns:
        reserved = contact_reserve(
            customer=customer, campaign=campaign, channel=campaign.channel, at=MONDAY_10
        )
        assert reserved[1] is None
    assert not ContactAttempt.objects.filter(customer=customer).exists()
    assert not Consent.objects.filter(
        customer=customer,
        purpose=ConsentPurpose.MARKETING,
        status=ConsentStatus.GRANTED,
    ).exists()
    assert set(
        CampaignMember.objects.filter(customer=customer).values_list("state", flat=True)
    ) == {MemberState.DONE}


def test_an_opt_out_said_to_the_agent_blocks_the_next_request_at_once() -> None:
    customer = reachable_customer(channels=(ConsentChannel.ANY,))
    campaigns = [running_campaign(channel=channel) for channel in CHANNELS]
    _, attempt = contact_reserve(
        customer=customer, campaign=campaigns[0], channel=CALL, at=MONDAY_10
    )
    assert attempt is not None
    said_at = MONDAY_10 + datetime.timedelta(minutes=2)
    call_outcome_record(
        attempt=attempt, outcome=ContactOutcome.OPT_OUT, by=agent(), at=said_at
    )
    suppression = ContactSuppression.objects.get(customer=customer)
    assert (suppression.source, suppression.since) == (OptOutSource.AGENT, said_at)
    for decision in _every_decision(customer, campaigns, said_at):
        assert decided(decision) == (False, PolicyRule.SUPPRESSION)


# -- CP-T6: allowed contacts replay to the same decision on the same evidence ----------


def test_a_refusal_recorded_after_a_contact_does_not_change_its_replay() -> None:
    """The second call was allowed while the first one's outcome was not known;
    the refusal recorded afterwards does not make the replay deny it."""
    customer = reachable_customer()
    a, b = running_campaign(), running_campaign()
    _, first = contact_reserve(
        customer=customer, campaign=a, channel=CALL, at=MONDAY_10
    )
    second, attempt = contact_reserve(
        customer=customer, campaign=b, channel=CALL, at=MONDAY_10 + DAY
    )
    assert first is not None and attempt is not None
    call_outcome_record(
        attempt=first,
        outcome=ContactOutcome.REFUSED,
        by=agent(),
        at=MONDAY_10 + DAY + datetime.timedelta(hours=1),
    )
    replayed = decision_replay(second)
    assert (replayed.allowed, replayed.rule, replayed.detail) == (
        True,
        PolicyRule.ALLOWED,
        second.detail,
    )
    # The next call, after the refusal was known, is in the cool-off.
    third = may_contact(customer, a, CALL, MONDAY_10 + 2 * DAY)
    assert decided(third) == (False, PolicyRule.COOL_OFF)


def test_two_contacts_at_one_instant_each_replay_to_their_own_counts() -> None:
    FrequencyCap.objects.filter(channel="", window_days=1).update(active=False)
    customer = reachable_customer()
    a, b = running_campaign(), running_campaign()
    first, _ = contact_reserve(
        customer=customer, campaign=a, channel=CALL, at=MONDAY_10
    )
    second, _ = contact_reserve(
        customer=customer, campaign=b, channel=CALL, at=MONDAY_10
    )
    calls = str(cap(CALL, 30).pk)
    assert (first.detail["counts"], second.detail["counts"]) == (
        {calls: 0},
        {calls: 1},
    )
    assert decision_replay(first).detail == first.detail
    assert decision_replay(second).detail == second.detail


def test_a_contact_replays_on_the_campaign_as_it_stood_then() -> None:
    """Completed since, or its dates changed: the replay judges the contact on the
    campaign's terms when it was made (its history), not on today's."""
    customer = reachable_customer()
    campaign = running_campaign()
    decision, attempt = contact_reserve(
        customer=customer, campaign=campaign, channel=CALL, at=MONDAY_10
    )
    assert attempt is not None
    campaign.status = CampaignStatus.COMPLETED
    campaign.ends_on = datetime.date(2026, 11, 15)
    campaign.save()
    replayed = decision_replay(ContactDecision.objects.get(pk=decision.pk))
    assert (replayed.allowed, replayed.rule, replayed.detail) == (
        True,
        PolicyRule.ALLOWED,
        decision.detail,
    )


def _evidence_checks(decision: ContactDecision) -> None:
    """The logged inputs can be retrieved and say what the rules need."""
    consent = Consent.objects.get(pk=decision.detail["consent_id"])
    assert consent.customer_id == decision.customer_id
    assert consent.purpose == ConsentPurpose.MARKETING
    assert consent.granted_at <= decision.at
    assert consent.withdrawn_at is None or consent.withdrawn_at > decision.at
    if decision.campaign.uses_usage_data:
        usage = Consent.objects.get(pk=decision.detail["usage_consent_id"])
        assert usage.purpose == ConsentPurpose.PROFILING
        assert usage.granted_at <= decision.at
    provinces = {
        p
        for p in ContactMedium.objects.filter(
            party__customer=decision.customer_id
        ).values_list("province", flat=True)
        if p
    } or {""}
    zone_of = dict(RegionTimeZone.objects.values_list("province", "time_zone"))
    assert decision.detail["zones"] == sorted(
        {zone_of.get(p, "Asia/Shanghai") for p in provinces}
    )
    for cap_id, count in decision.detail["counts"].items():
        rule = FrequencyCap.objects.get(pk=int(cap_id))
        earlier = ContactAttempt.objects.filter(
            customer_id=decision.customer_id,
            decision_id__lt=decision.pk,
            at__gt=decision.at - rule.window,
            at__lte=decision.at,
        )
        if rule.channel:
            earlier = earlier.filter(channel=rule.channel)
        assert earlier.count() == count


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    spec=world_specs(),
    stream=st.lists(events(), min_size=10, max_size=40),
    data=st.data(),
)
def test_a_sample_of_allowed_contacts_replays_to_the_logged_decision(
    spec: Any, stream: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    with transaction.atomic():
        world = World(spec)
        for event in stream:
            world.apply(event)
        if world.allowed:
            sample = data.draw(
                st.lists(
                    st.sampled_from(world.allowed), min_size=1, max_size=5, unique=True
                ),
                label="replayed decisions",
            )
            for decision_id in sample:
                decision = ContactDecision.objects.get(pk=decision_id)
                replayed = decision_replay(decision)
                assert (replayed.allowed, replayed.rule) == (True, PolicyRule.ALLOWED)
                assert replayed.detail == decision.detail
                _evidence_checks(decision)
        transaction.set_rollback(True)
