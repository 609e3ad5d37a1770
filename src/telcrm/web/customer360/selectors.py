"""Reads of "find a customer" and the customer 360 page.

Search: each key the typed text may be (phone, service number, ID number, customer or
account number, name prefix) is one indexed query inside the user's data scope; the
matching customers are then loaded once. Nothing scans a table or decrypts to compare.

The 360 page: a fixed number of queries whatever the customer's history size; lists
that grow with history (lines, bills, payments, interactions) are capped or paginated.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    DecimalField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from telcrm.accounts.models import BillingAccount, GroupNode, ServiceAccount
from telcrm.analytics.choices import FlagStatus
from telcrm.analytics.models import CustomerScore, FraudFlag
from telcrm.billing.models import Bill, Payment
from telcrm.billing.selectors import arrears_ageing
from telcrm.campaigns.models import CampaignMember, ContactSuppression
from telcrm.campaigns.selectors import active_suppression, customer_memberships
from telcrm.customers.models import Consent, Customer, Interaction
from telcrm.inventory.models import Subscription
from telcrm.inventory.selectors import subscriptions_of_customer
from telcrm.lib.phones import InvalidPhoneNumber, phone_national, phone_normalize
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium, Individual, Party
from telcrm.parties.selectors import resident_id_index
from telcrm.usage.models import LineUsageMonth
from telcrm.users.models import User
from telcrm.web.scope import visible_customers

SEARCH_LIMIT = 20
NAME_MATCHES_CONSIDERED = 1000
# Resident ID numbers: 18 characters (17 digits and a check digit, maybe X) or the
# old 15-digit form; separators are dropped before matching.
RESIDENT_ID_SHAPE = re.compile(r"^(\d{17}[\dX]|\d{15})$")
NUMBER_SEPARATORS = re.compile(r"[\s\-]")

LINES_SHOWN = 100
ACCOUNTS_SHOWN = 50
BILLS_SHOWN = 12
PAYMENTS_SHOWN = 10
USAGE_MONTHS = 12
CHILD_NODES_SHOWN = 50
CENT = Decimal("0.01")
# The money columns of an arrears ageing row (billing.selectors.arrears_ageing).
AGEING_MONEY = frozenset(
    {"days_0_30", "days_31_60", "days_61_90", "days_90_plus", "total"}
)
CONSENTS_SHOWN = 50
INTERACTIONS_PER_PAGE = 20

MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)


# --- Find a customer ---------------------------------------------------------------


def customer_search(user: User, text: str) -> list[Customer]:
    """Customers in ``user``'s scope matching ``text`` under any key, by name.

    Each result carries ``phone_contacts`` (its phone contact media, primary first).
    """
    text = text.strip()
    if not text:
        return []
    scope = visible_customers(user)
    found: list[int] = []
    for key in search_keys(text):
        matches = scope.filter(key).order_by().values_list("pk", flat=True)
        for pk in matches[:SEARCH_LIMIT]:
            if pk not in found:
                found.append(pk)
    return list(
        Customer.objects.filter(pk__in=found[:SEARCH_LIMIT])
        .select_related("party__individual", "account_manager")
        .prefetch_related(
            Prefetch(
                "party__contact_media",
                queryset=ContactMedium.objects.filter(kind=ContactKind.PHONE),
                to_attr="phone_contacts",
            )
        )
        .order_by("party__name", "customer_number")
    )


def search_keys(text: str) -> list[Q]:
    """One filter per key ``text`` may be. Each starts from the keyed table's index
    and reaches customers by primary key, so the planner never drives the search from
    the scope's ``merged_into IS NULL`` (true for nearly every customer)."""
    compact = NUMBER_SEPARATORS.sub("", text)
    numbers = {text, compact, compact.upper()}
    keys = [
        Q(customer_number__in=numbers),
        Q(
            pk__in=BillingAccount.objects.filter(account_number__in=numbers).values(
                "customer_id"
            )
        ),
        Q(
            pk__in=ServiceAccount.objects.filter(account_number__in=numbers).values(
                "customer_id"
            )
        ),
    ]
    service_numbers = set(numbers)
    phone = phone_or_none(text)
    if phone is not None:
        # The "non-empty" term lets SQLite use the partial contact_phone_idx.
        contacts = ContactMedium.objects.filter(phone=phone).exclude(phone="")
        keys.append(of_parties(contacts.values("party_id")))
        service_numbers.add(phone_national(phone))
    keys.append(
        Q(
            pk__in=Subscription.objects.filter(
                service_number__in=service_numbers
            ).values("customer_id")
        )
    )
    if RESIDENT_ID_SHAPE.match(compact.upper()):
        holders = Individual.objects.filter(id_number_index=resident_id_index(compact))
        keys.append(of_parties(holders.values("party_id")))
    if not compact.lstrip("+").isdigit():
        keys.append(name_prefix(text))
    return keys


