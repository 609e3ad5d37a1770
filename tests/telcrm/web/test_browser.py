"""The main paths in a real browser: Debian's chromium driven by Playwright.

Every role logs in through the login form and lands on its page with its own
navigation; an agent finds a customer by phone, opens the 360 page, unmasks it with
a reason and switches the language. On a generated operator with a pipeline run
(loaded once per module): the dashboards (KPI tiles, trend chart, slicer, drill-down
from a province to its cities), the value x risk heatmap down to a cell's customers
and their 360 page, the 360 page's usage chart, and an account manager's workbench
and group page. Every page must load its scripts and styles under the
Content-Security-Policy without a single console error or failed request (a blocked
inline script or style shows up there), and every chart must actually be drawn.

``TELCRM_SCREENSHOTS=docs/screenshots`` makes ``test_the_main_pages_in_both_languages``
write the screenshots of docs/web.md; without it, the test walks the same pages and
checks them. Skipped, with the reason, where chromium is not installed.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from django.db import connection
from django.db.models import Sum
from django.template.defaultfilters import floatformat
from django.test import override_settings
from django.utils import translation
from tests.telcrm.factories import CustomerFactory, IndividualFactory, UserFactory

from telcrm.accounts.models import GroupNode
from telcrm.analytics.selectors import latest_completed_run
from telcrm.audit.models import AuditEvent
from telcrm.customers.choices import AcquisitionChannel
from telcrm.customers.models import Customer
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium, Individual
from telcrm.usage.models import LineUsageMonth
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm.web.customer360.selectors import today_local
from telcrm.web.dashboards.queries import KpiRow, Marts
from telcrm.web.dashboards.views import CELL_PAGE_SIZE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "a long demo passphrase 42"
PHONE = "13912345678"
SCREENSHOTS = os.environ.get("TELCRM_SCREENSHOTS", "")
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOT_HEIGHT = 4200

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="needs Debian's chromium (apt-get install chromium); make test "
        "installs it where it can",
    ),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning:ibis"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:mlxtend"),
]

# What each role's navigation bar links to (docs/web.md, the role table).
NAVIGATION = {
    Role.AGENT: {"/customers/", "/retention/tasks/", "/calls/"},
    Role.OUTLET_STAFF: {"/customers/"},
    Role.ACCOUNT_MANAGER: {
        "/workbench/", "/customers/", "/dashboards/", "/dashboards/matrix/",
        "/retention/tasks/",
    },
    Role.SUPERVISOR: {
        "/workbench/", "/customers/", "/dashboards/", "/dashboards/matrix/",
        "/retention/tasks/", "/campaigns/",
    },
    Role.MARKETER: {"/dashboards/", "/dashboards/matrix/", "/campaigns/"},
    Role.ANALYST: {"/dashboards/", "/dashboards/matrix/", "/campaigns/"},
    Role.ADMINISTRATOR: {
        "/customers/", "/dashboards/", "/dashboards/matrix/", "/audit/",
        "/retention/tasks/", "/campaigns/",
    },
    Role.AUDITOR: {"/dashboards/", "/dashboards/matrix/", "/audit/", "/campaigns/"},
}  # fmt: skip

# Pixels of a chart's canvas that must be painted for it to count as drawn: axes,
# labels and a few bars or cells; an empty or failed chart paints none.
DRAWN_PIXELS = 2000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # database calls are synchronous and safe here.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM)
            yield launched
            launched.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def member(role: str, **fields: object) -> User:
    user = cast(User, UserFactory(role=role, **fields))
    user.set_password(PASSWORD)
    user.save()
    return user


def customer_with_phone() -> Customer:
    person = cast(Individual, IndividualFactory())
    ContactMedium.objects.create(
        party=person.party, kind=ContactKind.PHONE, phone=f"+86{PHONE}",
        is_primary=True,
    )  # fmt: skip
    return cast(Customer, CustomerFactory(party=person.party))


class Session:
    """One browser context logged in through the form as ``user``, recording console
    errors, uncaught exceptions and failed requests (refused, or answered >= 400)."""

    def __init__(
        self,
        browser: Any,
        base: str,
        user: User | None,
        password: str = PASSWORD,
        *,
        locale: str = "en-US",
    ) -> None:
        self.base = base
        self.context = browser.new_context(viewport=VIEWPORT, locale=locale)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.failed: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.errors.append(message.text) if message.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # A request the browser cancels because the page moved on (the favicon of a
        # page left at once) fails with net::ERR_ABORTED: not the server's doing.
        self.page.on(
            "requestfailed",
            lambda request: (
                self.failed.append(f"{request.url} {request.failure}")
                if request.failure != "net::ERR_ABORTED"
                else None
            ),
        )
        self.page.on(
            "response",
            lambda response: (
                self.failed.append(f"{response.url} {response.status}")
                if response.status >= 400
                else None
            ),
        )
        self.page.goto(f"{base}/login/")
        if user is None:
            return
        self.page.fill("input[name=username]", user.username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/")

    def open(self, path: str) -> Any:
        self.page.goto(f"{self.base}{path}")
        return self.page

    def navigation(self) -> set[str]:
        """Where the navigation bar's links lead (the home link left out)."""
        hrefs = self.page.eval_on_selector_all(
            "header nav ul:nth-of-type(2) a", "links => links.map(a => a.pathname)"
        )
        return set(hrefs)

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.failed == []

    def close(self) -> None:
        self.assert_clean()
        self.context.close()


