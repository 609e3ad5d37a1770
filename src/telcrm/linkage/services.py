"""Linking the silos' records into customers, and undoing it exactly.

``linkage_run`` scores every record pair the blocking rules propose (Splink, see
telcrm_pipeline.linkage), keeps the scored pairs as evidence, links what is certain
(same valid ID number, source references, model probability above the auto-link
threshold) and leaves the uncertain pairs in the review queue for staff.

A merge moves every row that points at the duplicate customer to the surviving one and
writes down each move; ``identity_link_undo`` moves them back, so an unmerge restores
exactly what was there. Pairs behind an undone link are marked "not the same", so a
later run does not link them again.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from telcrm.accounts.models import BillingAccount
from telcrm.campaigns.tasks import retention_tasks_merge
from telcrm.customers.choices import ConsentStatus, SourceSystem
from telcrm.customers.models import Consent, Customer, CustomerSourceKey
from telcrm.lib.login import login_name
from telcrm.linkage.choices import Decision, LinkKind, PairStatus
from telcrm.linkage.models import IdentityLink, LinkageRun, MatchPair
from telcrm.linkage.records import LinkageRecords, linkage_records
from telcrm.users.models import User
from telcrm_pipeline.linkage import (
    LinkageMetrics,
    LinkageThresholds,
    cluster_links,
    pairwise_metrics,
    predict_links,
    record_id,
    truth_entities,
)

LINKING_DECISIONS = (Decision.EXACT_ID, Decision.SOURCE_REFERENCE, Decision.AUTO)
# Rows that belong to the linkage bookkeeping or to history are never moved.
NOT_MOVED = {"linkage"}


class LinkRefused(ValueError):
    """A link the database refuses (e.g. both customers hold a one-only record)."""


# --- merge, attach, undo -------------------------------------------------------------


class Resolver:
    """Where a (possibly merged) customer's records now sit, from one query."""

    def __init__(self) -> None:
        self.targets: dict[int, int] = dict(
            Customer.objects.filter(merged_into__isnull=False).values_list(
                "id", "merged_into_id"
            )
        )

    def __call__(self, customer_id: int) -> int:
        seen = {customer_id}
        while (target := self.targets.get(customer_id)) is not None:
            if target in seen:
                break
            seen.add(target)
            customer_id = target
        return customer_id

    def merged(self, customer_id: int, into: int) -> None:
        self.targets[customer_id] = into


def customer_relations() -> list[models.ForeignKey[models.Model, models.Model]]:
    """Every foreign key that points at a customer, except bookkeeping and history."""
    relations = []
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        field = relation.field
        if not isinstance(field, models.ForeignKey) or not isinstance(model, type):
            continue
        if model._meta.app_label in NOT_MOVED or str(model._meta.model_name).startswith(
            "historical"
        ):
            continue
        if model is Customer:  # merged_into: the merge itself
            continue
        relations.append(field)
    return relations


def rows_to_move(
    model: type[models.Model], attname: str, merged: Customer, survivor: Customer
) -> models.QuerySet[models.Model]:
    """The merged customer's rows that move to the survivor.

    A person registered twice usually consented twice. The survivor's current consent
    for a purpose and channel stands (one current consent each); the duplicate's own
    current consent for the same stays with the duplicate record, as evidence.
    """
    rows = model._default_manager.filter(**{attname: merged.pk})
    if model is Consent:
        held = Consent.objects.filter(customer=survivor, status=ConsentStatus.GRANTED)
        for purpose, channel in held.values_list("purpose", "channel"):
            rows = rows.exclude(
                status=ConsentStatus.GRANTED, purpose=purpose, channel=channel
            )
    return rows


