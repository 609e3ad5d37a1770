from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "telcrm.inventory"
    label = "inventory"