def of_parties(party_ids: QuerySet[Any, Any]) -> Q:
    """Customers of these parties, matched by primary key (see ``search_keys``)."""
    return Q(pk__in=Customer.objects.filter(party_id__in=party_ids).values("pk"))


def phone_or_none(text: str) -> str | None:
    """``text`` as an E.164 number, or None when it is not a phone number."""
    try:
        return phone_normalize(text)
    except InvalidPhoneNumber:
        return None


def name_prefix(prefix: str) -> Q:
    """Names starting with ``prefix`` (people's and organisations', one column).

    PostgreSQL serves ``LIKE 'prefix%'`` from the ``varchar_pattern_ops`` index Django
    adds to ``Party.name``. SQLite's LIKE ignores case, so it cannot use the binary
    index; the code point range (exact under SQLite's binary collation) does.
    """
    parties = Party.objects.filter(name__startswith=prefix)
    if connection.vendor == "sqlite":
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        parties = parties.filter(name__gte=prefix, name__lt=upper).order_by("name")
    else:
        # No ORDER BY: the pattern index serves LIKE but cannot give the
        # collation's order, and with one PostgreSQL walks the whole plain name
        # index instead, filtering (0.7 s at a million parties). The pattern
        # index hands out its matches in code point order anyway.
        parties = parties.order_by()
    # A one-character prefix ("张") matches a large share of the customers: consider
    # the first names in index order only.
    return of_parties(parties.values("pk")[:NAME_MATCHES_CONSIDERED])


# --- The customer 360 page ---------------------------------------------------------


@dataclass(frozen=True)
class GroupPosition:
    """Where the customer sits in an enterprise group: the path down to it, and
    the organisations directly beneath it."""

    node: GroupNode
    ancestors: list[GroupNode]
    children: list[GroupNode]
    children_count: int


@dataclass(frozen=True)
class Customer360:
    customer: Customer
    score: CustomerScore | None
    contacts: list[ContactMedium]
    group: GroupPosition | None
    billing_accounts: list[BillingAccount]
    service_accounts: list[ServiceAccount]
    lines: list[Subscription]
    lines_count: int
    bills: list[Bill]
    payments: list[Payment]
    arrears: list[dict[str, object]]
    arrears_total: Decimal
    usage: list[dict[str, object]]
    fraud_flags: list[FraudFlag]
    consents: list[Consent]
    interactions: Page[Interaction]
    campaigns: list[CampaignMember]
    suppression: ContactSuppression | None


def customer_360(
    customer: Customer, *, today: datetime.date, interactions_page: int | str = 1
) -> Customer360:
    """Everything the 360 page shows about ``customer`` (already scope-checked)."""
    # Reverse one-to-ones (score, group node) come in the same query; an absent one
    # reads as None through getattr (its DoesNotExist is an AttributeError).
    customer = Customer.objects.select_related(
        "party__individual",
        "party__organization",
        "account_manager",
        "score",
        "group_node",
    ).get(pk=customer.pk)
    lines = subscriptions_of_customer(customer.pk)
    ageing = arrears_ageing(
        as_of=today, accounts=BillingAccount.objects.filter(customer=customer)
    )
    arrears = [
        {key: cents(row[key]) if key in AGEING_MONEY else row[key] for key in row}
        for row in ageing
    ]
    return Customer360(
        customer=customer,
        score=getattr(customer, "score", None),
        contacts=list(ContactMedium.objects.filter(party_id=customer.party_id)),
        group=group_position(getattr(customer, "group_node", None)),
        billing_accounts=list(customer.billing_accounts.all()[:ACCOUNTS_SHOWN]),
        service_accounts=list(customer.service_accounts.all()[:ACCOUNTS_SHOWN]),
        lines=list(lines[:LINES_SHOWN]),
        lines_count=lines.count(),
        bills=list(recent_bills(customer, today=today)),
        payments=list(
            Payment.objects.filter(billing_account__customer=customer)
            .select_related("billing_account")
            .order_by("-paid_at", "-id")[:PAYMENTS_SHOWN]
        ),
        arrears=arrears,
        arrears_total=sum((cents(row["total"]) for row in arrears), Decimal("0.00")),
        usage=usage_by_month(customer, today=today),
        fraud_flags=list(
            FraudFlag.objects.filter(customer=customer, status=FlagStatus.OPEN)
        ),
        consents=list(customer.consents.all()[:CONSENTS_SHOWN]),
        interactions=Paginator(
            Interaction.objects.filter(customer=customer)
            .select_related("staff")
            .order_by("-occurred_at", "-id"),
            INTERACTIONS_PER_PAGE,
        ).get_page(interactions_page),
        campaigns=customer_memberships(customer.pk),
        suppression=active_suppression(customer.pk),
    )


