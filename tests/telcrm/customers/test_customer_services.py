"""Customer creation, lookups, consents and the do-not-call list."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from tests.telcrm.constraint_helpers import assert_db_rejects
from tests.telcrm.factories import CustomerFactory, SubscriptionFactory, resident_id

from telcrm.customers.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentSource,
    ConsentStatus,
    DoNotCallSource,
)
from telcrm.customers.models import Consent, Customer, DoNotCallEntry
from telcrm.customers.selectors import (
    consent_is_granted,
    customer_find_by_name,
    customer_find_by_phone,
    dnc_is_listed,
)
from telcrm.customers.services import consent_record, consent_withdraw, customer_create
from telcrm.lib.phones import InvalidPhoneNumber
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium, Party
from telcrm.parties.services import ContactInput

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2024, 5, 1, 9, tzinfo=datetime.UTC)


def _create(**overrides: object) -> Customer:
    kwargs: dict[str, object] = {
        "customer_number": "C000000001",
        "kind": "individual",
        "name": "王小明",
        "customer_since": datetime.date(2019, 4, 1),
        "id_number": resident_id(),
        "contacts": [
            ContactInput(ContactKind.PHONE, "138 0013 8000", is_primary=True),
            ContactInput(
                ContactKind.ADDRESS, "文三路 90 号", "浙江省", "杭州市", "西湖区"
            ),
        ],
    }
    kwargs.update(overrides)
    return customer_create(**kwargs)  # type: ignore[arg-type]


def test_it_creates_party_details_contacts_and_customer_together() -> None:
    customer = _create()

    assert customer.party.name == "王小明"
    assert customer.party.individual.birth_date == datetime.date(1985, 6, 15)
    assert list(
        customer.party.contact_media.order_by("kind").values_list(
            "kind", "phone", "city"
        )
    ) == [("address", "", "杭州市"), ("phone", "+8613800138000", "")]
    assert customer.party.contact_media.get(kind="address").street == "文三路 90 号"


def test_it_writes_nothing_when_a_contact_is_invalid() -> None:
    with pytest.raises(InvalidPhoneNumber):
        _create(contacts=[ContactInput(ContactKind.PHONE, "12345")])

    assert (Party.objects.count(), Customer.objects.count()) == (0, 0)
    assert ContactMedium.objects.count() == 0


def test_it_finds_a_customer_by_any_typed_form_of_the_phone() -> None:
    customer = _create()
    CustomerFactory()

    assert list(customer_find_by_phone("+86 138-0013-8000")) == [customer]


def test_it_finds_a_customer_by_an_active_line_number() -> None:
    line = SubscriptionFactory(service_number="13912345678")

    assert list(customer_find_by_phone("139 1234 5678")) == [line.customer]


def test_it_finds_customers_by_name_prefix() -> None:
    customer = _create()

    assert list(customer_find_by_name("王小")) == [customer]
    assert list(customer_find_by_name("李")) == []


def test_it_records_a_consent_once_and_withdraws_it() -> None:
    customer = CustomerFactory()
    args = {
        "customer": customer,
        "purpose": ConsentPurpose.MARKETING,
        "channel": ConsentChannel.SMS,
    }
    first = consent_record(**args, source=ConsentSource.APP, at=T0)
    again = consent_record(**args, source=ConsentSource.WEB, at=T0)

    assert again.pk == first.pk
    assert consent_is_granted(**args) is True
    withdrawn = consent_withdraw(**args, at=T0 + datetime.timedelta(days=3))
    assert withdrawn is not None
    assert (withdrawn.status, withdrawn.withdrawn_at) == (
        ConsentStatus.WITHDRAWN,
        T0 + datetime.timedelta(days=3),
    )
    assert consent_is_granted(**args) is False
    regranted = consent_record(**args, source=ConsentSource.APP, at=T0)
    assert regranted.pk != first.pk
    assert Consent.objects.filter(customer=customer).count() == 2


def test_it_treats_a_grant_for_any_channel_as_covering_each_channel() -> None:
    customer = CustomerFactory()
    consent_record(
        customer=customer,
        purpose=ConsentPurpose.MARKETING,
        channel=ConsentChannel.ANY,
        source=ConsentSource.BUSINESS_HALL,
    )

    assert consent_is_granted(
        customer=customer, purpose=ConsentPurpose.MARKETING, channel=ConsentChannel.SMS
    )
    assert not consent_is_granted(
        customer=customer, purpose=ConsentPurpose.PROFILING, channel=ConsentChannel.SMS
    )


def test_it_rejects_two_current_consents_for_one_purpose_and_channel() -> None:
    customer = CustomerFactory()
    row = {
        "customer": customer,
        "purpose": "marketing",
        "channel": "sms",
        "source": "app",
    }
    Consent.objects.create(**row)

    assert_db_rejects(
        Consent, lambda: Consent.objects.create(**row), "consent_one_current"
    )


def test_it_rejects_a_withdrawn_consent_without_withdrawal_time() -> None:
    customer = CustomerFactory()
    assert_db_rejects(
        Consent,
        lambda: Consent.objects.create(
            customer=customer,
            purpose="marketing",
            channel="sms",
            source="app",
            status=ConsentStatus.WITHDRAWN,
        ),
        "consent_withdrawal_consistent",
    )


def test_it_lists_a_number_on_do_not_call_until_it_expires() -> None:
    DoNotCallEntry.objects.create(
        phone="+8613800138000",
        source=DoNotCallSource.CUSTOMER_REQUEST,
        added_at=T0,
        expires_at=T0 + datetime.timedelta(days=30),
    )

    assert dnc_is_listed("138 0013 8000", at=T0 + datetime.timedelta(days=1))
    assert not dnc_is_listed("138 0013 8000", at=T0 + datetime.timedelta(days=31))
    assert not dnc_is_listed("139 0013 9000", at=T0 + datetime.timedelta(days=1))


def test_it_rejects_a_dnc_entry_expiring_before_it_was_added() -> None:
    assert_db_rejects(
        DoNotCallEntry,
        lambda: DoNotCallEntry.objects.create(
            phone="+8613800138000",
            source=DoNotCallSource.REGULATOR,
            added_at=T0,
            expires_at=T0 - datetime.timedelta(days=1),
        ),
        "dnc_expires_after_added",
    )


def test_it_rejects_customer_status_date_before_customer_since() -> None:
    customer = CustomerFactory.build(status_date=datetime.date(2019, 12, 31))
    customer.party.save()
    customer.party_id = customer.party.pk
    assert_db_rejects(Customer, customer.save, "customer_status_date_after_since")


def test_it_rejects_a_churn_risk_outside_zero_to_one() -> None:
    customer = CustomerFactory()
    customer.churn_risk = 1.5
    customer.scored_at = timezone.now()
    assert_db_rejects(Customer, customer.save, "customer_churn_risk_probability")
    customer.refresh_from_db()
    assert customer.churn_risk is None


def test_it_rejects_a_duplicate_customer_number() -> None:
    CustomerFactory(customer_number="C000000042")
    assert_db_rejects(Customer, lambda: CustomerFactory(customer_number="C000000042"))
