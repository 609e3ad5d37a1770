"""The customised bundle proposal for a group (R8), from what it holds today.

The rule (docs/web.md, "Key accounts and the workbench"):

1. What the group holds: its live lines over the whole tree, counted and priced (the
   offerings' monthly fees) per line of business.
2. Each active bundle of the catalogue serves, per unit, ``quantity`` lines of each of
   its components' lines of business. Covering every held line of those lines of
   business takes ``units = max(ceil(held / quantity))`` units.
3. Its proposed cost is ``units x bundle fee``, shared between its lines of business in
   proportion to the components' list value (fee x quantity; equal shares when the
   components are free). Lines of business it does not cover stay as they are.
4. A bundle qualifies when it costs less than the lines it covers cost today; the
   proposal is the one covering the most held lines, then saving the most, then by
   code. No qualifying bundle: no proposal (the page says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Sum

from telcrm.accounts.models import GroupNode
from telcrm.catalog.choices import LifecycleStatus, LineOfBusiness, OfferingKind
from telcrm.catalog.models import BundleComponent, ProductOffering
from telcrm.core.choices import choice_label
from telcrm.inventory.choices import LIVE_STATUSES
from telcrm.inventory.models import Subscription
from telcrm.web.keyaccounts.selectors import subtree_customer_ids

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Held:
    """The group's live lines of one line of business and what they cost a month."""

    lines: int
    monthly: Decimal


@dataclass(frozen=True)
class ProposalRow:
    line_of_business: str
    lines: int
    current: Decimal
    proposed: Decimal

    @property
    def line_of_business_label(self) -> str:
        return choice_label(LineOfBusiness, self.line_of_business)

    @property
    def saving(self) -> Decimal:
        return self.current - self.proposed


@dataclass(frozen=True)
class Proposal:
    bundle: ProductOffering
    units: int
    covered_lines: int
    rows: list[ProposalRow]

    @property
    def current_total(self) -> Decimal:
        return sum((row.current for row in self.rows), Decimal("0.00"))

    @property
    def proposed_total(self) -> Decimal:
        return sum((row.proposed for row in self.rows), Decimal("0.00"))

    @property
    def saving(self) -> Decimal:
        return self.current_total - self.proposed_total


def held_by_line_of_business(node: GroupNode) -> dict[str, Held]:
    """Live lines over the subtree and their monthly fees, per line of business."""
    rows = (
        Subscription.objects.filter(
            customer__in=subtree_customer_ids(node), status__in=LIVE_STATUSES
        )
        .values("offering__line_of_business")
        .annotate(lines=Count("pk"), monthly=Sum("offering__monthly_fee"))
        .order_by("offering__line_of_business")
    )
    return {
        row["offering__line_of_business"]: Held(
            lines=row["lines"], monthly=Decimal(row["monthly"]).quantize(CENT)
        )
        for row in rows
    }


def active_bundles() -> list[ProductOffering]:
    """Bundles on sale, each with ``links`` (its components, loaded in one query)."""
    return list(
        ProductOffering.objects.filter(
            kind=OfferingKind.BUNDLE, lifecycle_status=LifecycleStatus.ACTIVE
        )
        .prefetch_related(
            Prefetch(
                "component_links",
                queryset=BundleComponent.objects.select_related("component"),
                to_attr="links",
            )
        )
        .order_by("code")
    )


def bundle_shape(bundle: ProductOffering) -> dict[str, tuple[int, Decimal]]:
    """Per line of business: lines one unit serves, and their list value."""
    shape: dict[str, tuple[int, Decimal]] = {}
    for link in bundle.links:  # type: ignore[attr-defined]
        lob = link.component.line_of_business
        quantity, value = shape.get(lob, (0, Decimal("0.00")))
        shape[lob] = (
            quantity + link.quantity,
            value + link.component.monthly_fee * link.quantity,
        )
    return shape


def proposal_for_bundle(
    bundle: ProductOffering, held: dict[str, Held]
) -> Proposal | None:
    """What ``bundle`` would cost the group (None when it covers no held line)."""
    shape = {
        lob: quantity_value
        for lob, quantity_value in bundle_shape(bundle).items()
        if lob in held and quantity_value[0] > 0
    }
    if not shape:
        return None
    units = max(
        math.ceil(held[lob].lines / quantity) for lob, (quantity, _) in shape.items()
    )
    shares = cost_shares(bundle.monthly_fee * units, shape)
    rows = [
        ProposalRow(
            line_of_business=lob,
            lines=held[lob].lines,
            current=held[lob].monthly,
            proposed=shares.get(lob, held[lob].monthly),
        )
        for lob in sorted(held)
    ]
    return Proposal(
        bundle=bundle,
        units=units,
        covered_lines=sum(held[lob].lines for lob in shape),
        rows=rows,
    )


def cost_shares(
    total: Decimal, shape: dict[str, tuple[int, Decimal]]
) -> dict[str, Decimal]:
    """``total`` split in proportion to list value; the last share takes the cent
    left by rounding, so the shares always add up to ``total``."""
    weights = {lob: value for lob, (_, value) in shape.items()}
    if not any(weights.values()):
        weights = {lob: Decimal(quantity) for lob, (quantity, _) in shape.items()}
    whole = sum(weights.values(), Decimal("0"))
    lobs = sorted(weights)
    shares: dict[str, Decimal] = {}
    for lob in lobs[:-1]:
        shares[lob] = (total * weights[lob] / whole).quantize(CENT, ROUND_HALF_UP)
    shares[lobs[-1]] = total.quantize(CENT) - sum(shares.values(), Decimal("0.00"))
    return shares


def group_proposal(node: GroupNode) -> tuple[dict[str, Held], Proposal | None]:
    """What the group holds, and the best qualifying bundle (see the module rule)."""
    held = held_by_line_of_business(node)
    candidates = [
        proposal
        for bundle in active_bundles()
        if (proposal := proposal_for_bundle(bundle, held)) is not None
        and proposal.saving > 0
    ]
    if not candidates:
        return held, None
    best = min(
        candidates,
        key=lambda p: (-p.covered_lines, -p.saving, p.bundle.code),
    )
    return held, best
