"""Every page of the staff app x every role x someone else's object.

The routes come from the URL configuration itself: a page added without an entry in
``ACCESS`` fails ``test_every_page_is_in_the_matrix``, so none can be forgotten. For
each route and role the matrix requests an object that belongs to another account
manager ("the other world") and checks that a role without access never gets a 2xx,
that scoped roles get a 404 for the other world's objects, and that roles who see
personal data masked never receive a full phone or ID number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from tests.telcrm.campaigns.helpers import MONDAY_10, running_campaign
from tests.telcrm.factories import (
    CustomerFactory,
    IndividualFactory,
    UserFactory,
    resident_id,
)

from telcrm.accounts.models import GroupNode
from telcrm.accounts.services import group_root_create
from telcrm.campaigns.choices import (
    DecisionStage,
    MemberGroup,
    MemberState,
    PolicyRule,
    TriggerKind,
)
from telcrm.campaigns.models import (
    Campaign,
    CampaignMember,
    ContactAttempt,
    ContactDecision,
)
from telcrm.campaigns.tasks import retention_task_raise
from telcrm.customers.models import Customer
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium, Individual
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db

EVERYONE = frozenset(Role.values)
CUSTOMER_ROLES = frozenset(
    {Role.AGENT, Role.OUTLET_STAFF, Role.ACCOUNT_MANAGER, Role.SUPERVISOR,
     Role.ADMINISTRATOR}
)  # fmt: skip
UNMASKING_ROLES = frozenset(
    {Role.AGENT, Role.OUTLET_STAFF, Role.ACCOUNT_MANAGER, Role.SUPERVISOR}
)
DASHBOARD_ROLES = frozenset(
    {Role.MARKETER, Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR,
     Role.ACCOUNT_MANAGER, Role.AUDITOR}
)  # fmt: skip
KEY_ACCOUNT_ROLES = frozenset(
    {Role.ACCOUNT_MANAGER, Role.SUPERVISOR, Role.ADMINISTRATOR}
)
CAMPAIGN_READERS = frozenset(
    {Role.MARKETER, Role.SUPERVISOR, Role.ANALYST, Role.AUDITOR, Role.ADMINISTRATOR}
)
CAMPAIGN_RUNNERS = frozenset({Role.MARKETER, Role.SUPERVISOR})
RETENTION_ROLES = frozenset(
    {Role.AGENT, Role.ACCOUNT_MANAGER, Role.SUPERVISOR, Role.ADMINISTRATOR}
)
# Roles limited to their own customers: the other world's objects are a 404.
SCOPED_ROLES = frozenset({Role.ACCOUNT_MANAGER, Role.SUPERVISOR})
MASKED_ROLES = frozenset({Role.AGENT, Role.OUTLET_STAFF})


@dataclass(frozen=True)
class Access:
    """Who may open a route, with which method, and what its URL points at."""

    roles: frozenset[str]
    method: str = "get"
    # The object the route's ``<kwarg>`` names: "customer", "group", or another
    # agent's campaign "member" or contact "attempt".
    target: str | None = None


ACCESS: dict[str, Access] = {
    "home": Access(EVERYONE),
    "language": Access(EVERYONE, method="post"),
    "search": Access(CUSTOMER_ROLES),
    "customer": Access(CUSTOMER_ROLES, target="customer"),
    "unmask": Access(UNMASKING_ROLES, method="post", target="customer"),
    "dashboard": Access(DASHBOARD_ROLES),
    "dashboard_values": Access(DASHBOARD_ROLES),
    "matrix": Access(DASHBOARD_ROLES),
    "matrix_cell": Access(CUSTOMER_ROLES & DASHBOARD_ROLES),
    "audit_log": Access(frozenset({Role.AUDITOR, Role.ADMINISTRATOR})),
    "group": Access(KEY_ACCOUNT_ROLES, target="group"),
    "group_visit": Access(KEY_ACCOUNT_ROLES, method="post", target="group"),
    "group_proposal": Access(KEY_ACCOUNT_ROLES, target="group"),
    "workbench": Access(frozenset({Role.ACCOUNT_MANAGER, Role.SUPERVISOR})),
    "retention_tasks": Access(RETENTION_ROLES),
    "retention_task_take": Access(
        frozenset({Role.AGENT}), method="post", target="task"
    ),
    "retention_task_close": Access(RETENTION_ROLES, method="post", target="task"),
    "campaigns": Access(CAMPAIGN_READERS),
    "campaign_new": Access(frozenset({Role.MARKETER})),
    "campaign_count": Access(frozenset({Role.MARKETER})),
    "call_lists": Access(frozenset({Role.SUPERVISOR}), method="post"),
    "campaign": Access(CAMPAIGN_READERS),
    "campaign_edit": Access(frozenset({Role.MARKETER})),
    "campaign_submit": Access(frozenset({Role.MARKETER}), method="post"),
    "campaign_approve": Access(frozenset({Role.SUPERVISOR}), method="post"),
    "campaign_reject": Access(frozenset({Role.SUPERVISOR}), method="post"),
    "campaign_pilot": Access(CAMPAIGN_RUNNERS, method="post"),
    "campaign_full_run": Access(CAMPAIGN_RUNNERS, method="post"),
    "campaign_complete": Access(CAMPAIGN_RUNNERS, method="post"),
    "campaign_cancel": Access(CAMPAIGN_RUNNERS, method="post"),
    "calls": Access(frozenset({Role.AGENT})),
    # Another agent's call: a 404 for every agent but that one.
    "call_start": Access(frozenset({Role.AGENT}), method="post", target="member"),
    "call_outcome": Access(frozenset({Role.AGENT}), method="post", target="attempt"),
    "call_referral": Access(frozenset({Role.AGENT}), method="post", target="attempt"),
    "campaign_results": Access(CAMPAIGN_READERS),
    "campaign_result": Access(CAMPAIGN_READERS),
}
# Query strings a route needs to answer with its page rather than a 400.
QUERIES = {"dashboard_values": "?dimension=province", "search": "?q=1391"}
PHONE, ID_NUMBER = "13912345678", resident_id(seq=4242)
FULL_VALUES = re.compile(f"{PHONE}|{ID_NUMBER}")


def web_routes() -> dict[str, URLPattern]:
    """The ``web`` namespace's patterns by name, read from the URL configuration."""
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "web":
            return {
                p.name: p
                for p in entry.url_patterns
                if isinstance(p, URLPattern) and p.name
            }
    raise AssertionError("no 'web' namespace in the URL configuration")


