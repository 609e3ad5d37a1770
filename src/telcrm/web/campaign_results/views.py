"""Campaign results (R9): what each campaign achieved against its control group, and
the same summed per project and per agent (``telcrm.campaigns.evaluation``; the
figures are defined in docs/campaigns.md, "Measuring results").

Marketers, supervisors, analysts, auditors and administrators (the campaign pages'
readers) read them; agents do not. The pages
show aggregates only, never a customer. ``?horizon=<days>`` measures churn over
another horizon than the default 90 days.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from telcrm.campaigns.choices import MemberGroup
from telcrm.campaigns.evaluation import (
    HORIZON_DAYS,
    AgentFigures,
    CampaignEvaluation,
    Comparison,
    Contacts,
    GroupOutcome,
    Interval,
    ProjectFigures,
    campaign_evaluate,
    campaigns_tile,
    results_overview,
)
from telcrm.campaigns.models import Campaign
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.scope import holds_role
from telcrm.web.views import staff_allowed

RESULTS_ROLES = frozenset(
    {
        Role.MARKETER,
        Role.SUPERVISOR,
        Role.ANALYST,
        Role.AUDITOR,
        Role.ADMINISTRATOR,
    }
)
MAX_HORIZON_DAYS = 3 * 365
DASH = "—"


def sees_results(user: User) -> bool:
    return holds_role(user, RESULTS_ROLES)


def horizon_of(request: HttpRequest) -> int:
    """The horizon in days from ``?horizon=``; ValueError when it is not one."""
    raw = request.GET.get("horizon", "")
    if not raw:
        return HORIZON_DAYS
    days = int(raw)
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise ValueError(raw)
    return days


# --- How the pages print figures ------------------------------------------------


def percent(rate: float | None) -> str:
    return DASH if rate is None else f"{100 * rate:.1f} %"


def points(difference: float | None) -> str:
    """A difference of two rates, in percentage points."""
    if difference is None:
        return DASH
    return _("%(points)s pp") % {"points": f"{100 * difference:+.1f}"}


def interval(ci: Interval | None) -> str:
    if ci is None:
        return DASH
    return _("%(low)s to %(high)s pp") % {
        "low": f"{100 * ci.low:+.1f}",
        "high": f"{100 * ci.high:+.1f}",
    }


def money(amount: Decimal | None) -> str:
    return DASH if amount is None else f"{amount:,.2f}"


def group_row(label: str, group: GroupOutcome) -> dict[str, Any]:
    return {
        "label": label,
        "members": group.members,
        "churned": group.churned,
        "retention": percent(group.retention_rate),
        "churn": percent(group.churn_rate),
        "arpu_before": money(group.arpu_before),
        "arpu_after": money(group.arpu_after),
        "arpu_change": money(group.arpu_change),
    }


def contacts_row(contacts: Contacts) -> dict[str, Any]:
    return {
        "attempts": contacts.attempts,
        "answered": contacts.answered,
        "response": percent(contacts.response_rate),
        "accepted": contacts.accepted,
        "acceptance": percent(contacts.acceptance_rate),
        "opt_outs": contacts.opt_outs,
        "in_progress": contacts.in_progress,
    }


def comparison_view(comparison: Comparison, treated_label: str) -> dict[str, Any]:
    return {
        "groups": [
            group_row(treated_label, comparison.treated),
            group_row(_("Control"), comparison.control),
        ],
        "uplift": points(comparison.uplift),
        "interval": interval(comparison.uplift_ci),
        "contacts": contacts_row(comparison.contacts),
        "acceptances": comparison.acceptances,
        "acceptance_treated": percent(comparison.acceptance_rate),
        "cost": money(comparison.cost),
        "revenue_kept": money(comparison.revenue_kept),
        "roi": percent(comparison.roi),
    }


def agent_rows(agents: list[AgentFigures]) -> list[dict[str, Any]]:
    return [{"name": a.name, **contacts_row(a.contacts)} for a in agents]


def campaign_page_url(campaign: Campaign) -> str | None:
    """The campaign's own page, where the campaign pages are installed."""
    try:
        return reverse("web:campaign", args=[campaign.code])
    except NoReverseMatch:
        return None


