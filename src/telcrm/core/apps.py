from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "telcrm.core"
    label = "core"
