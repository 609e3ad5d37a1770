"""URLs: see views.py."""

from django.urls import URLPattern, path

from telcrm.web.dashboards import views

urlpatterns: list[URLPattern] = [
    path("dashboards/", views.dashboard, name="dashboard"),
    path("dashboards/values/", views.dimension_values, name="dashboard_values"),
    path("dashboards/matrix/", views.matrix, name="matrix"),
    path(
        "dashboards/matrix/<str:value_band>/<str:risk_band>/",
        views.matrix_cell,
        name="matrix_cell",
    ),
]
