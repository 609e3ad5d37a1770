"""The product catalogue (TMF620 ProductOffering and its price)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from telcrm.catalog.choices import LifecycleStatus, LineOfBusiness, OfferingKind
from telcrm.core.models import TimeStampedModel


def _money(verbose: str) -> models.DecimalField:
    return models.DecimalField(
        _(verbose), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )


def _rate(verbose: str) -> models.DecimalField:
    # Per-minute / per-MB rates go below a fen (0.001 yuan/MB is common).
    return models.DecimalField(
        _(verbose), max_digits=10, decimal_places=4, default=Decimal("0")
    )


class ProductOffering(TimeStampedModel):
    """What the operator sells (``crm/offers.csv``): a plan, a bundle or an add-on.

    The recurring price and its allowances (TMF620 ProductOfferingPrice) are held on the
    offering itself: each offering has exactly one price in the silos, and one row is
    what the 360 view and the pipeline read.
    """

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    line_of_business = models.CharField(
        _("line of business"), max_length=20, choices=LineOfBusiness.choices
    )
    kind = models.CharField(_("kind"), max_length=10, choices=OfferingKind.choices)
    lifecycle_status = models.CharField(
        _("lifecycle status"),
        max_length=12,
        choices=LifecycleStatus.choices,
        default=LifecycleStatus.ACTIVE,
    )
    monthly_fee = _money("monthly fee")
    included_minutes = models.PositiveIntegerField(_("included minutes"), default=0)
    included_sms = models.PositiveIntegerField(_("included SMS"), default=0)
    included_data_mb = models.PositiveBigIntegerField(
        _("included data (MB)"), default=0
    )
    voice_rate = _rate("voice rate per minute")
    sms_rate = _rate("SMS rate")
    data_rate_per_mb = _rate("data rate per MB")
    contract_months = models.PositiveSmallIntegerField(_("contract months"), default=0)
    components: models.ManyToManyField[ProductOffering, BundleComponent] = (
        models.ManyToManyField(
            "self",
            through="BundleComponent",
            through_fields=("bundle", "component"),
            symmetrical=False,
            related_name="bundles",
            blank=True,
        )
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["line_of_business", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(line_of_business__in=LineOfBusiness.values)
                & Q(kind__in=OfferingKind.values)
                & Q(lifecycle_status__in=LifecycleStatus.values),
                name="offering_choices_known",
                violation_error_message=_("Unknown line of business, kind or status."),
            ),
            models.CheckConstraint(
                condition=Q(monthly_fee__gte=0)
                & Q(voice_rate__gte=0)
                & Q(sms_rate__gte=0)
                & Q(data_rate_per_mb__gte=0),
                name="offering_prices_not_negative",
                violation_error_message=_("Fees and rates cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BundleComponent(models.Model):
    """One offering included in a bundle (TMF620 bundledProductOffering)."""

    bundle = models.ForeignKey(
        ProductOffering, on_delete=models.CASCADE, related_name="component_links"
    )
    component = models.ForeignKey(
        ProductOffering, on_delete=models.PROTECT, related_name="bundle_links"
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["bundle_id", "component_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["bundle", "component"],
                name="bundle_component_unique",
                violation_error_message=_("This component is already in the bundle."),
            ),
            models.CheckConstraint(
                condition=~Q(bundle=F("component")),
                name="bundle_not_own_component",
                violation_error_message=_("A bundle cannot contain itself."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="bundle_component_quantity_positive",
                violation_error_message=_("Quantity must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bundle_id} ⊃ {self.component_id}"