def test_every_page_is_in_the_matrix() -> None:
    assert set(web_routes()) == set(ACCESS)


@dataclass(frozen=True)
class OtherWorld:
    """A customer and a group managed by an account manager nobody else reports to,
    and the customer on another agent's call list of a running campaign."""

    customer: Customer
    group: GroupNode
    campaign: Campaign
    member: CampaignMember
    attempt: ContactAttempt


@pytest.fixture
def other_world() -> OtherWorld:
    manager = cast(User, UserFactory(role=Role.ACCOUNT_MANAGER))
    person = cast(Individual, IndividualFactory(id_number=ID_NUMBER))
    ContactMedium.objects.create(
        party=person.party, kind=ContactKind.PHONE, phone=f"+86{PHONE}",
        is_primary=True,
    )  # fmt: skip
    customer = cast(
        Customer, CustomerFactory(party=person.party, account_manager=manager)
    )
    group_customer = cast(Customer, CustomerFactory(account_manager=manager))
    campaign = running_campaign()
    agent = UserFactory(role=Role.AGENT)
    member = CampaignMember.objects.create(
        campaign=campaign, customer=customer, group=MemberGroup.TREATMENT,
        state=MemberState.QUEUED, assigned_agent=agent, call_day=MONDAY_10.date(),
    )  # fmt: skip
    decision = ContactDecision.objects.create(
        customer=customer, campaign=campaign, channel=campaign.channel,
        at=MONDAY_10, stage=DecisionStage.CONTACT, allowed=True,
        rule=PolicyRule.ALLOWED,
    )  # fmt: skip
    attempt = ContactAttempt.objects.create(
        customer=customer, campaign=campaign, member=member,
        channel=campaign.channel, at=MONDAY_10, agent=agent, decision=decision,
    )  # fmt: skip
    return OtherWorld(
        customer,
        group_root_create(node_number="G9", customer=group_customer),
        campaign,
        member,
        attempt,
    )


def other_task(world: OtherWorld) -> int:
    """The other world's customer's retention task: its account manager's."""
    task, _ = retention_task_raise(
        customer=world.customer,
        trigger=TriggerKind.PORT_OUT_QUERY,
        at=world.customer.created,
    )
    return task.pk


def url_of(name: str, pattern: URLPattern, world: OtherWorld) -> str:
    """The route's URL with every parameter pointing into the other world."""
    kwargs = {}
    for kwarg in pattern.pattern.converters:
        if kwarg == "task_id":
            kwargs[kwarg] = other_task(world)
            continue
        kwargs[kwarg] = {
            "customer_number": world.customer.customer_number,
            "node_number": world.group.node_number,
            "value_band": "high",
            "risk_band": "high",
            "code": world.campaign.code,
            "member_id": world.member.pk,
            "attempt_id": world.attempt.pk,
        }[kwarg]
    return reverse(f"web:{name}", kwargs=kwargs) + QUERIES.get(name, "")


def response_of(role: str, name: str, world: OtherWorld) -> tuple[int, str]:
    client = Client()
    client.force_login(UserFactory(role=role))
    url = url_of(name, web_routes()[name], world)
    access = ACCESS[name]
    if access.method == "post":
        response = client.post(url, {"reason": "matrix test reason"})
    else:
        response = client.get(url)
    return response.status_code, response.content.decode(errors="replace")


@pytest.mark.parametrize("role", sorted(Role.values))
@pytest.mark.parametrize("name", sorted(ACCESS))
def test_no_role_reaches_what_it_should_not(
    name: str, role: str, other_world: OtherWorld
) -> None:
    access = ACCESS[name]

    status, body = response_of(role, name, other_world)

    allowed = role in access.roles
    if not allowed:
        assert status in (403, 404, 405), (name, role, status)
    elif access.target is not None and role in SCOPED_ROLES:
        assert status == 404, (name, role, status)
    else:
        assert status < 500, (name, role, status)
    if 200 <= status < 300 and name != "unmask":
        assert not FULL_VALUES.search(body) or role not in MASKED_ROLES, (name, role)


def test_anonymous_visitors_reach_nothing(other_world: OtherWorld) -> None:
    for name, pattern in web_routes().items():
        response = Client().get(url_of(name, pattern, other_world))

        assert response.status_code in (302, 405), name
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), name
