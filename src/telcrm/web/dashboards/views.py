"""Dashboards (R11) and the value x risk matrix (R5), from the latest completed
pipeline run's marts (queries.py; figures defined in docs/web.md, "Dashboards").

Marketers, analysts, supervisors, administrators, account managers and auditors
open the aggregate pages; the list of a matrix cell's customers is for the roles
that work with single customers, each within ``visible_customers``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from telcrm.analytics.models import PipelineRun
from telcrm.analytics.selectors import latest_completed_run
from telcrm.catalog.choices import LineOfBusiness
from telcrm.core.choices import choice_label
from telcrm.customers.choices import AcquisitionChannel
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.campaign_results.views import dashboard_tile
from telcrm.web.dashboards.queries import (
    DIMENSIONS,
    DRILL_DOWN,
    UNSCORED,
    KpiRow,
    Marts,
    MartsUnavailable,
    MatrixCell,
    UnknownDimension,
    parse_month,
)
from telcrm.web.labels import (
    band_label,
    dimension_label,
    in_user_language,
    segment_of,
)
from telcrm.web.scope import holds_role, sees_customers, visible_among
from telcrm.web.views import is_htmx
from telcrm_pipeline.segments.strategy import BANDS, SEGMENTS

DASHBOARD_ROLES = frozenset(
    {
        Role.MARKETER,
        Role.ANALYST,
        Role.SUPERVISOR,
        Role.ADMINISTRATOR,
        Role.ACCOUNT_MANAGER,
        Role.AUDITOR,
    }
)
DEFAULT_DIMENSION = "province"
CELL_PAGE_SIZE = 50

View = Callable[..., HttpResponse]


def sees_dashboards(user: User) -> bool:
    return holds_role(user, DASHBOARD_ROLES)


def sees_cell_lists(user: User) -> bool:
    """The customers behind a figure: roles that see dashboards *and* customers."""
    return sees_dashboards(user) and sees_customers(user)


def dashboard_view(
    view: Callable[..., HttpResponse] | None = None,
    *,
    allowed: Callable[[User], bool] = sees_dashboards,
) -> Any:
    """Login, the ``allowed`` roles (checked before anything else, so that a denied
    role never gets a 2xx, not even the no-run page), the latest run's marts (or the
    page that says there are none yet) and a 400 for an unknown dimension or month.

    Use as ``@dashboard_view`` or ``@dashboard_view(allowed=...)``.
    """
    if view is None:
        return lambda inner: dashboard_view(inner, allowed=allowed)

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        assert isinstance(request.user, User)
        if not allowed(request.user):
            raise PermissionDenied
        run = latest_completed_run()
        try:
            if run is None or not run.marts:
                raise MartsUnavailable("no completed run")
            marts = Marts(Path(run.marts))
        except MartsUnavailable:
            return render(request, "web/dashboards/no_run.html", {"run": run})
        try:
            return view(request, run, marts, *args, **kwargs)
        except (UnknownDimension, ValueError):
            return HttpResponseBadRequest("Unknown dimension or value.")

    return wrapper


def slicer_filters(request: HttpRequest) -> dict[str, str]:
    """The filters in the query string: keys that name a dimension, with a value.

    Month values are checked here so that a malformed one is a 400.
    """
    filters = {name: request.GET[name] for name in DIMENSIONS if request.GET.get(name)}
    parse_month(filters.get("month"))
    return filters


def key_label(dimension: str, key: str | None) -> str:
    """A dimension's value as the page shows it (the value itself stays in URLs)."""
    if key is None:
        return "—"
    if dimension == "segment":
        if segment := segment_of(key):
            return in_user_language(segment)[0]
        if key == UNSCORED:
            return _("Not scored")
    if dimension == "product":
        return choice_label(LineOfBusiness, key)
    if dimension == "channel":
        return choice_label(AcquisitionChannel, key)
    if dimension == "month":
        return key[:7]
    return key or "—"


def dimension_options() -> list[tuple[str, str]]:
    """The slicer's dimensions: (value for the URL, label)."""
    return [(name, dimension_label(name)) for name in DIMENSIONS]


@dashboard_view
def dashboard(request: HttpRequest, run: PipelineRun, marts: Marts) -> HttpResponse:
    """KPI tiles of the latest month in the slice, the monthly trend, and the
    breakdown by one dimension; HTMX requests get the body only."""
    by = request.GET.get("by", DEFAULT_DIMENSION)
    if by not in DIMENSIONS:
        return HttpResponseBadRequest("Unknown dimension.")
    filters = slicer_filters(request)
    trend = marts.kpis(filters={k: v for k, v in filters.items() if k != "month"})
    headline = pick_headline(trend, filters.get("month"))
    breakdown_filters = dict(filters)
    if headline is not None and by != "month":
        breakdown_filters["month"] = headline.month.isoformat()
    breakdown = marts.kpis(by=by, filters=breakdown_filters)
    context = {
        "run": run,
        "by": by,
        "filters": filters,
        "dimensions": dimension_options(),
        "by_label": dimension_label(by),
        "headline": headline,
        "headline_rates": rates(headline),
        "chips": filter_chips(request, by, filters),
        "clv": marts.clv_summary(filters),
        "breakdown": breakdown_rows(request, by, filters, breakdown),
        "trend_chart": trend_chart(trend),
        "matrix_url": reverse("web:matrix"),
    }
    if not is_htmx(request):
        assert isinstance(request.user, User)
        context["campaigns"] = dashboard_tile(request.user)
    template = (
        "web/dashboards/_body.html"
        if is_htmx(request)
        else "web/dashboards/dashboard.html"
    )
    return render(request, template, context)