def chart_drawn(page: Any, holder: str) -> dict[str, Any]:
    """Wait until ECharts has painted ``holder``'s canvas; its size, the painted
    pixels and the data of each series."""
    page.wait_for_function(
        """([selector, least]) => {
          const canvas = document.querySelector(selector + " canvas");
          if (!canvas || !canvas.width || !canvas.height) return false;
          const pixels = canvas.getContext("2d")
            .getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
          return painted >= least;
        }""",
        arg=[holder, DRAWN_PIXELS],
    )
    return cast(
        dict[str, Any],
        page.evaluate(
            """(selector) => {
              const holder = document.querySelector(selector);
              const canvas = holder.querySelector("canvas");
              const chart = echarts.getInstanceByDom(holder);
              return {
                canvases: holder.querySelectorAll("canvas").length,
                width: canvas.width,
                height: canvas.height,
                series: chart.getOption().series.map((s) => s.data),
              };
            }""",
            holder,
        ),
    )


# --- Every role -------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_logs_in_and_lands_on_its_page(
    browser: Any, live_server: Any, role: Role
) -> None:
    user = member(role, language="en")

    session = Session(browser, live_server.url, user)

    page = session.page
    assert page.url == f"{live_server.url}/"
    assert page.locator("h1").inner_text() == f"Welcome, {user}"
    assert session.navigation() == NAVIGATION[role]
    expected = (
        "Find a customer by phone number, name, ID number, account or line."
        if "/customers/" in NAVIGATION[role]
        else "Your role works with aggregate figures: see the dashboards."
    )
    assert page.locator("main p").first.inner_text() == expected
    assert f"{user} · {user.get_role_display()}" in page.inner_text("header")
    session.close()


def test_an_agent_finds_a_customer_unmasks_and_switches_language(
    browser: Any, live_server: Any
) -> None:
    customer = customer_with_phone()
    agent = Session(browser, live_server.url, member(Role.AGENT))

    page = agent.open("/customers/")
    page.fill("input[name=q]", "139 1234 5678")
    page.wait_for_selector(f"text={customer.customer_number}")
    page.click(f"text={customer.customer_number}")
    page.wait_for_url(f"**/customers/{customer.customer_number}/")

    assert PHONE not in page.content()
    assert "139****5678" in page.content()
    page.fill("textarea[name=reason], input[name=reason]", "caller asked for it")
    page.click("form[action$='/unmask/'] button[type=submit]")
    page.wait_for_selector(f"text={PHONE}")

    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Find a customer")
    agent.close()


def test_a_marketer_opens_the_dashboards_before_any_run(
    browser: Any, live_server: Any
) -> None:
    marketer = Session(browser, live_server.url, member(Role.MARKETER, language="en"))

    page = marketer.open("/dashboards/")

    assert page.locator("#no-run").count() == 1
    assert page.locator(".chart").count() == 0
    assert marketer.open("/dashboards/matrix/").locator("#no-run").count() == 1
    marketer.close()


