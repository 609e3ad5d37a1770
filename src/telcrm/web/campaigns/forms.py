"""Forms of the campaign pages: a campaign's terms and target rule, the approval
note, a call's outcome and a referral."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcrm.campaigns.choices import CampaignChannel, CampaignGoal, ContactOutcome
from telcrm.campaigns.models import Campaign
from telcrm.catalog.models import ProductOffering
from telcrm.parties.choices import PartyKind
from telcrm.web import labels
from telcrm.web.labels import SEGMENT_BY_CODE
from telcrm_pipeline.segments.strategy import CUSTOMER_TYPES

BANDS = ("high", "medium", "low")
# Codes typed in one field: commas (either width), semicolons or spaces between.
CODE_SEPARATORS = re.compile(r"[,，;；\s]+")
# The target rule's keys (telcrm.campaigns.targeting) and the fields holding them.
RULE_LISTS = (
    "segments",
    "value_bands",
    "risk_bands",
    "customer_types",
    "party_kinds",
    "offerings",
    "provinces",
)
RULE_NUMBERS = ("churn_min", "churn_max")
# The campaign's own fields on the form (telcrm.campaigns.services.EDITABLE_FIELDS
# less the target rule, which the rule fields make up).
TERMS = (
    "name",
    "project",
    "goal",
    "channel",
    "offer",
    "script",
    "expected_acceptance_rate",
    "expected_revenue_per_acceptance",
    "priority",
    "budget",
    "cost_per_attempt",
    "cost_per_acceptance",
    "starts_on",
    "ends_on",
    "control_fraction",
    "pilot_size",
    "max_attempts_per_customer",
)


def segment_choices() -> list[tuple[str, str]]:
    return [(code, labels.segment_name(code)) for code in SEGMENT_BY_CODE]


def band_choices() -> list[tuple[str, str]]:
    return [(band, labels.band_label(band)) for band in BANDS]


def customer_type_choices() -> list[tuple[str, str]]:
    return [(code, labels.customer_type_label(code)) for code in CUSTOMER_TYPES]


class CodesField(forms.CharField):
    """A list of codes typed in one field, e.g. ``浙江省, 江苏省``."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return sorted({code for code in CODE_SEPARATORS.split(text) if code})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def multiple() -> forms.SelectMultiple:
    return forms.SelectMultiple(attrs={"size": 5})


