"""Settings for the embedded default: one machine, SQLite + DuckDB, no server.

All an operator may change comes from the environment (docs/configuration.md).
``TELCRM_HOME`` (default ``./var``) holds the SQLite database, the Parquet store, the
DuckDB files and the generated local secrets, so two homes never share state.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from telcrm.settings.env import (
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    new_field_keyring,
    new_token,
    persistent_secret,
    telcrm_home,
)

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TELCRM_HOME = telcrm_home()
# The analytic store: partitioned Parquet and DuckDB files live here, never in the ORM.
TELCRM_STORE_DIR = TELCRM_HOME / "store"

SECRET_KEY = env_secret("TELCRM_SECRET_KEY") or persistent_secret(
    TELCRM_HOME, "secret_key", new_token
)
# Keys for personal data at rest: "kid:base64key[,kid:base64key...]", first one active;
# the others only decrypt, until `telcrm rotate_field_keys` has re-encrypted everything.
TELCRM_FIELD_KEYS = env_secret("TELCRM_FIELD_KEYS") or persistent_secret(
    TELCRM_HOME, "field_keys", new_field_keyring
)
# A separate key for the blind indexes (HMAC) that make exact lookups possible.
TELCRM_BLIND_INDEX_KEY = env_secret("TELCRM_BLIND_INDEX_KEY") or persistent_secret(
    TELCRM_HOME, "blind_index_key", new_token
)

DEBUG = env_bool("TELCRM_DEBUG", False)
ALLOWED_HOSTS = env_list("TELCRM_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    # First, so that its templates (the login page) win over the admin's.
    "telcrm.web",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "treebeard",
    "axes",
    "csp",
    "telcrm.core",
    "telcrm.users",
    "telcrm.parties",
    "telcrm.catalog",
    "telcrm.customers",
    "telcrm.accounts",
    "telcrm.inventory",
    "telcrm.billing",
    "telcrm.imports",
    "telcrm.usage",
    "telcrm.linkage",
    "telcrm.analytics",
    "telcrm.audit",
    "telcrm.campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Outside the views, so that the header is built after templates used the nonce.
    "csp.middleware.CSPMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "telcrm.web.middleware.SessionTimeoutMiddleware",
    "telcrm.web.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "telcrm.web.middleware.NoStoreForStaffMiddleware",
    "telcrm.web.middleware.DatabaseBusyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "telcrm.urls"
WSGI_APPLICATION = "telcrm.wsgi.application"
AUTH_USER_MODEL = "users.User"
# Permissions follow User.role (see telcrm.users.backends). Axes comes first: it
# refuses a locked-out user+address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "telcrm.users.backends.RoleModelBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "telcrm.web.context.navigation",
            ],
        },
    },
]


def _sqlite_database(path: Path) -> dict[str, object]:
    # WAL lets readers work while the loader writes; IMMEDIATE takes the write lock at
    # BEGIN, so two writers queue on `timeout` instead of failing mid-transaction.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"
                "PRAGMA foreign_keys=ON;"
            ),
        },
    }


def database_from_env(home: Path) -> dict[str, object]:
    """``DATABASE_URL`` (PostgreSQL in production) or the embedded SQLite file."""
    url = env_str("DATABASE_URL")
    if url:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
        if config["ENGINE"] == "django.db.backends.sqlite3":
            return _sqlite_database(Path(str(config["NAME"])))
        return config
    return _sqlite_database(home / "telcrm.sqlite3")


DATABASES = {"default": database_from_env(TELCRM_HOME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {
        "NAME": f"{_VALIDATORS}.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TELCRM_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = TELCRM_HOME / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

# Absolute lifetime of a login, then the idle limit (telcrm.web.middleware enforces
# both: Django alone would slide the expiry forward on every modified session).
SESSION_COOKIE_AGE = env_int("TELCRM_SESSION_SECONDS", 8 * 3600)
SESSION_IDLE_SECONDS = env_int("TELCRM_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content Security Policy (django-csp): everything from our own origin; a script that
# must be inline carries the request's nonce (docs/web.md, "Security"). Pico's icons
# are data: SVGs in its stylesheet, hence img-src data:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    },
}

# Login throttling (django-axes): failures count per user name *and* address, so an
# attacker can neither guess one password from many addresses forever nor lock a
# colleague out from another address; a success clears the count.
AXES_FAILURE_LIMIT = env_int("TELCRM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("TELCRM_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TELCRM_LOG_LEVEL", "INFO")},
}
