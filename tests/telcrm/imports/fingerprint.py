"""Print a digest of everything an import leaves behind, for crash comparisons.

Run with TELCRM_HOME set: ``python -m tests.telcrm.imports.fingerprint``. Every
domain table (row values, ids included) and every dataset of the Parquet store, except
what legitimately differs between two homes or two runs: timestamps of when rows were
written, the ledger itself, random ciphertexts and password hashes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb

SKIPPED_FIELDS = {
    "password", "last_login", "date_joined", "created", "updated", "created_at",
    "refreshed_at", "fingerprint", "run_id",
}  # fmt: skip
SKIPPED_MODELS = {"importrun", "importfile"}


def digest(rows: list[str]) -> str:
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def database_digest() -> dict[str, object]:
    from django.apps import apps

    from telcrm.core.fields import EncryptedTextField
    from telcrm.users.services import DOMAIN_APPS

    found: dict[str, object] = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label not in DOMAIN_APPS or meta.model_name in SKIPPED_MODELS:
            continue
        if meta.model_name.startswith("historical"):
            continue
        names = [
            field.attname
            for field in meta.concrete_fields
            if field.attname not in SKIPPED_FIELDS
            and not isinstance(field, EncryptedTextField)
        ]
        rows = sorted(repr(row) for row in model._default_manager.values_list(*names))
        found[meta.label] = [len(rows), digest(rows)]
    return found


def store_digest(store: Path) -> dict[str, object]:
    from telcrm_pipeline.cdr_store.reader import store_files

    found: dict[str, object] = {}
    with duckdb.connect() as con:
        for dataset in ("cdr", "cdr_quarantine", "usage_line_day"):
            files = store_files(store, dataset)
            if not files:
                found[dataset] = [0, ""]
                continue
            rows = con.execute(
                "SELECT * EXCLUDE (file) FROM read_parquet(?, union_by_name = true) "
                "ORDER BY ALL"
                if dataset == "cdr_quarantine"
                else "SELECT * FROM read_parquet(?) ORDER BY ALL",
                [files],
            ).fetchall()
            found[dataset] = [len(rows), digest([repr(row) for row in rows])]
    return found


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings.base")
    import django

    django.setup()
    from django.conf import settings

    print(
        json.dumps(
            {
                "database": database_digest(),
                "store": store_digest(Path(settings.TELCRM_STORE_DIR)),
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
