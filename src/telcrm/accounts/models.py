"""Accounts (TMF666) and the enterprise group hierarchy of key accounts (R8)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node, MP_NodeManager

from telcrm.accounts.choices import (
    AccountStatus,
    CreditClass,
    GroupLevel,
    PayMethod,
    TeamRole,
)
from telcrm.core.fields import BlindIndexField, EncryptedTextField
from telcrm.core.models import TimeStampedModel
from telcrm.lib.identifiers import resident_id_compact
from telcrm.parties.models import RESIDENT_ID_PURPOSE
from telcrm.parties.validators import validate_e164


class GroupNode(MP_Node, TimeStampedModel):
    """One organisation in an enterprise group tree (``crm/groups.csv``).

    Materialised path (treebeard MP_Node): a node's subtree is every row whose
    ``path`` starts with the node's path, one indexed range scan however deep the
    group is (on PostgreSQL Django adds a ``varchar_pattern_ops`` index next to the
    unique ``path`` so that ``LIKE 'prefix%'`` uses it).
    The account manager is not stored here: it lives on each node's Customer, and
    ``group_assign_account_manager`` keeps the whole tree on the root's manager.
    """

    node_number = models.CharField(_("node number"), max_length=20, unique=True)
    level = models.CharField(_("level"), max_length=12, choices=GroupLevel.choices)
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="group_node"
    )
    objects: MP_NodeManager = MP_NodeManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=GroupLevel.values),
                name="groupnode_level_known",
                violation_error_message=_("Unknown group level."),
            ),
            models.CheckConstraint(
                condition=~Q(level=GroupLevel.GROUP) | Q(depth=1),
                name="groupnode_group_is_root",
                violation_error_message=_("Only the root of a tree is a group."),
            ),
        ]

    def __str__(self) -> str:
        return self.node_number

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        # treebeard deletes a node's whole subtree with it; a group's subsidiaries
        # and branches must be moved or removed first, on purpose, one by one.
        if GroupNode.objects.get_children_count(self):
            raise GroupNodeHasBranches(
                _("%(node)s still has subsidiaries or branches; remove them first.")
                % {"node": self.node_number}
            )
        deleted: tuple[int, dict[str, int]] = super().delete(*args, **kwargs)
        return deleted


class GroupNodeHasBranches(ValueError):
    """Refusal to delete a group node that has nodes beneath it."""


class AccountTeamMember(TimeStampedModel):
    """A colleague backing the account manager of a group (the "action team")."""

    root = models.ForeignKey(
        GroupNode, on_delete=models.CASCADE, related_name="team_members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="account_teams",
    )
    team_role = models.CharField(
        _("team role"), max_length=20, choices=TeamRole.choices
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["root_id", "team_role"]
        constraints = [
            models.UniqueConstraint(
                fields=["root", "user", "team_role"],
                name="account_team_member_unique",
                violation_error_message=_(
                    "This colleague already has this role in the group's team."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.team_role})"


class BillingAccount(TimeStampedModel):
    """Where charges are collected (TMF666 BillingAccount, ``billing/accounts.csv``).

    ``holder_name`` and the holder's ID are as the billing system has them, which may
    differ from the CRM; ``customer`` is NULL for legacy accounts not yet linked.
    """

    account_number = models.CharField(_("account number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="billing_accounts",
    )
    holder_name = models.CharField(_("holder name"), max_length=200, db_index=True)
    holder_id_number = EncryptedTextField(_("holder ID number"), blank=True)
    holder_id_number_index = BlindIndexField(
        source="holder_id_number",
        purpose=RESIDENT_ID_PURPOSE,
        normalizer=resident_id_compact,
        db_index=True,
    )
    contact_phone = models.CharField(
        _("contact phone (E.164)"),
        max_length=16,
        blank=True,
        validators=[validate_e164],
    )
    pay_method = models.CharField(
        _("pay method"), max_length=12, choices=PayMethod.choices
    )
    credit_class = models.CharField(
        _("credit class"), max_length=1, choices=CreditClass.choices, blank=True
    )
    bill_province = models.CharField(_("province"), max_length=50, blank=True)
    bill_city = models.CharField(_("city"), max_length=50, blank=True)
    bill_district = models.CharField(_("district"), max_length=50, blank=True)
    bill_street = EncryptedTextField(_("bill address"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AccountStatus.choices,
        default=AccountStatus.ACTIVE,
    )
    opened_date = models.DateField(_("opened"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["account_number"]
        indexes = [
            models.Index(
                fields=["contact_phone"],
                name="billingaccount_phone_idx",
                condition=~Q(contact_phone=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(pay_method__in=PayMethod.values)
                & Q(status__in=AccountStatus.values)
                & Q(credit_class__in=[*CreditClass.values, ""]),
                name="billingaccount_choices_known",
                violation_error_message=_(
                    "Unknown pay method, status or credit class."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.account_number


class ServiceAccount(TimeStampedModel):
    """Where services are delivered (SID ServiceAccount): e.g. a broadband install site.

    Holds the installation address the broadband system keeps per line.
    """

    account_number = models.CharField(_("account number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="service_accounts"
    )
    billing_account = models.ForeignKey(
        BillingAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_accounts",
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    # The holder's details as the broadband system keeps them (may differ from the
    # CRM's: typos, an old number); identity linkage compares them.
    holder_id_number = EncryptedTextField(_("holder ID number"), blank=True)
    contact_phone = models.CharField(
        _("contact phone (E.164)"),
        max_length=16,
        blank=True,
        validators=[validate_e164],
    )
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    street = EncryptedTextField(_("street address"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AccountStatus.choices,
        default=AccountStatus.ACTIVE,
    )
    opened_date = models.DateField(_("opened"), null=True, blank=True)
    closed_date = models.DateField(_("closed"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["account_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AccountStatus.values),
                name="serviceaccount_status_known",
                violation_error_message=_("Unknown account status."),
            ),
            models.CheckConstraint(
                condition=Q(closed_date__isnull=True)
                | Q(opened_date__isnull=True)
                | Q(closed_date__gte=F("opened_date")),
                name="serviceaccount_closed_after_opened",
                violation_error_message=_("An account cannot close before it opened."),
            ),
        ]

    def __str__(self) -> str:
        return self.account_number
