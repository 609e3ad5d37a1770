"""Admin: the contact policy's parameters are edited here by administrators."""

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from telcrm.campaigns.models import (
    AgentCapacity,
    CallingWindow,
    Campaign,
    ContactSuppression,
    FrequencyCap,
    Holiday,
    PolicySettings,
    RegionTimeZone,
)


@admin.register(FrequencyCap)
class FrequencyCapAdmin(SimpleHistoryAdmin):
    list_display = ["name", "channel", "window_days", "max_attempts", "active"]


@admin.register(CallingWindow)
class CallingWindowAdmin(SimpleHistoryAdmin):
    list_display = ["province", "weekday", "starts_at", "ends_at"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "province", "name"]
    date_hierarchy = "date"


@admin.register(RegionTimeZone)
class RegionTimeZoneAdmin(admin.ModelAdmin):
    list_display = ["province", "time_zone"]


@admin.register(PolicySettings)
class PolicySettingsAdmin(SimpleHistoryAdmin):
    list_display = ["refusal_cool_off_days", "complaint_cool_off_days"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not PolicySettings.objects.exists()


@admin.register(AgentCapacity)
class AgentCapacityAdmin(admin.ModelAdmin):
    list_display = ["agent", "calls_per_day", "active"]
    raw_id_fields = ["agent"]


@admin.register(Campaign)
class CampaignAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "goal", "channel", "priority", "status"]
    list_filter = ["status", "goal", "channel"]
    search_fields = ["code", "name"]
    readonly_fields = ["created_by", "decided_by", "decided_at", "random_seed"]


@admin.register(ContactSuppression)
class ContactSuppressionAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "source", "since", "lifted_at"]
    raw_id_fields = ["customer"]
