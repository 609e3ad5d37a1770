"""URLs: see views.py (namespace ``web``: ``web:group``, ``web:group_visit``,
``web:group_proposal``, ``web:workbench``)."""

from django.urls import URLPattern, path

from telcrm.web.keyaccounts import views

urlpatterns: list[URLPattern] = [
    path("groups/<str:node_number>/", views.group, name="group"),
    path("groups/<str:node_number>/visits/", views.group_visit, name="group_visit"),
    path(
        "groups/<str:node_number>/proposal/",
        views.group_proposal,
        name="group_proposal",
    ),
    path("workbench/", views.workbench, name="workbench"),
]
