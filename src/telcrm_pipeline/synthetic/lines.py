"""Subscriptions (lines) and the call graph between mobile lines.

Individuals hold one to three lines, organisations many. Plan choice follows the
customer's value trait; contracts roll over so that some end inside the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telcrm_pipeline.synthetic import catalog, regions
from telcrm_pipeline.synthetic.config import GeneratorConfig, component_rng
from telcrm_pipeline.synthetic.population import Customers

MOBILE, FIXED, BROADBAND, VAS = 0, 1, 2, 3
ACTIVE, SUSPENDED, TERMINATED, PORTED_OUT = 0, 1, 2, 3
LINE_STATUSES = ("active", "suspended", "terminated", "ported_out")
NEVER = 10**6
CHINA_MOBILE_PREFIXES = np.array(
    [
        134,
        135,
        136,
        137,
        138,
        139,
        147,
        150,
        151,
        152,
        157,
        158,
        159,
        172,
        178,
        182,
        183,
        184,
        187,
        188,
        195,
        198,
    ]
)
OTHER_OPERATOR_PREFIXES = np.array(
    [
        130,
        131,
        132,
        155,
        156,
        166,
        185,
        186,
        133,
        149,
        153,
        173,
        177,
        180,
        181,
        189,
        199,
    ]
)
CONTACT_SLOTS = 12
ZIPF = np.cumsum(1.0 / np.arange(1, CONTACT_SLOTS + 1) ** 1.1)
ZIPF = ZIPF / ZIPF[-1]


@dataclass
class Lines:
    """Every product instance: mobile, fixed and broadband lines, and add-ons."""

    customer: np.ndarray
    kind: np.ndarray
    offer: np.ndarray
    number: np.ndarray
    parent: np.ndarray
    start_day: np.ndarray
    contract_end: np.ndarray
    status: np.ndarray
    end_day: np.ndarray
    port_operator: np.ndarray
    in_bundle: np.ndarray

    @property
    def n(self) -> int:
        """Number of subscriptions."""
        return len(self.customer)

    def append(self, other: Lines) -> None:
        """Add ``other``'s rows at the end (in place)."""
        for field in self.__dataclass_fields__:
            setattr(
                self,
                field,
                np.concatenate([getattr(self, field), getattr(other, field)]),
            )


def make_lines(config: GeneratorConfig, customers: Customers) -> Lines:
    """Draw every customer's lines, plans, dates and add-ons."""
    rng = component_rng(config.seed, "lines")
    mobile, fixed, broadband = line_counts(rng, customers)
    owner = np.concatenate(
        [np.repeat(np.arange(customers.n), k) for k in (mobile, fixed, broadband)]
    )
    kind = np.repeat(
        np.array([MOBILE, FIXED, BROADBAND]),
        [mobile.sum(), fixed.sum(), broadband.sum()],
    )
    order = np.lexsort((kind, owner))
    owner, kind = owner[order], kind[order]
    first_of_owner = np.r_[True, owner[1:] != owner[:-1]]
    offer = choose_offers(rng, customers, owner, kind, first_of_owner)
    start = np.where(first_of_owner, customers.since_day[owner], 0)
    # Extra lines were opened at some point between joining and the window's end.
    since = customers.since_day[owner]
    span = np.maximum(config.calendar.n_days - 1 - since, 1)
    later = since + (rng.random(len(owner)) * span).astype(np.int64)
    start = np.where(
        first_of_owner, start, np.minimum(later, config.calendar.n_days - 1)
    )
    lines = Lines(
        customer=owner,
        kind=kind,
        offer=offer,
        number=line_numbers(rng, customers, owner, kind),
        parent=np.full(len(owner), -1),
        start_day=start,
        contract_end=contract_ends(rng, offer, start),
        status=np.zeros(len(owner), dtype=np.int8),
        end_day=np.full(len(owner), NEVER),
        port_operator=np.full(len(owner), -1, dtype=np.int8),
        in_bundle=np.zeros(len(owner), dtype=bool),
    )
    bundle_broadband(lines)
    lines.append(addons(rng, lines))
    return lines