def campaign_view(evaluation: CampaignEvaluation) -> dict[str, Any]:
    campaign = evaluation.campaign
    stay = evaluation.complaint_to_stay
    return {
        "campaign": campaign,
        "url": reverse("web:campaign_result", args=[campaign.code]),
        "members": [
            (str(MemberGroup(group).label), evaluation.members[group])
            for group in MemberGroup.values
        ],
        "overall": comparison_view(evaluation.overall, _("Treated (pilot + full run)")),
        "pilot": None
        if evaluation.pilot is None
        else comparison_view(evaluation.pilot, _("Pilot")),
        "agents": agent_rows(evaluation.agents),
        "complaint_to_stay": None
        if stay is None
        else {
            "complained": stay.complained,
            "stayed": stay.stayed,
            "rate": percent(stay.rate),
        },
        "evaluation": evaluation,
        "referral_credit": money(evaluation.referral_credit),
    }


def project_rows(projects: list[ProjectFigures]) -> list[dict[str, Any]]:
    return [
        {
            "project": p.project or _("(no project)"),
            "campaigns": p.campaigns,
            "treated": p.treated,
            "control": p.control,
            **contacts_row(p.contacts),
            "acceptances": p.acceptances,
            "cost": money(p.cost),
            "revenue_kept": project_revenue(p),
            "roi": percent(p.roi),
            "referrals": p.referrals,
        }
        for p in projects
    ]


def project_revenue(project: ProjectFigures) -> str:
    """The revenue kept, and over how many campaigns when some have no bills to
    compare (their cost is left out of the project's ROI too)."""
    covered = project.campaigns - project.without_revenue
    if not covered:
        return DASH
    amount = money(project.revenue_kept)
    if not project.without_revenue:
        return amount
    return _("%(amount)s (%(covered)s of %(campaigns)s campaigns)") % {
        "amount": amount,
        "covered": covered,
        "campaigns": project.campaigns,
    }


# --- Pages -----------------------------------------------------------------------


@require_GET
@login_required
def campaign_results_page(request: HttpRequest, code: str) -> HttpResponse:
    """One campaign: treated and pilot against control, contacts, money, agents."""
    staff_allowed(request, sees_results)
    campaign = get_object_or_404(Campaign, code=code)
    try:
        horizon = horizon_of(request)
    except ValueError:
        return HttpResponseBadRequest(_("The horizon is a number of days."))
    evaluation = campaign_evaluate(campaign, horizon_days=horizon)
    context = {
        **campaign_view(evaluation),
        "horizon_days": horizon,
        "campaign_page": campaign_page_url(campaign),
        "overview_url": reverse("web:campaign_results"),
    }
    return render(request, "web/campaign_results/campaign.html", context)


@require_GET
@login_required
def results_overview_page(request: HttpRequest) -> HttpResponse:
    """Every campaign that has run, per project and per agent."""
    staff_allowed(request, sees_results)
    try:
        horizon = horizon_of(request)
    except ValueError:
        return HttpResponseBadRequest(_("The horizon is a number of days."))
    overview = results_overview(horizon_days=horizon)
    context = {
        "campaigns": [
            {
                "campaign": e.campaign,
                "url": reverse("web:campaign_result", args=[e.campaign.code]),
                "treated": e.overall.treated.members,
                "control": e.overall.control.members,
                "uplift": points(e.overall.uplift),
                "interval": interval(e.overall.uplift_ci),
                "acceptance": percent(e.overall.acceptance_rate),
                "cost": money(e.overall.cost),
                "revenue_kept": money(e.overall.revenue_kept),
                "roi": percent(e.overall.roi),
            }
            for e in overview.campaigns
        ],
        "projects": project_rows(overview.projects),
        "agents": agent_rows(overview.agents),
        "horizon_days": horizon,
    }
    return render(request, "web/campaign_results/overview.html", context)


def dashboard_tile(user: User) -> dict[str, Any]:
    """The campaigns tile of the dashboards: running campaigns, this month's
    contacts and acceptance, the last completed campaign's uplift."""
    tile = campaigns_tile()
    last = tile.last_completed
    return {
        "running": tile.running,
        "month": tile.month,
        "contacts": tile.contacts.attempts,
        "acceptance": percent(tile.contacts.acceptance_rate),
        "last": None
        if last is None
        else {
            "code": last.campaign.code,
            "name": last.campaign.name,
            "uplift": points(last.overall.uplift),
            "interval": interval(last.overall.uplift_ci),
            "url": reverse("web:campaign_result", args=[last.campaign.code])
            if sees_results(user)
            else None,
        },
        "results_url": reverse("web:campaign_results") if sees_results(user) else None,
    }
