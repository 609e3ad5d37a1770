"""Admin: the import ledger (read-only) and the quarantine staff fix and re-submit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from telcrm.core.admin import ReadOnlyAdmin, ServiceWrittenAdmin
from telcrm.imports.choices import QuarantineState
from telcrm.imports.models import ImportFile, ImportRun, QuarantinedRow
from telcrm.imports.quarantine import (
    quarantined_row_fix,
    quarantined_rows_discard,
    quarantined_rows_resubmit,
)
from telcrm.imports.services import ImportBusy
from telcrm.loading.kinds import kind_columns
from telcrm.users.models import User

FILE_FIELDS = (
    "path", "kind", "read", "loaded", "quarantined", "duplicates", "sha256",
    "size_bytes", "encoding",
)  # fmt: skip
RESUBMIT_BUTTON = "_resubmit"
DISCARD_BUTTON = "_discard"


class ImportFileInline(admin.TabularInline):
    model = ImportFile
    extra = 0
    can_delete = False
    fields = FILE_FIELDS
    readonly_fields = FILE_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: Any | None = None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "started_at", "state", "operator", "source", "finished_at"]
    list_filter = ["state"]
    search_fields = ["source", "operator"]
    inlines = [ImportFileInline]


VALUE_PREFIX = "value__"


class QuarantinedRowForm(forms.ModelForm):
    """The row's values, one text box per column of its kind (see ``values_form``)."""

    class Meta:
        model = QuarantinedRow
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editable = self.instance.state == QuarantineState.OPEN
        for name, field in self.fields.items():
            if name.startswith(VALUE_PREFIX):
                field.initial = self.instance.row.get(name.removeprefix(VALUE_PREFIX))
                field.disabled = not editable

    def corrected_values(self) -> dict[str, str]:
        return {
            name.removeprefix(VALUE_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(VALUE_PREFIX)
        }


def value_fields(obj: QuarantinedRow | None) -> list[str]:
    return [VALUE_PREFIX + column for column in kind_columns(obj.kind)] if obj else []


def values_form(obj: QuarantinedRow | None) -> type[QuarantinedRowForm]:
    """A form class with a text box per column of the row's kind."""
    attrs: dict[str, Any] = {
        name: forms.CharField(
            label=name.removeprefix(VALUE_PREFIX),
            required=False,
            widget=forms.TextInput(attrs={"size": 60}),
        )
        for name in value_fields(obj)
    }
    return type("QuarantinedRowValuesForm", (QuarantinedRowForm,), attrs)


@admin.register(QuarantinedRow)
class QuarantinedRowAdmin(ServiceWrittenAdmin):
    form = QuarantinedRowForm
    list_display = ["id", "kind", "path", "line", "field", "reason", "state", "run"]
    list_filter = ["state", "kind", "run"]
    search_fields = ["path", "reason", "field"]
    readonly_fields = [
        "kind", "path", "line", "field", "reason", "state", "run", "file_sha256",
        "original_values", "created_at", "resolved_at", "resolved_by",
    ]  # fmt: skip
    actions = ["resubmit_selected", "discard_selected"]

    def get_fields(
        self, request: HttpRequest, obj: QuarantinedRow | None = None
    ) -> tuple[str, ...]:
        return (*value_fields(obj), *self.readonly_fields)

    def get_form(
        self,
        request: HttpRequest,
        obj: QuarantinedRow | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        kwargs["form"] = values_form(obj)
        return super().get_form(request, obj, change=change, **kwargs)

    change_form_template = "admin/imports/quarantinedrow/change_form.html"

    # Nothing read is ever lost: a row is discarded (kept, marked), not deleted.

    @admin.display(description=_("values as read"))
    def original_values(self, obj: QuarantinedRow) -> str:
        return ", ".join(f"{key}={value}" for key, value in obj.row.items())

    def save_model(
        self, request: HttpRequest, obj: QuarantinedRow, form: Any, change: bool
    ) -> None:
        if obj.state == QuarantineState.OPEN:
            quarantined_row_fix(row=obj, values=form.corrected_values())

    def response_change(
        self, request: HttpRequest, obj: QuarantinedRow
    ) -> HttpResponse:
        if RESUBMIT_BUTTON in request.POST:
            self._resubmit(request, [obj])
            return HttpResponseRedirect(request.path)
        if DISCARD_BUTTON in request.POST:
            self._discard(request, [obj])
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    @admin.action(description=_("Re-submit the selected rows"), permissions=["change"])
    def resubmit_selected(
        self, request: HttpRequest, queryset: QuerySet[QuarantinedRow]
    ) -> None:
        self._resubmit(request, list(queryset))

    @admin.action(description=_("Discard the selected rows"), permissions=["change"])
    def discard_selected(
        self, request: HttpRequest, queryset: QuerySet[QuarantinedRow]
    ) -> None:
        self._discard(request, list(queryset))

    def _resubmit(self, request: HttpRequest, rows: list[QuarantinedRow]) -> None:
        assert isinstance(request.user, User)
        try:
            outcome = quarantined_rows_resubmit(rows=rows, user=request.user)
        except ImportBusy as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request,
            _("%(loaded)d loaded; %(still)d still quarantined (see their reason).")
            % {"loaded": outcome.loaded, "still": outcome.still_quarantined},
            messages.SUCCESS if not outcome.still_quarantined else messages.WARNING,
        )

    def _discard(self, request: HttpRequest, rows: list[QuarantinedRow]) -> None:
        assert isinstance(request.user, User)
        count = quarantined_rows_discard(rows=rows, user=request.user)
        self.message_user(request, _("%(count)d discarded.") % {"count": count})
