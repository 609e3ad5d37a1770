"""The daily call lists decide each campaign's members in call order only until the
seats are full (``telcrm.campaigns.lists``)."""

from __future__ import annotations

import datetime

import pytest
from tests.telcrm.campaigns.helpers import reachable_customer, running_campaign
from tests.telcrm.factories import UserFactory

from telcrm.campaigns import lists
from telcrm.campaigns.choices import MemberGroup, MemberState, PolicyRule
from telcrm.campaigns.lists import call_lists_build
from telcrm.campaigns.models import (
    AgentCapacity,
    Campaign,
    CampaignMember,
    ContactDecision,
)
from telcrm.customers.models import Customer
from telcrm.users.choices import Role

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 16)  # a Monday, no holiday


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decide as few members at a time as the seats want, so that a handful of
    members shows where a build stops."""
    monkeypatch.setattr(lists, "MIN_DECISION_BATCH", 1)


def seats(calls: int) -> None:
    AgentCapacity.objects.create(
        agent=UserFactory(role=Role.AGENT), calls_per_day=calls
    )


def enrol(campaign: Campaign, customers: list[Customer]) -> list[CampaignMember]:
    return [
        CampaignMember.objects.create(
            campaign=campaign, customer=customer, group=MemberGroup.TREATMENT
        )
        for customer in customers
    ]


def decided_customers(campaign: Campaign) -> list[int]:
    return sorted(
        ContactDecision.objects.filter(campaign=campaign).values_list(
            "customer_id", flat=True
        )
    )


def test_a_list_stops_deciding_when_its_allowed_members_fill_the_seats(
    small_batches: None,
) -> None:
    seats(2)
    campaign = running_campaign()
    no_consent = reachable_customer(channels=())
    reachable = [reachable_customer() for _ in range(5)]
    members = enrol(campaign, [no_consent, *reachable])

    report = call_lists_build(day=TODAY)

    # Two seats wanted: the first two decided give one; one more fills the seats.
    (result,) = report.results
    assert (result.eligible, result.decided, result.allowed, result.queued) == (
        6,
        3,
        2,
        2,
    )
    assert result.denied == {PolicyRule.CONSENT: 1}
    assert decided_customers(campaign) == [
        no_consent.pk,
        reachable[0].pk,
        reachable[1].pk,
    ]
    states = {
        m.customer_id: (m.state, m.last_denied_rule)
        for m in CampaignMember.objects.filter(pk__in=[m.pk for m in members])
    }
    assert states == {
        no_consent.pk: (MemberState.PENDING, PolicyRule.CONSENT),
        reachable[0].pk: (MemberState.QUEUED, ""),
        reachable[1].pk: (MemberState.QUEUED, ""),
        **{c.pk: (MemberState.PENDING, "") for c in reachable[2:]},
    }


def test_tomorrows_build_goes_on_from_the_members_not_yet_called(
    small_batches: None,
) -> None:
    seats(2)
    campaign = running_campaign()
    customers = [reachable_customer() for _ in range(5)]
    enrol(campaign, customers)
    call_lists_build(day=TODAY)
    # The agent calls today's list; both calls are done.
    CampaignMember.objects.filter(state=MemberState.QUEUED).update(
        state=MemberState.DONE
    )

    report = call_lists_build(day=TODAY + datetime.timedelta(days=1))

    assert (report.results[0].decided, report.results[0].queued) == (2, 2)
    queued = CampaignMember.objects.filter(state=MemberState.QUEUED)
    assert sorted(queued.values_list("customer_id", flat=True)) == [
        customers[2].pk,
        customers[3].pk,
    ]


def test_call_backs_due_today_are_offered_a_seat_first(small_batches: None) -> None:
    seats(1)
    campaign = running_campaign()
    first, second, asked_to_be_called = (reachable_customer() for _ in range(3))
    *_, callback = enrol(campaign, [first, second, asked_to_be_called])
    callback.callback_at = datetime.datetime(2026, 11, 16, 7, 30, tzinfo=datetime.UTC)
    callback.save()

    report = call_lists_build(day=TODAY)

    assert (report.results[0].decided, report.results[0].queued) == (1, 1)
    assert CampaignMember.objects.get(state=MemberState.QUEUED) == callback


def test_a_call_back_for_a_later_day_waits_for_that_day() -> None:
    seats(5)
    campaign = running_campaign()
    member, later = enrol(campaign, [reachable_customer(), reachable_customer()])
    later.callback_at = datetime.datetime(2026, 11, 17, 7, 30, tzinfo=datetime.UTC)
    later.save()

    report = call_lists_build(day=TODAY)

    assert (report.results[0].eligible, report.results[0].queued) == (1, 1)
    assert CampaignMember.objects.get(state=MemberState.QUEUED) == member


def test_a_campaign_ranked_after_the_seats_are_full_decides_nobody() -> None:
    seats(2)
    first = running_campaign(priority=8)
    second = running_campaign(priority=3)
    enrol(first, [reachable_customer() for _ in range(3)])
    enrol(second, [reachable_customer() for _ in range(4)])

    report = call_lists_build(day=TODAY)

    assert [
        (r.code, r.eligible, r.decided, r.allowed, r.queued) for r in report.results
    ] == [(first.code, 3, 3, 3, 2), (second.code, 4, 0, 0, 0)]
    assert decided_customers(second) == []
    assert (
        CampaignMember.objects.filter(
            campaign=second, state=MemberState.PENDING
        ).count()
        == 4
    )
