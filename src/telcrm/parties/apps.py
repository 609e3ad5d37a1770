from django.apps import AppConfig


class PartiesConfig(AppConfig):
    name = "telcrm.parties"
    label = "parties"