# --- Campaigns: the live count and the call console ------------------------------


def test_a_marketer_sees_the_live_count_while_defining_a_campaign(
    browser: Any, live_server: Any
) -> None:
    from tests.telcrm.campaigns.helpers import reachable_customer

    for province in ("浙江省", "浙江省", "浙江省", "江苏省"):
        reachable_customer(province=province)
    marketer = Session(browser, live_server.url, member(Role.MARKETER, language="en"))

    page = marketer.open("/campaigns/new/")
    page.wait_for_selector('#live-count [data-figure="target"]')
    assert page.inner_text('#live-count [data-figure="target"]') == "4"
    page.fill("input[name=provinces]", "浙江省")
    page.fill("input[name=control_fraction]", "0.4")
    page.locator("input[name=control_fraction]").dispatch_event("change")
    # round(3 x 0.4) = 1 held out (each change re-counts; wait for the last one).
    page.wait_for_function(
        """() => document.querySelector('#live-count [data-figure="control"]')
                 .textContent === '1'"""
    )
    assert page.inner_text('#live-count [data-figure="target"]') == "3"
    assert page.inner_text('#live-count [data-figure="treated"]') == "2"
    marketer.close()


def test_an_agent_starts_a_call_and_records_its_outcome(
    browser: Any, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import timezone
    from tests.telcrm.campaigns.helpers import (
        MONDAY_10,
        reachable_customer,
        running_campaign,
    )

    from telcrm.campaigns.choices import MemberGroup, MemberState
    from telcrm.campaigns.models import CallingWindow, CampaignMember

    # Monday 10:00 in Shanghai: inside the calling hours whenever the test runs.
    # (A transactional test starts without the migration's default windows.)
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_10)
    CallingWindow.objects.create(starts_at=dt.time(9), ends_at=dt.time(12))
    user = member(Role.AGENT, language="en")
    customer = reachable_customer()
    CampaignMember.objects.create(
        campaign=running_campaign(), customer=customer, group=MemberGroup.TREATMENT,
        state=MemberState.QUEUED, assigned_agent=user, call_day=MONDAY_10.date(),
    )  # fmt: skip
    agent = Session(browser, live_server.url, user)

    page = agent.open("/calls/")
    assert customer.customer_number in page.inner_text("#customer header")
    page.click("#start-call")
    page.wait_for_selector("#outcome")
    page.click("#outcome button[value=accepted]")
    page.wait_for_selector("text=No call waiting")
    assert f"{customer.customer_number}: Accepted recorded." in page.inner_text("main")
    agent.close()


# --- A generated operator with a pipeline run ---------------------------------------


def first_month(today: dt.date, months_back: int) -> str:
    """``YYYY-MM`` of the month ``months_back`` months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.fixture(scope="module")
def operator_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A generated operator ending last month (so the 360 page's last 12 months hold
    its usage), and the home its pipeline run writes into."""
    from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

    root = tmp_path_factory.mktemp("browser-operator")
    generate_operator(
        GeneratorConfig(
            out=root / "operator",
            customers=300,
            months=4,
            seed=42,
            start=first_month(today_local(), 4),
        )
    )
    home = root / "home"
    home.mkdir()
    with override_settings(TELCRM_HOME=home):
        yield root


@dataclass
class Operator:
    """The loaded operator: its run's marts and one member of staff per role (the
    demo's colleagues: the account manager manages the first group, under the
    supervisor)."""

    marts: Marts
    staff: dict[Role, tuple[User, str]]
    group: GroupNode

    def session(
        self, browser: Any, base: str, role: Role, *, locale: str = "en-US"
    ) -> Session:
        user, password = self.staff[role]
        return Session(browser, base, user, password, locale=locale)


class Snapshot:
    """The database right after the load, kept once per module: transactional tests
    empty the database after each test, and loading again costs half a minute.
    On SQLite it is restored with the backup API; elsewhere the operator is loaded
    again."""

    copy: sqlite3.Connection | None = None


