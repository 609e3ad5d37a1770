from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "telcrm.customers"
    label = "customers"
