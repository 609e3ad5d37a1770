"""Clusters of records that are one person or company: connected components of links.

Grain of the result: one entry per record id, mapping it to its cluster id (the
smallest record id of the cluster, so the result does not depend on edge order).

A plain connected-components pass lets one wrong edge chain two large clusters into
one. Here the edges are added strongest first (exact ID, then source references, then
model links by falling probability), and an edge is refused when it would put two
different valid ID numbers in one cluster: two valid resident ID numbers (or credit
codes) that differ are two parties, whatever the names say.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa

from telcrm_pipeline.linkage.model import AUTO, EXACT_ID, SOURCE_REFERENCE

DEFAULT_DECISIONS: tuple[str, ...] = (EXACT_ID, SOURCE_REFERENCE, AUTO)
_RANK = {EXACT_ID: 0, SOURCE_REFERENCE: 1}


class _Components:
    """Union-find over record ids, with at most one valid ID number per component."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.valid_id: dict[str, str | None] = {}
        self.refused = 0

    def add(self, record: str, valid_id: str | None = None) -> None:
        if record not in self.parent:
            self.parent[record] = record
            self.valid_id[record] = None
        if valid_id:
            root = self.find(record)
            if self.valid_id[root] is None:
                self.valid_id[root] = valid_id

    def find(self, record: str) -> str:
        root = record
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[record] != root:  # path compression
            self.parent[record], record = root, self.parent[record]
        return root

    def union(self, a: str, b: str) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        id_a, id_b = self.valid_id[root_a], self.valid_id[root_b]
        if id_a and id_b and id_a != id_b:
            self.refused += 1
            return False
        if root_b < root_a:
            root_a, root_b = root_b, root_a
        self.parent[root_b] = root_a
        self.valid_id[root_a] = self.valid_id[root_a] or self.valid_id[root_b]
        return True


def _column(pairs: pa.Table, name: str) -> list:
    return pairs.column(name).to_pylist() if name in pairs.column_names else []


def cluster_links(
    record_ids: Iterable[str],
    pairs: pa.Table,
    *,
    decisions: Sequence[str] = DEFAULT_DECISIONS,
    valid_ids: dict[str, str] | None = None,
) -> dict[str, str]:
    """Map every record id to a cluster id, joining the pairs with these decisions.

    ``pairs`` is ``predict_links``' output (at least ``record_id_l``,
    ``record_id_r``, ``decision``; ``match_probability`` orders the model's links;
    ``valid_id_l``/``valid_id_r`` or ``valid_ids`` give the records' valid ID
    numbers for the constraint). Records in no kept pair are their own cluster.
    """
    components = _Components()
    for record in record_ids:
        components.add(record)
    left, right = _column(pairs, "record_id_l"), _column(pairs, "record_id_r")
    decision = _column(pairs, "decision")
    probability = _column(pairs, "match_probability") or [1.0] * len(left)
    valid_l = _column(pairs, "valid_id_l") or [None] * len(left)
    valid_r = _column(pairs, "valid_id_r") or [None] * len(left)
    for record, valid in (valid_ids or {}).items():
        components.add(record, valid)
    kept = set(decisions)
    edges = []
    for i in range(len(left)):
        if decision[i] not in kept:
            continue
        components.add(left[i], valid_l[i])
        components.add(right[i], valid_r[i])
        rank = _RANK.get(decision[i], 2)
        edges.append((rank, -(probability[i] or 0.0), left[i], right[i]))
    edges.sort()
    for _, _, a, b in edges:
        components.union(a, b)
    return {record: components.find(record) for record in components.parent}
