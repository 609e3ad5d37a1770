"""What a member of staff is shown of personal data: masked unless unmasked.

Templates never receive a raw phone, service number, ID number or street: the view
passes rows built here, so a template cannot leak a value by printing a field.
"""

from __future__ import annotations

from dataclasses import dataclass

from telcrm.accounts.models import BillingAccount, ServiceAccount
from telcrm.analytics.models import FraudFlag
from telcrm.customers.models import Customer, Interaction
from telcrm.inventory.models import Subscription
from telcrm.lib.masking import mask_id_number, mask_phone
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium

HIDDEN = "****"


@dataclass(frozen=True)
class Shown:
    """Masks values unless this customer was unmasked in this session."""

    unmasked: bool

    def phone(self, value: str) -> str:
        return value if self.unmasked else mask_phone(value)

    def id_number(self, value: str) -> str:
        return value if self.unmasked else mask_id_number(value)

    def street(self, value: str) -> str:
        return value if self.unmasked or not value else HIDDEN

    def contact(self, contact: ContactMedium) -> dict[str, object]:
        if contact.kind == ContactKind.PHONE:
            value = self.phone(contact.phone)
        elif contact.kind == ContactKind.EMAIL:
            value = contact.email
        else:
            region = " ".join(
                part
                for part in (contact.province, contact.city, contact.district)
                if part
            )
            value = " ".join(
                part for part in (region, self.street(contact.street)) if part
            )
        return {
            "kind": contact.get_kind_display(),
            "value": value,
            "is_primary": contact.is_primary,
        }

    def billing_account(self, account: BillingAccount) -> dict[str, object]:
        return {
            "account_number": account.account_number,
            "holder_name": account.holder_name,
            "contact_phone": self.phone(account.contact_phone),
            "pay_method": account.get_pay_method_display(),
            "credit_class": account.credit_class,
            "status": account.get_status_display(),
            "opened_date": account.opened_date,
        }

    def service_account(self, account: ServiceAccount) -> dict[str, object]:
        region = " ".join(
            part for part in (account.province, account.city, account.district) if part
        )
        return {
            "account_number": account.account_number,
            "name": account.name,
            "address": " ".join(
                part for part in (region, self.street(account.street)) if part
            ),
            "status": account.get_status_display(),
            "opened_date": account.opened_date,
        }

    def line(self, line: Subscription) -> dict[str, object]:
        return {
            "subscription_id": line.subscription_id,
            "service_number": self.phone(line.service_number),
            "offering": line.offering.name,
            "status": line.get_status_display(),
            "start_date": line.start_date,
            "contract_end": line.contract_end,
            "is_addon": line.parent_id is not None,
        }

    def interaction(self, interaction: Interaction) -> dict[str, object]:
        return {
            "occurred_at": interaction.occurred_at,
            "channel": interaction.get_channel_display(),
            "direction": interaction.get_direction_display(),
            "kind": interaction.get_kind_display(),
            "reason": interaction.get_reason_display(),
            "outcome": interaction.get_outcome_display(),
            "service_number": self.phone(interaction.service_number),
            "description": interaction.description,
            "staff": interaction.staff,
            "satisfaction": interaction.satisfaction,
        }

    def fraud_flag(self, flag: FraudFlag) -> dict[str, object]:
        return {
            "service_number": self.phone(flag.service_number),
            "rule": flag.get_rule_display(),
            "first_day": flag.first_day,
            "last_day": flag.last_day,
            "score": flag.score,
            "evidence": flag.evidence,
        }


def id_number_of(customer: Customer) -> str:
    """The individual's resident ID number (plaintext), or "" for organisations."""
    individual = getattr(customer.party, "individual", None)
    return individual.id_number if individual is not None else ""


def search_row(customer: Customer) -> dict[str, object]:
    """One search result: always masked (unmasking happens on the 360 page)."""
    phones = getattr(customer.party, "phone_contacts", [])
    primary = sorted(phones, key=lambda contact: not contact.is_primary)[:1]
    return {
        "customer_number": customer.customer_number,
        "name": customer.party.name,
        "kind": customer.party.get_kind_display(),
        "status": customer.get_status_display(),
        "phone": mask_phone(primary[0].phone) if primary else "",
        "id_number": mask_id_number(id_number_of(customer)),
        "account_manager": customer.account_manager,
    }
