"""Who saw or changed what, and when: personal data, exports, merges (R12).

Rows are only ever added (``audit_record``); no admin or page edits or deletes one,
and the auditor role reads them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from telcrm.audit.choices import AuditAction


class AuditEvent(models.Model):
    at = models.DateTimeField(_("at"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    username = models.CharField(_("user name"), max_length=150)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    target_type = models.CharField(_("target type"), max_length=50, blank=True)
    target_id = models.CharField(_("target"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        indexes = [models.Index(fields=["target_type", "target_id", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AuditAction.values),
                name="audit_event_action_known",
                violation_error_message=_("Unknown audit action."),
            ),
            models.CheckConstraint(
                condition=~Q(action=AuditAction.UNMASK) | ~Q(reason=""),
                name="audit_unmask_has_reason",
                violation_error_message=_("Unmasking needs a reason."),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.target_id}"
        )
