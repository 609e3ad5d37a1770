"""The import ledger (every run, its files and counts) and the quarantine.

A quarantined row is kept with its file, line, field and reason and every original
value, until staff fix and re-submit it or discard it: nothing read is ever lost.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcrm.imports.choices import FILE_KIND_CHOICES, QuarantineState, RunState


class ImportRun(models.Model):
    """One run of ``telcrm import`` (or one re-submission from the quarantine)."""

    state = models.CharField(
        _("state"), max_length=16, choices=RunState.choices, default=RunState.RUNNING
    )
    operator = models.CharField(
        _("operator"), max_length=150, help_text=_("Who started it (login name).")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="import_runs",
    )
    source = models.TextField(_("source"), help_text=_("What was imported."))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import run")

    def __str__(self) -> str:
        return f"import #{self.pk} ({self.state}) {self.started_at:%Y-%m-%d %H:%M}"


class ImportFile(models.Model):
    """A file of a run, identified by its sha256, with its accounting."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="files")
    path = models.TextField(_("path"))
    kind = models.CharField(_("kind"), max_length=32, choices=FILE_KIND_CHOICES)
    sha256 = models.CharField(_("sha256"), max_length=64)
    size_bytes = models.BigIntegerField(_("size (bytes)"))
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    read = models.BigIntegerField(_("read"), default=0)
    loaded = models.BigIntegerField(_("loaded"), default=0)
    quarantined = models.BigIntegerField(_("quarantined"), default=0)
    duplicates = models.BigIntegerField(_("duplicates"), default=0)

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("imported file")
        constraints = [
            models.CheckConstraint(
                condition=Q(read=F("loaded") + F("quarantined") + F("duplicates")),
                name="import_file_accounting_balances",
                violation_error_message=_(
                    "A file's rows read must equal loaded + quarantined + duplicates."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.path


class QuarantinedRow(models.Model):
    """A row that broke the contract, with where and why, and all its values."""

    run = models.ForeignKey(
        ImportRun, on_delete=models.PROTECT, related_name="quarantined_rows"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=FILE_KIND_CHOICES)
    path = models.TextField(_("file"))
    file_sha256 = models.CharField(
        _("file sha256"),
        max_length=64,
        blank=True,
        help_text=_("Empty for a row re-submitted from the quarantine."),
    )
    line = models.BigIntegerField(_("line"))
    field = models.CharField(_("field"), max_length=64)
    reason = models.TextField(_("reason"))
    row = models.JSONField(_("values"), help_text=_("Column -> value, as read."))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=QuarantineState.choices,
        default=QuarantineState.OPEN,
    )
    created_at = models.DateTimeField(_("quarantined at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["path", "line"]
        verbose_name = _("quarantined row")
        indexes = [models.Index(fields=["state", "kind"], name="quarantine_state_kind")]
        constraints = [
            # A re-run of the same file does not quarantine the same row twice.
            models.UniqueConstraint(
                fields=["kind", "file_sha256", "line"],
                condition=~Q(file_sha256=""),
                name="quarantine_row_once_per_file",
                violation_error_message=_("This row of this file is already held."),
            ),
            models.CheckConstraint(
                condition=Q(state=QuarantineState.OPEN) | Q(resolved_at__isnull=False),
                name="quarantine_resolved_has_time",
                violation_error_message=_("A resolved row needs its resolution time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.field}: {self.reason}"
