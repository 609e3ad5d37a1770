"""Admin: the review queue (two records side by side with the evidence) and the links,
which staff can undo."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from telcrm.core.admin import ReadOnlyAdmin, ServiceWrittenAdmin
from telcrm.linkage.choices import PairStatus
from telcrm.linkage.models import IdentityLink, LinkageRun, MatchPair
from telcrm.linkage.records import record_view
from telcrm.linkage.services import (
    LinkRefused,
    identity_link_undo,
    match_pair_accept,
    match_pair_reject,
)
from telcrm.users.models import User

SHOWN_FIELDS = ("name", "id_number", "birth_date", "phone", "address", "customer")


@admin.register(LinkageRun)
class LinkageRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "started_at", "operator", "records", "pairs", "links_made",
        "review_pending", "message",
    ]  # fmt: skip


@admin.register(MatchPair)
class MatchPairAdmin(ServiceWrittenAdmin):
    """The review queue: filter on "Waiting for review", open a pair, decide."""

    list_display = [
        "record_l", "record_r", "match_probability", "match_weight", "decision",
        "status",
    ]  # fmt: skip
    list_filter = ["status", "decision"]
    search_fields = ["record_l", "record_r"]
    readonly_fields = [
        "record_l", "record_r", "match_weight", "match_probability", "evidence",
        "decision", "status", "decided_by", "decided_at", "run",
    ]  # fmt: skip

    def get_urls(self) -> list[URLPattern]:
        review = self.admin_site.admin_view(self.review_view)
        return [
            path("<int:pair_id>/review/", review, name="linkage_matchpair_review"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return HttpResponseRedirect(
            reverse("admin:linkage_matchpair_review", args=[object_id])
        )

    def review_view(self, request: HttpRequest, pair_id: int) -> HttpResponse:
        pair = get_object_or_404(MatchPair, pk=pair_id)
        if not self.has_view_permission(request, pair):
            return HttpResponse(status=403)
        if request.method == "POST":
            return self._decide(request, pair)
        left, right = record_view(pair.record_l), record_view(pair.record_r)
        rows = [
            (name, left.get(name, ""), right.get(name, ""),
             pair.evidence.get("address" if name == "address" else name, ""))
            for name in SHOWN_FIELDS
        ]  # fmt: skip
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "pair": pair,
            "rows": rows,
            "can_decide": pair.status == PairStatus.PENDING
            and self.has_change_permission(request, pair),
            "title": _("Are these the same party?"),
        }
        return TemplateResponse(request, "admin/linkage/matchpair/review.html", context)

    def _decide(self, request: HttpRequest, pair: MatchPair) -> HttpResponse:
        if not self.has_change_permission(request, pair) or pair.status != "pending":
            return HttpResponse(status=403)
        assert isinstance(request.user, User)
        if "_same" in request.POST:
            try:
                link = match_pair_accept(pair=pair, user=request.user)
            except LinkRefused as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(request.path)
            self.message_user(request, _("Linked: %(link)s") % {"link": link or "-"})
        else:
            match_pair_reject(pair=pair, user=request.user)
            self.message_user(request, _("Kept apart; never linked automatically."))
        pending = MatchPair.objects.filter(status=PairStatus.PENDING).first()
        if pending is not None:
            url = reverse("admin:linkage_matchpair_review", args=[pending.pk])
        else:
            url = reverse("admin:linkage_matchpair_changelist")
        return HttpResponseRedirect(url)


@admin.register(IdentityLink)
class IdentityLinkAdmin(ServiceWrittenAdmin):
    list_display = [
        "id", "kind", "merged", "billing_account", "survivor", "decision",
        "linked_at", "linked_by", "undone_at",
    ]  # fmt: skip
    list_filter = ["kind", "decision", "undone_at"]
    search_fields = ["survivor__customer_number", "merged__customer_number"]
    readonly_fields = [
        "kind", "survivor", "merged", "billing_account", "pair", "decision", "moves",
        "linked_by", "linked_at", "undone_by", "undone_at",
    ]  # fmt: skip
    actions = ["undo_selected"]

    @admin.action(
        description=_("Undo the selected links (unmerge)"), permissions=["change"]
    )
    def undo_selected(
        self, request: HttpRequest, queryset: QuerySet[IdentityLink]
    ) -> None:
        assert isinstance(request.user, User)
        undone = 0
        # Newest first: a customer merged later must be unmerged before its survivor.
        for link in queryset.filter(undone_at__isnull=True).order_by(
            "-linked_at", "-id"
        ):
            try:
                identity_link_undo(link=link, user=request.user)
                undone += 1
            except LinkRefused as error:
                self.message_user(request, str(error), messages.ERROR)
        self.message_user(request, _("%(count)d links undone.") % {"count": undone})