def pick_headline(trend: list[KpiRow], month: str | None) -> KpiRow | None:
    """The row of the chosen month, or of the latest one."""
    if month:
        wanted = parse_month(month)
        return next((row for row in trend if row.month == wanted), None)
    return trend[-1] if trend else None


def breakdown_rows(
    request: HttpRequest, by: str, filters: dict[str, str], rows: list[KpiRow]
) -> list[dict[str, Any]]:
    """The breakdown table's rows, each with its drill-down or filter link."""
    drill_to = DRILL_DOWN.get(by, by)
    result = []
    for row in rows:
        link = None
        if row.key is not None:
            query = request.GET.copy()
            query[by] = row.key
            query["by"] = drill_to
            link = f"{reverse('web:dashboard')}?{query.urlencode()}"
        result.append(
            {"label": key_label(by, row.key), "row": row, "link": link, **rates(row)}
        )
    return result


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.2f} %"


def rates(row: KpiRow | None) -> dict[str, str]:
    """Churn and retention rates as the page prints them."""
    if row is None:
        return {"churn": "—", "retention": "—"}
    return {"churn": percent(row.churn_rate), "retention": percent(row.retention_rate)}


def filter_chips(
    request: HttpRequest, by: str, filters: dict[str, str]
) -> list[dict[str, str]]:
    """The active filters, each with the link that removes it."""
    chips = []
    for name, value in filters.items():
        query = request.GET.copy()
        query.pop(name)
        chips.append(
            {
                "label": f"{dimension_label(name)}: {key_label(name, value)}",
                "link": f"{reverse('web:dashboard')}?{query.urlencode()}",
            }
        )
    return chips


def trend_chart(trend: list[KpiRow]) -> dict[str, Any]:
    """The trend chart's data, handed to dashboards.js through ``json_script``."""
    return {
        "labels": {
            "customers": _("Customers"),
            "revenue": _("Revenue"),
            "churn_rate": _("Churn rate (%)"),
        },
        "months": [row.month.isoformat()[:7] for row in trend],
        "customers": [row.customers for row in trend],
        "revenue": [round(row.revenue, 2) for row in trend],
        "churn_rate": [
            None if row.churn_rate is None else round(100 * row.churn_rate, 2)
            for row in trend
        ],
    }


@dashboard_view
def dimension_values(
    request: HttpRequest, run: PipelineRun, marts: Marts
) -> HttpResponse:
    """The filter values of one dimension (HTMX partial of the slicer)."""
    dimension = request.GET.get("dimension", "")
    if dimension not in DIMENSIONS:
        return HttpResponseBadRequest("Unknown dimension.")
    values = marts.dimension_values(dimension, slicer_filters(request))
    options = [(value, key_label(dimension, value)) for value in values]
    return render(
        request,
        "web/dashboards/_values.html",
        {"dimension": dimension, "options": options},
    )


@dashboard_view
def matrix(request: HttpRequest, run: PipelineRun, marts: Marts) -> HttpResponse:
    """The value x risk matrix: customers and revenue per cell, with treatments."""
    assert isinstance(request.user, User)
    filters = slicer_filters(request)
    cells = [
        cell_context(cell, with_link=sees_customers(request.user))
        for cell in marts.matrix(filters)
    ]
    chart = {
        "labels": {
            "risk": _("Churn risk"),
            "value": _("Value"),
            "customers": _("Customers"),
            "revenue": _("Revenue (12 months)"),
        },
        "risk_bands": [band_label(band) for band in BANDS],
        "value_bands": [band_label(band) for band in BANDS],
        "cells": [
            {
                "value": [
                    BANDS.index(c["risk_band"]),
                    BANDS.index(c["value_band"]),
                    c["customers"],
                ],
                "name": c["name"],
                "revenue": round(c["revenue"], 2),
                "url": c["url"],
            }
            for c in cells
        ],
    }
    return render(
        request,
        "web/dashboards/matrix.html",
        {"run": run, "cells": cells, "chart": chart, "filters": filters},
    )


def cell_context(cell: MatrixCell, *, with_link: bool) -> dict[str, Any]:
    segment = SEGMENTS[(cell.value_band, cell.risk_band)]
    name, treatment = in_user_language(segment)
    url = (
        reverse("web:matrix_cell", args=[cell.value_band, cell.risk_band])
        if with_link
        else None
    )
    return {
        "value_band": cell.value_band,
        "risk_band": cell.risk_band,
        "value_label": band_label(cell.value_band),
        "risk_label": band_label(cell.risk_band),
        "code": segment.code,
        "name": name,
        "treatment": treatment,
        "customers": cell.customers,
        "revenue": cell.revenue,
        "url": url,
    }


@dashboard_view(allowed=sees_cell_lists)
def matrix_cell(
    request: HttpRequest,
    run: PipelineRun,
    marts: Marts,
    value_band: str,
    risk_band: str,
) -> HttpResponse:
    """The customers of one cell that the user may see (403 for aggregate roles)."""
    assert isinstance(request.user, User)
    if value_band not in BANDS or risk_band not in BANDS:
        raise Http404
    in_cell = marts.cell_customers(value_band, risk_band)
    visible = visible_among(request.user, (row.customer for row in in_cell))
    rows = [row for row in in_cell if row.customer in visible]
    page = Paginator(rows, CELL_PAGE_SIZE).get_page(request.GET.get("page"))
    cell = cell_context(
        MatrixCell(value_band, risk_band, len(rows), sum(r.revenue or 0 for r in rows)),
        with_link=False,
    )
    return render(
        request,
        "web/dashboards/matrix_cell.html",
        {"run": run, "cell": cell, "page": page},
    )
