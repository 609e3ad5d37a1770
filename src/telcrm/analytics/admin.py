"""Admin: pipeline runs and customer scores (read-only: the pipeline writes them) and
fraud flags, which staff confirm or dismiss."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from telcrm.analytics.choices import FlagStatus
from telcrm.analytics.models import CustomerScore, FraudFlag, PipelineRun
from telcrm.analytics.writeback import fraud_flags_review
from telcrm.core.admin import ReadOnlyAdmin, ServiceWrittenAdmin
from telcrm.users.models import User


@admin.register(PipelineRun)
class PipelineRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "started_at", "finished_at", "state", "as_of", "started_by"]
    list_filter = ["state"]


@admin.register(CustomerScore)
class CustomerScoreAdmin(ReadOnlyAdmin):
    list_display = [
        "customer", "churn_probability", "segment_code", "customer_type",
        "value_score", "clv", "bad_debt_probability", "scored_at",
    ]  # fmt: skip
    list_filter = ["segment_code", "customer_type", "risk_band", "value_band"]
    search_fields = ["customer__customer_number"]
    raw_id_fields = ["customer", "run"]


@admin.register(FraudFlag)
class FraudFlagAdmin(ServiceWrittenAdmin):
    list_display = [
        "service_number", "rule", "first_day", "last_day", "score", "status",
        "customer",
    ]  # fmt: skip
    list_filter = ["rule", "status"]
    search_fields = ["service_number", "customer__customer_number"]
    raw_id_fields = ["customer", "run"]
    readonly_fields = [
        "run", "customer", "service_number", "rule", "first_day", "last_day",
        "score", "evidence", "status", "reviewed_by", "reviewed_at",
    ]  # fmt: skip
    actions = ["confirm", "dismiss"]

    @admin.action(description=_("Confirm as fraud"), permissions=["change"])
    def confirm(self, request: HttpRequest, queryset: QuerySet[FraudFlag]) -> None:
        self.review(request, queryset, FlagStatus.CONFIRMED)

    @admin.action(description=_("Dismiss"), permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[FraudFlag]) -> None:
        self.review(request, queryset, FlagStatus.DISMISSED)

    def review(
        self, request: HttpRequest, queryset: QuerySet[FraudFlag], status: FlagStatus
    ) -> None:
        assert isinstance(request.user, User)
        count = fraud_flags_review(flags=queryset, status=status, user=request.user)
        self.message_user(
            request, _("%(count)d flag(s) marked.") % {"count": count}, messages.SUCCESS
        )
