from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "telcrm.imports"
    label = "imports"
    verbose_name = "Imports and quarantine"
