"""Settings for the test suite: an isolated home, fast hashing, in-memory cache.

The home is a fresh temporary directory unless TELCRM_HOME is set, so a test run never
touches ./var; subprocesses started by tests inherit it through the environment.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("TELCRM_HOME", tempfile.mkdtemp(prefix="telcrm-test-"))

from telcrm.settings.base import *  # noqa: F403

# Argon2 is deliberately slow; tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# WhiteNoise warns when the collected-static directory is absent; tests never collect.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
