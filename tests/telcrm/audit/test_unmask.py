"""Unmasking personal data: permission, typed reason, one audit row, a time limit."""

from __future__ import annotations

from typing import cast
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from tests.telcrm.factories import CustomerFactory, UserFactory

from telcrm.audit.models import AuditEvent
from telcrm.audit.services import UNMASK_SECONDS, is_unmasked, unmask_grant
from telcrm.customers.models import Customer
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db


def request_of(user: User) -> object:
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    return request


def test_an_agent_unmasks_with_a_reason_and_leaves_one_audit_row() -> None:
    agent = cast(User, UserFactory(role=Role.AGENT))
    customer = cast(Customer, CustomerFactory())
    request = request_of(agent)

    unmask_grant(
        request=request, user=agent, customer=customer, reason="caller verification"
    )

    event = AuditEvent.objects.get()
    assert (event.username, event.action, event.reason) == (
        agent.username, "unmask", "caller verification",
    )  # fmt: skip
    assert (event.target_type, event.target_id) == (
        "customers.customer",
        str(customer.pk),
    )
    assert is_unmasked(request, customer)
    assert not is_unmasked(request, cast(Customer, CustomerFactory()))


def test_the_unmask_expires() -> None:
    agent = cast(User, UserFactory(role=Role.AGENT))
    customer = cast(Customer, CustomerFactory())
    request = request_of(agent)
    with mock.patch("telcrm.audit.services.time.time", return_value=1000.0):
        unmask_grant(request=request, user=agent, customer=customer, reason="verify ID")

    with mock.patch(
        "telcrm.audit.services.time.time", return_value=1000.0 + UNMASK_SECONDS + 1
    ):
        assert not is_unmasked(request, customer)


def test_no_reason_or_no_permission_means_no_unmask_and_no_row() -> None:
    customer = cast(Customer, CustomerFactory())
    agent = cast(User, UserFactory(role=Role.AGENT))
    marketer = cast(User, UserFactory(role=Role.MARKETER))

    with pytest.raises(ValidationError):
        unmask_grant(
            request=request_of(agent), user=agent, customer=customer, reason=" ok "
        )
    with pytest.raises(PermissionDenied):
        unmask_grant(
            request=request_of(marketer), user=marketer, customer=customer,
            reason="curious about it",
        )  # fmt: skip

    assert not AuditEvent.objects.exists()
