from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "telcrm.analytics"
    label = "analytics"
    verbose_name = "Analytics results"
