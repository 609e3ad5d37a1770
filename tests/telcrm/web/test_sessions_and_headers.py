"""SESS-1 and CONF-1: session lifetime, logout, deactivation, security headers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import cast

import pytest
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from tests.telcrm.factories import UserFactory

from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.middleware import (
    SESSION_SEEN_KEY,
    SESSION_SEEN_REFRESH_SECONDS,
    SESSION_STARTED_KEY,
    DatabaseBusyMiddleware,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def agent_logged_in() -> tuple[Client, User]:
    user = cast(User, UserFactory(role=Role.AGENT))
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert client.get("/").status_code == 200
    return client, user


def session_moved_back(client: Client, key: str, seconds: int) -> None:
    """Pretend ``key``'s moment happened ``seconds`` earlier (no waiting in tests)."""
    session = client.session
    session[key] -= seconds
    session.save()


def is_sent_to_login(client: Client) -> bool:
    response = client.get("/")
    return response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_session_key_changes_at_login() -> None:
    user = cast(User, UserFactory(role=Role.AGENT))
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    before = client.session.session_key  # an anonymous session, as a fixation try

    client.post("/login/", {"username": user.username, "password": PASSWORD})

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before


def test_an_idle_session_is_logged_out() -> None:
    client, _ = agent_logged_in()

    session_moved_back(client, SESSION_SEEN_KEY, settings.SESSION_IDLE_SECONDS + 1)

    assert is_sent_to_login(client)


def test_activity_within_the_idle_limit_keeps_the_session() -> None:
    client, _ = agent_logged_in()

    session_moved_back(client, SESSION_SEEN_KEY, settings.SESSION_IDLE_SECONDS - 60)

    assert client.get("/").status_code == 200


def test_last_seen_is_written_at_most_once_a_minute() -> None:
    client, _ = agent_logged_in()
    seen = client.session[SESSION_SEEN_KEY]

    with CaptureQueriesContext(connection) as soon:
        assert client.get("/").status_code == 200
    assert client.session[SESSION_SEEN_KEY] == seen
    assert not any("django_session" in q["sql"] and q["sql"].startswith("UPDATE")
                   for q in soon.captured_queries)  # fmt: skip

    session_moved_back(client, SESSION_SEEN_KEY, SESSION_SEEN_REFRESH_SECONDS)
    assert client.get("/").status_code == 200
    assert client.session[SESSION_SEEN_KEY] >= seen  # written again, as now


def test_a_busy_session_still_ends_at_its_absolute_lifetime() -> None:
    client, _ = agent_logged_in()

    session_moved_back(client, SESSION_STARTED_KEY, settings.SESSION_COOKIE_AGE + 1)

    assert is_sent_to_login(client)


def test_logout_invalidates_the_old_cookie() -> None:
    client, _ = agent_logged_in()
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post("/logout/")
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie

    assert is_sent_to_login(replay)


def test_a_deactivated_users_session_is_rejected() -> None:
    client, user = agent_logged_in()

    user.is_active = False
    user.save()

    assert is_sent_to_login(client)


def test_a_logged_in_page_carries_the_security_headers() -> None:
    client, _ = agent_logged_in()

    response = client.get("/")

    csp = {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split("; ")
    }
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # a nonce only on pages that use one
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert set(response["Cache-Control"].split(", ")) == {"no-store", "private"}


def test_the_nonce_is_in_the_policy_when_a_template_uses_it() -> None:
    template = engines["django"].from_string("{{ request.csp_nonce }}")

    def page(request: HttpRequest) -> HttpResponse:
        return HttpResponse(template.render({}, request))

    response = CSPMiddleware(page)(RequestFactory().get("/"))

    nonce = response.content.decode()
    assert len(nonce) == 24
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def _sqlite_locked_error(tmp_path: Path) -> OperationalError:
    """The error SQLite really raises when a writer's timeout runs out, as Django
    re-raises it."""
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0.01, isolation_level=None)
    try:
        waiter.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        return OperationalError(*error.args)
    finally:
        waiter.close()
        holder.close()
    raise AssertionError("the second writer was not refused")


def test_a_write_that_times_out_on_sqlite_lock_is_a_clean_503(tmp_path: Path) -> None:
    assert "telcrm.web.middleware.DatabaseBusyMiddleware" in settings.MIDDLEWARE
    middleware = DatabaseBusyMiddleware(lambda request: HttpResponse())
    request = RequestFactory().post("/calls/")
    response = middleware.process_exception(request, _sqlite_locked_error(tmp_path))
    assert response is not None
    assert (response.status_code, response["Retry-After"]) == (503, "5")


def test_other_database_errors_are_not_hidden() -> None:
    middleware = DatabaseBusyMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    error = OperationalError("no such table: campaigns_campaign")
    assert middleware.process_exception(request, error) is None
