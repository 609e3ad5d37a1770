"""Per-request rules of the staff web app.

* each member of staff works in the language they chose (zh-Hans or English);
* a login ends after ``SESSION_IDLE_SECONDS`` idle or ``SESSION_COOKIE_AGE`` in all;
* no page shown to a logged-in user is kept by a browser or proxy cache;
* a write that waited its whole timeout for SQLite's lock is a clean 503, not a 500.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control


class UserLanguageMiddleware:
    """After authentication: the user's saved language wins over the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = getattr(request.user, "language", "")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language:
            response.headers.setdefault("Content-Language", language)
        return response


# Session keys: when this login started and when its user was last seen (epoch
# seconds). Kept by us because Django slides a session's expiry on every save.
SESSION_STARTED_KEY = "telcrm_session_started"
SESSION_SEEN_KEY = "telcrm_session_seen"
# "Last seen" is written at most this often: each write is a session UPDATE and a
# commit, on every request otherwise. A login may so end up to this much before
# SESSION_IDLE_SECONDS of real idleness: earlier, never later.
SESSION_SEEN_REFRESH_SECONDS = 60


def session_expired(session: SessionBase, now: float) -> bool:
    """Whether the login is older than its lifetime or was idle for too long."""
    started = session.get(SESSION_STARTED_KEY, now)
    seen = session.get(SESSION_SEEN_KEY, now)
    return (
        now - started > settings.SESSION_COOKIE_AGE
        or now - seen > settings.SESSION_IDLE_SECONDS
    )


class SessionTimeoutMiddleware:
    """After authentication: log out a session that was idle or lived too long.

    The request then goes on as anonymous, so a page answers with its usual
    redirect to the login page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = time.time()
        if request.user.is_authenticated and session_expired(request.session, now):
            logout(request)
        was_logged_in = request.user.is_authenticated
        response = self.get_response(request)
        # After the view, so that the request that logs in starts the clock.
        if request.user.is_authenticated:
            session = request.session
            if not was_logged_in:
                session[SESSION_STARTED_KEY] = now
                session[SESSION_SEEN_KEY] = now
            elif now - session.get(SESSION_SEEN_KEY, 0) >= SESSION_SEEN_REFRESH_SECONDS:
                session[SESSION_SEEN_KEY] = now
        return response


class NoStoreForStaffMiddleware:
    """Pages for a logged-in user show personal data: no cache may keep them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class DatabaseBusyMiddleware:
    """SQLite serialises writers; one that waited ``timeout`` seconds in vain raises
    "database is locked". The user gets 503 with Retry-After (try again shortly),
    never a server error; any other database error still propagates."""

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not (
            isinstance(exception, OperationalError)
            and "database is locked" in str(exception)
        ):
            return None
        response = HttpResponse(
            translation.gettext("The system is busy. Please try again in a moment."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
