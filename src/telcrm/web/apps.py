from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "telcrm.web"
    label = "web"
    verbose_name = "Staff web app"