def line_counts(
    rng: np.random.Generator, customers: Customers
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mobile, fixed and broadband lines per customer (individuals at most three)."""
    n, org = customers.n, customers.is_org
    person_mobile = 1 + (rng.random(n) < 0.2) + (rng.random(n) < 0.05)
    org_mobile = np.round(
        rng.lognormal(np.log(4.0), 1.0, n) * np.sqrt(customers.value)
    ).clip(1, 400)
    mobile = np.where(org, org_mobile, person_mobile).astype(np.int64)
    broadband = (
        rng.random(n) < np.where(org, 0.6, 0.25 + 0.05 * np.log1p(customers.value))
    ).astype(np.int64)
    fixed = np.where(org, rng.poisson(1.5, n), rng.random(n) < 0.06).astype(np.int64)
    over = np.where(org, 0, mobile + broadband + fixed - 3).clip(0)
    fixed = fixed - np.minimum(fixed, over)
    mobile = mobile - (np.where(org, 0, mobile + broadband + fixed - 3).clip(0))
    return mobile, fixed, broadband


def choose_offers(
    rng: np.random.Generator,
    customers: Customers,
    owner: np.ndarray,
    kind: np.ndarray,
    first: np.ndarray,
) -> np.ndarray:
    """Plans by value: richer customers on bigger plans; some bundles."""
    value = customers.value[owner] * np.exp(rng.normal(0, 0.3, len(owner)))
    tier = np.clip(np.floor(np.log(value) * 1.3 + 2.3), 0, 6).astype(np.int64)
    postpaid = catalog.codes(catalog.POSTPAID_PLANS)[tier]
    prepaid = catalog.codes(catalog.PREPAID_PLANS)[np.minimum(tier, 2)]
    mobile = np.where(customers.prepaid[owner], prepaid, postpaid)
    broadband = catalog.codes(catalog.BROADBAND_PLANS)[np.clip(tier - 1, 0, 3)]
    offer = np.select(
        [kind == MOBILE, kind == BROADBAND],
        [mobile, broadband],
        catalog.OFFER_INDEX["FXL-20"],
    )
    has_broadband = np.bincount(owner[kind == BROADBAND], minlength=customers.n) > 0
    lead = first & (kind == MOBILE) & ~customers.prepaid[owner]
    family = lead & has_broadband[owner] & (tier >= 3) & (rng.random(len(owner)) < 0.4)
    business = (
        lead
        & has_broadband[owner]
        & customers.is_org[owner]
        & (rng.random(len(owner)) < 0.3)
    )
    youth = lead & ~has_broadband[owner] & (rng.random(len(owner)) < 0.1)
    offer[family & ~customers.is_org[owner]] = catalog.OFFER_INDEX["BDL-FAM-199"]
    offer[business] = catalog.OFFER_INDEX["BDL-BIZ-299"]
    offer[youth & ~customers.is_org[owner]] = catalog.OFFER_INDEX["BDL-YOUTH-59"]
    return offer.astype(np.int16)


def bundle_broadband(lines: Lines) -> None:
    """Put a bundle holder's broadband line on the bundle's broadband component."""
    for bundle, component in catalog.BUNDLE_BROADBAND.items():
        holders = lines.customer[lines.offer == catalog.OFFER_INDEX[bundle]]
        member = np.isin(lines.customer, holders) & (lines.kind == BROADBAND)
        lines.offer[member] = catalog.OFFER_INDEX[component]
        lines.in_bundle |= member


def unique_numbers(
    rng: np.random.Generator, n: int, prefixes: np.ndarray
) -> np.ndarray:
    """Draw ``n`` distinct 11-digit mobile numbers on the given prefixes."""
    space = len(prefixes) * 100_000_000
    drawn = np.unique(rng.integers(0, space, int(n * 1.1) + 100))
    drawn = rng.permutation(drawn)[:n]
    return prefixes[drawn // 100_000_000] * 100_000_000 + drawn % 100_000_000


def line_numbers(
    rng: np.random.Generator, customers: Customers, owner: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    """MSISDNs for mobile lines; area code + local number for fixed and broadband."""
    number = unique_numbers(rng, len(owner), CHINA_MOBILE_PREFIXES)
    area = regions.area_codes()[customers.district[owner]]
    # Local numbers start with 6: a range valid in every area code we generate.
    scale = 10 ** (regions.local_digits(area) - 1)
    local = 6 * scale + np.arange(len(owner)) * 7 % (scale - 1)
    fixed_number = area * 10 * scale + local
    return np.where(kind == MOBILE, number, fixed_number)


def contract_ends(
    rng: np.random.Generator, offer: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """Contract end day; contracts renew, so the current term ends -60..term-60 days."""
    months = catalog.offer_attribute("contract_months")[offer]
    term = (months * 30.44).astype(np.int64)
    safe = np.maximum(term, 1)
    renewals = np.maximum(0, np.ceil((-60 - start) / safe)).astype(np.int64)
    end = start + np.maximum(renewals, 1) * safe
    return np.where(months > 0, end, NEVER)


def addon_start_days(rng: np.random.Generator, line_start: np.ndarray) -> np.ndarray:
    """Between the line's activation and the first simulated day (day 0), never later.

    A line activated during the simulation takes its add-ons on the same day.
    """
    before_start = np.maximum(-line_start, 0)
    return line_start + (rng.random(len(line_start)) * before_start).astype(np.int64)


def addons(rng: np.random.Generator, lines: Lines) -> Lines:
    """Value-added services: one row per add-on, on the mobile line's number."""
    mobile = np.flatnonzero(lines.kind == MOBILE)
    chosen = [mobile[rng.random(len(mobile)) < p] for p in (0.15, 0.08, 0.08, 0.06)]
    parent = np.concatenate(chosen)
    addon = np.repeat(catalog.codes(catalog.VAS_ADDONS), [len(c) for c in chosen])
    n = len(parent)
    return Lines(
        customer=lines.customer[parent],
        kind=np.full(n, VAS),
        offer=addon,
        number=lines.number[parent],
        parent=parent,
        start_day=addon_start_days(rng, lines.start_day[parent]),
        contract_end=np.full(n, NEVER),
        status=np.zeros(n, dtype=np.int8),
        end_day=np.full(n, NEVER),
        port_operator=np.full(n, -1, dtype=np.int8),
        in_bundle=np.zeros(n, dtype=bool),
    )


@dataclass
class CallGraph:
    """For each mobile line (by position in ``mobile``), its contacts by strength.

    ``contact_line`` is the called line's index in ``Lines`` (-1 off-net) and
    ``contact_number`` the number dialled.
    """

    mobile: np.ndarray
    contact_line: np.ndarray
    contact_number: np.ndarray
    long_distance: np.ndarray
    offnet_friend: np.ndarray


def make_call_graph(
    config: GeneratorConfig, customers: Customers, lines: Lines
) -> CallGraph:
    """Contacts concentrated in communities (neighbourhoods; colleagues in a group)."""
    rng = component_rng(config.seed, "graph")
    mobile = np.flatnonzero(lines.kind == MOBILE)
    owner = lines.customer[mobile]
    community = community_labels(rng, customers, owner)
    order = np.argsort(community, kind="stable")
    labels, starts, sizes = np.unique(
        community[order], return_index=True, return_counts=True
    )
    position = np.searchsorted(labels, community)
    shape = (len(mobile), CONTACT_SLOTS)
    pick = starts[position][:, None] + (
        rng.random(shape) * sizes[position][:, None]
    ).astype(np.int64)
    peer = order[pick]
    anywhere = rng.random(shape) < 0.1
    peer = np.where(anywhere, rng.integers(0, len(mobile), shape), peer)
    offnet = rng.random(shape) < 0.3
    contact_line = np.where(
        offnet | (peer == np.arange(len(mobile))[:, None]), -1, mobile[peer]
    )
    other = unique_numbers(rng, shape[0] * shape[1], OTHER_OPERATOR_PREFIXES).reshape(
        shape
    )
    number = np.where(contact_line >= 0, lines.number[contact_line.clip(0)], other)
    city = customers.district[owner]
    peer_city = customers.district[lines.customer[contact_line.clip(0)]]
    long_distance = np.where(
        contact_line >= 0,
        different_city(city[:, None], peer_city),
        rng.random(shape) < 0.2,
    )
    return CallGraph(mobile, contact_line, number, long_distance, other[:, 0])


def different_city(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether two district indexes lie in different cities."""
    city = np.unique([d.city for d in regions.DISTRICTS], return_inverse=True)[1]
    return city[a] != city[b]


def community_labels(
    rng: np.random.Generator, customers: Customers, owner: np.ndarray
) -> np.ndarray:
    """Community of each line: ~150 people of one district, or one company's staff."""
    per_district = np.bincount(
        customers.district, minlength=customers.district.max() + 1
    )
    buckets = np.maximum(1, per_district // 150)
    neighbourhood = (
        customers.district * 100_000
        + (np.arange(customers.n) * 2654435761 % 1_000_003)
        % buckets[customers.district]
    )
    label = np.where(customers.is_org, 10**9 + np.arange(customers.n), neighbourhood)
    return label[owner]
