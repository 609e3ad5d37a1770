"""Admin for parties: ID numbers are shown masked in lists (PRIV-1)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from telcrm.lib.masking import mask_phone
from telcrm.parties.models import ContactMedium, Individual, Organization, Party


class IndividualInline(admin.StackedInline):
    model = Individual
    extra = 0


class OrganizationInline(admin.StackedInline):
    model = Organization
    extra = 0


class ContactMediumInline(admin.TabularInline):
    model = ContactMedium
    extra = 0


@admin.register(Party)
class PartyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "created"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [IndividualInline, OrganizationInline, ContactMediumInline]


@admin.register(Individual)
class IndividualAdmin(SimpleHistoryAdmin):
    list_display = ["party", "gender", "birth_date", "masked_id_number"]
    list_filter = ["gender"]
    search_fields = ["party__name"]
    raw_id_fields = ["party"]

    @admin.display(description="ID number")
    def masked_id_number(self, obj: Individual) -> str:
        return obj.masked_id_number


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ["party", "uscc", "industry"]
    search_fields = ["party__name", "uscc"]
    raw_id_fields = ["party"]


@admin.register(ContactMedium)
class ContactMediumAdmin(SimpleHistoryAdmin):
    list_display = ["party", "kind", "masked_phone", "email", "city", "is_primary"]
    list_filter = ["kind", "is_primary", "province"]
    search_fields = ["party__name", "phone", "email"]
    raw_id_fields = ["party"]

    @admin.display(description="phone")
    def masked_phone(self, obj: ContactMedium) -> str:
        return mask_phone(obj.phone)
