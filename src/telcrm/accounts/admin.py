"""Admin for group trees, account teams and accounts."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from telcrm.accounts.models import (
    AccountTeamMember,
    BillingAccount,
    GroupNode,
    ServiceAccount,
)
from telcrm.lib.masking import mask_id_number, mask_phone


@admin.register(GroupNode)
class GroupNodeAdmin(SimpleHistoryAdmin):
    # Tree edits go through accounts.services (manager inheritance), so the admin
    # shows the tree read-mostly: moving nodes here would bypass that rule.
    list_display = ["node_number", "level", "depth", "customer"]
    list_filter = ["level", "depth"]
    search_fields = ["node_number", "customer__party__name"]
    readonly_fields = ["path", "depth", "numchild"]
    raw_id_fields = ["customer"]
    # Bulk deletion would take whole subtrees with it (see GroupNode.delete).
    actions = None

    def has_delete_permission(
        self, request: HttpRequest, obj: GroupNode | None = None
    ) -> bool:
        if obj is not None and obj.numchild:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(AccountTeamMember)
class AccountTeamMemberAdmin(SimpleHistoryAdmin):
    list_display = ["root", "user", "team_role"]
    list_filter = ["team_role"]
    raw_id_fields = ["root", "user"]


@admin.register(BillingAccount)
class BillingAccountAdmin(SimpleHistoryAdmin):
    list_display = [
        "account_number",
        "holder_name",
        "masked_holder_id",
        "masked_phone",
        "pay_method",
        "credit_class",
        "status",
    ]
    list_filter = ["pay_method", "credit_class", "status", "bill_province"]
    search_fields = ["account_number", "holder_name", "customer__customer_number"]
    raw_id_fields = ["customer"]

    @admin.display(description="holder ID")
    def masked_holder_id(self, obj: BillingAccount) -> str:
        return mask_id_number(obj.holder_id_number or "")

    @admin.display(description="phone")
    def masked_phone(self, obj: BillingAccount) -> str:
        return mask_phone(obj.contact_phone)


@admin.register(ServiceAccount)
class ServiceAccountAdmin(SimpleHistoryAdmin):
    list_display = ["account_number", "customer", "city", "status"]
    list_filter = ["status", "province"]
    search_fields = ["account_number", "customer__customer_number"]
    raw_id_fields = ["customer", "billing_account"]
