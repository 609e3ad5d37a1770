"""Staff identities. Customers are parties, never users."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from telcrm.core.models import TimeStampedModel
from telcrm.users.choices import Role


class User(AbstractUser):
    """A member of the operator's staff (``crm/staff.csv``).

    ``username`` is the login; ``staff_number`` is the HR id other systems quote
    (``S`` + 5 digits). The role decides the permission group (``roles_sync``).
    """

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    staff_number = models.CharField(
        _("staff number"), max_length=20, unique=True, null=True, blank=True
    )
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    supervisor = models.ForeignKey(
        "self",
        verbose_name=_("supervisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("The web app's language for this user (empty: the browser's)."),
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        indexes = [models.Index(fields=["role", "province", "city"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values) | models.Q(role=""),
                name="user_role_known",
                violation_error_message=_("Unknown staff role."),
            ),
            models.CheckConstraint(
                condition=~models.Q(supervisor=models.F("id")),
                name="user_not_own_supervisor",
                violation_error_message=_("Staff cannot supervise themselves."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username


class Team(TimeStampedModel):
    """A group of staff working together (an outlet's crew, a call-centre shift)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="teams"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
