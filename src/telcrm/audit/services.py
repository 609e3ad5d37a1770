"""Writing the audit trail, and unmasking personal data with a reason.

An unmask lasts ``UNMASK_SECONDS`` for that customer in that session, is allowed
only to users holding ``customers.unmask_personal_data``, needs a typed reason of at
least ``MIN_REASON_LENGTH`` characters, and leaves exactly one ``AuditEvent``.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from telcrm.audit.choices import AuditAction
from telcrm.audit.models import AuditEvent
from telcrm.customers.models import Customer
from telcrm.users.models import User

UNMASK_PERMISSION = "customers.unmask_personal_data"
UNMASK_SECONDS = 300
MIN_REASON_LENGTH = 5
SESSION_KEY = "telcrm_unmasked"


def audit_record(
    *,
    user: User | None,
    action: str,
    target: Any = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event; ``target`` is a model instance (type and primary key kept)."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        user=user,
        username=user.get_username() if user else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        reason=reason,
        detail=detail or {},
        ip_address=request.META.get("REMOTE_ADDR") if request else None,
    )


def unmask_grant(
    *, request: HttpRequest, user: User, customer: Customer, reason: str
) -> AuditEvent:
    """Show ``customer``'s personal data unmasked to ``user`` for a while."""
    if not user.has_perm(UNMASK_PERMISSION):
        raise PermissionDenied
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            _("Say why you need the full data (at least %(n)d characters).")
            % {"n": MIN_REASON_LENGTH}
        )
    event = audit_record(
        user=user,
        action=AuditAction.UNMASK,
        target=customer,
        reason=reason,
        request=request,
    )
    granted = dict(request.session.get(SESSION_KEY, {}))
    granted[str(customer.pk)] = time.time() + UNMASK_SECONDS
    request.session[SESSION_KEY] = granted
    return event


def is_unmasked(request: HttpRequest, customer: Customer) -> bool:
    """Whether this session unmasked ``customer`` recently (and still may)."""
    until = request.session.get(SESSION_KEY, {}).get(str(customer.pk))
    user = request.user
    return (
        until is not None
        and until > time.time()
        and isinstance(user, User)
        and user.has_perm(UNMASK_PERMISSION)
    )
