"""Database invariants of subscriptions (lines)."""

from __future__ import annotations

import datetime

import pytest
from tests.telcrm.constraint_helpers import assert_db_rejects
from tests.telcrm.factories import SubscriptionFactory

from telcrm.inventory.choices import SubscriptionStatus
from telcrm.inventory.models import Subscription

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        (
            {"status": "terminated", "end_date": D(2020, 12, 31)},
            "subscription_end_after_start",
        ),
        ({"contract_end": D(2020, 6, 1)}, "subscription_contract_after_start"),
        ({"status": "ported_out"}, "subscription_ported_out_has_details"),
        ({"status": "terminated"}, "subscription_terminated_has_end"),
        ({"end_date": D(2022, 1, 1)}, "subscription_live_has_no_end"),
        ({"status": "cancelled"}, "subscription_status_known"),
    ],
)
def test_it_rejects_inconsistent_status_and_dates(
    fields: dict[str, object], constraint: str
) -> None:
    assert_db_rejects(Subscription, lambda: SubscriptionFactory(**fields), constraint)


def test_it_accepts_a_port_out_with_only_the_receiving_operator() -> None:
    line = SubscriptionFactory(
        status=SubscriptionStatus.PORTED_OUT, port_out_operator="中国联通"
    )
    assert Subscription.objects.get(pk=line.pk).port_out_operator == "中国联通"


def test_it_rejects_a_second_active_line_with_the_same_number() -> None:
    SubscriptionFactory(service_number="13800138000")
    assert_db_rejects(
        Subscription,
        lambda: SubscriptionFactory(service_number="13800138000"),
        "subscription_active_number_unique",
    )


def test_it_lets_a_number_be_reused_after_its_line_ended() -> None:
    SubscriptionFactory(
        service_number="13800138000",
        status=SubscriptionStatus.TERMINATED,
        end_date=D(2022, 1, 1),
    )
    SubscriptionFactory(service_number="13800138000")

    assert Subscription.objects.filter(service_number="13800138000").count() == 2


def test_add_ons_share_the_number_of_the_line_they_sit_on() -> None:
    line = SubscriptionFactory(service_number="13800138000")

    addon = SubscriptionFactory(
        service_number="13800138000", customer=line.customer, parent=line
    )

    assert list(line.addons.all()) == [addon]
    assert Subscription.objects.filter(service_number="13800138000").count() == 2


def test_it_rejects_a_line_that_is_its_own_add_on() -> None:
    line = SubscriptionFactory(service_number="13800138000")

    def make_own_addon() -> None:
        Subscription.objects.filter(pk=line.pk).update(parent=line.pk)

    assert_db_rejects(Subscription, make_own_addon, "subscription_not_its_own_addon")
    assert Subscription.objects.get(pk=line.pk).parent_id is None