@pytest.fixture(scope="module")
def snapshot() -> Iterator[Snapshot]:
    kept = Snapshot()
    yield kept
    if kept.copy is not None:
        kept.copy.close()


def operator_load(root: Path) -> None:
    """Import, link, run the pipeline and add the demo's colleagues. Each load has a
    CDR store of its own: a store keeps what it ingested, the database does not."""
    from telcrm.analytics.services import pipeline_run
    from telcrm.core.demo import demo_colleagues_ensure
    from telcrm.imports.services import import_directory
    from telcrm.linkage.services import linkage_run

    loads = len(list((root / "home").glob("store-*")))
    with override_settings(TELCRM_STORE_DIR=root / "home" / f"store-{loads + 1}"):
        import_directory(root / "operator" / "silos")
        linkage_run()
        pipeline_run(operator="browser tests")
    demo_colleagues_ensure(root / "home")


@pytest.fixture
def operator(live_server: Any, operator_home: Path, snapshot: Snapshot) -> Operator:
    from telcrm.core.demo import demo_role_password

    connection.ensure_connection()
    raw = connection.connection
    if snapshot.copy is not None:
        snapshot.copy.backup(raw)
    else:
        operator_load(operator_home)
        if connection.vendor == "sqlite":
            snapshot.copy = sqlite3.connect(":memory:", check_same_thread=False)
            raw.backup(snapshot.copy)
    run = latest_completed_run()
    assert run is not None
    staff = {
        role: (
            User.objects.get(username=f"demo_{role.value}"),
            demo_role_password(operator_home / "home", role),
        )
        for role in Role
    }
    manager = staff[Role.ACCOUNT_MANAGER][0]
    group = GroupNode.objects.get(depth=1, customer__account_manager=manager)
    return Operator(Marts(Path(run.marts)), staff, group)


def tile(page: Any, name: str) -> str:
    return cast(str, page.inner_text(f"#kpi-{name}"))


def money(value: float | None) -> str:
    """As the tiles print it (``floatformat:2``, a dash for none)."""
    return "—" if value is None else floatformat(value, 2)


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.2f} %"


def assert_tiles(page: Any, row: KpiRow) -> None:
    assert tile(page, "customers") == str(row.customers)
    assert tile(page, "revenue") == money(row.revenue)
    assert tile(page, "arpu") == money(row.arpu)
    assert tile(page, "churn") == percent(row.churn_rate)
    assert tile(page, "retention") == percent(row.retention_rate)


def breakdown_labels(page: Any) -> list[str]:
    return cast(
        list[str],
        page.eval_on_selector_all(
            "#dashboard-body table tbody tr td:first-child",
            "cells => cells.map(c => c.innerText)",
        ),
    )


