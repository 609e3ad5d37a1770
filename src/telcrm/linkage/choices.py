"""Choice sets of the linkage app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Decision(models.TextChoices):
    """How a pair was decided (telcrm_pipeline.linkage, docs/linkage.md)."""

    EXACT_ID = "exact_id", _("Same valid ID number")
    SOURCE_REFERENCE = "source_reference", _("Source system reference")
    AUTO = "auto", _("Model: certain enough to link")
    REVIEW = "review", _("Model: uncertain, for staff")
    STAFF = "staff", _("Staff decision")


class PairStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    LINKED = "linked", _("Linked")
    REJECTED = "rejected", _("Not the same (staff)")


class LinkKind(models.TextChoices):
    MERGE = "merge", _("Duplicate customer merged")
    ATTACH = "attach", _("Billing account attached")
