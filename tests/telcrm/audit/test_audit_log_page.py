"""The auditor's audit log: readable by auditors and administrators, never editable."""

from __future__ import annotations

import datetime
from typing import cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.telcrm.factories import UserFactory

from telcrm.audit.choices import AuditAction
from telcrm.audit.models import AuditEvent
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.auditlog.views import EVENTS_PER_PAGE

pytestmark = pytest.mark.django_db

AUDIT_LOG = "/audit/"


def client_of(role: str, **extra: object) -> Client:
    client = Client()
    client.force_login(cast(User, UserFactory(role=role, **extra)))
    return client


def event(username: str, action: str, day: int, target_id: str = "") -> AuditEvent:
    at = timezone.make_aware(datetime.datetime(2026, 3, day, 10, 0))
    return AuditEvent.objects.create(
        at=at,
        username=username,
        action=action,
        target_id=target_id,
        reason="checking a complaint" if action == AuditAction.UNMASK else "",
    )


def listed(client: Client, **filters: str) -> list[tuple[str, str]]:
    response = client.get(AUDIT_LOG, filters)
    assert response.status_code == 200
    return [(e.username, e.target_id) for e in response.context["page"]]


def test_the_url_is_named_in_the_web_namespace() -> None:
    assert reverse("web:audit_log") == AUDIT_LOG


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMINISTRATOR])
def test_auditors_and_administrators_see_the_events(role: str) -> None:
    event("li", AuditAction.UNMASK, 2, target_id="17")

    response = client_of(role).get(AUDIT_LOG)

    assert response.status_code == 200
    assert "checking a complaint" in response.content.decode()


@pytest.mark.parametrize(
    "role", [r for r in Role if r not in {Role.AUDITOR, Role.ADMINISTRATOR}]
)
def test_every_other_role_gets_403(role: str) -> None:
    assert client_of(role).get(AUDIT_LOG).status_code == 403


def test_filters_by_user_action_target_and_date_range() -> None:
    event("li.agent", AuditAction.VIEW, 1, target_id="1")
    event("li.agent", AuditAction.UNMASK, 2, target_id="2")
    event("wang.manager", AuditAction.VIEW, 3, target_id="2")
    event("wang.manager", AuditAction.EXPORT, 5, target_id="3")
    auditor = client_of(Role.AUDITOR)

    assert listed(auditor, user="li") == [("li.agent", "2"), ("li.agent", "1")]
    assert listed(auditor, action="view") == [("wang.manager", "2"), ("li.agent", "1")]
    assert listed(auditor, target="2") == [("wang.manager", "2"), ("li.agent", "2")]
    assert listed(auditor, since="2026-03-02", until="2026-03-03") == [
        ("wang.manager", "2"),
        ("li.agent", "2"),
    ]


def test_the_list_is_paginated_and_pages_keep_the_filters() -> None:
    for _ in range(EVENTS_PER_PAGE + 1):
        event("li.agent", AuditAction.VIEW, 1)
    auditor = client_of(Role.AUDITOR)

    first = auditor.get(AUDIT_LOG, {"action": "view"})
    second = auditor.get(AUDIT_LOG, {"action": "view", "page": "2"})

    assert len(first.context["page"]) == EVENTS_PER_PAGE
    assert len(second.context["page"]) == 1
    assert "?action=view&amp;page=2" in first.content.decode()


def test_the_page_accepts_no_post() -> None:
    assert client_of(Role.AUDITOR).post(AUDIT_LOG).status_code == 405


def test_nobody_changes_or_deletes_an_event_in_the_admin() -> None:
    from django.contrib import admin

    logged = event("li.agent", AuditAction.VIEW, 1)
    superuser = cast(User, UserFactory(role=Role.ADMINISTRATOR, is_superuser=True))
    superuser.is_staff = True
    superuser.save()
    client = Client()
    client.force_login(superuser)
    model_admin = admin.site._registry[AuditEvent]
    request = client.get("/admin/").wsgi_request
    request.user = superuser
    change_url = f"/admin/audit/auditevent/{logged.pk}/change/"
    delete_url = f"/admin/audit/auditevent/{logged.pk}/delete/"

    assert model_admin.has_change_permission(request, logged) is False
    assert model_admin.has_delete_permission(request, logged) is False
    assert model_admin.has_add_permission(request) is False
    assert client.get(change_url).status_code == 200  # read only view
    assert client.post(change_url, {"username": "someone else"}).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    logged.refresh_from_db()
    assert logged.username == "li.agent"


@pytest.mark.parametrize(
    ("language", "target"), [("zh-hans", "客户 17"), ("en", "Customer 17")]
)
def test_the_target_is_named_in_the_users_language(language: str, target: str) -> None:
    unmasked = event("li", AuditAction.UNMASK, 2, target_id="17")
    unmasked.target_type = "customers.customer"
    unmasked.save()

    html = client_of(Role.AUDITOR, language=language).get(AUDIT_LOG).content.decode()

    assert f"<td>{target}</td>" in html
    assert "customers.customer" not in html
