"""`telcrm call_lists --day YYYY-MM-DD`: build every agent's call list for a day.

Eligible members of every active outbound-call campaign, checked by the contact
policy (each decision logged) until the agents' seats are full, higher priority
first (``telcrm.campaigns.lists.call_lists_build``); each campaign's line says how
many members wait, how many were decided, allowed and queued. Run it each morning
(or from the campaigns page, "build today's call lists"); a second run the same day
rebuilds the lists.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from telcrm.campaigns.lists import call_lists_build


def day_of(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--day {text!r}: expected YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Build every agent's call list for a day (default: today)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--day", default="", help="the day, YYYY-MM-DD (default: today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = day_of(options["day"]) if options["day"] else timezone.localdate()
        report = call_lists_build(day=day)
        self.stdout.write(
            f"call lists of {day.isoformat()}: seat capacity {report.capacity}"
        )
        for result in report.results:
            denied = ", ".join(
                f"{rule} {n}" for rule, n in sorted(result.denied.items())
            )
            self.stdout.write(
                f"{result.code}: eligible {result.eligible}, decided {result.decided}, "
                f"allowed "
                f"{result.allowed}, queued {result.queued}"
                + (f"; denied: {denied}" if denied else "")
            )
        self.stdout.write(self.style.SUCCESS(f"queued {report.queued} calls"))
