from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "telcrm.audit"
    label = "audit"
    verbose_name = "Audit trail"
