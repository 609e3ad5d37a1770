"""Campaign results pages and the dashboards' campaign tile, on a small hand-built
campaign (exact figures; docs/campaigns.md, "Measuring results").

Treated: P1 (pilot; no answer, then accepted), T1 (refused), T2 (never reached);
control: C1 (left on 2026-11-20), C2. Retention: treated 3/3, control 1/2, so the
uplift is +50.0 points; 3 attempts x 2.00 + 1 acceptance x 10.00 = 16.00.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from tests.telcrm.campaigns.helpers import MONDAY_10, running_campaign
from tests.telcrm.campaigns.test_evaluation import attempt, member, newcombe
from tests.telcrm.factories import UserFactory, logged_in
from tests.telcrm.web.test_dashboards import write_marts

from telcrm.analytics.choices import RunState
from telcrm.analytics.models import PipelineRun
from telcrm.campaigns.choices import CampaignStatus, ContactOutcome, MemberGroup
from telcrm.campaigns.models import Campaign
from telcrm.users.choices import Role

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def campaign() -> Campaign:
    campaign = running_campaign(
        status=CampaignStatus.COMPLETED,
        project="Retention 2026",
        cost_per_attempt=Decimal("2.00"),
        cost_per_acceptance=Decimal("10.00"),
    )
    agent = UserFactory(role=Role.AGENT, full_name="王小明")
    p1 = member(campaign, MemberGroup.PILOT)
    t1 = member(campaign, MemberGroup.TREATMENT)
    member(campaign, MemberGroup.TREATMENT)
    member(campaign, MemberGroup.CONTROL, closed_on=datetime.date(2026, 11, 20))
    member(campaign, MemberGroup.CONTROL)
    attempt(p1, ContactOutcome.NO_ANSWER, agent, MONDAY_10)
    attempt(p1, ContactOutcome.ACCEPTED, agent, MONDAY_10 + HOUR)
    attempt(t1, ContactOutcome.REFUSED, agent, MONDAY_10 + 2 * HOUR)
    return campaign


def strong(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}">') + len(f'id="{element_id}">')
    return page[start : page.index("<", start)]


def test_a_campaigns_results_in_figures(campaign: Campaign) -> None:
    client, _ = logged_in(Role.MARKETER, language="en")

    response = client.get(f"/campaigns/{campaign.code}/results/")

    assert response.status_code == 200
    page = response.content.decode()
    assert strong(page, "overall-uplift") == "+50.0 pp"
    low, high = newcombe(3, 3, 1, 2)
    assert strong(page, "overall-interval") == (
        f"{100 * low:+.1f} to {100 * high:+.1f} pp"
    )
    assert strong(page, "overall-acceptance") == "33.3 %"
    assert strong(page, "overall-cost") == "16.00"
    assert strong(page, "overall-revenue") == "—"  # no bills: no ARPU
    assert strong(page, "pilot-uplift") == "+50.0 pp"
    assert strong(page, "pilot-cost") == "14.00"
    assert strong(page, "control-attempts") == "0"
    assert strong(page, "complaint-to-stay") == "—"
    assert strong(page, "referrals") == "0"
    contacts = page[page.index('id="overall-contacts">') :]
    cells = [c.split("</td>")[0] for c in contacts.split('<td class="number">')[1:8]]
    # attempts, answered, response, accepted, acceptance of answered, opt-outs, open
    assert cells == ["3", "2", "66.7 %", "1", "50.0 %", "0", "0"]
    assert "王小明" in page
    today = timezone.localdate()
    if today <= datetime.date(2027, 1, 29):  # 2026-11-01 + 90 days
        assert f"churn is counted up to {today:%Y-%m-%d}." in page
    else:
        assert "The horizon is not over" not in page


def test_the_horizon_can_be_chosen(campaign: Campaign) -> None:
    client, _ = logged_in(Role.ANALYST, language="en")

    longer = client.get(f"/campaigns/{campaign.code}/results/", {"horizon": "365"})
    bad = client.get(f"/campaigns/{campaign.code}/results/", {"horizon": "a year"})
    none = client.get(f"/campaigns/{campaign.code}/results/", {"horizon": "0"})

    assert "Churn over 365 days from the start: 2026-11-01 to 2027-10-31." in (
        longer.content.decode()
    )
    assert (bad.status_code, none.status_code) == (400, 400)


def test_results_are_for_readers_of_campaigns_not_agents(campaign: Campaign) -> None:
    url = f"/campaigns/{campaign.code}/results/"
    for role, status in [
        (Role.AGENT, 403),
        (Role.OUTLET_STAFF, 403),
        (Role.ACCOUNT_MANAGER, 403),
        (Role.SUPERVISOR, 200),
        (Role.AUDITOR, 200),
    ]:
        client, _ = logged_in(role, language="en")
        assert client.get(url).status_code == status, role
        assert client.get("/campaigns/results/").status_code == status, role
    client, _ = logged_in(Role.MARKETER, language="en")
    assert client.get("/campaigns/CMP999999/results/").status_code == 404
    assert Client().get(url).status_code == 302


def test_the_overview_per_campaign_project_and_agent(campaign: Campaign) -> None:
    running_campaign(status=CampaignStatus.DRAFT, project="Not started")
    client, _ = logged_in(Role.SUPERVISOR, language="en")

    page = client.get("/campaigns/results/").content.decode()

    campaigns = page[page.index('id="campaigns"') : page.index('id="projects"')]
    assert f'href="/campaigns/{campaign.code}/results/"' in campaigns
    assert "+50.0 pp" in campaigns
    projects = page[page.index('id="projects"') : page.index('id="agents"')]
    assert "Retention 2026" in projects
    assert "Not started" not in projects
    agents = page[page.index('id="agents"') :]
    assert "王小明" in agents


def test_in_chinese(campaign: Campaign) -> None:
    client, _ = logged_in(Role.MARKETER, language="zh-hans")

    page = client.get(f"/campaigns/{campaign.code}/results/").content.decode()

    assert "对照组" in page
    assert "+50.0 个百分点" in page


@pytest.fixture
def run(tmp_path: Path) -> Any:
    marts_dir = write_marts(tmp_path / "marts" / "run-00001")
    now = timezone.now()
    with override_settings(TELCRM_HOME=tmp_path):
        yield PipelineRun.objects.create(
            started_at=now,
            finished_at=now,
            state=RunState.COMPLETED,
            as_of=datetime.date(2026, 2, 28),
            started_by="test",
            marts=str(marts_dir),
        )


def test_the_dashboards_campaign_tile(run: PipelineRun, campaign: Campaign) -> None:
    running_campaign()
    marketer, _ = logged_in(Role.MARKETER, language="en")
    manager, _ = logged_in(Role.ACCOUNT_MANAGER, language="en")

    page = marketer.get("/dashboards/").content.decode()
    managers = manager.get("/dashboards/").content.decode()

    assert strong(page, "kpi-campaigns-running") == "1"
    assert strong(page, "kpi-campaigns-uplift") == "+50.0 pp"
    assert f'href="/campaigns/{campaign.code}/results/"' in page
    assert 'href="/campaigns/results/"' in page
    # Account managers see the dashboards, not the campaign results.
    assert strong(managers, "kpi-campaigns-uplift") == "+50.0 pp"
    assert "/results/" not in managers
