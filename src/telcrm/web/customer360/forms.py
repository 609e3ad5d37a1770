"""Forms of the customer 360 page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UnmaskForm(forms.Form):
    """Why the full phone and ID number are needed (kept in the audit trail)."""

    reason = forms.CharField(
        label=_("Reason for showing the full data"),
        max_length=500,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. caller verification, ticket number")}
        ),
    )
