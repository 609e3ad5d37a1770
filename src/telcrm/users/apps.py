from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "telcrm.users"
    label = "users"
