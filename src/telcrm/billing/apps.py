from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "telcrm.billing"
    label = "billing"
