from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "telcrm.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns and contact policy"
