"""The campaign pages: the list, a new campaign with its live count, the detail page
with the approval panel and the lifecycle buttons, today's call lists, and the
agent's call console (docs/campaigns.md).

Roles: marketers create, edit and submit their campaigns; supervisors approve or
reject (never their own), build the day's call lists; marketers (their own
campaigns) and supervisors start, complete and cancel; analysts, auditors and
administrators read; agents work the call console and see no campaign page.
Every write goes through ``telcrm.campaigns.services``: its ValidationError or
PermissionDenied comes back as a message on the page.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telcrm.audit.choices import AuditAction
from telcrm.audit.services import audit_record, is_unmasked
from telcrm.campaigns.choices import (
    ContactOutcome,
    MemberState,
    PolicyRule,
)
from telcrm.campaigns.lists import (
    CallListReport,
    CampaignListResult,
    call_lists_build,
)
from telcrm.campaigns.models import Campaign
from telcrm.campaigns.selectors import MEMBER_OUTCOMES, yield_estimate
from telcrm.campaigns.services import (
    COMPLETE_FROM,
    ENDED,
    FULL_RUN_FROM,
    PILOT_FROM,
    call_outcome_record,
    call_start,
    campaign_approve,
    campaign_cancel,
    campaign_complete,
    campaign_create,
    campaign_full_run_start,
    campaign_pilot_start,
    campaign_reject,
    campaign_submit,
    campaign_update,
    referral_record,
)
from telcrm.users.models import User
from telcrm.web.campaigns.forms import (
    CALL_OUTCOMES,
    CampaignForm,
    DecisionForm,
    OutcomeForm,
    ReferralForm,
    count_terms,
)
from telcrm.web.campaigns.selectors import (
    approves_campaigns,
    attempt_for,
    campaign_by_code,
    campaign_lists,
    campaign_page,
    console,
    customer_summary,
    makes_calls,
    may_decide,
    may_edit,
    may_run,
    queued_member_for,
    reads_campaigns,
    runs_campaigns,
    target_rule_rows,
    writes_campaigns,
)
from telcrm.web.views import staff_allowed


def error_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do this.")


def to_campaign(campaign: Campaign) -> HttpResponse:
    return HttpResponseRedirect(reverse("web:campaign", args=[campaign.code]))


# --- Lists and forms ------------------------------------------------------------------


@require_GET
@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    """``/campaigns/``: mine (marketers), awaiting approval (supervisors), all."""
    user = staff_allowed(request, reads_campaigns)
    return render(
        request,
        "web/campaigns/campaigns.html",
        {
            "lists": campaign_lists(user),
            "may_create": writes_campaigns(user),
            "may_build_lists": approves_campaigns(user),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """``/campaigns/new/``: a draft campaign (the marketer then submits it)."""
    user = staff_allowed(request, writes_campaigns)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(by=user, **form.campaign_fields())
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(
                request,
                _("Campaign %(code)s saved as a draft.") % {"code": campaign.code},
            )
            return to_campaign(campaign)
    return render(
        request, "web/campaigns/campaign_form.html", {"form": form, "campaign": None}
    )


@require_http_methods(["GET", "POST"])
@login_required
def campaign_edit(request: HttpRequest, code: str) -> HttpResponse:
    """``/campaigns/<code>/edit/``: the creator edits a draft or rejected campaign."""
    user = staff_allowed(request, writes_campaigns)
    campaign = campaign_by_code(code)
    if not may_edit(user, campaign):
        raise PermissionDenied
    form = CampaignForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            campaign_update(campaign=campaign, by=user, changes=form.campaign_fields())
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Campaign saved."))
            return to_campaign(campaign)
    return render(
        request,
        "web/campaigns/campaign_form.html",
        {"form": form or CampaignForm.of(campaign), "campaign": campaign},
    )


@require_GET
@login_required
def campaign_count(request: HttpRequest) -> HttpResponse:
    """``/campaigns/count/``: the live count of the form's target rule (HTMX
    fragment): target list, control group, contacts, acceptances, revenue, cost."""
    staff_allowed(request, writes_campaigns)
    terms = count_terms(CampaignForm(request.GET))
    figures = yield_estimate(
        rule=terms["target_rule"],
        control_fraction=terms["control_fraction"],
        pilot_size=terms["pilot_size"],
        attempts_per_customer=terms["max_attempts_per_customer"],
        acceptance_rate=terms["expected_acceptance_rate"],
        revenue_per_acceptance=terms["expected_revenue_per_acceptance"],
        cost_per_attempt=terms["cost_per_attempt"],
        cost_per_acceptance=terms["cost_per_acceptance"],
        budget=terms["budget"],
    )
    return render(request, "web/campaigns/count.html", {"figures": figures})


@require_GET
@login_required
def campaign(request: HttpRequest, code: str) -> HttpResponse:
    """``/campaigns/<code>/``: terms, figures, history; the approval panel for a
    supervisor other than the creator while it awaits approval."""
    user = staff_allowed(request, reads_campaigns)
    found = campaign_by_code(code)
    return render(
        request,
        "web/campaigns/campaign.html",
        {
            "page": campaign_page(found, user, now=timezone.now()),
            "campaign": found,
            "may_edit": may_edit(user, found),
            "may_decide": may_decide(user, found),
            "steps": run_steps(found) if may_run(user, found) else {},
            "decision_form": DecisionForm(),
            "rule_rows": target_rule_rows(found.target_rule),
            "state_labels": [label for _, label in MemberState.choices],
            "outcome_labels": [outcome.label for outcome in MEMBER_OUTCOMES],
        },
    )


# --- Lifecycle steps -----------------------------------------------------------------


Step = Callable[[HttpRequest, User, Campaign], Any]


def lifecycle_step(
    request: HttpRequest,
    code: str,
    allowed: Callable[[User], bool],
    step: Step,
    done: str,
) -> HttpResponse:
    """Run ``step`` on the campaign; the service's refusal becomes a message."""
    user = staff_allowed(request, allowed)
    found = campaign_by_code(code)
    try:
        step(request, user, found)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, done % {"code": found.code})
    return to_campaign(found)


