"""URLs: see views.py. Listed before the campaign pages' ``campaigns/<code>/``, so
that ``campaigns/results/`` is never read as a campaign's code."""

from django.urls import URLPattern, path

from telcrm.web.campaign_results import views

urlpatterns: list[URLPattern] = [
    path("campaigns/results/", views.results_overview_page, name="campaign_results"),
    path(
        "campaigns/<str:code>/results/",
        views.campaign_results_page,
        name="campaign_result",
    ),
]
