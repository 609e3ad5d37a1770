from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "telcrm.usage"
    label = "usage"
    verbose_name = "Usage summaries"
