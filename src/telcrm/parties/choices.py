"""Choice sets of the parties app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PartyKind(models.TextChoices):
    """TMF632 party types."""

    INDIVIDUAL = "individual", _("Individual")
    ORGANIZATION = "organization", _("Organization")


class Gender(models.TextChoices):
    """Gender as recorded by the CRM (the codes of ``crm/customers.csv``)."""

    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class ContactKind(models.TextChoices):
    """TMF632 contact medium types."""

    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    ADDRESS = "address", _("Postal address")
