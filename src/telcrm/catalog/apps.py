from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "telcrm.catalog"
    label = "catalog"
