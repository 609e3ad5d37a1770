"""URLs: see views.py (namespace ``web``: ``web:retention_tasks``,
``web:retention_task_take``, ``web:retention_task_close``)."""

from django.urls import URLPattern, path

from telcrm.web.retention import views

urlpatterns: list[URLPattern] = [
    path("retention/tasks/", views.retention_tasks, name="retention_tasks"),
    path(
        "retention/tasks/<int:task_id>/take/",
        views.retention_task_take,
        name="retention_task_take",
    ),
    path(
        "retention/tasks/<int:task_id>/close/",
        views.retention_task_close,
        name="retention_task_close",
    ),
]