def run_steps(campaign: Campaign) -> dict[str, bool]:
    """The running steps the campaign's state allows, from the states the services
    require."""
    status = campaign.status
    return {
        "pilot": status in PILOT_FROM and campaign.pilot_size > 0,
        "full_run": status in FULL_RUN_FROM,
        "complete": status in COMPLETE_FROM,
        "cancel": status not in ENDED,
    }


def note_of(request: HttpRequest) -> str:
    """The decision's note; one the form refuses (too long) stops the step with the
    form's reason, rather than being dropped."""
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise ValidationError(list(form.errors["note"]))
    return str(form.cleaned_data["note"])


def only_if(may: Callable[[User, Campaign], bool]) -> Callable[[User, Campaign], None]:
    def check(user: User, campaign: Campaign) -> None:
        if not may(user, campaign):
            raise PermissionDenied(
                _("Only the campaign's creator or a supervisor does this.")
            )

    return check


may_run_check = only_if(may_run)


@require_POST
@login_required
def campaign_submit_view(request: HttpRequest, code: str) -> HttpResponse:
    return lifecycle_step(
        request,
        code,
        writes_campaigns,
        lambda r, user, c: campaign_submit(campaign=c, by=user),
        _("Campaign %(code)s submitted for approval."),
    )


@require_POST
@login_required
def campaign_approve_view(request: HttpRequest, code: str) -> HttpResponse:
    return lifecycle_step(
        request,
        code,
        approves_campaigns,
        lambda r, user, c: campaign_approve(campaign=c, by=user, note=note_of(r)),
        _("Campaign %(code)s approved: its target list is drawn."),
    )


@require_POST
@login_required
def campaign_reject_view(request: HttpRequest, code: str) -> HttpResponse:
    return lifecycle_step(
        request,
        code,
        approves_campaigns,
        lambda r, user, c: campaign_reject(campaign=c, by=user, note=note_of(r)),
        _("Campaign %(code)s rejected."),
    )


def run_step(service: Callable[..., Campaign]) -> Step:
    def step(request: HttpRequest, user: User, campaign: Campaign) -> Campaign:
        may_run_check(user, campaign)
        return service(campaign=campaign, by=user)

    return step


@require_POST
@login_required
def campaign_pilot_view(request: HttpRequest, code: str) -> HttpResponse:
    return lifecycle_step(
        request,
        code,
        runs_campaigns,
        run_step(campaign_pilot_start),
        _("Campaign %(code)s: pilot started."),
    )


@require_POST
@login_required
def campaign_full_run_view(request: HttpRequest, code: str) -> HttpResponse:
    return lifecycle_step(
        request,
        code,
        runs_campaigns,
        run_step(campaign_full_run_start),
        _("Campaign %(code)s: full run started."),
    )


@require_POST
@login_required
def campaign_complete_view(request: HttpRequest, code: str) -> HttpResponse:
    return lifecycle_step(
        request,
        code,
        runs_campaigns,
        run_step(campaign_complete),
        _("Campaign %(code)s completed."),
    )


@require_POST
@login_required
def campaign_cancel_view(request: HttpRequest, code: str) -> HttpResponse:
    return lifecycle_step(
        request,
        code,
        runs_campaigns,
        run_step(campaign_cancel),
        _("Campaign %(code)s cancelled."),
    )


# The last call-list build's report, kept in the session for the page after it.
CALL_LIST_REPORT = "call_list_report"


