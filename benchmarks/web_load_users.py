"""Locust users of the web load benchmark (``benchmarks/bench_web_load.py`` runs them).

A call-centre agent logs in through the login form, then, over and over: finds a
customer (by phone most often, else by customer number, ID number or name) and opens
their 360 page. The baseline user opens the landing page only: the same login,
session, middleware and template work without any customer data.

Read from the environment: ``LOAD_TARGETS`` (a JSON file of customers to look for),
``LOAD_USERNAME`` and ``LOAD_PASSWORD``, ``LOAD_USER`` (``agent`` or ``baseline``),
``LOAD_WAIT`` (seconds between two actions, ``low-high``; ``0`` for none).
"""

from __future__ import annotations

import json
import os
import random
import re
from typing import Any

from locust import HttpUser, between, constant, task

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGGED_IN: list[str] = []


def wait_setting() -> Any:
    low, _, high = os.environ.get("LOAD_WAIT", "0").partition("-")
    return between(float(low), float(high)) if high else constant(float(low))


class StaffUser(HttpUser):
    """Logs in once, through the form, like a person."""

    abstract = True
    wait_time = wait_setting()

    def on_start(self) -> None:
        form = self.client.get("/login/", name="login form")
        token = CSRF_INPUT.search(form.text)
        if token is None:
            raise RuntimeError("no CSRF token on the login page")
        answer = self.client.post(
            "/login/",
            data={
                "username": os.environ["LOAD_USERNAME"],
                "password": os.environ["LOAD_PASSWORD"],
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": f"{self.host}/login/"},
            name="login",
        )
        if answer.url.rstrip("/").endswith("/login"):
            raise RuntimeError("login refused")
        self.count_in()

    def count_in(self) -> None:
        """Once every user has logged in, start the figures afresh: the logins
        (Argon2 hashes, on purpose slow) are not what is measured."""
        LOGGED_IN.append(self.__class__.__name__)
        runner = self.environment.runner
        if runner is not None and len(LOGGED_IN) == runner.target_user_count:
            self.environment.stats.reset_all()


class Agent(StaffUser):
    abstract = os.environ.get("LOAD_USER") != "agent"

    def on_start(self) -> None:
        super().on_start()
        with open(os.environ["LOAD_TARGETS"], encoding="utf-8") as targets:
            people: list[dict[str, str]] = json.load(targets)
        # Per key, the people who have one (some hold no ID number on record).
        self.targets = {
            key: [person for person in people if person[key]]
            for key in ("phone", "customer_number", "id_number", "name")
        }

    def find_and_open(self, key: str, label: str, *, unique: bool = True) -> None:
        """Search for a random target by ``key``, then open its 360 page. A name is
        not ``unique``: a copied operator has a hundred people of each name, so the
        target need not be among the 20 results shown."""
        target = random.choice(self.targets[key])
        with self.client.get(
            "/customers/",
            params={"q": target[key]},
            name=f"search by {label}",
            catch_response=True,
        ) as found:
            if found.status_code != 200:
                found.failure(f"search answered {found.status_code}")
                return
            if unique and target["customer_number"] not in found.text:
                found.failure(f"{target['customer_number']} not found by {label}")
                return
        with self.client.get(
            f"/customers/{target['customer_number']}/",
            name="360 page",
            catch_response=True,
        ) as page:
            if target["customer_number"] not in page.text:
                page.failure("the 360 page does not name its customer")

    @task(4)
    def by_phone(self) -> None:
        self.find_and_open("phone", "phone")

    @task(2)
    def by_customer_number(self) -> None:
        self.find_and_open("customer_number", "customer number")

    @task(1)
    def by_id_number(self) -> None:
        self.find_and_open("id_number", "ID number")

    @task(1)
    def by_name(self) -> None:
        self.find_and_open("name", "name", unique=False)


class Baseline(StaffUser):
    abstract = os.environ.get("LOAD_USER") != "baseline"

    @task
    def landing_page(self) -> None:
        self.client.get("/", name="landing page")