class CampaignForm(forms.Form):
    """A campaign's terms, the target rule field by field, and the yield it is
    approved on."""

    name = forms.CharField(label=_("Name"), max_length=200)
    project = forms.CharField(label=_("Project"), max_length=100, required=False)
    goal = forms.ChoiceField(label=_("Goal"), choices=CampaignGoal.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=CampaignChannel.choices)
    offer = forms.CharField(
        label=_("Offer"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    script = forms.CharField(
        label=_("Call script"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=8000,
    )
    segments = forms.MultipleChoiceField(
        label=_("Segments"), required=False, widget=multiple()
    )
    value_bands = forms.MultipleChoiceField(
        label=_("Value bands"), required=False, widget=multiple()
    )
    risk_bands = forms.MultipleChoiceField(
        label=_("Risk bands"), required=False, widget=multiple()
    )
    customer_types = forms.MultipleChoiceField(
        label=_("Customer types"), required=False, widget=multiple()
    )
    party_kinds = forms.MultipleChoiceField(
        label=_("Individuals or organisations"),
        choices=PartyKind.choices,
        required=False,
        widget=multiple(),
    )
    churn_min = forms.FloatField(
        label=_("Churn probability from"), min_value=0, max_value=1, required=False
    )
    churn_max = forms.FloatField(
        label=_("Churn probability up to"), min_value=0, max_value=1, required=False
    )
    offerings = CodesField(
        label=_("Product codes (an active line of one of them)"),
        required=False,
        max_length=2000,
    )
    provinces = CodesField(
        label=_("Provinces (the address)"), required=False, max_length=2000
    )
    expected_acceptance_rate = forms.DecimalField(
        label=_("Expected acceptance rate (0-1)"),
        min_value=Decimal(0),
        max_value=Decimal(1),
        max_digits=5,
        decimal_places=4,
    )
    expected_revenue_per_acceptance = forms.DecimalField(
        label=_("Expected revenue kept per acceptance (yuan)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        initial=Decimal(0),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority (9 highest)"),
        choices=[(n, str(n)) for n in range(9, 0, -1)],
        coerce=int,
        initial=5,
    )
    budget = forms.DecimalField(
        label=_("Budget (yuan)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
    )
    cost_per_attempt = forms.DecimalField(
        label=_("Cost per contact attempt (yuan)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        initial=Decimal("2.00"),
    )
    cost_per_acceptance = forms.DecimalField(
        label=_("Offer cost per acceptance (yuan)"),
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        initial=Decimal(0),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=date_input())
    ends_on = forms.DateField(label=_("Ends on"), widget=date_input())
    control_fraction = forms.FloatField(
        label=_("Control group share (0-0.9)"),
        min_value=0,
        max_value=0.9,
        initial=0.1,
    )
    pilot_size = forms.IntegerField(
        label=_("Pilot size (0: no pilot)"), min_value=0, initial=0
    )
    max_attempts_per_customer = forms.IntegerField(
        label=_("Attempts per customer"), min_value=1, max_value=20, initial=3
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels in the page's language: built per request, not at import.
        choice_fields: dict[str, list[tuple[str, str]]] = {
            "segments": segment_choices(),
            "value_bands": band_choices(),
            "risk_bands": band_choices(),
            "customer_types": customer_type_choices(),
        }
        for name, choices in choice_fields.items():
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = choices

    def clean_offerings(self) -> list[str]:
        codes: list[str] = self.cleaned_data["offerings"]
        known = set(
            ProductOffering.objects.filter(code__in=codes).values_list(
                "code", flat=True
            )
        )
        unknown = [code for code in codes if code not in known]
        if unknown:
            raise ValidationError(
                _("Unknown product codes: %(codes)s."),
                params={"codes": ", ".join(unknown)},
            )
        return codes

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        low, high = cleaned.get("churn_min"), cleaned.get("churn_max")
        if low is not None and high is not None and low > high:
            self.add_error("churn_max", _("The range ends above its start."))
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("A campaign ends on or after its start."))
        elif ends and ends < timezone.localdate():
            self.add_error("ends_on", _("This end date has passed."))
        return cleaned

    def target_rule(self) -> dict[str, Any]:
        """The target rule from the (cleaned) rule fields; empty ones left out."""
        rule: dict[str, Any] = {}
        for key in RULE_LISTS:
            values = self.cleaned_data.get(key) or []
            if values:
                rule[key] = list(values)
        for key in RULE_NUMBERS:
            value = self.cleaned_data.get(key)
            if value is not None:
                rule[key] = value
        return rule

    def campaign_fields(self) -> dict[str, Any]:
        """Keyword arguments of ``campaign_create`` / ``campaign_update``."""
        fields = {name: self.cleaned_data[name] for name in TERMS}
        fields["target_rule"] = self.target_rule()
        return fields

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignForm:
        """The form filled with a campaign's terms (to edit it)."""
        initial: dict[str, Any] = {name: getattr(campaign, name) for name in TERMS}
        initial.update(campaign.target_rule)
        return cls(initial=initial)


# Defaults of the live count while the form is still incomplete.
COUNT_DEFAULTS: dict[str, Any] = {
    "control_fraction": 0.1,
    "pilot_size": 0,
    "max_attempts_per_customer": 3,
    "expected_acceptance_rate": Decimal(0),
    "expected_revenue_per_acceptance": Decimal(0),
    "cost_per_attempt": Decimal("2.00"),
    "cost_per_acceptance": Decimal(0),
    "budget": Decimal(0),
}


def count_terms(form: CampaignForm) -> dict[str, Any]:
    """What the live count needs from a form being filled in: the valid fields,
    defaults for the others (a name not typed yet does not stop the count)."""
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    terms = {
        key: cleaned[key] if cleaned.get(key) is not None else default
        for key, default in COUNT_DEFAULTS.items()
    }
    terms["target_rule"] = form.target_rule()
    return terms


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


CALL_OUTCOMES = [
    (outcome, label)
    for outcome, label in ContactOutcome.choices
    if outcome not in (ContactOutcome.RESERVED, ContactOutcome.SENT)
]


class OutcomeForm(forms.Form):
    """How the call ended; a call back names when (``call_outcome_record`` checks
    the moment)."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=CALL_OUTCOMES)
    callback_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReferralForm(forms.Form):
    referred_phone = forms.CharField(
        label=_("Phone number of the person referred"), max_length=30
    )
