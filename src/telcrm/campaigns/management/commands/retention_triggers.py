"""`telcrm retention_triggers [--at ISO] [--json]`: the nightly scan of the event
triggers (contract ends, usage drops, bill shocks, the week's complaints and
port-out queries) that raises retention tasks (docs/campaigns.md)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from telcrm.campaigns.triggers import retention_triggers_run


def moment(value: str | None) -> datetime.datetime:
    """``--at``: an ISO date or time; a time without zone is in TELCRM_TIME_ZONE."""
    if not value:
        return timezone.now()
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--at {value!r} is not an ISO date or time (2026-11-16T10:00)"
        ) from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class Command(BaseCommand):
    help = (
        "Raise the retention tasks of every event trigger as the store stands "
        "at --at (default: now); running it again raises nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="ISO date or time (default: now)")
        parser.add_argument(
            "--json", action="store_true", help="Print the counts as JSON"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        at = moment(options["at"])
        report = retention_triggers_run(at=at)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "at": at.isoformat(),
                        "counts": {
                            kind: {"raised": c.raised, "duplicates": c.duplicates}
                            for kind, c in report.counts.items()
                        },
                        "raised": report.raised,
                        "duplicates": report.duplicates,
                        "rerouted": report.rerouted,
                    },
                    indent=2,
                )
            )
            return
        self.stdout.write(
            f"Retention triggers at {timezone.localtime(at):%Y-%m-%d %H:%M} "
            f"({settings.TIME_ZONE})"
        )
        for kind, count in report.counts.items():
            self.stdout.write(
                f"{kind}: {count.raised} raised, {count.duplicates} duplicates"
            )
        self.stdout.write(
            f"total: {report.raised} raised, {report.duplicates} duplicates"
        )
        self.stdout.write(f"open tasks rerouted: {report.rerouted}")
