"""Every admin page loads, ID numbers are masked in lists, and changes leave history."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from tests.telcrm.factories import (
    BillingAccountFactory,
    CustomerFactory,
    PaymentFactory,
    SubscriptionFactory,
    resident_id,
)

from telcrm.customers.models import Consent, DoNotCallEntry, Interaction
from telcrm.parties.models import ContactMedium
from telcrm.parties.services import party_individual_create
from telcrm.users.models import User
from telcrm.users.services import DOMAIN_APPS

pytestmark = pytest.mark.django_db
OUR_APPS = set(DOMAIN_APPS)
ID = resident_id(datetime.date(1988, 8, 8), seq=17)


@pytest.fixture
def admin_client_logged_in(client: Client) -> Client:
    user = User.objects.create_superuser("root", "root@example.cn", "x" * 12)
    client.force_login(user)
    return client


@pytest.fixture
def populated() -> None:
    party = party_individual_create(name="赵六", id_number=ID)
    customer = CustomerFactory(party=party)
    ContactMedium.objects.create(party=party, kind="phone", phone="+8613812345678")
    line = SubscriptionFactory(customer=customer)
    PaymentFactory(bill__billing_account=line.billing_account)
    BillingAccountFactory(holder_id_number=ID)
    Interaction.objects.create(
        customer=customer,
        channel="call_centre",
        direction="inbound",
        kind="complaint",
        occurred_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
    )
    Consent.objects.create(
        customer=customer, purpose="marketing", channel="sms", source="app"
    )
    DoNotCallEntry.objects.create(phone="+8613812345678", source="regulator")


def _our_models() -> list[type]:
    return [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]


def test_every_model_of_our_apps_is_registered() -> None:
    names = {m._meta.label for m in _our_models()}
    assert {
        "parties.Party",
        "parties.Individual",
        "customers.Customer",
        "accounts.GroupNode",
        "accounts.BillingAccount",
        "inventory.Subscription",
        "billing.Bill",
        "billing.Payment",
        "catalog.ProductOffering",
        "users.User",
    } <= names


@pytest.mark.usefixtures("populated")
def test_every_changelist_and_change_page_loads(admin_client_logged_in: Client) -> None:
    for model in _our_models():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client_logged_in.get(url).status_code == 200, url
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]
            )
            assert admin_client_logged_in.get(change).status_code == 200, change


@pytest.mark.usefixtures("populated")
def test_lists_show_id_numbers_and_phones_masked(
    admin_client_logged_in: Client,
) -> None:
    pages = ["parties_individual", "accounts_billingaccount", "parties_contactmedium"]
    for page in pages:
        body = admin_client_logged_in.get(reverse(f"admin:{page}_changelist")).content
        assert ID.encode() not in body
        assert b"13812345678" not in body
    individuals = admin_client_logged_in.get(
        reverse("admin:parties_individual_changelist")
    )
    assert f"**************{ID[-4:]}".encode() in individuals.content


def test_a_change_through_the_admin_leaves_a_history_row(
    admin_client_logged_in: Client,
) -> None:
    customer = CustomerFactory(segment_code="")
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    form = {
        "party": customer.party.pk,
        "customer_number": customer.customer_number,
        "status": "suspended",
        "status_date": "2024-03-01",
        "customer_since": "2020-01-01",
        "acquisition_channel": "web",
        "segment_code": "",
        "source_keys-TOTAL_FORMS": "0",
        "source_keys-INITIAL_FORMS": "0",
    }

    response = admin_client_logged_in.post(url, form)

    assert response.status_code == 302, response.content[:2000]
    latest = customer.history.first()
    assert (latest.status, latest.history_type, latest.history_user.username) == (
        "suspended",
        "~",
        "root",
    )
    assert customer.history.count() == 2
