"""Choice sets of the imports app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from telcrm.loading.kinds import KINDS


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    REFUSED = "refused", _("Refused (nothing written)")
    FAILED = "failed", _("Failed (rolled back)")
    # Found still "running" by a later run: its process died (killed, power cut).
    INTERRUPTED = "interrupted", _("Interrupted (completed by a later run)")


class QuarantineState(models.TextChoices):
    OPEN = "open", _("Open")
    LOADED = "loaded", _("Re-submitted and loaded")
    DISCARDED = "discarded", _("Discarded")


# The kinds of file (docs/silos.md), as stored in the ledger and the quarantine.
FILE_KIND_CHOICES = [(kind, kind.replace("_", " ").capitalize()) for kind in KINDS]
