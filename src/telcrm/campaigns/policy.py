"""The contact policy's one decision point, ``may_contact``, and the reservation.

``may_contact`` gathers one customer's facts and asks ``rules.decide``;
``may_contact_many`` does the same for many customers with one query per kind of
fact (per 900 customers for a list of ids): 7,000 to 9,000 decisions a second where
one at a time makes about 240 (docs/benchmarks.md).
Both log every decision (``ContactDecision``) with the rule that decided and its
inputs.

``contact_reserve`` is the only way an attempt comes into being: under a per-customer
lock it reloads the facts, decides again and inserts the attempt in the same
transaction, so concurrent workers can never push a customer over a cap.
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from telcrm.campaigns.choices import (
    ACTIVE_STATUSES,
    CampaignStatus,
    ContactOutcome,
    DecisionStage,
    MemberGroup,
    MemberState,
)
from telcrm.campaigns.models import (
    CallingWindow,
    Campaign,
    CampaignMember,
    ContactAttempt,
    ContactDecision,
    ContactSuppression,
    FrequencyCap,
    Holiday,
    PolicySettings,
    RegionTimeZone,
)
from telcrm.campaigns.rules import (
    AttemptFact,
    CampaignTerms,
    CapRule,
    ConsentFact,
    CustomerFacts,
    Decision,
    PendingContact,
    Period,
    PolicyConfig,
    decide,
    local_date,
)
from telcrm.core.bulk import rows_insert
from telcrm.customers.choices import (
    ConsentPurpose,
    InteractionKind,
    InteractionOutcome,
)
from telcrm.customers.models import Consent, Customer, DoNotCallEntry, Interaction
from telcrm.parties.choices import ContactKind
from telcrm.parties.models import ContactMedium
from telcrm.users.models import User

# Advisory-lock namespace of contact reservations (PostgreSQL), one lock per customer.
CONTACT_LOCK_CLASS = 72_0001
# Customer ids per IN (...) list: under SQLite's default bound-parameter limit.
ID_CHUNK = 900

CustomerIds = QuerySet[Customer] | Collection[int]


def policy_config_load() -> PolicyConfig:
    """The policy's parameters as the administrators last saved them."""
    numbers = PolicySettings.objects.filter(pk=1).first() or PolicySettings()
    windows: dict[
        str, dict[int | None, tuple[tuple[datetime.time, datetime.time], ...]]
    ]
    windows = defaultdict(dict)
    for w in CallingWindow.objects.order_by("province", "weekday", "starts_at"):
        by_day = windows[w.province]
        by_day[w.weekday] = (*by_day.get(w.weekday, ()), (w.starts_at, w.ends_at))
    holidays: dict[datetime.date, set[str]] = defaultdict(set)
    for day, province in Holiday.objects.values_list("date", "province"):
        holidays[day].add(province)
    return PolicyConfig(
        caps=tuple(
            CapRule(cap.pk, cap.channel, cap.window, cap.max_attempts)
            for cap in FrequencyCap.objects.filter(active=True).order_by("pk")
        ),
        windows=dict(windows),
        holidays={day: frozenset(p) for day, p in holidays.items()},
        zones=dict(RegionTimeZone.objects.values_list("province", "time_zone")),
        default_zone=settings.TIME_ZONE,
        refusal_cool_off=datetime.timedelta(days=numbers.refusal_cool_off_days),
        complaint_cool_off=datetime.timedelta(days=numbers.complaint_cool_off_days),
    )


def campaign_terms(campaign: Campaign) -> CampaignTerms:
    return CampaignTerms(
        campaign_id=campaign.pk,
        status=campaign.status,
        channel=campaign.channel,
        priority=campaign.priority,
        uses_usage_data=campaign.uses_usage_data,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        created_by_id=campaign.created_by_id,
        decided_by_id=campaign.decided_by_id,
    )


def id_chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """``ids`` in slices small enough for one ``IN (...)`` list on SQLite."""
    for start in range(0, len(ids), ID_CHUNK):
        yield ids[start : start + ID_CHUNK]


