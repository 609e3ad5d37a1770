"""URLs: see views.py (namespace ``web``: ``web:campaigns``, ``web:campaign_new``,
``web:campaign_count``, ``web:call_lists``, ``web:campaign``, ``web:campaign_edit``,
the lifecycle steps ``web:campaign_submit`` ... ``web:campaign_cancel``, and the call
console ``web:calls``, ``web:call_start``, ``web:call_outcome``,
``web:call_referral``)."""

from django.urls import URLPattern, path

from telcrm.web.campaigns import views

urlpatterns: list[URLPattern] = [
    path("campaigns/", views.campaigns, name="campaigns"),
    # Fixed words before <code>/: a campaign's code never takes these.
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/count/", views.campaign_count, name="campaign_count"),
    path("campaigns/call-lists/", views.call_lists, name="call_lists"),
    path("campaigns/<str:code>/", views.campaign, name="campaign"),
    path("campaigns/<str:code>/edit/", views.campaign_edit, name="campaign_edit"),
    path(
        "campaigns/<str:code>/submit/",
        views.campaign_submit_view,
        name="campaign_submit",
    ),
    path(
        "campaigns/<str:code>/approve/",
        views.campaign_approve_view,
        name="campaign_approve",
    ),
    path(
        "campaigns/<str:code>/reject/",
        views.campaign_reject_view,
        name="campaign_reject",
    ),
    path(
        "campaigns/<str:code>/pilot/", views.campaign_pilot_view, name="campaign_pilot"
    ),
    path(
        "campaigns/<str:code>/full-run/",
        views.campaign_full_run_view,
        name="campaign_full_run",
    ),
    path(
        "campaigns/<str:code>/complete/",
        views.campaign_complete_view,
        name="campaign_complete",
    ),
    path(
        "campaigns/<str:code>/cancel/",
        views.campaign_cancel_view,
        name="campaign_cancel",
    ),
    path("calls/", views.calls, name="calls"),
    path("calls/<int:member_id>/start/", views.call_start_view, name="call_start"),
    path(
        "calls/attempts/<int:attempt_id>/outcome/",
        views.call_outcome,
        name="call_outcome",
    ),
    path(
        "calls/attempts/<int:attempt_id>/referral/",
        views.call_referral,
        name="call_referral",
    ),
]
