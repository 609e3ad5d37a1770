"""Security events into the audit trail: every login and every failed login.

Connected in ``AuditConfig.ready``. Recording who logged in is the audit trail's own
business, not a domain side effect, so Django's auth signals are the right hook.
django-axes handles the same signals first (it is installed before this app) and
marks a request it refused, so a lockout shows as ``detail["locked_out"]``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from telcrm.audit.choices import AuditAction
from telcrm.audit.models import AuditEvent
from telcrm.audit.services import audit_record
from telcrm.users.models import User

USERNAME_MAX_LENGTH = AuditEvent._meta.get_field("username").max_length or 150


def encoded_username(raw: object) -> str:
    """A typed user name as one safe line (a CR/LF could forge a log entry)."""
    text = str(raw or "").replace("\r", "\\r").replace("\n", "\\n")
    return text[:USERNAME_MAX_LENGTH]


def login_recorded(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    audit_record(user=user, action=AuditAction.LOGIN, request=request)


def login_failure_recorded(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    locked_out = bool(getattr(request, "axes_locked_out", False))
    AuditEvent.objects.create(
        at=timezone.now(),
        user=None,
        username=encoded_username(credentials.get("username")),
        action=AuditAction.LOGIN_FAILED,
        detail={"locked_out": locked_out},
        ip_address=request.META.get("REMOTE_ADDR") if request else None,
    )
