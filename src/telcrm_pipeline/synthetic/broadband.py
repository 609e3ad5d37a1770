"""The broadband system: its own customer list, with the usual data-entry drift.

One record per broadband line. Names carry homophone typos, ID numbers are often
missing or have a wrong digit, addresses may be old ones. A few lines exist only here
(people the CRM does not know).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm_pipeline.synthetic import catalog, names, regions
from telcrm_pipeline.synthetic.config import GeneratorConfig, component_rng
from telcrm_pipeline.synthetic.crm import service_numbers, typed_phone_of
from telcrm_pipeline.synthetic.lines import BROADBAND, SUSPENDED, TERMINATED, Lines
from telcrm_pipeline.synthetic.population import Customers
from telcrm_pipeline.synthetic.writer import days

NAME_TYPO_RATE = 0.08
MISSING_ID_RATE = 0.4
WRONG_DIGIT_RATE = 0.03
OLD_ADDRESS_RATE = 0.25
UNKNOWN_TO_CRM_RATE = 0.03


@dataclass
class BroadbandSilo:
    """The broadband customers table and, per row, its true entity and typo flag."""

    table: pa.Table
    entity: np.ndarray
    name_typo: np.ndarray


def make_broadband(
    config: GeneratorConfig,
    customers: Customers,
    lines: Lines,
    address: pa.Array,
    n_entities: int,
) -> BroadbandSilo:
    """Build ``broadband/customers.csv`` with drift, plus lines the CRM lacks."""
    rng = component_rng(config.seed, "broadband")
    rows = np.flatnonzero(
        (lines.kind == BROADBAND) & (lines.start_day < config.calendar.n_days)
    )
    owner = lines.customer[rows]
    n_extra = round(len(rows) * UNKNOWN_TO_CRM_RATE)
    name, typo = names.homophone_typo(
        rng, customers.name.take(pa.array(owner)), NAME_TYPO_RATE
    )
    id_no = drift_ids(rng, customers.id_no.take(pa.array(owner)))
    old = names.addresses(rng, customers.district[owner])
    moved = pa.array(rng.random(len(rows)) < OLD_ADDRESS_RATE)
    known = pa.table(
        {
            "name": name,
            "id_no": id_no,
            "phone": typed_phone_of(rng, lines, owner),
            "install_address": pc.if_else(moved, old, address.take(pa.array(owner))),
            "district": customers.district[owner],
            "line_id": service_numbers(lines).take(pa.array(rows)),
            "plan": plan_names(lines.offer[rows]),
            "start_day": lines.start_day[rows],
            "status": bb_status(lines.status[rows]),
        }
    )
    extra = strangers(rng, config, n_extra)
    table = finish(config, pa.concat_tables([known, extra]))
    entity = np.concatenate([customers.entity[owner], n_entities + np.arange(n_extra)])
    return BroadbandSilo(table, entity, np.concatenate([typo, np.zeros(n_extra, bool)]))


def drift_ids(rng: np.random.Generator, ids: pa.Array) -> pa.Array:
    """Blank about 40 % of ID numbers and mistype one digit in a few."""
    n = len(ids)
    wrong = rng.random(n) < WRONG_DIGIT_RATE
    rows = np.flatnonzero(wrong)
    mistyped = names.wrong_digit(rng, ids.take(pa.array(rows)))
    position = np.zeros(n, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    replaced = pc.if_else(
        pa.array(wrong), mistyped.take(pa.array(position)) if len(rows) else ids, ids
    )
    missing = rng.random(n) < MISSING_ID_RATE
    return pc.if_else(pa.array(missing), pa.scalar(None, pa.string()), replaced)


def plan_names(offer: np.ndarray) -> pa.Array:
    """``200M`` from ``BB-200M``."""
    return pc.utf8_slice_codeunits(catalog.offer_codes().take(pa.array(offer)), 3)


def bb_status(status: np.ndarray) -> np.ndarray:
    """The broadband system knows active, suspended and terminated."""
    return np.select([status == SUSPENDED, status >= TERMINATED], [1, 2], 0)


def strangers(rng: np.random.Generator, config: GeneratorConfig, n: int) -> pa.Table:
    """Broadband customers unknown to the CRM (no ID number recorded)."""
    female = rng.random(n) < 0.5
    district = rng.choice(len(regions.DISTRICTS), n, p=regions.district_weights())
    area = regions.area_codes()[district]
    return pa.table(
        {
            "name": names.person_names(rng, female),
            "id_no": pa.nulls(n, pa.string()),
            "phone": names.msisdn_typed(
                rng, 13_900_000_000 + rng.integers(0, 99_999_999, n)
            ),
            "install_address": names.addresses(rng, district),
            "district": district,
            "line_id": names.join(
                "KD0", names.as_text(area * 100_000_000 + 60_000_000 + np.arange(n))
            ),
            "plan": plan_names(
                catalog.codes(catalog.BROADBAND_PLANS)[rng.integers(0, 4, n)]
            ),
            "start_day": -rng.integers(30, 3000, n),
            "status": np.zeros(n, dtype=np.int64),
        }
    )


def finish(config: GeneratorConfig, table: pa.Table) -> pa.Table:
    """Give ids and put the columns in the contract's order."""
    district = pa.array(table["district"].to_numpy())
    return pa.table(
        {
            "bb_cust_id": names.join(
                "BB", names.as_text(10_000_001 + np.arange(table.num_rows))
            ),
            "name": table["name"],
            "id_no": table["id_no"],
            "phone": table["phone"],
            "install_address": table["install_address"],
            "province": regions.district_column("province").take(district),
            "city": regions.district_column("city").take(district),
            "district": regions.district_column("district").take(district),
            "line_id": table["line_id"],
            "plan": table["plan"],
            "start_date": days(
                table["start_day"].to_numpy(), config.calendar.epoch_day
            ),
            "status": pa.array(["active", "suspended", "terminated"]).take(
                pa.array(table["status"].to_numpy())
            ),
        }
    )