def group_position(node: GroupNode | None) -> GroupPosition | None:
    if node is None:
        return None
    children = GroupNode.objects.filter(
        path__startswith=node.path, depth=node.depth + 1
    ).select_related("customer__party")
    return GroupPosition(
        node=node,
        ancestors=list(
            GroupNode.objects.get_ancestors(node).select_related("customer__party")
        ),
        children=list(children[:CHILD_NODES_SHOWN]),
        children_count=children.count(),
    )


def recent_bills(customer: Customer, *, today: datetime.date) -> QuerySet[Bill]:
    """The latest bills of the customer's accounts, with ``paid`` to date."""
    paid = (
        Payment.objects.filter(bill=OuterRef("pk"))
        .values("bill")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        Bill.objects.filter(billing_account__customer=customer)
        .select_related("billing_account")
        .annotate(
            paid=Coalesce(
                Subquery(paid, output_field=MONEY),
                Value(Decimal("0.00")),
                output_field=MONEY,
            )
        )
        .order_by("-period", "billing_account_id")[:BILLS_SHOWN]
    )


def usage_by_month(
    customer: Customer, *, today: datetime.date
) -> list[dict[str, object]]:
    """Monthly usage of all the customer's lines over the last year, by call type
    (from the monthly summaries, never the CDRs)."""
    since = first_of_month(today, months_back=USAGE_MONTHS - 1)
    rows = (
        LineUsageMonth.objects.filter(customer=customer, period__gte=since)
        .values("period")
        .annotate(
            voice_out_seconds=Sum("voice_out_seconds"),
            voice_in_seconds=Sum("voice_in_seconds"),
            sms_out=Sum("sms_out"),
            sms_in=Sum("sms_in"),
            data_bytes=Sum("data_bytes"),
            international_calls=Sum("international_calls"),
            roaming_events=Sum("roaming_events"),
            charge=Sum("charge"),
        )
        .order_by("period")
    )
    return [usage_row(row) for row in rows]


def usage_row(row: dict[str, object]) -> dict[str, object]:
    """Figures in the units staff read: minutes, megabytes, yuan."""

    def number(key: str) -> int:
        return int(str(row[key] or 0))

    return {
        "month": f"{row['period']:%Y-%m}",
        "voice_out_minutes": round(number("voice_out_seconds") / 60),
        "voice_in_minutes": round(number("voice_in_seconds") / 60),
        "sms_out": number("sms_out"),
        "sms_in": number("sms_in"),
        "data_mb": round(number("data_bytes") / 1_000_000),
        "international_calls": number("international_calls"),
        "roaming_events": number("roaming_events"),
        "charge": str(cents(row["charge"])),
    }


def cents(value: object) -> Decimal:
    """A sum of money to the fen. Sums come back from SQLite as 15-digit numbers
    (386.520000000000); PostgreSQL keeps the column's two places."""
    return Decimal(str(value or 0)).quantize(CENT)


def first_of_month(day: datetime.date, *, months_back: int) -> datetime.date:
    months = day.year * 12 + day.month - 1 - months_back
    return datetime.date(months // 12, months % 12 + 1, 1)


def today_local() -> datetime.date:
    return timezone.localdate()
