"""The web app's shell: login, landing page, language per user, local assets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from tests.telcrm.factories import logged_in

from telcrm.users.choices import Role

pytestmark = pytest.mark.django_db


def test_pages_need_a_login() -> None:
    response = Client().get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert Client().get("/login/").status_code == 200


def test_the_language_is_kept_per_user() -> None:
    client, user = logged_in(Role.AGENT)

    response = client.post("/language/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    page = client.get("/")
    assert page["Content-Language"] == "en"
    assert b'lang="en"' in page.content
    client.post("/language/", {"language": "zh-hans", "next": "https://evil.example/"})
    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert b'lang="zh-hans"' in client.get("/").content


def test_an_unknown_language_or_a_foreign_next_changes_nothing() -> None:
    client, user = logged_in(Role.AGENT)

    response = client.post(
        "/language/", {"language": "fr", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"
    user.refresh_from_db()
    assert user.language == ""


def test_browser_assets_are_served_from_the_app() -> None:
    for asset in (
        "web/vendor/htmx-2.0.11/htmx.min.js",
        "web/vendor/pico-2.1.1/pico.min.css",
        "web/vendor/echarts-5.6.0/echarts.min.js",
    ):
        assert finders.find(asset), asset


@pytest.mark.parametrize(
    ("role", "links", "absent"),
    [
        (
            Role.AGENT,
            [b'href="/customers/"'],
            [b'href="/dashboards/"', b"/audit/", b"/workbench/"],
        ),
        (Role.MARKETER, [b'href="/dashboards/"'], [b'href="/customers/"']),
        (
            Role.AUDITOR,
            [b'href="/dashboards/"', b'href="/audit/'],
            [b'href="/customers/"'],
        ),
        (
            Role.ACCOUNT_MANAGER,
            [b'href="/customers/"', b'href="/dashboards/"', b'href="/workbench/"'],
            [],
        ),
    ],
)
def test_the_navigation_offers_what_the_role_opens(
    role: str, links: list[bytes], absent: list[bytes]
) -> None:
    client, _ = logged_in(role)

    page = client.get("/").content

    for link in links:
        assert link in page, link
    for link in absent:
        assert link not in page, link


def test_no_template_relies_on_inline_script_or_style() -> None:
    """The Content-Security-Policy allows scripts and styles from files only."""
    templates = Path(__file__).parents[3] / "src/telcrm/web/templates"
    inline = re.compile(
        r"\son[a-z]+=|<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")|"
        r"\sstyle=|<style"
    )

    offenders = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if inline.search(path.read_text(encoding="utf-8"))
    ]

    assert offenders == []


def test_no_template_comment_spans_lines() -> None:
    """Django's ``{# #}`` comments end on their line; one that does not is printed."""
    templates = Path(__file__).parents[3] / "src/telcrm"
    offenders = [
        f"{path.relative_to(templates)}:{number}"
        for path in templates.rglob("templates/**/*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]

    assert offenders == []
