"""The CRM's files: staff, customers, contacts, groups, subscriptions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm_pipeline.synthetic import catalog, names, regions
from telcrm_pipeline.synthetic.behaviour import PORT_OPERATORS
from telcrm_pipeline.synthetic.config import GeneratorConfig
from telcrm_pipeline.synthetic.lines import (
    BROADBAND,
    FIXED,
    LINE_STATUSES,
    MOBILE,
    NEVER,
    Lines,
)
from telcrm_pipeline.synthetic.population import (
    CHANNELS,
    LEVELS,
    STAFF_ROLES,
    Customers,
    Groups,
    Staff,
)
from telcrm_pipeline.synthetic.writer import days


def nullable(values: np.ndarray, table: pa.Array, present: np.ndarray) -> pa.Array:
    """``table[values]`` where ``present``, else empty."""
    return table.take(pa.array(np.where(present, values, 0), mask=~present))


def staff_numbers(n: int) -> pa.Array:
    """``S`` + 5 digits."""
    return names.join("S", names.zero_padded(np.arange(1, n + 1), 5))


FIRST_CUSTOMER_NUMBER = 100_000_001


def customer_numbers(n: int) -> pa.Array:
    """``C`` + 9 digits."""
    return names.join("C", names.as_text(FIRST_CUSTOMER_NUMBER + np.arange(n)))


def account_numbers(n: int) -> pa.Array:
    """``A`` + 9 digits."""
    return names.join("A", names.as_text(300_000_001 + np.arange(n) * 3))


def service_numbers(lines: Lines) -> pa.Array:
    """MSISDN for mobile, ``0571...`` for fixed lines, ``KD0571...`` for broadband."""
    digits = names.as_text(lines.number)
    prefix = pa.array(["", "0", "KD0", ""]).take(pa.array(lines.kind))
    return names.join(prefix, digits)


def staff_table(staff: Staff) -> pa.Table:
    """``crm/staff.csv``."""
    number = staff_numbers(staff.n)
    has_boss = staff.supervisor >= 0
    return pa.table(
        {
            "staff_no": number,
            "name": staff.name,
            "role": pa.array(STAFF_ROLES).take(pa.array(staff.role)),
            "province": regions.district_column("province").take(
                pa.array(staff.district)
            ),
            "city": regions.district_column("city").take(pa.array(staff.district)),
            "supervisor_no": nullable(staff.supervisor, number, has_boss),
        }
    )


def customers_table(
    config: GeneratorConfig,
    customers: Customers,
    status: np.ndarray,
    status_day: np.ndarray,
    staff_no: pa.Array,
) -> pa.Table:
    """``crm/customers.csv``."""
    person = ~customers.is_org
    epoch = config.calendar.epoch_day
    return pa.table(
        {
            "cust_no": customer_numbers(customers.n),
            "cust_type": pa.array(["individual", "organization"]).take(
                pa.array(customers.is_org.astype(np.int8))
            ),
            "name": customers.name,
            "gender": nullable(
                customers.female.astype(np.int8), pa.array(["M", "F"]), person
            ),
            "birth_date": days(customers.birth_epoch_day - epoch, epoch, person),
            "id_type": pa.array(["resident_id", "uscc"]).take(
                pa.array(customers.is_org.astype(np.int8))
            ),
            "id_no": customers.id_no,
            "industry": nullable(
                customers.industry.clip(0),
                names.industry_names(np.arange(len(names.ORG_INDUSTRY_WORDS))),
                customers.is_org,
            ),
            "customer_since": days(customers.since_day, epoch),
            "channel": pa.array(CHANNELS).take(pa.array(customers.channel)),
            "status": pa.array(["active", "suspended", "closed"]).take(
                pa.array(status)
            ),
            "status_date": days(status_day, epoch),
            "account_manager_no": nullable(
                customers.account_manager, staff_no, customers.account_manager >= 0
            ),
        }
    )


def contacts_table(
    rng: np.random.Generator, customers: Customers, lines: Lines, address: pa.Array
) -> pa.Table:
    """``crm/contacts.csv``: phone, fixed number, e-mail, address per customer."""
    n = customers.n
    first_mobile = first_line(lines, n, MOBILE)
    first_fixed = first_line(lines, n, FIXED)
    has_mobile = first_mobile >= 0
    phone = names.msisdn_typed(rng, lines.number[first_mobile.clip(0)])
    area = regions.area_codes()[customers.district]
    local = lines.number[first_fixed.clip(0)] % 10 ** regions.local_digits(area)
    fixed = names.landline_typed(area, local)
    has_email = rng.random(n) < np.where(customers.is_org, 0.8, 0.45)
    kinds = [
        (np.flatnonzero(has_mobile), "phone", phone, True),
        (np.flatnonzero(first_fixed >= 0), "phone", fixed, False),
        (np.flatnonzero(has_email), "email", names.emails(rng, n), False),
        (np.arange(n), "address", address, True),
    ]
    return stack_contacts(customers, kinds, first_fixed >= 0, has_mobile)


def stack_contacts(
    customers: Customers,
    kinds: list[tuple[np.ndarray, str, pa.Array, bool]],
    has_fixed: np.ndarray,
    has_mobile: np.ndarray,
) -> pa.Table:
    """Interleave the contact kinds, grouped by customer."""
    owner = np.concatenate([rows for rows, *_ in kinds])
    rank = np.concatenate([np.full(len(rows), i) for i, (rows, *_) in enumerate(kinds)])
    values = pa.concat_arrays(
        [value.take(pa.array(rows)) for rows, _, value, _ in kinds]
    )
    kind = np.concatenate([np.full(len(rows), label) for rows, label, *_ in kinds])
    primary = np.concatenate([np.full(len(rows), flag) for rows, _, _, flag in kinds])
    primary[(rank == 1)] = ~has_mobile[owner[rank == 1]]
    order = np.lexsort((rank, owner))
    regional = (rank[order] == 1) | (rank[order] == 3)
    district = customers.district[owner[order]]
    return pa.table(
        {
            "cust_no": customer_numbers(customers.n).take(pa.array(owner[order])),
            "kind": pa.array(kind[order]),
            "value": values.take(pa.array(order)),
            "province": nullable(
                district, regions.district_column("province"), regional
            ),
            "city": nullable(district, regions.district_column("city"), regional),
            "district": nullable(
                district, regions.district_column("district"), regional
            ),
            "is_primary": pa.array(primary[order].astype(np.int8)),
        }
    )


def first_line(lines: Lines, n: int, kind: int) -> np.ndarray:
    """Each customer's first line of ``kind`` (-1 when none)."""
    rows = np.flatnonzero(lines.kind == kind)[::-1]
    first = np.full(n, -1)
    first[lines.customer[rows]] = rows
    return first