def test_the_dashboards_draw_slice_and_drill_down(
    browser: Any, live_server: Any, operator: Operator
) -> None:
    marts = operator.marts
    trend = marts.kpis()
    session = operator.session(browser, live_server.url, Role.MARKETER)
    page = session.open("/dashboards/")

    assert len(trend) == 4
    assert_tiles(page, trend[-1])
    assert tile(page, "clv") == money(marts.clv_summary().mean_clv)
    chart = chart_drawn(page, "[data-chart=trend]")
    assert chart["canvases"] == 1
    assert chart["series"][0] == [round(row.revenue, 2) for row in trend]
    assert chart["series"][1] == [row.customers for row in trend]
    latest = {"month": trend[-1].month.isoformat()}
    provinces = marts.kpis(by="province", filters=latest)
    assert breakdown_labels(page) == [row.key or "—" for row in provinces]

    # The slicer: a dimension, then another (each brings its values through HTMX
    # and leaves the address alone), then one value, then apply.
    channel = next(value for value in marts.dimension_values("channel") if value)
    dashboard_url = page.url
    page.select_option("select[name=dimension]", "province")
    page.wait_for_selector("#filter-values select[name=province]")
    page.select_option("select[name=dimension]", "channel")
    page.wait_for_selector("#filter-values select[name=channel]")
    assert page.locator("#filter-values select").count() == 1
    assert page.url == dashboard_url
    values = page.eval_on_selector_all(
        "#filter-values option", "options => options.map(o => o.value)"
    )
    assert values == marts.dimension_values("channel")
    page.select_option("#filter-values select[name=channel]", channel)
    page.click("#slicer button[type=submit]")
    # The chip names the dimension and the value in the user's language (English).
    with translation.override("en"):
        channel_label = str(AcquisitionChannel(channel).label)
    page.wait_for_selector(f"a.chip:has-text('Acquisition channel: {channel_label}')")
    by_channel = marts.kpis(filters={"channel": channel})
    assert_tiles(page, by_channel[-1])
    assert tile(page, "customers") != str(trend[-1].customers)
    assert f"channel={channel}" in page.url
    assert chart_drawn(page, "[data-chart=trend]")["series"][1] == [
        row.customers for row in by_channel
    ]

    # Remove the filter, then drill down from the largest province to its cities.
    page.click("a.chip")
    page.wait_for_selector("a.chip", state="detached")
    assert_tiles(page, trend[-1])
    province = max(provinces, key=lambda row: row.customers).key
    assert province is not None
    page.click(f"#dashboard-body table a:text-is('{province}')")
    page.wait_for_selector(f"a.chip:has-text('Province: {province}')")
    cities = marts.kpis(by="city", filters={"province": province, **latest})
    assert breakdown_labels(page) == [row.key or "—" for row in cities]
    assert len(cities) > 1
    assert_tiles(page, marts.kpis(filters={"province": province})[-1])
    assert "by=city" in page.url
    chart_drawn(page, "[data-chart=trend]")
    page.select_option("select[name=dimension]", "city")
    page.wait_for_selector("#filter-values select[name=city]")
    assert page.eval_on_selector_all(
        "#filter-values option", "options => options.map(o => o.value)"
    ) == marts.dimension_values("city", {"province": province})
    session.close()


def test_a_matrix_cell_leads_to_its_customers_and_their_360_page(
    browser: Any, live_server: Any, operator: Operator
) -> None:
    cells = {(c.value_band, c.risk_band): c for c in operator.marts.matrix()}
    session = operator.session(browser, live_server.url, Role.ADMINISTRATOR)
    page = session.open("/dashboards/matrix/")

    chart = chart_drawn(page, "[data-chart=matrix]")
    drawn = {(v, r): count for r, v, count in (c["value"] for c in chart["series"][0])}
    bands = ["low", "medium", "high"]
    assert drawn == {
        (bands.index(v), bands.index(r)): cell.customers
        for (v, r), cell in cells.items()
    }
    assert page.locator("#matrix-cells tbody tr").count() == 9
    for (value, risk), cell in cells.items():
        row = page.locator(f"tr[data-cell={value}-{risk}] td")
        assert row.nth(3).inner_text() == str(cell.customers)

    # Click the heatmap's largest cell: its customers.
    (value, risk), largest = max(cells.items(), key=lambda item: item[1].customers)
    point = page.evaluate(
        """(at) => echarts
              .getInstanceByDom(document.querySelector("[data-chart=matrix]"))
              .convertToPixel({seriesIndex: 0}, at)""",
        [bands.index(risk), bands.index(value)],
    )
    box = page.locator("[data-chart=matrix]").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_url(f"**/dashboards/matrix/{value}/{risk}/")
    listed = page.locator("#cell-customers tbody tr a")
    assert listed.count() == min(largest.customers, CELL_PAGE_SIZE)
    first = listed.first.inner_text()
    assert first == operator.marts.cell_customers(value, risk)[0].customer

    listed.first.click()
    page.wait_for_url(f"**/customers/{first}/")
    assert first in page.inner_text("hgroup p")
    assert page.inner_text("#scores dd small") == f"({value})"
    session.close()


def busiest_customer() -> Customer:
    """The person who sent the most text messages (their lines' usage)."""
    row = (
        LineUsageMonth.objects.filter(customer__party__individual__isnull=False)
        .values("customer")
        .annotate(sms=Sum("sms_out"))
        .order_by("-sms", "customer")
        .first()
    )
    assert row is not None
    return Customer.objects.get(pk=row["customer"])


