"""Admin for bills and payments (transactional: no change history)."""

from __future__ import annotations

from django.contrib import admin

from telcrm.billing.models import Bill, BillItem, Payment


class BillItemInline(admin.TabularInline):
    model = BillItem
    extra = 0
    raw_id_fields = ["subscription"]


@admin.register(Bill)
class BillAdmin(admin.ModelAdmin):
    list_display = ["bill_number", "billing_account", "period", "due_date", "amount"]
    list_filter = ["period"]
    search_fields = ["bill_number", "billing_account__account_number"]
    raw_id_fields = ["billing_account"]
    inlines = [BillItemInline]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["payment_number", "billing_account", "bill", "paid_at", "amount"]
    list_filter = ["method"]
    search_fields = ["payment_number", "billing_account__account_number"]
    raw_id_fields = ["billing_account", "bill"]
    date_hierarchy = "paid_at"
