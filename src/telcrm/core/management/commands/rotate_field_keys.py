"""`telcrm rotate_field_keys`: re-encrypt personal data under the active field key.

Put the new key first in TELCRM_FIELD_KEYS (keeping the old ones), run this command,
then remove the old keys: every row now decrypts with the new key alone.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from telcrm.core.fields import field_keyring
from telcrm.core.rotation import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the active key of TELCRM_FIELD_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"active key: {field_keyring().active}")
        total = 0
        for count in rotate_all(batch_size=options["batch_size"]):
            total += count.rotated
            self.stdout.write(
                f"{count.label}: {count.rotated} re-encrypted, {count.current} current"
            )
        self.stdout.write(self.style.SUCCESS(f"re-encrypted {total} values"))
