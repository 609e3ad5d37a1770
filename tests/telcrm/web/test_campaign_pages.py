"""The campaign pages: who sees what, the live count, the approval panel (never for
the creator), the lifecycle buttons, today's call lists, the agent's call console,
and the campaigns on the 360 page; then one whole campaign through the pages.

The clock is frozen at Monday 16 November 2026, 10:00 in Shanghai (inside the
default calling hours), so the policy decides the same whatever the hour of the run.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, cast

import pytest
from django.db.models import Count
from django.utils import timezone
from tests.telcrm.campaigns.helpers import (
    MONDAY_10,
    reachable_customer,
    running_campaign,
)
from tests.telcrm.factories import UserFactory, logged_in

from telcrm.campaigns.choices import (
    CampaignChannel,
    CampaignGoal,
    CampaignStatus,
    ContactOutcome,
    MemberGroup,
    MemberState,
    PolicyRule,
    SuppressionKind,
)
from telcrm.campaigns.models import (
    AgentCapacity,
    Campaign,
    CampaignMember,
    ContactAttempt,
    ContactDecision,
    ContactSuppression,
    Referral,
)
from telcrm.campaigns.policy import may_contact
from telcrm.campaigns.services import campaign_create, campaign_submit
from telcrm.customers.choices import InteractionKind
from telcrm.customers.models import Customer, Interaction
from telcrm.users.choices import Role
from telcrm.users.models import User

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 16)
PROVINCE = "浙江省"
CALL = CampaignChannel.OUTBOUND_CALL


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``timezone.now`` is Monday 10:00 in Shanghai for the pages and services."""
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10)
    yield


def figures(html: str) -> dict[str, str]:
    """The ``data-figure`` cells of a page: name -> text."""
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))


def form_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Keep the valuable",
        "project": "Q4 retention",
        "goal": CampaignGoal.RETENTION,
        "channel": CALL,
        "offer": "20 GB a month for 6 months",
        "script": "Hello, this is your operator.",
        "provinces": PROVINCE,
        "expected_acceptance_rate": "0.25",
        "expected_revenue_per_acceptance": "600.00",
        "priority": "6",
        "budget": "5000.00",
        "cost_per_attempt": "2.00",
        "cost_per_acceptance": "50.00",
        "starts_on": "2026-11-16",
        "ends_on": "2026-11-20",
        "control_fraction": "0.2",
        "pilot_size": "3",
        "max_attempts_per_customer": "3",
    }
    data.update(fields)
    return data


def submitted_campaign(author: User) -> Campaign:
    campaign = campaign_create(
        by=author,
        name="Submitted",
        goal=CampaignGoal.RETENTION,
        channel=CALL,
        offer="Offer",
        target_rule={"provinces": [PROVINCE]},
        expected_acceptance_rate=Decimal("0.2"),
        budget=Decimal(1000),
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=4),
    )
    return campaign_submit(campaign=campaign, by=author)


def campaign_with(**fields: Any) -> Campaign:
    """A running campaign with ``fields`` (name, script, offer, ...) changed."""
    priority = fields.pop("priority", 5)
    campaign = running_campaign(priority=priority)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.save()
    return campaign


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Who sees what --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "campaigns", "new", "calls"),
    [
        (Role.AGENT, 403, 403, 200),
        (Role.OUTLET_STAFF, 403, 403, 403),
        (Role.ACCOUNT_MANAGER, 403, 403, 403),
        (Role.MARKETER, 200, 200, 403),
        (Role.ANALYST, 200, 403, 403),
        (Role.SUPERVISOR, 200, 403, 403),
        (Role.ADMINISTRATOR, 200, 403, 403),
        (Role.AUDITOR, 200, 403, 403),
    ],
)
def test_every_roles_access(role: str, campaigns: int, new: int, calls: int) -> None:
    client, _ = logged_in(role, language="en")
    campaign = running_campaign()

    assert client.get("/campaigns/").status_code == campaigns
    assert client.get(f"/campaigns/{campaign.code}/").status_code == campaigns
    assert client.get("/campaigns/new/").status_code == new
    assert client.get("/calls/").status_code == calls
    home = client.get("/").content.decode()
    assert ('href="/campaigns/"' in home) is (campaigns == 200)
    assert ('href="/calls/"' in home) is (calls == 200)


