"""The operational store exported as the pipeline's operator tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from telcrm.analytics.export import operator_data_from_database
from telcrm.customers.models import Customer
from telcrm_pipeline.operator_data import OPERATOR_SCHEMAS, operator_data_from_silos
from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

pytestmark = pytest.mark.django_db

# Rows that identify themselves (an add-on shares its line's service number).
ROW_KEYS = {
    "customers": ["customer"],
    "lines": ["service_no", "offer_code", "start_date"],
    "accounts": ["account"],
    "bills": ["bill_no"],
    "bill_items": ["bill_no", "service_no", "charge_type", "amount"],
    "payments": ["payment_no"],
    "tickets": ["ticket_no"],
}


@pytest.fixture(scope="module")
def operator_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export-operator")
    generate_operator(GeneratorConfig(out=out, customers=300, months=2, seed=8))
    return out


def ordered(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def test_the_export_holds_what_the_import_accepted_with_the_same_values(
    operator_dir: Path,
) -> None:
    from telcrm.loading.service import silos_load

    silos_load(operator_dir / "silos")

    exported = operator_data_from_database()
    from_files = operator_data_from_silos(operator_dir / "silos")

    for name, keys in ROW_KEYS.items():
        database = exported[name].to_pandas()
        files = from_files[name].to_pandas()
        accepted = files.merge(database[keys].drop_duplicates(), on=keys)
        assert len(database) >= 0.9 * len(files), name
        both = database.merge(files[keys].drop_duplicates(), on=keys)
        pd.testing.assert_frame_equal(
            ordered(both, keys),
            ordered(accepted, keys)[list(OPERATOR_SCHEMAS[name].names)],
            obj=name,
        )


def test_merged_duplicates_are_left_out_and_their_lines_follow_the_survivor(
    operator_dir: Path,
) -> None:
    from telcrm.linkage.choices import Decision
    from telcrm.linkage.services import customer_merge
    from telcrm.loading.service import silos_load

    silos_load(operator_dir / "silos")
    survivor, duplicate = (
        Customer.objects.order_by("id")
        .filter(subscriptions__isnull=False)
        .distinct()[:2]
    )
    lines_of_duplicate = set(
        duplicate.subscriptions.values_list("service_number", flat=True)
    )
    customer_merge(survivor=survivor, merged=duplicate, decision=Decision.AUTO)

    exported = operator_data_from_database()

    customers = set(exported["customers"].column("customer").to_pylist())
    assert duplicate.customer_number not in customers
    assert survivor.customer_number in customers
    lines = exported["lines"].to_pandas()
    holders = set(lines[lines.service_no.isin(lines_of_duplicate)].customer)
    assert holders == {survivor.customer_number}
