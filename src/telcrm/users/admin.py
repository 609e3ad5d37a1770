"""Admin for staff and teams, with change history."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from telcrm.users.models import Team, User


@admin.register(User)
class StaffAdmin(SimpleHistoryAdmin, UserAdmin):
    list_display = ["username", "full_name", "staff_number", "role", "province", "city"]
    list_filter = ["role", "province", "is_active"]
    search_fields = ["username", "full_name", "staff_number"]
    raw_id_fields = ["supervisor"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "Telco CRM",
            {
                "fields": (
                    "role",
                    "staff_number",
                    "full_name",
                    "province",
                    "city",
                    "supervisor",
                )
            },
        ),
    )


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "leader"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    raw_id_fields = ["leader"]