def test_read_only_roles_get_no_buttons() -> None:
    campaign = submitted_campaign(cast(User, UserFactory(role=Role.MARKETER)))
    for role in (Role.ANALYST, Role.AUDITOR, Role.ADMINISTRATOR):
        client, _ = logged_in(role, language="en")
        page = client.get(f"/campaigns/{campaign.code}/").content.decode()
        assert "<form" not in page.split("<main", 1)[1], role
        assert client.post(f"/campaigns/{campaign.code}/approve/").status_code == 403


def test_the_list_puts_campaigns_awaiting_approval_first() -> None:
    author = cast(User, UserFactory(role=Role.MARKETER))
    running = running_campaign(priority=9)
    waiting = submitted_campaign(author)
    client, _ = logged_in(Role.SUPERVISOR, language="en")

    page = client.get("/campaigns/").content.decode()

    awaiting, everything = page.split('id="all"')
    assert waiting.code in awaiting.split('id="awaiting"')[1]
    assert running.code not in awaiting
    assert everything.index(waiting.code) < everything.index(running.code)
    assert "Build today's call lists (2026-11-16)" in page


def test_a_marketer_sees_their_own_campaigns_and_all() -> None:
    client, author = logged_in(Role.MARKETER, language="en")
    mine = submitted_campaign(author)
    other = running_campaign()

    page = client.get("/campaigns/").content.decode()

    own, everything = page.split('id="all"')
    assert mine.code in own and other.code not in own
    assert mine.code in everything and other.code in everything
    assert "/campaigns/call-lists/" not in page


# --- New campaign and the live count --------------------------------------------------


