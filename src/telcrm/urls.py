"""Root URL configuration."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from telcrm.core.views import health

urlpatterns = [
    # Until the staff web app exists, the front door is the master-data admin.
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
]
