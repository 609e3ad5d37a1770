"""Customers with latent traits, enterprise groups and the staff who own them.

Individuals come first, then organisations. A small share of individual records are
duplicates of earlier ones (the same person registered twice at different outlets):
they share the true entity, name and ID number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm_pipeline.synthetic import names, regions
from telcrm_pipeline.synthetic.config import GeneratorConfig, component_rng

ORG_SHARE = 0.05
DUPLICATE_SHARE = 0.015
CHANNELS = (
    "business_hall",
    "call_centre",
    "web",
    "app",
    "agent_dealer",
    "direct_sales",
)
STAFF_ROLES = (
    "account_manager",
    "agent",
    "outlet_staff",
    "marketer",
    "analyst",
    "supervisor",
)
STAFF_ROLE_SHARES = (0.15, 0.45, 0.2, 0.05, 0.05, 0.1)
LEVELS = ("group", "subsidiary", "branch")


@dataclass
class Customers:
    """The CRM's customers and the latent traits that drive their behaviour."""

    is_org: np.ndarray
    entity: np.ndarray
    female: np.ndarray
    birth_epoch_day: np.ndarray
    district: np.ndarray
    since_day: np.ndarray
    channel: np.ndarray
    industry: np.ndarray
    name: pa.Array
    id_no: pa.Array
    value: np.ndarray
    activity: np.ndarray
    price_sensitivity: np.ndarray
    complaint_propensity: np.ndarray
    credit_risk: np.ndarray
    data_appetite: np.ndarray
    traveller: np.ndarray
    intl_propensity: np.ndarray
    prepaid: np.ndarray
    account_manager: np.ndarray

    @property
    def n(self) -> int:
        """Number of customer records."""
        return len(self.is_org)


@dataclass
class Groups:
    """Enterprise groups: one node per organisation of a multi-company group."""

    group_of_org: np.ndarray
    level: np.ndarray
    parent: np.ndarray
    member: np.ndarray
    root: np.ndarray


@dataclass
class Staff:
    """The operator's staff."""

    role: np.ndarray
    district: np.ndarray
    supervisor: np.ndarray
    name: pa.Array

    @property
    def n(self) -> int:
        """Number of staff."""
        return len(self.role)

    def of_role(self, role: str) -> np.ndarray:
        """Indexes of the staff with ``role``."""
        return np.flatnonzero(self.role == STAFF_ROLES.index(role))