def customer_facts(
    customer_ids: CustomerIds, at: datetime.datetime, config: PolicyConfig
) -> dict[int, CustomerFacts]:
    """The facts the rules read, for every customer in ``customer_ids`` at ``at``.

    ``customer_ids`` is a list or a queryset; a queryset is used as a subquery, so a
    target list of any size costs one query per kind of fact.
    """
    if isinstance(customer_ids, QuerySet):
        parties = dict(customer_ids.values_list("id", "party_id"))
        by_customer: Any = customer_ids.values("id")
        by_party: Any = customer_ids.values("party_id")
    else:
        ids = list(customer_ids)
        parties = {}
        for chunk in id_chunks(ids):
            parties.update(
                Customer.objects.filter(pk__in=chunk).values_list("id", "party_id")
            )
        by_customer, by_party = ids, list(parties.values())
    facts = {cid: CustomerFacts(cid) for cid in parties}
    _add_contacts(facts, parties, by_party, at)
    _add_suppressions(facts, by_customer)
    _add_consents(facts, by_customer)
    _add_attempts(facts, by_customer, at, config)
    _add_complaints(facts, by_customer, at, config)
    _add_pending(facts, by_customer)
    return facts


def _filter_in(qs: QuerySet[Any], field: str, values: Any) -> Iterator[QuerySet[Any]]:
    """``qs`` filtered on ``field`` in ``values``: one query for a subquery, chunks
    for a list."""
    if isinstance(values, QuerySet):
        yield qs.filter(**{f"{field}__in": values})
        return
    for chunk in id_chunks(list(values)):
        yield qs.filter(**{f"{field}__in": chunk})


def _add_contacts(
    facts: dict[int, CustomerFacts],
    parties: dict[int, int],
    by_party: Any,
    at: datetime.datetime,
) -> None:
    """Provinces (address first, then the phone's) and do-not-call hits."""
    customer_of = {party: cid for cid, party in parties.items()}
    provinces: dict[int, list[str]] = defaultdict(list)
    phones: dict[str, list[int]] = defaultdict(list)
    media = ContactMedium.objects.filter(
        kind__in=[ContactKind.ADDRESS, ContactKind.PHONE]
    ).order_by("party_id", "kind", "-is_primary", "id")
    for qs in _filter_in(media, "party_id", by_party):
        for party, kind, phone, province in qs.values_list(
            "party_id", "kind", "phone", "province"
        ):
            cid = customer_of[party]
            if province and province not in provinces[cid]:
                provinces[cid].append(province)
            if kind == ContactKind.PHONE:
                phones[phone].append(cid)
    for cid, found in provinces.items():
        facts[cid].provinces = tuple(found)
    if not phones:
        return
    entries = DoNotCallEntry.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at), added_at__lte=at
    )
    if len(phones) <= ID_CHUNK:
        # A customer at the moment of contact, or a few: look their numbers up.
        # The list may be a regulator's registry of millions of numbers.
        entries = entries.filter(phone__in=list(phones))
    # A whole target list: one pass over the do-not-call list, matched in memory.
    for entry_id, phone, added, expires in entries.values_list(
        "id", "phone", "added_at", "expires_at"
    ):
        for cid in phones.get(phone, ()):
            facts[cid].dnc_entries.append(Period(entry_id, added, expires))


def _add_suppressions(facts: dict[int, CustomerFacts], by_customer: Any) -> None:
    rows = ContactSuppression.objects.all()
    for qs in _filter_in(rows, "customer_id", by_customer):
        for sid, cid, since, lifted in qs.values_list(
            "id", "customer_id", "since", "lifted_at"
        ):
            facts[cid].suppressions.append(Period(sid, since, lifted))


