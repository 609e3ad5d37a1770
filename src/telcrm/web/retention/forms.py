"""The form of a retention task row: close it with its outcome."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from telcrm.campaigns.choices import TaskOutcome

CLOSING_OUTCOMES = [
    (value, label) for value, label in TaskOutcome.choices if value != TaskOutcome.NONE
]


class TaskCloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CLOSING_OUTCOMES)
