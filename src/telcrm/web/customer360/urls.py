"""URLs: see views.py (namespace ``web``: ``web:search``, ``web:customer``,
``web:unmask``)."""

from django.urls import URLPattern, path

from telcrm.web.customer360 import views

urlpatterns: list[URLPattern] = [
    path("customers/", views.search, name="search"),
    path("customers/<str:customer_number>/", views.customer, name="customer"),
    path("customers/<str:customer_number>/unmask/", views.unmask, name="unmask"),
]
