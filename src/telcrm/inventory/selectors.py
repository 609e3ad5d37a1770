"""Reads of the inventory app."""

from __future__ import annotations

from django.db.models import QuerySet

from telcrm.inventory.choices import SubscriptionStatus
from telcrm.inventory.models import Subscription


def subscription_active_by_number(service_number: str) -> Subscription | None:
    """The active line with this MSISDN or line id, if any (at most one exists)."""
    return Subscription.objects.filter(
        service_number=service_number, status=SubscriptionStatus.ACTIVE
    ).first()


def subscriptions_of_customer(customer_id: int) -> QuerySet[Subscription]:
    """A customer's lines, live ones first, with their offering."""
    return (
        Subscription.objects.filter(customer_id=customer_id)
        .select_related("offering")
        .order_by("status", "-start_date")
    )
