"""Production settings: PostgreSQL, real secrets, HTTPS behind a proxy.

Passes ``telcrm check --deploy`` (run in the test suite). Every secret must be given
through the environment or a ``*_FILE``; nothing is generated on the fly.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from telcrm.settings.base import *  # noqa: F403
from telcrm.settings.env import env_bool, env_int, env_list, env_secret


def _required_secret(name: str) -> str:
    value = env_secret(name)
    if not value:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set in production")
    return value


DEBUG = False
SECRET_KEY = _required_secret("TELCRM_SECRET_KEY")
TELCRM_FIELD_KEYS = _required_secret("TELCRM_FIELD_KEYS")
TELCRM_BLIND_INDEX_KEY = _required_secret("TELCRM_BLIND_INDEX_KEY")
ALLOWED_HOSTS = env_list("TELCRM_ALLOWED_HOSTS", [])

SECURE_SSL_REDIRECT = env_bool("TELCRM_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("TELCRM_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