def _add_consents(facts: dict[int, CustomerFacts], by_customer: Any) -> None:
    rows = Consent.objects.filter(
        purpose__in=[ConsentPurpose.MARKETING, ConsentPurpose.PROFILING]
    ).order_by()  # the rules pick the earliest valid one: no sort needed
    for qs in _filter_in(rows, "customer_id", by_customer):
        for consent_id, cid, purpose, channel, granted, withdrawn in qs.values_list(
            "id", "customer_id", "purpose", "channel", "granted_at", "withdrawn_at"
        ):
            facts[cid].consents.append(
                ConsentFact(consent_id, purpose, channel, granted, withdrawn)
            )


def _add_attempts(
    facts: dict[int, CustomerFacts],
    by_customer: Any,
    at: datetime.datetime,
    config: PolicyConfig,
) -> None:
    for qs in _filter_in(_attempts_around(at, config), "customer_id", by_customer):
        for cid, *attempt in qs.values_list("customer_id", *ATTEMPT_COLUMNS):
            facts[cid].attempts.append(_attempt_fact(attempt, at))


# What an ``AttemptFact`` is made of, in ``_attempt_fact``'s order.
ATTEMPT_COLUMNS = ("at", "channel", "campaign_id", "outcome", "outcome_at")


def _attempts_around(
    at: datetime.datetime, config: PolicyConfig
) -> QuerySet[ContactAttempt]:
    """Attempts any cap or cool-off can count at ``at``: after ``at`` too, because a
    new attempt must fit every window it falls in."""
    return ContactAttempt.objects.filter(
        at__gt=at - config.longest_lookback, at__lt=at + config.longest_lookback
    )


def _attempt_fact(row: Sequence[Any], at: datetime.datetime) -> AttemptFact:
    when, channel, campaign_id, outcome, outcome_at = row
    return AttemptFact(when, channel, campaign_id, _known(outcome, outcome_at, at))


def _known(
    outcome: str, outcome_at: datetime.datetime | None, at: datetime.datetime
) -> str:
    """An attempt's outcome as known at ``at``: one recorded later was not known
    yet (a refusal recorded tomorrow does not undo a contact allowed today)."""
    if outcome_at is not None and outcome_at <= at:
        return outcome
    return ContactOutcome.RESERVED


def _add_complaints(
    facts: dict[int, CustomerFacts],
    by_customer: Any,
    at: datetime.datetime,
    config: PolicyConfig,
) -> None:
    """Complaints still open, or closed recently enough to hold a cool-off."""
    rows = Interaction.objects.filter(kind=InteractionKind.COMPLAINT).filter(
        Q(outcome=InteractionOutcome.OPEN)
        | Q(ended_at__gt=at - config.complaint_cool_off)
    )
    for qs in _filter_in(rows, "customer_id", by_customer):
        for iid, cid, start, end, outcome in qs.values_list(
            "id", "customer_id", "occurred_at", "ended_at", "outcome"
        ):
            still_open = outcome == InteractionOutcome.OPEN
            facts[cid].complaints.append(
                Period(iid, start, None if still_open else end)
            )


def _add_pending(facts: dict[int, CustomerFacts], by_customer: Any) -> None:
    """Contacts queued on active campaigns' call lists (rule 10).

    For a target list (a queryset) every queued contact is read and matched in
    memory: they are at most the seats of the days lists were built for, few next
    to a list, and one pass over them beats a probe per customer and campaign.
    """
    rows = CampaignMember.objects.filter(
        state=MemberState.QUEUED,
        campaign__status__in=ACTIVE_STATUSES,
    ).exclude(group=MemberGroup.CONTROL)
    if isinstance(by_customer, QuerySet):
        batches: Iterator[QuerySet[Any]] = iter([rows.order_by()])
    else:
        batches = _filter_in(rows, "customer_id", by_customer)
    for qs in batches:
        for cid, campaign_id, priority, channel in qs.values_list(
            "customer_id", "campaign_id", "campaign__priority", "campaign__channel"
        ):
            if cid in facts:
                facts[cid].pending.append(
                    PendingContact((-priority, campaign_id), channel)
                )


