"""Builders shared by the campaign tests: a running campaign and reachable customers."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from tests.telcrm.factories import CustomerFactory, UserFactory

from telcrm.campaigns.choices import CampaignChannel, CampaignGoal, CampaignStatus
from telcrm.campaigns.models import Campaign
from telcrm.customers.choices import ConsentChannel, ConsentPurpose, ConsentSource
from telcrm.customers.models import Consent, Customer
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium
from telcrm.users.choices import Role

# A Monday, 10:00 in Shanghai: inside the default calling hours, not a holiday.
MONDAY_10 = datetime.datetime(2026, 11, 16, 2, 0, tzinfo=datetime.UTC)


def running_campaign(
    *,
    channel: str = CampaignChannel.OUTBOUND_CALL,
    priority: int = 5,
    uses_usage_data: bool = False,
    status: str = CampaignStatus.RUNNING,
    starts_on: datetime.date = datetime.date(2026, 11, 1),
    ends_on: datetime.date = datetime.date(2026, 12, 31),
    **fields: Any,
) -> Campaign:
    """A campaign approved by a supervisor other than its marketer, and running."""
    marketer = UserFactory(role=Role.MARKETER)
    supervisor = UserFactory(role=Role.SUPERVISOR)
    campaign = Campaign.objects.create(
        code=f"T{Campaign.objects.count() + 1:05d}",
        name="Retention test",
        goal=CampaignGoal.RETENTION,
        channel=channel,
        offer="20 GB for 6 months",
        expected_acceptance_rate=Decimal("0.2"),
        budget=Decimal(10000),
        priority=priority,
        uses_usage_data=uses_usage_data,
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        created_by=marketer,
        decided_by=supervisor,
        decided_at=MONDAY_10 - datetime.timedelta(days=10),
        **fields,
    )
    return campaign


def reachable_customer(
    *,
    phone: str = "",
    province: str = "浙江省",
    channels: tuple[str, ...] = (ConsentChannel.PHONE_CALL, ConsentChannel.SMS),
    profiling: bool = True,
    granted_at: datetime.datetime = MONDAY_10 - datetime.timedelta(days=100),
) -> Customer:
    """A customer with an address, a phone and marketing (and profiling) consents."""
    customer = CustomerFactory()
    number = phone or f"+86138{customer.pk:08d}"
    ContactMedium.objects.create(
        party=customer.party, kind=ContactKind.PHONE, phone=number, is_primary=True
    )
    ContactMedium.objects.create(
        party=customer.party,
        kind=ContactKind.ADDRESS,
        province=province,
        city="杭州市",
        is_primary=True,
    )
    for channel in channels:
        Consent.objects.create(
            customer=customer,
            purpose=ConsentPurpose.MARKETING,
            channel=channel,
            source=ConsentSource.BUSINESS_HALL,
            granted_at=granted_at,
        )
    if profiling:
        Consent.objects.create(
            customer=customer,
            purpose=ConsentPurpose.PROFILING,
            channel=ConsentChannel.ANY,
            source=ConsentSource.BUSINESS_HALL,
            granted_at=granted_at,
        )
    return customer
