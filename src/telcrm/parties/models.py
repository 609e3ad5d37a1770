"""Parties (TMF632): the people and organisations the operator deals with.

Modelling: one concrete ``Party`` table with a ``kind`` and a one-to-one ``Individual``
or ``Organization`` detail row, rather than multi-table inheritance. Everything that
refers to "someone" (Customer, ContactMedium, later tickets and campaigns) points at
Party, and the search by name staff make hits a single indexed ``Party.name`` column
for people and companies alike. The explicit one-to-one keeps the detail joins visible
in queries (no implicit downcasting), and lets the loader create party and details in
two bulk inserts.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from telcrm.core.fields import BlindIndexField, EncryptedTextField
from telcrm.core.models import TimeStampedModel
from telcrm.lib.identifiers import resident_id_compact
from telcrm.lib.masking import mask_id_number, mask_phone
from telcrm.parties.choices import ContactKind, Gender, PartyKind
from telcrm.parties.validators import validate_e164, validate_resident_id, validate_uscc

RESIDENT_ID_PURPOSE = "resident_id"


class Party(TimeStampedModel):
    """A person or organisation (TMF632 Party); its details live in one detail row."""

    kind = models.CharField(_("kind"), max_length=12, choices=PartyKind.choices)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = _("parties")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PartyKind.values),
                name="party_kind_known",
                violation_error_message=_("A party is an individual or organization."),
            ),
            models.CheckConstraint(
                condition=~Q(name=""),
                name="party_name_present",
                violation_error_message=_("A party needs a name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Individual(TimeStampedModel):
    """Details of a person (TMF632 Individual).

    ``id_number`` (resident ID, 18 characters with check digit) is encrypted at rest;
    ``id_number_index`` is its blind index, the only way to find someone by ID number.
    """

    party = models.OneToOneField(
        Party, on_delete=models.CASCADE, primary_key=True, related_name="individual"
    )
    gender = models.CharField(
        _("gender"), max_length=1, choices=Gender.choices, blank=True
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number = EncryptedTextField(
        _("resident ID number"), blank=True, validators=[validate_resident_id]
    )
    id_number_index = BlindIndexField(
        source="id_number",
        purpose=RESIDENT_ID_PURPOSE,
        normalizer=resident_id_compact,
        db_index=True,
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["party_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gender__in=[*Gender.values, ""]),
                name="individual_gender_known",
                violation_error_message=_("Unknown gender code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party.name} ({self.masked_id_number})"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number or "")


class Organization(TimeStampedModel):
    """Details of a company or public body (TMF632 Organization).

    The unified social credit code is public registration data, so it is stored in
    clear and unique (two parties with one code are the same organisation).
    """

    party = models.OneToOneField(
        Party, on_delete=models.CASCADE, primary_key=True, related_name="organization"
    )
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_uscc],
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["party_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(uscc__isnull=True) | Q(Exact(Length("uscc"), 18)),
                name="organization_uscc_length",
                violation_error_message=_("A USCC has 18 characters."),
            ),
        ]

    def __str__(self) -> str:
        return self.party.name


class ContactMedium(TimeStampedModel):
    """A way to reach a party (TMF632 ContactMedium): phone, e-mail or postal address.

    Phones are stored in E.164 so that ``138 0013 8000`` and ``+86 13800138000`` are one
    number; ``street`` is encrypted, the region columns stay clear for analytics.
    """

    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="contact_media"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    phone = models.CharField(
        _("phone (E.164)"), max_length=16, blank=True, validators=[validate_e164]
    )
    email = models.EmailField(_("e-mail"), blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    street = EncryptedTextField(_("street address"), blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["party_id", "kind", "-is_primary", "id"]
        verbose_name_plural = _("contact media")
        indexes = [
            models.Index(
                fields=["phone"], name="contact_phone_idx", condition=~Q(phone="")
            ),
            models.Index(
                fields=["email"], name="contact_email_idx", condition=~Q(email="")
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["party", "kind"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_kind",
                violation_error_message=_(
                    "A party has at most one primary contact of each kind."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=ContactKind.PHONE, email="")
                    & ~Q(phone="")
                    & Q(phone__startswith="+")
                )
                | Q(kind=ContactKind.EMAIL, phone="") & ~Q(email="")
                | Q(kind=ContactKind.ADDRESS, phone="", email=""),
                name="contact_value_matches_kind",
                violation_error_message=_(
                    "A phone contact holds an E.164 phone, an e-mail contact an "
                    "e-mail, an address contact neither."
                ),
            ),
        ]

    def __str__(self) -> str:
        # Masked: __str__ ends up in admin pages, logs and error reports (PRIV-1, -3).
        shown = mask_phone(self.phone) if self.phone else self.email or self.city
        return f"{self.get_kind_display()}: {shown}"