def test_the_live_count_shows_target_control_contacts_yield_and_cost() -> None:
    for _ in range(10):
        reachable_customer()
    reachable_customer(province="江苏省")
    client, _ = logged_in(Role.MARKETER, language="en")

    response = client.get(
        "/campaigns/count/", form_data(name=""), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert figures(response.content.decode()) == {
        "target": "10",
        "control": "2",
        "treated": "8",
        "pilot": "3",
        "attempts": "24",
        "acceptances": "2.0",
        "revenue": "1200.00",
        "cost": "148.00",
        "budget": "5000.00",
    }
    over = client.get("/campaigns/count/", form_data(budget="100")).content.decode()
    assert "Over budget." in over


def test_a_new_campaign_is_a_draft_and_bad_terms_are_shown() -> None:
    client, author = logged_in(Role.MARKETER, language="en")

    bad = client.post(
        "/campaigns/new/", form_data(ends_on="2026-11-01", offerings="NOPE-1")
    )
    assert bad.status_code == 200
    assert "A campaign ends on or after its start." in bad.content.decode()
    assert "Unknown product codes: NOPE-1." in bad.content.decode()
    past = client.post(
        "/campaigns/new/", form_data(starts_on="2026-11-01", ends_on="2026-11-15")
    )
    assert "This end date has passed." in past.content.decode()  # today: 11-16
    response = client.post("/campaigns/new/", form_data(segments=["retain_key"]))

    campaign = Campaign.objects.get()
    assert response["Location"] == f"/campaigns/{campaign.code}/"
    assert (campaign.status, campaign.created_by, campaign.priority) == (
        CampaignStatus.DRAFT,
        author,
        6,
    )
    assert campaign.target_rule == {
        "provinces": [PROVINCE],
        "segments": ["retain_key"],
    }
    assert campaign.uses_usage_data is True


def test_only_the_creator_edits_and_only_a_draft_or_rejected_campaign() -> None:
    client, _ = logged_in(Role.MARKETER, language="en")
    client.post("/campaigns/new/", form_data())
    campaign = Campaign.objects.get()
    other, _ = logged_in(Role.MARKETER)

    assert other.get(f"/campaigns/{campaign.code}/edit/").status_code == 403
    edit = client.get(f"/campaigns/{campaign.code}/edit/").content.decode()
    assert 'value="Keep the valuable"' in edit
    assert f'value="{PROVINCE}"' in edit
    response = client.post(
        f"/campaigns/{campaign.code}/edit/", form_data(name="Renamed", priority="8")
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.priority) == ("Renamed", 8)
    client.post(f"/campaigns/{campaign.code}/submit/")
    assert client.get(f"/campaigns/{campaign.code}/edit/").status_code == 403


# --- Approval -------------------------------------------------------------------------


def test_the_creator_never_sees_the_approval_buttons() -> None:
    client, author = logged_in(Role.MARKETER, language="en")
    campaign = submitted_campaign(author)

    page = client.get(f"/campaigns/{campaign.code}/").content.decode()

    assert 'id="approval"' not in page
    assert "/approve/" not in page
    assert client.post(f"/campaigns/{campaign.code}/approve/").status_code == 403


def test_a_supervisor_who_created_it_is_refused_by_the_service() -> None:
    client, creator = logged_in(Role.SUPERVISOR, language="en")
    creator.is_superuser = True
    creator.save()
    campaign = submitted_campaign(creator)

    page = client.get(f"/campaigns/{campaign.code}/").content.decode()
    response = client.post(
        f"/campaigns/{campaign.code}/approve/", {"note": "mine"}, follow=True
    )

    assert 'id="approval"' not in page
    assert messages_of(response) == [
        "A campaign is approved by someone other than its creator."
    ]
    campaign.refresh_from_db()
    assert (campaign.status, campaign.decided_by) == (CampaignStatus.SUBMITTED, None)


def test_the_approval_panel_shows_overlap_policy_load_and_seats() -> None:
    customers = [reachable_customer() for _ in range(5)]
    reachable_customer(channels=())
    running = running_campaign(priority=8)
    CampaignMember.objects.create(
        campaign=running, customer=customers[0], group=MemberGroup.TREATMENT
    )
    AgentCapacity.objects.create(agent=UserFactory(role=Role.AGENT), calls_per_day=50)
    campaign = submitted_campaign(cast(User, UserFactory(role=Role.MARKETER)))
    client, _ = logged_in(Role.SUPERVISOR, language="en")

    page = client.get(f"/campaigns/{campaign.code}/").content.decode()

    panel = page.split('id="approval"')[1].split("</article>")[0]
    assert "1 target customer is already on another campaign." in panel
    assert re.search(
        rf'data-overlap="{running.code}">.*?<td class="number">1</td>'
        r'<td class="number">1</td>',
        panel,
    )
    assert re.findall(
        r'data-rule="(\w+)"><td>[^<]*</td><td class="number">(\d+)<', panel
    ) == [
        (PolicyRule.CONSENT, "1"),
        (PolicyRule.ALLOWED, "5"),
    ]
    # 5 days x 50 calls. The running campaign (priority 8) has 1 member x 3 attempts
    # left over its 46 days: round(3 x 5 / 46) = 0 of them on these 5 days. This
    # one: 6 customers targeted, round(6 x 0.1) = 1 held out, 5 x 3 attempts.
    assert figures(panel) == {
        "capacity": "250",
        "higher": "0",
        "available": "250",
        "need": "15",
    }
    assert "/approve/" in panel and "/reject/" in panel


def test_the_approval_page_counts_the_target_list_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counting a target list of a million customers takes seconds: the seat load
    uses the page's own figures."""
    from telcrm.campaigns import selectors as campaign_selectors
    from telcrm.web.campaigns import selectors as page_selectors

    counted = []
    count = campaign_selectors.campaign_yield

    def counting(campaign: Campaign) -> Any:
        counted.append(campaign.pk)
        return count(campaign)

    monkeypatch.setattr(campaign_selectors, "campaign_yield", counting)
    monkeypatch.setattr(page_selectors, "campaign_yield", counting)
    AgentCapacity.objects.create(agent=UserFactory(role=Role.AGENT), calls_per_day=50)
    campaign = submitted_campaign(cast(User, UserFactory(role=Role.MARKETER)))
    client, _ = logged_in(Role.SUPERVISOR, language="en")

    page = client.get(f"/campaigns/{campaign.code}/").content.decode()

    assert 'id="seats"' in page
    assert counted == [campaign.pk]


def test_approve_and_reject_through_the_page() -> None:
    for _ in range(5):
        reachable_customer()
    author = cast(User, UserFactory(role=Role.MARKETER))
    first, second = submitted_campaign(author), submitted_campaign(author)
    client, approver = logged_in(Role.SUPERVISOR, language="en")

    refused = client.post(f"/campaigns/{second.code}/reject/", follow=True)
    assert messages_of(refused) == ["Say why the campaign is rejected."]
    too_long = client.post(
        f"/campaigns/{second.code}/reject/", {"note": "x" * 2001}, follow=True
    )
    assert messages_of(too_long) == [
        "Ensure this value has at most 2000 characters (it has 2001)."
    ]
    client.post(f"/campaigns/{second.code}/reject/", {"note": "Overlaps Q4"})
    approved = client.post(
        f"/campaigns/{first.code}/approve/", {"note": "Fine"}, follow=True
    )

    assert messages_of(approved) == [
        f"Campaign {second.code} rejected.",
        f"Campaign {first.code} approved: its target list is drawn.",
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.decided_by, first.decision_note) == (
        CampaignStatus.APPROVED,
        approver,
        "Fine",
    )
    assert first.target_count_at_approval == 5
    assert (second.status, second.decision_note) == (
        CampaignStatus.REJECTED,
        "Overlaps Q4",
    )
    page = approved.content.decode()
    assert "Approved" in page and "5 customers drawn at approval" in page


@pytest.mark.parametrize(
    ("status", "pilot_size", "buttons"),
    [
        (
            CampaignStatus.APPROVED,
            3,
            ["Start the pilot", "Start the full run", "Cancel the campaign"],
        ),
        (CampaignStatus.APPROVED, 0, ["Start the full run", "Cancel the campaign"]),
        (
            CampaignStatus.PILOT,
            3,
            ["Start the full run", "Complete", "Cancel the campaign"],
        ),
        (CampaignStatus.RUNNING, 3, ["Complete", "Cancel the campaign"]),
        (CampaignStatus.COMPLETED, 3, []),
    ],
)
def test_the_running_steps_follow_the_state(
    status: str, pilot_size: int, buttons: list[str]
) -> None:
    campaign = running_campaign(status=status, pilot_size=pilot_size)
    client, _ = logged_in(Role.SUPERVISOR, language="en")

    page = client.get(f"/campaigns/{campaign.code}/").content.decode()

    steps = [
        "Start the pilot",
        "Start the full run",
        "Complete",
        "Cancel the campaign",
    ]
    assert [step for step in steps if f">{step}</button>" in page] == buttons


def test_a_step_the_state_does_not_allow_is_a_message() -> None:
    client, author = logged_in(Role.MARKETER, language="en")
    campaign = submitted_campaign(author)

    response = client.post(f"/campaigns/{campaign.code}/full-run/", follow=True)

    assert messages_of(response) == [
        f"Campaign {campaign.code} is Awaiting approval; this step needs it "
        "Approved / Pilot."
    ]
    other, _ = logged_in(Role.MARKETER, language="en")
    response = other.post(f"/campaigns/{campaign.code}/cancel/", follow=True)
    assert messages_of(response) == [
        "Only the campaign's creator or a supervisor does this."
    ]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SUBMITTED


# --- Call lists and the console -------------------------------------------------------


def queued_call(agent: User, campaign: Campaign, customer: Customer) -> CampaignMember:
    return CampaignMember.objects.create(
        campaign=campaign,
        customer=customer,
        group=MemberGroup.TREATMENT,
        state=MemberState.QUEUED,
        assigned_agent=agent,
        call_day=TODAY,
    )


def test_the_console_shows_the_next_customer_script_and_offer() -> None:
    client, agent = logged_in(Role.AGENT, language="en")
    low = campaign_with(priority=3, script="Low script")
    high = campaign_with(priority=8, script="High script", offer="Big offer")
    customer = reachable_customer(phone="+8613912345678")
    queued_call(agent, low, reachable_customer())
    queued_call(agent, high, customer)
    queued_call(cast(User, UserFactory(role=Role.AGENT)), high, reachable_customer())

    page = client.get("/calls/").content.decode()

    assert "2 calls on your list of 2026-11-16." in page
    assert customer.customer_number in page.split('id="customer"')[1]
    assert "High script" in page and "Big offer" in page
    assert "Low script" not in page
    assert "13912345678" not in page
    assert "139****5678" in page
    assert 'id="start-call"' in page


def test_a_call_denied_at_the_moment_of_contact_names_its_rule() -> None:
    client, agent = logged_in(Role.AGENT, language="en")
    campaign = running_campaign()
    customer = reachable_customer()
    member = queued_call(agent, campaign, customer)
    ContactSuppression.objects.create(
        customer=customer,
        kind=SuppressionKind.OBJECTION,
        source="web",
        since=MONDAY_10 - datetime.timedelta(hours=1),
    )

    response = client.post(f"/calls/{member.pk}/start/", follow=True)

    assert messages_of(response) == [
        "Not called: 2 Global suppression (opt-out, do-not-call). The customer is "
        "taken off today's list."
    ]
    assert ContactAttempt.objects.count() == 0
    member.refresh_from_db()
    assert (member.state, member.assigned_agent) == (MemberState.PENDING, None)


def test_start_call_then_one_click_outcome_and_a_referral() -> None:
    client, agent = logged_in(Role.AGENT, language="en")
    campaign = running_campaign()
    customer = reachable_customer()
    member = queued_call(agent, campaign, customer)

    client.post(f"/calls/{member.pk}/start/")
    attempt = ContactAttempt.objects.get()
    page = client.get("/calls/").content.decode()
    assert "Call in progress since 10:00" in page
    assert f"/calls/attempts/{attempt.pk}/outcome/" in page
    no_time = client.post(
        f"/calls/attempts/{attempt.pk}/outcome/", {"outcome": "call_back"}, follow=True
    )
    assert messages_of(no_time) == ["Say when to call back."]
    referral = client.post(
        f"/calls/attempts/{attempt.pk}/referral/",
        {"referred_phone": "139 0000 1111"},
        follow=True,
    )
    assert messages_of(referral) == [
        f"Referral recorded: 20.00 yuan credited to {customer.customer_number}."
    ]
    done = client.post(
        f"/calls/attempts/{attempt.pk}/outcome/",
        {"outcome": "call_back", "callback_at": "2026-11-18T15:30", "note": "busy"},
        follow=True,
    )

    assert messages_of(done) == [f"{customer.customer_number}: Call back recorded."]
    attempt.refresh_from_db()
    member.refresh_from_db()
    assert (attempt.outcome, attempt.note) == (ContactOutcome.CALL_BACK, "busy")
    assert (member.state, member.attempts, member.callback_at) == (
        MemberState.PENDING,
        1,
        datetime.datetime(2026, 11, 18, 7, 30, tzinfo=datetime.UTC),
    )
    assert Referral.objects.get().referrer == customer
    assert "No call waiting" in done.content.decode()


def test_a_second_start_of_the_same_call_changes_nothing() -> None:
    """A double click (or a second tab) must not reserve a second attempt, nor,
    refused by the daily cap, take the customer off the list mid-call."""
    client, agent = logged_in(Role.AGENT, language="en")
    member = queued_call(agent, running_campaign(), reachable_customer())
    client.post(f"/calls/{member.pk}/start/")

    again = client.post(f"/calls/{member.pk}/start/", follow=True)

    assert messages_of(again) == ["A call to this customer is already in progress."]
    assert ContactAttempt.objects.count() == 1
    assert ContactDecision.objects.count() == 1
    member.refresh_from_db()
    assert (member.state, member.attempts, member.last_denied_rule) == (
        MemberState.QUEUED,
        1,
        "",
    )


@pytest.mark.parametrize(
    ("callback_at", "message"),
    [
        ("2026-11-16T09:00", "A call back is for a later time."),
        ("2027-01-01T10:00", "The campaign ends on 2026-12-31: call back by then."),
    ],
)
def test_a_call_back_is_for_a_later_time_while_the_campaign_runs(
    callback_at: str, message: str
) -> None:
    client, agent = logged_in(Role.AGENT, language="en")
    member = queued_call(agent, running_campaign(), reachable_customer())
    client.post(f"/calls/{member.pk}/start/")
    attempt = ContactAttempt.objects.get()

    response = client.post(
        f"/calls/attempts/{attempt.pk}/outcome/",
        {"outcome": "call_back", "callback_at": callback_at},
        follow=True,
    )

    assert messages_of(response) == [message]
    attempt.refresh_from_db()
    assert attempt.outcome == ContactOutcome.RESERVED


def test_a_call_back_asked_on_the_last_attempt_is_kept() -> None:
    client, agent = logged_in(Role.AGENT, language="en")
    member = queued_call(
        agent, running_campaign(max_attempts_per_customer=1), reachable_customer()
    )
    client.post(f"/calls/{member.pk}/start/")
    attempt = ContactAttempt.objects.get()

    client.post(
        f"/calls/attempts/{attempt.pk}/outcome/",
        {"outcome": "call_back", "callback_at": "2026-11-17T15:00"},
    )

    member.refresh_from_db()
    assert (member.state, member.attempts) == (MemberState.PENDING, 1)
    assert member.callback_at == datetime.datetime(
        2026, 11, 17, 7, 0, tzinfo=datetime.UTC
    )


def test_a_call_back_is_offered_from_its_time_on() -> None:
    client, agent = logged_in(Role.AGENT, language="en")
    campaign = running_campaign()
    later, first = reachable_customer(), reachable_customer()
    promised = queued_call(agent, campaign, later)
    promised.callback_at = MONDAY_10 + datetime.timedelta(hours=5)  # 15:00
    promised.save()
    queued_call(agent, campaign, first)

    page = client.get("/calls/").content.decode()

    assert first.customer_number in page.split('id="customer"')[1]
    rows = page.split('id="queue"')[1]
    # Call-backs lead the list, by their time; the others follow.
    assert rows.index(later.customer_number) < rows.index(first.customer_number)
    assert "2026-11-16 15:00" in rows

    CampaignMember.objects.filter(customer=first).update(state=MemberState.DONE)
    waiting = client.get("/calls/").content.decode()

    assert 'id="customer"' not in waiting
    assert "asked to be called back later" in waiting


def test_a_referral_is_recorded_only_during_its_call() -> None:
    client, agent = logged_in(Role.AGENT, language="en")
    member = queued_call(agent, running_campaign(), reachable_customer())
    client.post(f"/calls/{member.pk}/start/")
    attempt = ContactAttempt.objects.get()
    client.post(f"/calls/attempts/{attempt.pk}/outcome/", {"outcome": "refused"})

    late = client.post(
        f"/calls/attempts/{attempt.pk}/referral/",
        {"referred_phone": "139 0000 1111"},
        follow=True,
    )

    assert messages_of(late)[-1] == "This call has ended: no referral is recorded."
    assert Referral.objects.count() == 0


def test_another_agents_call_is_a_404() -> None:
    client, _ = logged_in(Role.AGENT)
    other = cast(User, UserFactory(role=Role.AGENT))
    member = queued_call(other, running_campaign(), reachable_customer())

    assert client.post(f"/calls/{member.pk}/start/").status_code == 404
    assert ContactAttempt.objects.count() == 0


def test_a_supervisor_builds_todays_lists_and_reads_the_report() -> None:
    agent = cast(User, UserFactory(role=Role.AGENT))
    AgentCapacity.objects.create(agent=agent, calls_per_day=2)
    campaign = running_campaign()
    for customer in (reachable_customer(), reachable_customer(), reachable_customer()):
        CampaignMember.objects.create(
            campaign=campaign, customer=customer, group=MemberGroup.TREATMENT
        )
    CampaignMember.objects.create(
        campaign=campaign,
        customer=reachable_customer(channels=()),
        group=MemberGroup.TREATMENT,
    )
    client, _ = logged_in(Role.SUPERVISOR, language="en")

    built = client.post("/campaigns/call-lists/")
    assert built["Location"] == "/campaigns/call-lists/"
    page = client.get(built["Location"]).content.decode()
    # Reading the report again rebuilds nothing.
    queued = ContactDecision.objects.count()
    again = client.get("/campaigns/call-lists/").content.decode()
    assert again.split('id="report"')[1] == page.split('id="report"')[1]
    assert ContactDecision.objects.count() == queued

    assert "2 calls queued for 2 seat places today." in page
    row = page.split(f'data-campaign="{campaign.code}">')[1].split("</tr>")[0]
    assert re.findall(r'"number">(\d+)<', row) == [
        "4",
        "4",
        "3",
        "2",
    ]  # waiting, decided, allowed, queued
    assert "4 Consent for this purpose and channel: 1" in row
    assert logged_in(Role.MARKETER)[0].post("/campaigns/call-lists/").status_code == (
        403
    )
    # Nothing built in this session yet: back to the campaigns.
    fresh, _ = logged_in(Role.SUPERVISOR, language="en")
    assert fresh.get("/campaigns/call-lists/")["Location"] == "/campaigns/"


# --- The 360 page ---------------------------------------------------------------------


def test_the_360_page_lists_campaigns_the_suppression_and_the_calls() -> None:
    client, agent = logged_in(Role.AGENT, language="en")
    customer = reachable_customer()
    held = campaign_with(name="Held campaign")
    CampaignMember.objects.create(
        campaign=held,
        customer=customer,
        group=MemberGroup.CONTROL,
        state=MemberState.HELD_OUT,
    )
    called = campaign_with(name="Called campaign")
    member = queued_call(agent, called, customer)
    client.post(f"/calls/{member.pk}/start/")
    attempt = ContactAttempt.objects.get()
    client.post(f"/calls/attempts/{attempt.pk}/outcome/", {"outcome": "opt_out"})

    page = client.get(f"/customers/{customer.customer_number}/").content.decode()

    section = page.split('id="campaigns"')[1].split("</article>")[0]
    assert (
        "No marketing contact: Opt-out from marketing since 2026-11-16 10:00 "
        "(Agent (call console))." in section
    )
    rows = re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td><td>([^<]*)</td>", section)
    # Newest campaign first.
    assert rows == [
        (f"{called.code} Called campaign", "Treatment"),
        (f"{held.code} Held campaign", "held out"),
    ]
    assert "<td>1</td><td>Opt-out</td>" in section
    timeline = page.split('id="timeline"')[1]
    assert f"{called.code} Called campaign: Opt-out" in timeline
    assert Interaction.objects.get(customer=customer).kind == InteractionKind.RETENTION


# --- A whole campaign through the pages -----------------------------------------------


def test_a_campaign_from_creation_to_an_opt_out_that_blocks_another_campaign() -> None:
    for _ in range(10):
        reachable_customer()
    marketer, _ = logged_in(Role.MARKETER, language="en")
    supervisor, _ = logged_in(Role.SUPERVISOR, language="en")
    agent_client, agent = logged_in(Role.AGENT, language="en")
    AgentCapacity.objects.create(agent=agent, calls_per_day=20)

    # The marketer: the live count, then a draft, then submitted.
    count = marketer.get("/campaigns/count/", form_data()).content.decode()
    assert (figures(count)["target"], figures(count)["control"]) == ("10", "2")
    created = marketer.post("/campaigns/new/", form_data())
    campaign = Campaign.objects.get()
    assert created["Location"] == f"/campaigns/{campaign.code}/"
    marketer.post(f"/campaigns/{campaign.code}/submit/")
    # The supervisor approves; the marketer starts the pilot.
    supervisor.post(f"/campaigns/{campaign.code}/approve/", {"note": "OK"})
    marketer.post(f"/campaigns/{campaign.code}/pilot/")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PILOT
    groups = dict(
        CampaignMember.objects.filter(campaign=campaign)
        .values_list("group")
        .annotate(n=Count("pk"))
        .values_list("group", "n")
    )
    assert groups == {MemberGroup.CONTROL: 2, MemberGroup.PILOT: 3,
                      MemberGroup.TREATMENT: 5}  # fmt: skip
    # Today's lists: the pilot's three customers.
    report = supervisor.post("/campaigns/call-lists/", follow=True).content.decode()
    assert "3 calls queued for 20 seat places today." in report
    # The agent calls the first: accepted.
    first = CampaignMember.objects.filter(
        campaign=campaign, state=MemberState.QUEUED
    ).order_by("pk")[0]
    agent_client.post(f"/calls/{first.pk}/start/")
    attempt = ContactAttempt.objects.get(member=first)
    agent_client.post(f"/calls/attempts/{attempt.pk}/outcome/", {"outcome": "accepted"})
    first.refresh_from_db()
    assert (first.state, first.last_outcome) == (MemberState.DONE, "accepted")
    # The second customer is also on another campaign's list for today.
    second = CampaignMember.objects.filter(
        campaign=campaign, state=MemberState.QUEUED
    ).order_by("pk")[0]
    other = running_campaign(priority=2)
    elsewhere = queued_call(agent, other, second.customer)
    agent_client.post(f"/calls/{second.pk}/start/")
    attempt = ContactAttempt.objects.get(member=second)
    agent_client.post(f"/calls/attempts/{attempt.pk}/outcome/", {"outcome": "opt_out"})

    # The opt-out holds at once, on the other campaign too.
    elsewhere.refresh_from_db()
    assert (elsewhere.state, elsewhere.assigned_agent) == (MemberState.DONE, None)
    assert agent_client.post(f"/calls/{elsewhere.pk}/start/").status_code == 404
    later = MONDAY_10 + datetime.timedelta(days=2)
    assert may_contact(second.customer, other, CALL, later).rule == (
        PolicyRule.SUPPRESSION
    )
    console = agent_client.get("/calls/").content.decode()
    assert "1 call on your list of 2026-11-16." in console
    # The full run; the detail page counts what happened.
    marketer.post(f"/campaigns/{campaign.code}/full-run/")
    page = marketer.get(f"/campaigns/{campaign.code}/").content.decode()
    assert '<strong id="status">Running</strong>' in page
    assert 'data-outcome="accepted">Accepted: 1<' in page
    assert 'data-outcome="opt_out">Opt-out: 1<' in page
    history = page.split('id="history"')[1].split("</ol>")[0]
    assert re.findall(r"· ([^·<]+) · ", history) == [
        "Draft",
        "Awaiting approval",
        "Approved",
        "Pilot",
        "Running",
    ]
    assert ContactSuppression.objects.filter(customer=second.customer).count() == 1


def test_the_campaign_pages_speak_chinese() -> None:
    client, agent = logged_in(Role.AGENT, language="zh-hans")
    member = queued_call(agent, running_campaign(), reachable_customer())
    reader, _ = logged_in(Role.SUPERVISOR, language="zh-hans")

    console = client.get("/calls/").content.decode()
    client.post(f"/calls/{member.pk}/start/")
    attempt = ContactAttempt.objects.get()
    client.post(f"/calls/attempts/{attempt.pk}/outcome/", {"outcome": "accepted"})
    page = reader.get(f"/campaigns/{member.campaign.code}/").content.decode()

    assert ">外呼工作台</a>" in console
    assert "开始呼叫" in console and "话术" in console
    assert '<strong id="status">运行中</strong>' in page
    assert '<tr data-group="treatment"><td>干预组</td>' in page
    assert 'data-outcome="accepted">接受: 1<' in page
    assert "Treatment" not in page