def test_the_360_page_draws_the_usage_of_the_last_months(
    browser: Any, live_server: Any, operator: Operator
) -> None:
    customer = busiest_customer()
    sms_by_month = dict(
        LineUsageMonth.objects.filter(customer=customer)
        .values_list("period")
        .annotate(Sum("sms_out"))
        .order_by("period")
    )
    session = operator.session(browser, live_server.url, Role.AGENT)

    page = session.open(f"/customers/{customer.customer_number}/")

    chart = chart_drawn(page, "#usage-chart")
    assert chart["canvases"] == 1
    assert len(sms_by_month) == 4
    assert chart["series"][2] == list(sms_by_month.values())
    session.close()


def test_an_account_manager_works_the_group_from_the_workbench(
    browser: Any, live_server: Any, operator: Operator
) -> None:
    group = operator.group
    nodes = GroupNode.objects.filter(path__startswith=group.path).count()
    manager = operator.staff[Role.ACCOUNT_MANAGER][0]
    session = operator.session(browser, live_server.url, Role.ACCOUNT_MANAGER)
    page = session.open("/workbench/")

    assert page.locator("#scope li a").all_inner_texts() == [group.node_number]
    at_risk = page.locator("#at-risk tbody tr")
    assert at_risk.count() >= 1

    page.click(f"#scope a:text-is('{group.node_number}')")
    page.wait_for_url(f"**/groups/{group.node_number}/")
    assert page.locator("#tree .group-tree li").count() == nodes
    assert page.inner_text("#team dd") == str(manager)
    assert page.locator("#products tbody tr").count() >= 1

    # Plan a visit for today (HTMX form): the group page lists it, and the
    # workbench has it due today.
    today = today_local().isoformat()
    page.fill("input[name=visit_date]", today)
    page.select_option("select[name=outcome]", "open")
    page.fill("textarea[name=notes]", "renewal of the group's lines")
    page.click("#visits button[type=submit]")
    page.wait_for_selector('#visits li:has-text("renewal of the group\'s lines")')
    assert page.locator("#visits section").first.locator("li").all_inner_texts() == [
        f"{today} · {manager} · renewal of the group's lines"
    ]
    page = session.open("/workbench/")
    assert page.locator("#tasks ul").first.locator("li").all_inner_texts() == [
        f"{today} · {group.node_number} · renewal of the group's lines"
    ]
    session.close()


# --- The main pages in both languages (docs/screenshots) ----------------------------

LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}
# What each page is called in each language (its h1, or the login form's), and what
# the walk types.
HEADINGS = {
    "zh-hans": {
        "login": "登录", "search": "查找客户", "dashboard": "仪表盘",
        "reason": "客户来电，已核实身份", "visit": "续约洽谈，介绍融合套餐",
    },
    "en": {
        "login": "Log in", "search": "Find a customer", "dashboard": "Dashboards",
        "reason": "caller verified on the phone",
        "visit": "renewal talk, present the bundle",
    },
}  # fmt: skip


class Album:
    """Checks every page it is shown (no console error or failed request, the page's
    language) and, when TELCRM_SCREENSHOTS names a folder, keeps its picture there as
    ``<name>.<language>.png``."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.folder = Path(SCREENSHOTS) if SCREENSHOTS else None
        self.taken: list[str] = []

    def shoot(self, session: Session, name: str, *, full_page: bool = True) -> None:
        page = session.page
        session.assert_clean()
        assert page.get_attribute("html", "lang") == self.language
        self.taken.append(name)
        if self.folder is None:
            return
        page.wait_for_timeout(1500)  # let the charts' animations finish
        self.folder.mkdir(parents=True, exist_ok=True)
        keep(
            page.screenshot(full_page=full_page),
            self.folder / f"{name}.{self.language}.png",
        )


def keep(png: bytes, path: Path) -> None:
    """A screenshot, at most SCREENSHOT_HEIGHT pixels high and in 128 colours, so
    that the files stay small in the repository."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.crop((0, 0, image.width, min(image.height, SCREENSHOT_HEIGHT)))
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
        path, "PNG", optimize=True
    )


