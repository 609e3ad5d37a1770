"""Admin for the product catalogue."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from telcrm.catalog.models import BundleComponent, ProductOffering


class BundleComponentInline(admin.TabularInline):
    model = BundleComponent
    fk_name = "bundle"
    extra = 0
    raw_id_fields = ["component"]


@admin.register(ProductOffering)
class ProductOfferingAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "line_of_business",
        "kind",
        "lifecycle_status",
        "monthly_fee",
    ]
    list_filter = ["line_of_business", "kind", "lifecycle_status"]
    search_fields = ["code", "name", "name_en"]
    inlines = [BundleComponentInline]


@admin.register(BundleComponent)
class BundleComponentAdmin(SimpleHistoryAdmin):
    list_display = ["bundle", "component", "quantity"]
    raw_id_fields = ["bundle", "component"]