def decision_row(
    customer_id: int,
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    stage: str,
    decision: Decision,
) -> ContactDecision:
    return ContactDecision(
        customer_id=customer_id,
        campaign_id=campaign.campaign_id,
        channel=channel,
        at=at,
        stage=stage,
        allowed=decision.allowed,
        rule=decision.rule,
        detail=decision.detail,
    )


def may_contact(
    customer: Customer | int,
    campaign: Campaign,
    channel: str,
    at: datetime.datetime,
    *,
    stage: str = DecisionStage.CONTACT,
    config: PolicyConfig | None = None,
) -> ContactDecision:
    """Decide whether ``campaign`` may contact ``customer`` over ``channel`` at
    ``at``; the decision is logged and returned (``.allowed``, ``.rule``)."""
    customer_id = customer if isinstance(customer, int) else customer.pk
    config = config or policy_config_load()
    facts = customer_facts([customer_id], at, config)[customer_id]
    terms = campaign_terms(campaign)
    decision = decide(facts, terms, channel, at, config, stage)
    row = decision_row(customer_id, terms, channel, at, stage, decision)
    row.save()
    return row


def may_contact_many(
    customer_ids: CustomerIds,
    campaign: Campaign,
    channel: str,
    at: datetime.datetime,
    *,
    stage: str = DecisionStage.LIST_BUILD,
    config: PolicyConfig | None = None,
) -> dict[int, Decision]:
    """``may_contact`` for many customers at once, with the same rules and log."""
    config = config or policy_config_load()
    terms = campaign_terms(campaign)
    with cyclic_gc_paused():
        decisions = {
            cid: decide(customer, terms, channel, at, config, stage)
            for cid, customer in customer_facts(customer_ids, at, config).items()
        }
        decisions_log(decisions, terms, channel, at, stage)
    return decisions


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a batch of decisions.

    A batch builds millions of small objects (facts, decisions), none of them in a
    cycle; the collector would walk the whole growing heap again and again (a
    third of a list build's time at 100,000 customers). Reference counting still
    frees everything; the collector runs again when the batch ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


DECISION_COLUMNS = (
    "customer_id", "campaign_id", "channel", "at", "stage", "allowed", "rule",
    "detail", "decided_at",
)  # fmt: skip


def decisions_log(
    decisions: dict[int, Decision],
    campaign: CampaignTerms,
    channel: str,
    at: datetime.datetime,
    stage: str,
) -> None:
    """``ContactDecision`` rows for many decisions at once, as ``decision_row``
    makes them, without a model instance each (``rows_insert``; at 100,000
    decisions on SQLite a fifth of the time ``bulk_create`` took,
    docs/benchmarks.md)."""
    ops = connection.ops
    encoder = ContactDecision._meta.get_field("detail").encoder
    at_value = ops.adapt_datetimefield_value(at)
    now_value = ops.adapt_datetimefield_value(timezone.now())
    rows = (
        (
            cid, campaign.campaign_id, channel, at_value, stage, decision.allowed,
            decision.rule, ops.adapt_json_value(decision.detail, encoder), now_value,
        )
        for cid, decision in decisions.items()
    )  # fmt: skip
    rows_insert(ContactDecision._meta.db_table, DECISION_COLUMNS, rows)


def policy_preview(
    customer_ids: CustomerIds,
    campaign: Campaign,
    channel: str,
    at: datetime.datetime,
    *,
    config: PolicyConfig | None = None,
) -> Counter[str]:
    """How the policy would decide on ``customer_ids`` if ``campaign`` were running
    at ``at``: the count of customers per deciding rule (``allowed`` included).

    What an approver weighs (the load a campaign puts on consents, suppressions,
    cool-offs and caps) before it runs: the campaign's terms are treated as active
    (running, approved, its dates covering ``at``), every other rule as it stands,
    checked as at a call-list build. Nothing is logged: this is not a decision.
    """
    config = config or policy_config_load()
    terms = campaign_terms(campaign)
    day = local_date(at, config.default_zone)
    as_running = dataclasses.replace(
        terms,
        status=CampaignStatus.RUNNING,
        # Any approver other than the creator: ids are positive, so 0 is nobody.
        decided_by_id=terms.decided_by_id or 0,
        starts_on=min(terms.starts_on, day),
        ends_on=max(terms.ends_on, day),
    )
    counts: Counter[str] = Counter()
    for facts in customer_facts(customer_ids, at, config).values():
        decision = decide(
            facts, as_running, channel, at, config, DecisionStage.LIST_BUILD
        )
        counts[decision.rule] += 1
    return counts


@contextmanager
def customer_contact_lock(customer_id: int) -> Iterator[None]:
    """A transaction holding the customer's contact lock until it ends.

    PostgreSQL: a transaction-scoped advisory lock on the customer. SQLite: the
    database's write lock, which ``BEGIN IMMEDIATE`` (settings ``transaction_mode``)
    takes when the transaction starts; ``select_for_update`` is a no-op there and is
    never relied on.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)",
                    [CONTACT_LOCK_CLASS, customer_id % 2**31],
                )
        elif connection.vendor == "sqlite":
            mode = connection.settings_dict.get("OPTIONS", {}).get("transaction_mode")
            if mode != "IMMEDIATE":
                raise ImproperlyConfigured(
                    "Contact reservations need SQLite's transaction_mode IMMEDIATE."
                )
        yield


def contact_reserve(
    *,
    customer: Customer | int,
    campaign: Campaign,
    channel: str,
    at: datetime.datetime,
    agent: User | None = None,
    member: CampaignMember | None = None,
    outcome: str = ContactOutcome.RESERVED,
    config: PolicyConfig | None = None,
) -> tuple[ContactDecision, ContactAttempt | None]:
    """Decide and, when allowed, record the attempt, atomically per customer.

    The attempt exists before anyone dials; a failed dial keeps it (the caps count
    attempts). Returns the logged decision and the attempt (None when denied).
    """
    customer_id = customer if isinstance(customer, int) else customer.pk
    config = config or policy_config_load()
    with customer_contact_lock(customer_id):
        decision = may_contact(customer_id, campaign, channel, at, config=config)
        if not decision.allowed:
            return decision, None
        attempt = ContactAttempt.objects.create(
            customer_id=customer_id,
            campaign=campaign,
            member=member,
            channel=channel,
            at=at,
            agent=agent,
            outcome=outcome,
            outcome_at=None if outcome == ContactOutcome.RESERVED else at,
            decision=decision,
        )
    return decision, attempt


def decision_replay(decision: ContactDecision) -> Decision:
    """Re-decide a logged decision from the records (CP-T6): an allowed contact's
    consent, list and window checks give the same answer. The records are read as
    they stood at the decision: attempts reserved before it, outcomes recorded by
    its moment, the campaign's terms then."""
    config = policy_config_load()
    at = decision.at
    facts = customer_facts([decision.customer_id], at, config)
    facts_of = facts[decision.customer_id]
    # The attempts on record when it was decided: those reserved by earlier
    # decisions, not its own nor any reserved after it (even at the same instant).
    earlier = _attempts_around(at, config).filter(
        customer_id=decision.customer_id, decision_id__lt=decision.pk
    )
    facts_of.attempts = [
        _attempt_fact(row, at) for row in earlier.values_list(*ATTEMPT_COLUMNS)
    ]
    facts_of.pending = []
    # The campaign as it stood then (its history), not as it stands now.
    then = decision.campaign.history.filter(
        history_date__lte=decision.decided_at
    ).first()
    terms = campaign_terms(then.instance if then else decision.campaign)
    return decide(
        facts_of, terms, decision.channel, decision.at, config, decision.stage
    )


__all__ = [
    "contact_reserve",
    "customer_facts",
    "id_chunks",
    "may_contact",
    "may_contact_many",
    "policy_config_load",
    "policy_preview",
]
