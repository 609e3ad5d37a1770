"""Vocabularies of the analytics results."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


class FraudRule(models.TextChoices):
    SIM_BOX = "sim_box", _("SIM-box pattern")
    INTERNATIONAL_BURST = "international_burst", _("International burst")
    SPEND_SPIKE = "spend_spike", _("Sudden spend spike")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed fraud")
    DISMISSED = "dismissed", _("Dismissed")