def customer_merge(
    *,
    survivor: Customer,
    merged: Customer,
    decision: str,
    pair: MatchPair | None = None,
    user: User | None = None,
) -> IdentityLink:
    """Move everything of ``merged`` to ``survivor``; keep the moves to undo them."""
    if survivor.pk == merged.pk or merged.merged_into_id is not None:
        raise LinkRefused(f"{merged} is already merged or is {survivor}")
    moves = []
    try:
        with transaction.atomic():
            retention_tasks_merge(merged=merged, survivor=survivor, by=user)
            for field in customer_relations():
                model = field.model
                rows = list(
                    rows_to_move(model, field.attname, merged, survivor)
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                if rows:
                    model._default_manager.filter(pk__in=rows).update(
                        **{field.attname: survivor.pk}
                    )
                    moves.append([model._meta.label, field.attname, merged.pk, rows])
            Customer.objects.filter(pk=merged.pk).update(merged_into=survivor)
            return IdentityLink.objects.create(
                kind=LinkKind.MERGE, survivor=survivor, merged=merged, pair=pair,
                decision=decision, moves=moves, linked_by=user,
            )  # fmt: skip
    except IntegrityError as error:
        raise LinkRefused(f"{merged} -> {survivor}: {error}") from error


def billing_account_attach(
    *,
    survivor: Customer,
    account: BillingAccount,
    decision: str,
    pair: MatchPair | None = None,
    user: User | None = None,
) -> IdentityLink:
    """Give an account without a customer (a legacy account) its customer."""
    if account.customer_id is not None:
        raise LinkRefused(f"account {account} already has a customer")
    with transaction.atomic():
        BillingAccount.objects.filter(pk=account.pk).update(customer=survivor)
        return IdentityLink.objects.create(
            kind=LinkKind.ATTACH, survivor=survivor, billing_account=account,
            pair=pair, decision=decision, linked_by=user,
            moves=[["accounts.BillingAccount", "customer_id", None, [account.pk]]],
        )  # fmt: skip


def identity_link_undo(*, link: IdentityLink, user: User | None = None) -> None:
    """Put back every row the link moved; the pairs behind it become "not the same"."""
    if link.undone_at is not None:
        raise LinkRefused(f"link #{link.pk} is already undone")
    later = IdentityLink.objects.filter(
        undone_at__isnull=True, merged=link.survivor, linked_at__gte=link.linked_at
    )
    if later.exists():
        raise LinkRefused(
            f"{link.survivor} was itself merged later: undo that link first"
        )
    with transaction.atomic():
        for label, attname, previous, rows in link.moves:
            model = apps.get_model(label)
            model._default_manager.filter(
                pk__in=rows, **{attname: link.survivor_id}
            ).update(**{attname: previous})
        if link.merged_id is not None:
            Customer.objects.filter(pk=link.merged_id).update(merged_into=None)
        link.undone_at, link.undone_by = timezone.now(), user
        link.save(update_fields=["undone_at", "undone_by"])
        pairs_between(link).update(
            status=PairStatus.REJECTED, decided_by=user, decided_at=timezone.now()
        )


def pairs_between(link: IdentityLink) -> models.QuerySet[MatchPair]:
    """The scored pairs joining the link's two sides."""
    left = record_ids_of(link.survivor_id)
    if link.merged_id is not None:
        right = record_ids_of(link.merged_id)
    else:
        assert link.billing_account is not None  # an attachment names its account
        right = {record_id(SourceSystem.BILLING, link.billing_account.account_number)}
    return MatchPair.objects.filter(
        Q(record_l__in=left, record_r__in=right)
        | Q(record_l__in=right, record_r__in=left)
    )


def record_owner(rid: str) -> tuple[int | None, int | None]:
    """(customer, billing account) of one linkage record, read for it alone."""
    system, _, source_id = rid.partition(":")
    if system == SourceSystem.BILLING:
        account = BillingAccount.objects.filter(account_number=source_id)
        found = account.values_list("customer_id", "id").first()
        return found if found is not None else (None, None)
    key = CustomerSourceKey.objects.filter(system=system, source_id=source_id)
    return key.values_list("customer_id", flat=True).first(), None


def record_ids_of(customer_id: int) -> set[str]:
    """The linkage records that belong to one customer (as ``linkage_records`` sees
    them), read for that customer alone."""
    keys = (
        CustomerSourceKey.objects.filter(customer_id=customer_id)
        .exclude(system=SourceSystem.BILLING)
        .values_list("system", "source_id")
    )
    accounts = BillingAccount.objects.filter(customer_id=customer_id).values_list(
        "account_number", flat=True
    )
    return {record_id(system, source) for system, source in keys} | {
        record_id(SourceSystem.BILLING, number) for number in accounts
    }


# --- the run --------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkageOutcome:
    run: LinkageRun
    merged: int
    attached: int
    refused: int
    review_pending: int


def linkage_run(
    *, thresholds: LinkageThresholds | None = None, operator: str | None = None
) -> LinkageOutcome:
    """Score, keep the evidence, link what is certain, queue the rest for review."""
    run = LinkageRun.objects.create(operator=operator or login_name())
    found = linkage_records()
    pairs = predict_links(
        found.table(), found.known_table(), thresholds=thresholds or LinkageThresholds()
    )
    stored = pairs_store(run, pairs.to_pylist())
    rejected = {
        (left, right)
        for left, right in MatchPair.objects.filter(
            status=PairStatus.REJECTED
        ).values_list("record_l", "record_r")
    }
    accepted = pairs.filter(
        [
            (left, right) not in rejected
            for left, right in zip(
                pairs.column("record_id_l").to_pylist(),
                pairs.column("record_id_r").to_pylist(),
                strict=True,
            )
        ]
    )
    clusters = cluster_links(
        [row["record_id"] for row in found.rows], accepted, decisions=LINKING_DECISIONS
    )
    merged, attached, refused = clusters_apply(found, clusters, stored, Resolver())
    pending = MatchPair.objects.filter(status=PairStatus.PENDING).count()
    run.records, run.pairs = len(found.rows), pairs.num_rows
    run.links_made, run.review_pending = merged + attached, pending
    run.finished_at = timezone.now()
    run.message = f"{merged} merged, {attached} attached, {refused} refused"
    run.save()
    return LinkageOutcome(run, merged, attached, refused, pending)


def pairs_store(
    run: LinkageRun, rows: Iterable[dict[str, object]]
) -> dict[tuple[str, str], MatchPair]:
    """Keep every scored pair but plain source references (those are the sources'
    own statements); a pair already decided by staff keeps its decision."""
    decided = {
        (pair.record_l, pair.record_r): pair
        for pair in MatchPair.objects.exclude(status=PairStatus.PENDING)
    }
    MatchPair.objects.filter(status=PairStatus.PENDING).delete()
    fresh = []
    for row in rows:
        key = (str(row["record_id_l"]), str(row["record_id_r"]))
        if row["decision"] == Decision.SOURCE_REFERENCE or key in decided:
            continue
        fresh.append(
            MatchPair(
                run=run, record_l=key[0], record_r=key[1],
                match_weight=float(row["match_weight"]),  # type: ignore[arg-type]
                match_probability=float(row["match_probability"]),  # type: ignore[arg-type]
                evidence=json.loads(str(row["evidence"])),
                decision=str(row["decision"]),
                status=PairStatus.PENDING if row["decision"] == Decision.REVIEW
                else PairStatus.LINKED,
            )
        )  # fmt: skip
    MatchPair.objects.bulk_create(fresh, batch_size=2000)
    return {
        (pair.record_l, pair.record_r): pair
        for pair in MatchPair.objects.filter(run=run)
    } | decided


def clusters_apply(
    found: LinkageRecords,
    clusters: dict[str, str],
    pairs: dict[tuple[str, str], MatchPair],
    resolve: Resolver,
) -> tuple[int, int, int]:
    """Make each cluster one customer: merge its customers into the CRM one, attach
    its accounts that have none."""
    members: dict[str, list[str]] = defaultdict(list)
    for rid, cluster in clusters.items():
        members[cluster].append(rid)
    by_record: dict[str, list[MatchPair]] = defaultdict(list)
    for (left, right), pair in pairs.items():
        by_record[left].append(pair)
        by_record[right].append(pair)
    merged = attached = refused = 0
    for records in members.values():
        if len(records) < 2:
            continue
        m, a, r = cluster_apply(found, sorted(records), by_record, resolve)
        merged, attached, refused = merged + m, attached + a, refused + r
    return merged, attached, refused


def cluster_apply(
    found: LinkageRecords,
    records: Sequence[str],
    by_record: dict[str, list[MatchPair]],
    resolve: Resolver,
) -> tuple[int, int, int]:
    owners = {
        resolve(owner)
        for rid in records
        if (owner := found.customer_of.get(rid)) is not None
    }
    orphans = [
        found.account_of[rid]
        for rid in records
        if rid in found.account_of and found.customer_of.get(rid) is None
    ]
    if not owners or (len(owners) == 1 and not orphans):
        return 0, 0, 0  # already one customer, or no customer to attach accounts to
    ranked = ranked_customers(owners, found.crm_customers)
    survivor = ranked[0]
    merged = attached = refused = 0
    for duplicate in ranked[1:]:
        try:
            customer_merge(
                survivor=survivor, merged=duplicate, decision=Decision.AUTO,
                pair=evidence_pair(records, by_record),
            )  # fmt: skip
            resolve.merged(duplicate.pk, survivor.pk)
            merged += 1
        except LinkRefused:
            refused += 1
    for rid in records:
        if found.account_of.get(rid) in orphans:
            billing_account_attach(
                survivor=survivor,
                account=BillingAccount.objects.get(pk=found.account_of[rid]),
                decision=Decision.AUTO, pair=evidence_pair([rid], by_record),
            )  # fmt: skip
            attached += 1
    return merged, attached, refused


def ranked_customers(ids: Iterable[int], crm: set[int]) -> list[Customer]:
    """Survivor first: a CRM customer (in ``crm``) before one only another silo
    knows, then the longest-standing relationship."""
    return sorted(
        Customer.objects.in_bulk(list(ids)).values(),
        key=lambda c: (c.pk not in crm, c.customer_since, c.customer_number),
    )


def evidence_pair(
    records: Sequence[str], by_record: dict[str, list[MatchPair]]
) -> MatchPair | None:
    """The strongest stored pair touching these records (shown as the link's reason)."""
    touching = [pair for rid in records for pair in by_record.get(rid, ())]
    return max(touching, key=lambda pair: pair.match_weight, default=None)


# --- staff decisions on the review queue ----------------------------------------------


def match_pair_accept(*, pair: MatchPair, user: User) -> IdentityLink | None:
    """Staff say the two records are one party: link them now."""
    with transaction.atomic():
        link = records_link(pair.record_l, pair.record_r, pair, user)
        pair.status, pair.decided_by, pair.decided_at = (
            PairStatus.LINKED, user, timezone.now(),
        )  # fmt: skip
        pair.decision = Decision.STAFF
        pair.save(update_fields=["status", "decided_by", "decided_at", "decision"])
    return link


def match_pair_reject(*, pair: MatchPair, user: User) -> None:
    """Staff say the two records are different parties: never link them."""
    pair.status, pair.decided_by, pair.decided_at = (
        PairStatus.REJECTED, user, timezone.now(),
    )  # fmt: skip
    pair.save(update_fields=["status", "decided_by", "decided_at"])


def records_link(
    left: str, right: str, pair: MatchPair, user: User
) -> IdentityLink | None:
    resolve = Resolver()
    owners = [record_owner(left), record_owner(right)]
    resolved = [resolve(c) if c is not None else None for c, _ in owners]
    if resolved[0] is not None and resolved[0] == resolved[1]:
        return None  # already one customer
    present = [c for c in resolved if c is not None]
    if not present:
        raise LinkRefused("neither record has a customer to link to")
    crm = set(
        CustomerSourceKey.objects.filter(
            customer_id__in=present, system=SourceSystem.CRM
        ).values_list("customer_id", flat=True)
    )
    ranked = ranked_customers(present, crm)
    survivor = ranked[0]
    if len(ranked) == 2:
        return customer_merge(
            survivor=survivor, merged=ranked[1], decision=Decision.STAFF,
            pair=pair, user=user,
        )  # fmt: skip
    _, account_id = owners[0] if resolved[0] is None else owners[1]
    if account_id is None:
        raise LinkRefused(f"{left} or {right} is no longer in the store")
    account = BillingAccount.objects.get(pk=account_id)
    return billing_account_attach(
        survivor=survivor, account=account, decision=Decision.STAFF, pair=pair,
        user=user,
    )  # fmt: skip


# --- evaluation -----------------------------------------------------------------------


def linkage_evaluate(truth_dir: Path) -> tuple[LinkageMetrics, int]:
    """Pairwise precision and recall of the store's current customers against a
    generated operator's ground truth; and the pairs still waiting for review."""
    found = linkage_records()
    resolve = Resolver()
    predicted = {
        rid: str(resolve(customer)) if customer is not None else rid
        for rid, customer in found.customer_of.items()
    }
    metrics = pairwise_metrics(predicted, truth_entities(truth_dir))
    return metrics, MatchPair.objects.filter(status=PairStatus.PENDING).count()
