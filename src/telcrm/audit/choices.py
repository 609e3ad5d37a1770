from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed personal data")
    UNMASK = "unmask", _("Unmasked personal data")
    SEARCH = "search", _("Searched customers")
    EXPORT = "export", _("Exported data")
    CHANGE = "change", _("Changed data")
    MERGE = "merge", _("Merged customers")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
