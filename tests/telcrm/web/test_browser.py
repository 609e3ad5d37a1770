"""The main paths in a real browser: Debian's chromium driven by Playwright.

Each role logs in through the login form; an agent finds a customer by phone, opens
the 360 page, unmasks it with a reason and switches the language; a marketer opens
the dashboards. Every page must load its scripts and styles under the
Content-Security-Policy without a single console error (a blocked inline script or
style shows up there). Skipped, with the reason, where chromium is not installed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any, cast

import pytest
from tests.telcrm.factories import CustomerFactory, IndividualFactory, UserFactory

from telcrm.customers.models import Customer
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium, Individual
from telcrm.users.choices import Role
from telcrm.users.models import User

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "a long demo passphrase 42"
PHONE = "13912345678"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="needs Debian's chromium (apt-get install chromium); make test "
        "installs it where it can",
    ),
]


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


def member(role: str) -> User:
    user = cast(User, UserFactory(role=role))
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
    """One browser page logged in as ``user``, recording console errors."""

    def __init__(self, browser: Any, base: str, user: User) -> None:
        self.base = base
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.page.on(
            "console",
            lambda message: (
                self.errors.append(message.text) if message.type == "error" else None
            ),
        )
        self.page.goto(f"{base}/login/")
        self.page.fill("input[name=username]", user.username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/")

    def open(self, path: str) -> Any:
        self.page.goto(f"{self.base}{path}")
        return self.page


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
    assert agent.errors == []


def test_a_marketer_opens_the_dashboards_without_console_errors(
    browser: Any, live_server: Any
) -> None:
    marketer = Session(browser, live_server.url, member(Role.MARKETER))

    page = marketer.open("/dashboards/")

    assert page.locator("h1").count() >= 1
    assert marketer.errors == []
    assert marketer.open("/customers/").title() is not None
