"""The CRM's consent records (PIPL) and the operator's do-not-call list.

PIPL asks for a separate, explicit consent per purpose: marketing, per channel, and
profiling from usage data. Customers give them on one occasion (the tick boxes of one
form, one recorded call, one app screen): at signup for customers who joined after
PIPL came into force (2021-11-01), during the operator's re-consent drive after that
date for older ones. A customer's answers go together (one latent openness), a small
share is withdrawn later in the window, and organisations consent through the contact
who signs for them. Everything draws from the ``consents`` stream.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm_pipeline.synthetic import names
from telcrm_pipeline.synthetic.config import (
    SECONDS_PER_DAY,
    GeneratorConfig,
    component_rng,
)
from telcrm_pipeline.synthetic.crm import (
    FIRST_CUSTOMER_NUMBER,
    customer_numbers,
    first_line,
)
from telcrm_pipeline.synthetic.lines import FIXED, MOBILE, Lines
from telcrm_pipeline.synthetic.population import CHANNELS, Customers
from telcrm_pipeline.synthetic.writer import times

PIPL_IN_FORCE = np.datetime64("2021-11-01")

# (purpose, channel, what it needs, share of individuals, share of organisations
# among those who have what it needs).
GRANTS = (
    ("marketing", "phone_call", "phone", 0.80, 0.70),
    ("marketing", "sms", "mobile", 0.62, 0.55),
    ("marketing", "email", "email", 0.67, 0.75),
    ("profiling", "any", "", 0.65, 0.40),
)
# How much of a customer's answers is one latent openness (its correlation squared).
OPENNESS = 0.5
# Mean share of grants withdrawn in the window; more for complaint-prone customers.
WITHDRAWN_SHARE = 0.05

CONSENT_SOURCES = ("business_hall", "call_centre", "web", "app", "sms_reply")
# Where a signup consent is recorded, by acquisition channel (population.CHANNELS):
# dealers and direct sales use the operator's signed paper form.
SIGNUP_SOURCE = {
    "business_hall": 0,
    "call_centre": 1,
    "web": 2,
    "app": 3,
    "agent_dealer": 0,
    "direct_sales": 0,
}
# The re-consent drive: app screen, SMS reply, signed form, recorded call.
RECONSENT_SOURCE_SHARES = (0.25, 0.15, 0.0, 0.35, 0.25)
EVIDENCE_PREFIX = ("FORM", "CALL", "WEB", "APP", "SMS")

DNC_SOURCES = ("customer_request", "complaint", "regulator", "internal")
DNC_REASONS = (
    "客户要求不再接收营销电话",
    "客户投诉营销来电后加入免打扰",
    "工信部拒绝营销来电名单",
    "内部决定：近期投诉较多，暂停营销",
)
# Expiry in days by source (0: never expires).
DNC_EXPIRY_DAYS = (0, 180, 730, 365)
DNC_SHARE = 0.015
DNC_AFTER_WITHDRAWAL = 0.4


def make_consents(
    config: GeneratorConfig,
    customers: Customers,
    lines: Lines,
    has_email: np.ndarray,
) -> tuple[pa.Table, pa.Table]:
    """``crm/consents.csv`` and ``crm/do_not_call.csv``."""
    rng = component_rng(config.seed, "consents")
    n = customers.n
    has_mobile = first_line(lines, n, MOBILE) >= 0
    needs = {
        "phone": has_mobile | (first_line(lines, n, FIXED) >= 0),
        "mobile": has_mobile,
        "email": has_email,
        "": np.ones(n, dtype=bool),
    }
    granted = grant_matrix(rng, customers, needs)
    day, second, source = occasions(rng, config, customers)
    withdrawn = withdrawal_seconds(rng, config, customers, granted, day)
    consents = consent_rows(rng, customers, granted, second, source, withdrawn)
    dnc = do_not_call_rows(rng, config, customers, lines, granted, withdrawn)
    return consents, dnc


def owners_of(contacts: pa.Table, kind: str, n: int) -> np.ndarray:
    """Which customers have a contact point of ``kind`` (from ``crm/contacts.csv``)."""
    rows = contacts.filter(pc.equal(contacts["kind"], kind))["cust_no"]
    index = pc.cast(pc.utf8_slice_codeunits(rows, 1), pa.int64()).to_numpy()
    found = np.zeros(n, dtype=bool)
    found[index - FIRST_CUSTOMER_NUMBER] = True
    return found


def grant_matrix(
    rng: np.random.Generator, customers: Customers, needs: dict[str, np.ndarray]
) -> np.ndarray:
    """(customers, GRANTS) booleans: correlated answers, each at its share."""
    n = customers.n
    openness = rng.standard_normal(n)
    granted = np.zeros((n, len(GRANTS)), dtype=bool)
    for k, (_, _, need, person, company) in enumerate(GRANTS):
        score = np.sqrt(OPENNESS) * openness + np.sqrt(1 - OPENNESS) * (
            rng.standard_normal(n)
        )
        cut = np.where(
            customers.is_org,
            NormalDist().inv_cdf(company),
            NormalDist().inv_cdf(person),
        )
        granted[:, k] = (score < cut) & needs[need]
    return granted


def occasions(
    rng: np.random.Generator, config: GeneratorConfig, customers: Customers
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each customer's consent occasion: day index, local time (s), source."""
    n = customers.n
    calendar = config.calendar
    pipl_day = int((PIPL_IN_FORCE - calendar.first_day).astype(np.int64))
    # Customers older than PIPL consented in the re-consent drive (when the window
    # starts after it), on a day between PIPL and the window's start.
    older = (customers.since_day < pipl_day) & (pipl_day < 0)
    drive_day = rng.integers(pipl_day, 0, n) if pipl_day < 0 else np.zeros(n, int)
    day = np.where(older, drive_day, customers.since_day)
    signup_source = np.array([SIGNUP_SOURCE[c] for c in CHANNELS])[customers.channel]
    shares = np.array(RECONSENT_SOURCE_SHARES)
    drive_source = rng.choice(len(CONSENT_SOURCES), n, p=shares / shares.sum())
    source = np.where(older, drive_source, signup_source)
    second = (calendar.epoch_day + day) * SECONDS_PER_DAY + rng.integers(
        9 * 3600, 21 * 3600, n
    )
    return day, second, source


