"""The production settings module passes Django's deployment checks."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

TELCRM = [sys.executable, "-m", "telcrm.cli"]


def production_env(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "telcrm.settings.production",
        "TELCRM_HOME": str(home),
        "TELCRM_SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
        "TELCRM_FIELD_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
        "TELCRM_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "TELCRM_ALLOWED_HOSTS": "crm.example.internal",
    }
    env.pop("DATABASE_URL", None)
    return env


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    result = subprocess.run(
        [*TELCRM, "check", "--deploy", "--fail-level", "WARNING"],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secrets(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["TELCRM_FIELD_KEYS"]

    result = subprocess.run(
        [*TELCRM, "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "TELCRM_FIELD_KEYS (or TELCRM_FIELD_KEYS_FILE) must be set" in result.stderr


def test_production_settings_keep_the_security_layers(tmp_path: Path) -> None:
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'hsts': [s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS],"
        "'cookies': [s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE],"
        "'csp': {k: s.CONTENT_SECURITY_POLICY['DIRECTIVES'][k] for k in"
        " ('object-src', 'base-uri', 'frame-ancestors')},"
        "'referrer': s.SECURE_REFERRER_POLICY, 'debug': s.DEBUG,"
        "'lockout': s.AXES_LOCKOUT_PARAMETERS,"
        "'middleware': [m for m in s.MIDDLEWARE if m.startswith(('csp', 'axes'))],"
        "'first_backend': s.AUTHENTICATION_BACKENDS[0]}))"
    )

    result = subprocess.run(
        [*TELCRM, "shell", "--no-imports", "-c", script],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "hsts": [31536000, True],
        "cookies": [True, True, "Lax", True],
        "csp": {
            "object-src": ["'none'"],
            "base-uri": ["'none'"],
            "frame-ancestors": ["'none'"],
        },
        "referrer": "same-origin",
        "debug": False,
        "lockout": [["username", "ip_address"]],
        "middleware": [
            "csp.middleware.CSPMiddleware",
            "axes.middleware.AxesMiddleware",
        ],
        "first_backend": "axes.backends.AxesStandaloneBackend",
    }
