from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "telcrm.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from telcrm.audit.signals import login_failure_recorded, login_recorded

        user_logged_in.connect(login_recorded, dispatch_uid="audit_login")
        user_login_failed.connect(login_failure_recorded, dispatch_uid="audit_failure")
