"""URLs of the staff web app (namespace ``web``)."""

from django.urls import path

from telcrm.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("language/", views.language_set, name="language"),
]