@pytest.mark.parametrize("language", list(LOCALES))
def test_the_main_pages_in_both_languages(
    browser: Any, live_server: Any, operator: Operator, language: str
) -> None:
    for user, _ in operator.staff.values():
        user.language = language
        user.save(update_fields=["language"])
    album = Album(language)
    base = live_server.url
    locale = LOCALES[language]
    words = HEADINGS[language]

    visitor = Session(browser, base, None, locale=locale)
    assert visitor.page.inner_text("article.login h1") == words["login"]
    album.shoot(visitor, "login", full_page=False)
    visitor.close()

    # An agent: find a customer by name, their 360 page (masked).
    customer = busiest_customer()
    agent = operator.session(browser, base, Role.AGENT, locale=locale)
    page = agent.open("/customers/")
    assert page.inner_text("main h1") == words["search"]
    surname, namesakes = Counter(
        name[:1] for name in Individual.objects.values_list("party__name", flat=True)
    ).most_common(1)[0]
    page.fill("input[name=q]", surname)
    page.wait_for_selector("#search-results tbody tr >> nth=1")
    assert page.locator("#search-results tbody tr").count() == min(namesakes, 20)
    album.shoot(agent, "search")
    page = agent.open(f"/customers/{customer.customer_number}/")
    chart_drawn(page, "#usage-chart")
    phones = [
        phone.removeprefix("+86")
        for phone in customer.party.contact_media.exclude(phone="").values_list(
            "phone", flat=True
        )
    ]
    numbers = list(customer.subscriptions.values_list("service_number", flat=True))
    shown = page.content()
    assert phones and numbers
    assert [n for n in phones + numbers if n in shown] == []
    assert f"{phones[0][:3]}****{phones[0][-4:]}" in shown
    album.shoot(agent, "customer360")
    page.fill("input[name=reason]", words["reason"])
    page.click("form[action$='/unmask/'] button[type=submit]")
    page.wait_for_selector(f"#profile .masked:has-text('{phones[0]}')")
    agent.close()

    # The account manager: the group (with a visit planned), then the workbench.
    manager = operator.session(browser, base, Role.ACCOUNT_MANAGER, locale=locale)
    page = manager.open(f"/groups/{operator.group.node_number}/")
    assert page.locator("#tree .group-tree li").count() >= 2
    page.fill("input[name=visit_date]", today_local().isoformat())
    page.select_option("select[name=outcome]", "open")
    page.fill("textarea[name=notes]", words["visit"])
    page.click("#visits button[type=submit]")
    page.wait_for_selector(f"#visits li:has-text('{words['visit']}')")
    album.shoot(manager, "group")
    page = manager.open("/workbench/")
    assert page.locator("#at-risk tbody tr").count() >= 1
    assert page.locator("#tasks li a").first.inner_text() == (
        operator.group.node_number
    )
    album.shoot(manager, "workbench")
    manager.close()

    # The administrator: dashboards, matrix, a cell's customers, the audit log.
    admin = operator.session(browser, base, Role.ADMINISTRATOR, locale=locale)
    page = admin.open("/dashboards/")
    assert page.inner_text("main h1") == words["dashboard"]
    chart_drawn(page, "[data-chart=trend]")
    album.shoot(admin, "dashboard")
    page = admin.open("/dashboards/matrix/")
    chart_drawn(page, "[data-chart=matrix]")
    album.shoot(admin, "matrix")
    largest = max(operator.marts.matrix(), key=lambda cell: cell.customers)
    value, risk = largest.value_band, largest.risk_band
    page.click(f"tr[data-cell={value}-{risk}] a")
    page.wait_for_url(f"**/dashboards/matrix/{value}/{risk}/")
    assert page.locator("#cell-customers tbody tr").count() >= 1
    album.shoot(admin, "matrix-cell", full_page=False)
    page = admin.open("/audit/")
    events = AuditEvent.objects.count()
    assert events >= 5  # the logins, the 360 page's view and its unmasking above
    assert page.locator("main table tbody tr").count() == min(events, 50)
    assert page.locator(f"main table td:text-is('{words['reason']}')").count() == 1
    album.shoot(admin, "audit-log")
    admin.close()

    assert album.taken == [
        "login", "search", "customer360", "group", "workbench", "dashboard",
        "matrix", "matrix-cell", "audit-log",
    ]  # fmt: skip
