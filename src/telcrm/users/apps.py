from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles_after_migrate(using: str = "default", **kwargs: Any) -> None:
    # Permissions are created by auth's own post_migrate handler, app by app, and the
    # users app is migrated before the apps whose models it grants; create them all
    # first (idempotent) so the groups are complete on the very first migrate.
    from django.contrib.auth.management import create_permissions

    from telcrm.users.services import roles_sync

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    roles_sync()


class UsersConfig(AppConfig):
    name = "telcrm.users"
    label = "users"

    def ready(self) -> None:
        # post_migrate rather than a data migration: a data migration runs before the
        # permissions of models added later exist, and would freeze today's role map;
        # this hook re-applies the current map on every migrate, including test DBs.
        post_migrate.connect(
            _sync_roles_after_migrate, sender=self, dispatch_uid="telcrm_roles_sync"
        )