def make_staff(config: GeneratorConfig) -> Staff:
    """Draw the staff: roughly one per 150 customers, at least 30."""
    rng = component_rng(config.seed, "staff")
    n = max(30, config.customers // 150)
    shares = np.array(STAFF_ROLE_SHARES)
    role = np.sort(rng.choice(len(STAFF_ROLES), n, p=shares / shares.sum()))
    role[:2] = STAFF_ROLES.index("supervisor")
    role[2:4] = STAFF_ROLES.index("account_manager")
    role = np.sort(role)
    supervisors = np.flatnonzero(role == STAFF_ROLES.index("supervisor"))
    supervisor = supervisors[rng.integers(0, len(supervisors), n)]
    supervisor[supervisors] = -1
    district = rng.choice(len(regions.DISTRICTS), n, p=regions.district_weights())
    female = rng.random(n) < 0.5
    return Staff(
        role=role,
        district=district,
        supervisor=supervisor,
        name=names.person_names(rng, female),
    )


def make_customers(config: GeneratorConfig, staff: Staff) -> tuple[Customers, Groups]:
    """Draw the customers, their traits and the enterprise groups."""
    rng = component_rng(config.seed, "customers")
    n = config.customers
    n_org = max(1, round(n * ORG_SHARE)) if n >= 20 else 0
    is_org = np.arange(n) >= n - n_org
    groups = make_groups(config, n - n_org, n_org)
    level = np.full(n, -1, dtype=np.int8)
    level[is_org] = np.where(groups.group_of_org >= 0, groups.level, 0)
    customers = draw_people(rng, config, is_org, level, groups)
    copy_duplicates(rng, customers)
    customers.account_manager = assign_managers(rng, customers, groups, staff)
    return customers, groups


def draw_people(
    rng: np.random.Generator,
    config: GeneratorConfig,
    is_org: np.ndarray,
    level: np.ndarray,
    groups: Groups,
) -> Customers:
    """Draw identities, places, tenure and traits of every customer."""
    n = len(is_org)
    calendar = config.calendar
    female = (rng.random(n) < 0.49) & ~is_org
    age_days = ((18 + rng.gamma(4.0, 5.0, n).clip(0, 62)) * 365.25).astype(np.int64)
    birth = calendar.epoch_day - age_days
    district = rng.choice(len(regions.DISTRICTS), n, p=regions.district_weights())
    born_elsewhere = rng.random(n) < 0.3
    birthplace = np.where(
        born_elsewhere,
        rng.choice(len(regions.DISTRICTS), n, p=regions.birthplace_weights()),
        district,
    )
    root = org_roots(groups, is_org)
    brand = root * 7919 % len(names.ORG_BRANDS) ** 2
    industry = np.where(is_org, rng.integers(0, len(names.ORG_INDUSTRY_WORDS), n), -1)[
        root
    ]
    name = pa_if(
        is_org,
        names.org_names(rng, brand, district, industry.clip(0), level.clip(0)),
        names.person_names(rng, female),
    )
    codes = regions.district_codes()
    ids = pa_if(
        is_org,
        names.usccs(rng, codes[district]),
        names.resident_ids(rng, codes[birthplace], birth, female),
    )
    value = rng.lognormal(0.0, 0.9, n) * np.where(is_org, 3.0, 1.0)
    return Customers(
        is_org=is_org,
        entity=rng.permutation(n).astype(np.int64),
        female=female,
        birth_epoch_day=birth,
        district=district,
        since_day=draw_since(rng, n, calendar.n_days),
        channel=draw_channels(rng, is_org),
        industry=industry,
        name=name,
        id_no=ids,
        value=value,
        activity=np.exp(rng.normal(0.0, 0.45, n)) * value**0.35,
        price_sensitivity=rng.beta(2.0, 3.0, n) * np.where(value < 1.0, 1.3, 0.8),
        complaint_propensity=rng.gamma(0.6, 1.0, n),
        credit_risk=rng.beta(1.2, 10.0, n) * np.where(is_org, 0.5, 1.0),
        data_appetite=np.exp(rng.normal(0.0, 0.8, n))
        * np.clip(45.0 / (age_days / 365.25), 0.6, 2.0),
        traveller=rng.beta(1.0, 40.0, n) * np.where(is_org, 3.0, 1.0),
        intl_propensity=np.where(
            rng.random(n) < 0.05, rng.uniform(0.02, 0.08, n), 0.0005
        ),
        prepaid=(rng.random(n) < np.where(value < 0.8, 0.5, 0.2)) & ~is_org,
        account_manager=np.full(n, -1, dtype=np.int64),
    )


def pa_if(mask: np.ndarray, when_true: pa.Array, when_false: pa.Array) -> pa.Array:
    """Choose element-wise between two string columns."""
    return pc.if_else(pa.array(mask), when_true, when_false)


def org_roots(groups: Groups, is_org: np.ndarray) -> np.ndarray:
    """For every customer, the customer index of its group's root (itself if alone)."""
    root = np.arange(len(is_org))
    root[groups.member] = groups.member[groups.root]
    return root


def draw_since(rng: np.random.Generator, n: int, n_days: int) -> np.ndarray:
    """Day index the relationship began: mostly years ago, a few during the window."""
    tenure = -(rng.exponential(5.0 * 365, n).clip(30, 20 * 365)).astype(np.int64)
    joined_recently = rng.random(n) < 0.015 * n_days / 30
    return np.where(joined_recently, rng.integers(0, max(n_days - 7, 1), n), tenure)


def draw_channels(rng: np.random.Generator, is_org: np.ndarray) -> np.ndarray:
    """Acquisition channel: outlets and dealers for people, direct sales for firms."""
    person = rng.choice(6, len(is_org), p=[0.45, 0.05, 0.1, 0.2, 0.2, 0.0])
    company = rng.choice(6, len(is_org), p=[0.3, 0.0, 0.0, 0.0, 0.1, 0.6])
    return np.where(is_org, company, person)


def copy_duplicates(rng: np.random.Generator, customers: Customers) -> None:
    """Turn a few individual records into second registrations of earlier people."""
    people = np.flatnonzero(~customers.is_org)
    n_dup = int(len(people) * DUPLICATE_SHARE)
    if n_dup == 0:
        return
    duplicates = people[-n_dup:]
    originals = people[rng.integers(0, len(people) - n_dup, n_dup)]
    for field in (
        "entity",
        "female",
        "birth_epoch_day",
        "value",
        "credit_risk",
        "data_appetite",
    ):
        column = getattr(customers, field)
        column[duplicates] = column[originals]
    source = np.arange(customers.n)
    source[duplicates] = originals
    customers.name = customers.name.take(pa.array(source))
    customers.id_no = customers.id_no.take(pa.array(source))


def make_groups(config: GeneratorConfig, first_org: int, n_org: int) -> Groups:
    """Arrange organisations into groups: root, subsidiaries, branches (depth <= 4).

    About 40 % of companies stand alone; the others form groups of 2 to 60 members.
    """
    rng = component_rng(config.seed, "groups")
    sizes = np.where(
        rng.random(n_org + 1) < 0.4, 1, 2 + np.floor(rng.pareto(1.3, n_org + 1) * 3)
    ).astype(np.int64)
    sizes = sizes.clip(1, 60)
    ends = np.cumsum(sizes)
    sizes = sizes[: np.searchsorted(ends, n_org) + 1]
    sizes[-1] -= ends[len(sizes) - 1] - n_org
    ends = np.cumsum(sizes)
    group_id = np.repeat(np.arange(len(sizes)), sizes)
    position = np.arange(n_org) - np.repeat(ends[: len(sizes)] - sizes, sizes)
    size = sizes[group_id]
    n_sub = np.maximum(1, np.round(0.35 * (size - 1))).astype(np.int64)
    branch_rank = position - n_sub - 1
    start = np.repeat(ends[: len(sizes)] - sizes, sizes)
    parent_pos = np.where(position <= n_sub, 0, 1 + branch_rank % n_sub)
    deeper = (branch_rank >= n_sub) & (rng.random(n_org) < 0.3)
    parent_pos = np.where(deeper, n_sub + 1 + branch_rank % n_sub, parent_pos)
    level = np.where(position == 0, 0, np.where(position <= n_sub, 1, 2)).astype(
        np.int8
    )
    in_group = size > 1
    parent = np.where((position > 0) & in_group, start + parent_pos, -1)
    return Groups(
        group_of_org=np.where(in_group, group_id, -1),
        level=level,
        parent=parent,
        member=first_org + np.arange(n_org),
        root=np.where(in_group, start, np.arange(n_org)),
    )


def assign_managers(
    rng: np.random.Generator, customers: Customers, groups: Groups, staff: Staff
) -> np.ndarray:
    """One account manager per group (all its companies), and for key accounts."""
    managers = staff.of_role("account_manager")
    manager = np.full(customers.n, -1, dtype=np.int64)
    in_group = groups.group_of_org >= 0
    group_manager = managers[
        rng.integers(0, len(managers), groups.group_of_org.max(initial=-1) + 1)
    ]
    manager[groups.member[in_group]] = group_manager[groups.group_of_org[in_group]]
    key_account = customers.value > np.quantile(customers.value, 0.99)
    lone = key_account & (manager < 0)
    manager[lone] = managers[rng.integers(0, len(managers), int(lone.sum()))]
    return manager