@require_http_methods(["GET", "POST"])
@login_required
def call_lists(request: HttpRequest) -> HttpResponse:
    """Build today's call lists (supervisors, POST) and show the report (GET).

    The build redirects to the report, so that reloading the page never rebuilds
    the lists in the middle of the agents' day.
    """
    staff_allowed(request, approves_campaigns)
    if request.method == "POST":
        report = call_lists_build(day=timezone.localdate())
        request.session[CALL_LIST_REPORT] = report_as_dict(report)
        return HttpResponseRedirect(reverse("web:call_lists"))
    saved = request.session.get(CALL_LIST_REPORT)
    if saved is None:
        return HttpResponseRedirect(reverse("web:campaigns"))
    report = report_from_dict(saved)
    rules = dict(PolicyRule.choices)
    return render(
        request,
        "web/campaigns/call_lists.html",
        {
            "report": report,
            "rows": [
                {
                    "result": result,
                    "denied": [
                        (rules.get(rule, rule), n)
                        for rule, n in sorted(result.denied.items())
                    ],
                }
                for result in report.results
            ],
        },
    )


def report_as_dict(report: CallListReport) -> dict[str, Any]:
    return {
        "day": report.day.isoformat(),
        "capacity": report.capacity,
        # Not dataclasses.asdict: it rebuilds a Counter from (key, count) pairs,
        # counting the pairs.
        "results": [
            {**vars(result), "denied": dict(result.denied)} for result in report.results
        ],
    }


def report_from_dict(saved: dict[str, Any]) -> CallListReport:
    return CallListReport(
        day=datetime.date.fromisoformat(saved["day"]),
        capacity=saved["capacity"],
        results=[
            CampaignListResult(**{**result, "denied": Counter(result["denied"])})
            for result in saved["results"]
        ],
    )


# --- The call console ---------------------------------------------------------------


@require_GET
@login_required
def calls(request: HttpRequest) -> HttpResponse:
    """``/calls/``: the agent's call in progress or next customer, and the queue."""
    agent = staff_allowed(request, makes_calls)
    today = timezone.localdate()
    day = console(agent, today)
    summary = None
    if day.customer is not None:
        customer = day.customer
        audit_record(
            user=agent, action=AuditAction.VIEW, target=customer, request=request
        )
        summary = customer_summary(
            customer, unmasked=is_unmasked(request, customer), today=today
        )
    return render(
        request,
        "web/campaigns/console.html",
        {
            "console": day,
            "summary": summary,
            "outcomes": CALL_OUTCOMES,
            "call_back": ContactOutcome.CALL_BACK,
            "opt_out": ContactOutcome.OPT_OUT,
            "outcome_form": OutcomeForm(),
            "referral_form": ReferralForm(),
        },
    )


def to_console() -> HttpResponse:
    return HttpResponseRedirect(reverse("web:calls"))


@require_POST
@login_required
def call_start_view(request: HttpRequest, member_id: int) -> HttpResponse:
    """Start a call: the policy decides again now; a denial names its rule."""
    agent = staff_allowed(request, makes_calls)
    member = queued_member_for(agent, member_id, timezone.localdate())
    try:
        decision, attempt = call_start(member=member, agent=agent)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return to_console()
    if attempt is None:
        messages.warning(
            request,
            _("Not called: %(rule)s. The customer is taken off today's list.")
            % {"rule": decision.get_rule_display()},
        )
    return to_console()


@require_POST
@login_required
def call_outcome(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Record how the call ended (one click per outcome)."""
    agent = staff_allowed(request, makes_calls)
    attempt = attempt_for(agent, attempt_id)
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, " ".join(str(m) for ms in form.errors.values() for m in ms)
        )
        return to_console()
    try:
        call_outcome_record(
            attempt=attempt,
            outcome=form.cleaned_data["outcome"],
            by=agent,
            callback_at=form.cleaned_data["callback_at"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        outcome = ContactOutcome(form.cleaned_data["outcome"])
        messages.success(
            request,
            _("%(customer)s: %(outcome)s recorded.")
            % {"customer": attempt.customer.customer_number, "outcome": outcome.label},
        )
    return to_console()


@require_POST
@login_required
def call_referral(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The customer on the line refers someone (credited to them)."""
    agent = staff_allowed(request, makes_calls)
    attempt = attempt_for(agent, attempt_id)
    form = ReferralForm(request.POST)
    if attempt.outcome != ContactOutcome.RESERVED:
        # A referral is recorded during the call it came up in.
        messages.error(request, _("This call has ended: no referral is recorded."))
    elif form.is_valid():
        try:
            with transaction.atomic():
                referral = referral_record(
                    referrer=attempt.customer,
                    referred_phone=form.cleaned_data["referred_phone"],
                    campaign=attempt.campaign,
                    by=agent,
                )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("Referral recorded: %(credit)s yuan credited to %(customer)s.")
                % {
                    "credit": referral.credit,
                    "customer": attempt.customer.customer_number,
                },
            )
    else:
        messages.error(request, _("Type the phone number of the person referred."))
    return to_console()
