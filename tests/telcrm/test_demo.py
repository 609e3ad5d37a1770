"""The demo path end to end: generate, load, serve, log in with the printed password."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

TELCRM = [sys.executable, "-m", "telcrm.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "TELCRM_HOME": str(home), "COLUMNS": "200"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)
    return env


# The panel's lines "  role  user  password  [what they look after]".
ROLE_LINE = re.compile(r"^\W*(\w+)\s+(demo_\w+)\s+(\S+)", re.MULTILINE)
ROLES = (
    "agent",
    "outlet_staff",
    "account_manager",
    "marketer",
    "analyst",
    "supervisor",
    "administrator",
    "auditor",
)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo's home and what it printed."""
    home = tmp_path_factory.mktemp("demo-home")
    result = subprocess.run(
        [*TELCRM, "demo", "--customers", "150", "--months", "1", "--no-serve"],
        env=demo_env(home),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return home, result.stdout


@pytest.fixture(scope="module")
def demo(demo_run: tuple[Path, str]) -> tuple[Path, str]:
    home, printed = demo_run
    password = re.search(r"Log in as admin with password (\S+)", printed)
    assert password, printed
    return home, password.group(1)


@pytest.fixture(scope="module")
def colleagues(demo_run: tuple[Path, str]) -> dict[str, tuple[str, str]]:
    """Role to (user name, password), as the panel printed them."""
    _, printed = demo_run
    return {
        role: (user, password) for role, user, password in ROLE_LINE.findall(printed)
    }


@pytest.fixture(
    scope="module",
    # One waitress process (the default), and gunicorn's pre-forked workers.
    params=["1", "2"],
    ids=["waitress", "two gunicorn workers"],
)
def server(demo: tuple[Path, str], request: pytest.FixtureRequest) -> Iterator[str]:
    home, _ = demo
    port = free_port()
    process = subprocess.Popen(
        [*TELCRM, "serve", "--port", str(port), "--workers", request.param],
        env=demo_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/health/")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_up(url: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def test_the_demo_loads_the_operator_into_its_own_home(demo: tuple[Path, str]) -> None:
    home, _ = demo

    assert (home / "telcrm.sqlite3").exists()
    assert (home / "demo" / "operator-c150-m1-s42" / "silos" / "manifest.json").exists()
    assert not (home / "loads").exists()  # a generated operator has no rejected rows


def test_the_served_app_answers_health_and_static_files(server: str) -> None:
    with urllib.request.urlopen(f"{server}/health/") as response:  # noqa: S310
        assert response.status == 200
        assert response.read() == b'{"status": "ok"}'
    with urllib.request.urlopen(f"{server}/static/admin/css/base.css") as response:  # noqa: S310
        assert response.status == 200
        assert b"body" in response.read()


def test_the_printed_demo_login_opens_the_admin(
    server: str, demo: tuple[Path, str]
) -> None:
    _, password = demo
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"{server}/admin/login/?next=/admin/"
    page = browser.open(login).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    form = {"username": "admin", "password": password, "next": "/admin/"}
    form["csrfmiddlewaretoken"] = token.group(1)
    request = urllib.request.Request(  # noqa: S310
        login, data=urllib.parse.urlencode(form).encode(), headers={"Referer": login}
    )

    with browser.open(request) as response:
        body = response.read().decode()

    assert response.geturl() == f"{server}/admin/"
    assert "/admin/customers/customer/" in body


def test_the_demo_prints_one_user_per_role_with_a_private_password(
    demo_run: tuple[Path, str], colleagues: dict[str, tuple[str, str]]
) -> None:
    home, printed = demo_run

    assert sorted(colleagues) == sorted(ROLES)
    assert colleagues["agent"][0] == "demo_agent"
    assert "demo_supervisor" in printed and "supervises demo_account_manager" in printed
    for role in ROLES:
        stored = home / f"demo_{role}_password"
        assert stored.read_text(encoding="utf-8") == colleagues[role][1]
        assert stored.stat().st_mode & 0o777 == 0o600


def staff_login(server: str, username: str, password: str) -> tuple[str, str]:
    """Log in on the web app's own login page; the final URL and page."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"{server}/login/"
    page = browser.open(login).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    form = {"username": username, "password": password}
    form["csrfmiddlewaretoken"] = token.group(1)
    request = urllib.request.Request(  # noqa: S310
        login, data=urllib.parse.urlencode(form).encode(), headers={"Referer": login}
    )
    with browser.open(request) as response:
        return response.geturl(), response.read().decode()


@pytest.mark.parametrize("role", ROLES)
def test_every_demo_role_logs_in_on_the_web_app(
    server: str, colleagues: dict[str, tuple[str, str]], role: str
) -> None:
    username, password = colleagues[role]

    url, page = staff_login(server, username, password)

    assert url == f"{server}/"
    assert f"{username} · " in page  # the header shows who is logged in


@pytest.mark.django_db
def test_the_demo_account_manager_gets_the_first_group_in_full(
    tmp_path: Path,
) -> None:
    from tests.telcrm.factories import CustomerFactory

    from telcrm.accounts.services import group_node_add, group_root_create
    from telcrm.core.demo import demo_colleagues_ensure
    from telcrm.customers.models import Customer

    first = group_root_create(node_number="G2", customer=CustomerFactory())
    group_node_add(
        parent=first, node_number="G2-S1", customer=CustomerFactory(),
        level="subsidiary",
    )  # fmt: skip
    group_root_create(node_number="G3", customer=CustomerFactory())

    colleagues = {user.role: note for user, _, note in demo_colleagues_ensure(tmp_path)}

    assert colleagues["account_manager"] == "group G2"
    assert sorted(
        Customer.objects.filter(
            account_manager__username="demo_account_manager"
        ).values_list("group_node__node_number", flat=True)
    ) == ["G2", "G2-S1"]