def groups_table(groups: Groups) -> pa.Table:
    """``crm/groups.csv``: only organisations that belong to a multi-company group."""
    rows = np.flatnonzero(groups.group_of_org >= 0)
    node = names.join("G", names.as_text(1_000_001 + np.arange(len(groups.level))))
    parent = groups.parent[rows]
    return pa.table(
        {
            "node_no": node.take(pa.array(rows)),
            "parent_node_no": nullable(parent, node, parent >= 0),
            "cust_no": customer_numbers(int(groups.member.max(initial=0)) + 1).take(
                pa.array(groups.member[rows])
            ),
            "level": pa.array(LEVELS).take(pa.array(groups.level[rows])),
        }
    )


def subscriptions_table(
    config: GeneratorConfig, lines: Lines, n_customers: int
) -> pa.Table:
    """``crm/subscriptions.csv`` (rows ordered by subs_id)."""
    epoch = config.calendar.epoch_day
    ended = lines.end_day < NEVER
    ported = lines.port_operator >= 0
    return pa.table(
        {
            "subs_id": names.join(
                "L", names.as_text(1_000_000_001 + np.arange(lines.n))
            ),
            "cust_no": customer_numbers(n_customers).take(pa.array(lines.customer)),
            "acct_no": account_numbers(n_customers).take(pa.array(lines.customer)),
            "service_no": service_numbers(lines),
            "offer_code": catalog.offer_codes().take(pa.array(lines.offer)),
            "start_date": days(lines.start_day, epoch),
            "contract_end": days(
                np.where(lines.contract_end < NEVER, lines.contract_end, 0),
                epoch,
                lines.contract_end < NEVER,
            ),
            "status": pa.array(LINE_STATUSES).take(pa.array(lines.status)),
            "end_date": days(np.where(ended, lines.end_day, 0), epoch, ended),
            "port_out_operator": nullable(
                lines.port_operator.clip(0), pa.array(PORT_OPERATORS), ported
            ),
        }
    )


def broadband_rows(lines: Lines) -> np.ndarray:
    """Indexes of the broadband lines."""
    return np.flatnonzero(lines.kind == BROADBAND)


def typed_phone_of(
    rng: np.random.Generator, lines: Lines, customer: np.ndarray
) -> pa.Array:
    """The customer's first mobile number as typed (fixed number when no mobile)."""
    first = first_line(lines, int(lines.customer.max(initial=0)) + 1, MOBILE)[customer]
    return pc.if_else(
        pa.array(first >= 0),
        names.msisdn_typed(rng, lines.number[first.clip(0)]),
        pa.scalar(None, pa.string()),
    )
