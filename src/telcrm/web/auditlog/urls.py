"""URLs: see views.py."""

from django.urls import URLPattern, path

from telcrm.web.auditlog import views

urlpatterns: list[URLPattern] = [
    path("audit/", views.audit_log, name="audit_log"),
]
