"""Authentication backend: a staff member holds the permissions of their role."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission


class RoleModelBackend(ModelBackend):
    """Django's model backend, plus the permissions of the group named after the role.

    ``User.role`` is the one source of truth: changing it changes what the person may
    do at once, with no group membership to keep in step (users loaded in bulk from
    the silos carry a role and nothing else). Explicit groups still add to it.
    """

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        granted = super().get_group_permissions(user_obj, obj)
        role = getattr(user_obj, "role", "")
        if not role or not user_obj.is_active or obj is not None:
            return granted
        of_role = Permission.objects.filter(group__name=role).values_list(
            "content_type__app_label", "codename"
        )
        return granted | {f"{app}.{codename}" for app, codename in of_role}
