"""factory_boy factories for the operational store; realistic, never real, people."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.test import Client
from stdnum.cn import ric

from telcrm.accounts.choices import PayMethod
from telcrm.accounts.models import BillingAccount
from telcrm.billing.models import Bill, Payment
from telcrm.catalog.choices import LineOfBusiness, OfferingKind
from telcrm.catalog.models import ProductOffering
from telcrm.customers.models import Customer
from telcrm.inventory.models import Subscription
from telcrm.parties.choices import PartyKind
from telcrm.parties.models import Individual, Organization, Party
from telcrm.users.choices import Role
from telcrm.users.models import User


def resident_id(
    birth: datetime.date = datetime.date(1985, 6, 15),
    seq: int = 123,
    region: str = "110105",
) -> str:
    """A valid 18-character resident ID number (check digit computed by stdnum)."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + str(ric.calc_check_digit(body + "0"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    staff_number = factory.Sequence(lambda n: f"S{n:05d}")
    full_name = factory.Sequence(lambda n: f"员工{n}")
    role = Role.ACCOUNT_MANAGER


def logged_in(role: str, **fields: object) -> tuple[Client, User]:
    """A member of staff with ``role`` (and ``fields``, e.g. ``language``) and a
    test client logged in as them."""
    user = UserFactory(role=role, **fields)
    client = Client()
    client.force_login(user)
    return client, user


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    kind = PartyKind.INDIVIDUAL
    name = factory.Sequence(lambda n: f"张{n}")


class IndividualFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Individual

    party = factory.SubFactory(PartyFactory)
    gender = "M"
    birth_date = datetime.date(1985, 6, 15)
    id_number = factory.Sequence(lambda n: resident_id(seq=n % 1000))


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    party = factory.SubFactory(
        PartyFactory,
        kind=PartyKind.ORGANIZATION,
        name=factory.Sequence(lambda n: f"杭州示例{n}有限公司"),
    )
    uscc = None
    industry = "制造业"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    party = factory.SubFactory(PartyFactory)
    customer_number = factory.Sequence(lambda n: f"C{n:09d}")
    customer_since = datetime.date(2020, 1, 1)


class OfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductOffering
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"MPO-{n}")
    name = factory.Sequence(lambda n: f"畅享套餐{n}")
    line_of_business = LineOfBusiness.MOBILE_POSTPAID
    kind = OfferingKind.PLAN
    monthly_fee = Decimal("58.00")


class BillingAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingAccount

    account_number = factory.Sequence(lambda n: f"A{n:09d}")
    customer = factory.SubFactory(CustomerFactory)
    holder_name = factory.Sequence(lambda n: f"张{n}")
    pay_method = PayMethod.CASH
    opened_date = datetime.date(2020, 1, 1)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    subscription_id = factory.Sequence(lambda n: f"L{n:010d}")
    customer = factory.SubFactory(CustomerFactory)
    billing_account = factory.SubFactory(
        BillingAccountFactory, customer=factory.SelfAttribute("..customer")
    )
    service_number = factory.Sequence(lambda n: f"138{n:08d}")
    offering = factory.SubFactory(OfferingFactory)
    start_date = datetime.date(2021, 1, 1)


class BillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bill

    bill_number = factory.Sequence(lambda n: f"B{n:010d}")
    billing_account = factory.SubFactory(BillingAccountFactory)
    period = datetime.date(2024, 1, 1)
    issue_date = datetime.date(2024, 2, 3)
    due_date = datetime.date(2024, 2, 20)
    amount = Decimal("100.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    payment_number = factory.Sequence(lambda n: f"P{n:010d}")
    billing_account = factory.SelfAttribute("bill.billing_account")
    bill = factory.SubFactory(BillFactory)
    paid_at = factory.LazyFunction(
        lambda: datetime.datetime(2024, 2, 10, 12, tzinfo=datetime.UTC)
    )
    amount = Decimal("100.00")
    method = PayMethod.ALIPAY
