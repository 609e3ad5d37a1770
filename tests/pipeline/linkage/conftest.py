"""One small generated operator per session, linked once with and once without the
source references. Seed 11 was never used to tune the model (tuning used seed 7)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from telcrm_pipeline.linkage import predict_links, records_from_silos
from telcrm_pipeline.linkage.records import RECORDS_SCHEMA, resident_id_is_valid
from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

CUSTOMERS, SEED = 2000, 11


def with_check_digit(first17: str) -> str:
    """A resident ID number: 17 digits and their ISO 7064 MOD 11-2 check character."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    check = (12 - total % 11) % 11
    number = first17 + ("X" if check == 10 else str(check))
    assert resident_id_is_valid(number)
    return number


def record(record_id: str, **values: str | None) -> dict[str, str | None]:
    """A records-table row; unspecified columns are missing."""
    system, source_id = record_id.split(":")
    row: dict[str, str | None] = dict.fromkeys(RECORDS_SCHEMA.names)
    row.update(record_id=record_id, source_system=system, source_id=source_id)
    row.update(party_kind="individual", province="浙江省", city="杭州市")
    row.update(values)
    return row


# Records added to the generated ones: a homophone typo (伟/玮) and a swapped given
# name, with a phone and street no generated record has.
PLANTED = [
    record(
        "crm:C900000001",
        name="欧阳伟明",
        id_number=with_check_digit("33010619850612123"),
        birth_date="1985-06-12",
        phone="+8613999000001",
        street="测试路1号1幢101室",
        district="西湖区",
    ),
    record(
        "billing:A900000001",
        name="欧阳玮明",
        phone="+8613999000001",
        street="测试路1号1幢101室",
        district="西湖区",
    ),
    record(
        "broadband:BB90000001",
        name="欧阳明伟",
        phone="+8613999000001",
        street="测试路1号1幢101室",
        district="西湖区",
    ),
]


@pytest.fixture(scope="session")
def planted() -> list[dict[str, str | None]]:
    """The hand-made records added to the generated ones."""
    return PLANTED


@pytest.fixture(scope="session")
def operator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("linkage_operator")
    generate_operator(
        GeneratorConfig(customers=CUSTOMERS, months=1, seed=SEED, out=out)
    )
    return out


@pytest.fixture(scope="session")
def silo_records(operator: Path) -> tuple[pa.Table, pa.Table]:
    return records_from_silos(operator / "silos")


@pytest.fixture(scope="session")
def records(silo_records: tuple[pa.Table, pa.Table]) -> pa.Table:
    planted = pa.Table.from_pylist(PLANTED, schema=RECORDS_SCHEMA)
    return pa.concat_tables([silo_records[0], planted])


@pytest.fixture(scope="session")
def pairs(records: pa.Table, silo_records: tuple[pa.Table, pa.Table]) -> pa.Table:
    """Predicted pairs with the known links."""
    return predict_links(records, silo_records[1])


@pytest.fixture(scope="session")
def model_pairs(records: pa.Table) -> pa.Table:
    """Predicted pairs from the records alone (no source references)."""
    return predict_links(records)
