"""URLs of the staff web app (namespace ``web``)."""

from django.urls import path

from telcrm.web import views
from telcrm.web.auditlog.urls import urlpatterns as auditlog_urls
from telcrm.web.campaign_results.urls import urlpatterns as campaign_results_urls
from telcrm.web.campaigns.urls import urlpatterns as campaigns_urls
from telcrm.web.customer360.urls import urlpatterns as customer360_urls
from telcrm.web.dashboards.urls import urlpatterns as dashboards_urls
from telcrm.web.keyaccounts.urls import urlpatterns as keyaccounts_urls
from telcrm.web.retention.urls import urlpatterns as retention_urls

app_name = "web"

# One namespace for the whole staff app; each part keeps its own list.
urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.language_set, name="language"),
    *customer360_urls,
    *dashboards_urls,
    *auditlog_urls,
    *keyaccounts_urls,
    *retention_urls,
    # Before the campaign pages: "campaigns/results/" is not a campaign's code.
    *campaign_results_urls,
    *campaigns_urls,
]
