"""Reads of the customers app."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from telcrm.customers.choices import ConsentChannel, ConsentStatus
from telcrm.customers.models import Consent, Customer, DoNotCallEntry
from telcrm.inventory.choices import SubscriptionStatus
from telcrm.lib.phones import phone_national, phone_normalize
from telcrm.parties.selectors import resident_id_index
from telcrm.users.models import User


def customer_find_by_phone(phone: str) -> QuerySet[Customer]:
    """Customers reachable at ``phone`` (typed in any form) or with it as a live line.

    Raises InvalidPhoneNumber when ``phone`` is not a phone number.
    """
    e164 = phone_normalize(phone)
    return Customer.objects.filter(
        Q(party__contact_media__phone=e164)
        | Q(
            subscriptions__service_number=phone_national(e164),
            subscriptions__status=SubscriptionStatus.ACTIVE,
        )
    ).distinct()


def customer_find_by_id_number(id_number: str) -> QuerySet[Customer]:
    """Customers whose party holds this resident ID number (exact, via blind index)."""
    return Customer.objects.filter(
        party__individual__id_number_index=resident_id_index(id_number)
    )


def customer_find_by_name(prefix: str) -> QuerySet[Customer]:
    """Customers whose name starts with ``prefix`` (served by the ``name`` index)."""
    return Customer.objects.filter(party__name__startswith=prefix)


def customers_of_manager(manager: User) -> QuerySet[Customer]:
    """The customers an account manager owns."""
    return Customer.objects.filter(account_manager=manager)


def consent_is_granted(*, customer: Customer, purpose: str, channel: str) -> bool:
    """True when a current consent covers ``purpose`` over ``channel`` (or any)."""
    return Consent.objects.filter(
        customer=customer,
        purpose=purpose,
        channel__in=[channel, ConsentChannel.ANY],
        status=ConsentStatus.GRANTED,
    ).exists()


def dnc_is_listed(phone: str, *, at: datetime.datetime | None = None) -> bool:
    """True when ``phone`` is on the do-not-call list at time ``at`` (default now)."""
    moment = at or timezone.now()
    return DoNotCallEntry.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=moment),
        phone=phone_normalize(phone),
        added_at__lte=moment,
    ).exists()
