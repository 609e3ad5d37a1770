"""URLs: see views.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