def withdrawal_seconds(
    rng: np.random.Generator,
    config: GeneratorConfig,
    customers: Customers,
    granted: np.ndarray,
    granted_day: np.ndarray,
) -> np.ndarray:
    """(customers, GRANTS) local time of the withdrawal, -1 for none.

    Withdrawals fall on a day of the window after the grant's, between 08:00 and
    22:00, more often for customers who complain more (the share averages
    ``WITHDRAWN_SHARE``).
    """
    n = customers.n
    calendar = config.calendar
    chance = WITHDRAWN_SHARE * (0.5 + 0.5 * customers.complaint_propensity / 0.6)
    first = np.maximum(granted_day + 1, 0)
    withdrawn = np.full(granted.shape, -1, dtype=np.int64)
    for k in range(len(GRANTS)):
        day = first + (rng.random(n) * (calendar.n_days - first)).astype(np.int64)
        at = (calendar.epoch_day + day) * SECONDS_PER_DAY + rng.integers(
            8 * 3600, 22 * 3600, n
        )
        chosen = granted[:, k] & (rng.random(n) < chance) & (first < calendar.n_days)
        withdrawn[:, k] = np.where(chosen, at, -1)
    return withdrawn


def consent_rows(
    rng: np.random.Generator,
    customers: Customers,
    granted: np.ndarray,
    granted_second: np.ndarray,
    source: np.ndarray,
    withdrawn: np.ndarray,
) -> pa.Table:
    """One row per consent, by customer then by ``GRANTS`` order."""
    n = customers.n
    owner, grant = np.nonzero(granted)  # row-major: by customer, then grant
    at = withdrawn[owner, grant]
    is_withdrawn = at >= 0
    evidence = names.join(
        names.pick(EVIDENCE_PREFIX, source),
        names.zero_padded(rng.integers(0, 10**10, n), 10),
    )
    contact = names.person_names(rng, rng.random(n) < 0.5)
    signer = pc.if_else(
        pa.array(customers.is_org), contact, pa.scalar(None, pa.string())
    )
    rows = pa.array(owner)
    return pa.table(
        {
            "cust_no": customer_numbers(n).take(rows),
            "purpose": names.pick([g[0] for g in GRANTS], grant),
            "channel": names.pick([g[1] for g in GRANTS], grant),
            "status": names.pick(("granted", "withdrawn"), is_withdrawn.astype(int)),
            "source": names.pick(CONSENT_SOURCES, source[owner]),
            "granted_at": times(granted_second[owner]),
            "withdrawn_at": times(np.maximum(at, 0), is_withdrawn),
            "evidence_ref": evidence.take(rows),
            "given_by": signer.take(rows),
        }
    )


def do_not_call_rows(
    rng: np.random.Generator,
    config: GeneratorConfig,
    customers: Customers,
    lines: Lines,
    granted: np.ndarray,
    withdrawn: np.ndarray,
) -> pa.Table:
    """Mobile numbers no campaign may call, in E.164, ordered by when they were added.

    Most customers who withdrew their phone-call consent also asked to be put on
    the list; a few others were put there after a complaint, by the regulator's list
    or by the operator itself.
    """
    n = customers.n
    calendar = config.calendar
    mobile = first_line(lines, n, MOBILE)
    phone_call = withdrawn[:, 0]
    asked = (phone_call >= 0) & (rng.random(n) < DNC_AFTER_WITHDRAWAL)
    other = (rng.random(n) < DNC_SHARE) & ~asked
    listed = (asked | other) & (mobile >= 0)
    source = np.where(asked, 0, rng.choice(4, n, p=[0.35, 0.35, 0.2, 0.1]))
    earliest = np.maximum(customers.since_day, -3 * 365)
    day = earliest + (rng.random(n) * (calendar.n_days - earliest)).astype(np.int64)
    added = np.where(
        asked,
        phone_call,
        (calendar.epoch_day + day) * SECONDS_PER_DAY
        + rng.integers(8 * 3600, 21 * 3600, n),
    )
    expiry = np.array(DNC_EXPIRY_DAYS)[source] * SECONDS_PER_DAY
    rows = np.flatnonzero(listed)
    rows = rows[np.argsort(added[rows], kind="stable")]
    return pa.table(
        {
            "phone": names.join("+86", names.as_text(lines.number[mobile[rows]])),
            "source": names.pick(DNC_SOURCES, source[rows]),
            "added_at": times(added[rows]),
            "expires_at": times(added[rows] + expiry[rows], expiry[rows] > 0),
            "reason": names.pick(DNC_REASONS, source[rows]),
        }
    )
