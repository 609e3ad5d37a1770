"""AUTHN-1: failed logins lock one user name from one address, for a cool-off."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone
from tests.telcrm.factories import UserFactory

from telcrm.audit.choices import AuditAction
from telcrm.audit.models import AuditEvent
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
HOME_IP = "10.0.0.1"
OTHER_IP = "10.0.0.2"


@pytest.fixture
def agent() -> User:
    user = cast(User, UserFactory(username="li.agent", role=Role.AGENT))
    user.set_password(PASSWORD)
    user.save()
    return user


def login(password: str, ip: str = HOME_IP, username: str = "li.agent") -> Client:
    """Post the login form from ``ip``; the client is logged in if it worked."""
    client = Client(REMOTE_ADDR=ip)
    client.post("/login/", {"username": username, "password": password})
    return client


def logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def fail_until_locked() -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("wrong password")


def test_after_the_limit_even_the_right_password_is_refused(agent: User) -> None:
    fail_until_locked()

    client = Client(REMOTE_ADDR=HOME_IP)
    response = client.post("/login/", {"username": "li.agent", "password": PASSWORD})

    assert response.status_code == 429
    assert not logged_in(client)


def test_another_address_is_not_locked_out(agent: User) -> None:
    fail_until_locked()

    assert logged_in(login(PASSWORD, ip=OTHER_IP))


def test_another_user_from_the_same_address_is_not_locked_out(agent: User) -> None:
    colleague = cast(User, UserFactory(username="wang.agent", role=Role.AGENT))
    colleague.set_password(PASSWORD)
    colleague.save()
    fail_until_locked()

    assert logged_in(login(PASSWORD, username="wang.agent"))


def test_the_lockout_ends_after_the_cool_off(agent: User) -> None:
    fail_until_locked()
    assert not logged_in(login(PASSWORD))

    # Move the recorded failures back past the cool-off instead of waiting for it.
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    assert logged_in(login(PASSWORD))


def test_failures_and_the_lockout_are_audited_once_each(agent: User) -> None:
    fail_until_locked()
    login(PASSWORD)

    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).order_by("id")
    limit = settings.AXES_FAILURE_LIMIT
    assert [event.detail["locked_out"] for event in failures] == [
        *([False] * (limit - 1)),
        True,
        True,
    ]
    assert {(event.username, event.ip_address) for event in failures} == {
        ("li.agent", HOME_IP)
    }
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_a_login_is_audited_with_user_and_address(agent: User) -> None:
    login(PASSWORD)

    event = AuditEvent.objects.get()
    assert (event.action, event.user, event.username, event.ip_address) == (
        AuditAction.LOGIN,
        agent,
        "li.agent",
        HOME_IP,
    )


def test_a_user_name_with_line_breaks_is_stored_on_one_line() -> None:
    login("wrong password", username="eve\r\nadmin logged in")

    event = AuditEvent.objects.get()
    assert event.username == "eve\\r\\nadmin logged in"
