"""The form of the group page: record a visit, or plan the next one."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from telcrm.customers.choices import InteractionOutcome

# A planned visit is a visit whose outcome is still open (docs/web.md): the
# interaction choices have no "planned", and open is exactly what a plan is.
PLANNED = InteractionOutcome.OPEN
VISIT_OUTCOMES = [
    (PLANNED, _("Planned (next visit)")),
    *[
        (value, label)
        for value, label in InteractionOutcome.choices
        if value != InteractionOutcome.OPEN
    ],
]


class VisitForm(forms.Form):
    """A visit made (date today or earlier) or planned (today or later, with a goal)."""

    visit_date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VISIT_OUTCOMES)
    notes = forms.CharField(
        label=_("Notes, or the goal of a planned visit"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        day = cleaned.get("visit_date")
        outcome = cleaned.get("outcome")
        if day is None or outcome is None:
            return cleaned
        if outcome == PLANNED and day < self.today:
            self.add_error("visit_date", _("A planned visit is today or later."))
        if outcome != PLANNED and day > self.today:
            self.add_error("visit_date", _("A visit made cannot be in the future."))
        return cleaned
