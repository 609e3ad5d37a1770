from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "telcrm.linkage"
    label = "linkage"
    verbose_name = "Identity linkage"
