"""Event triggers: the key moments that raise a retention task (R6; docs/campaigns.md,
"Event triggers and retention tasks").

Each rule reads the operational store and yields *firings* (customer, the event's
reference, a sentence for the person who acts). A firing raises a task through
``tasks.retention_task_raise``'s rules: one open task per customer and trigger, the
same event never twice.

Two ways in:

* **event-driven**, where the app records the event:
  ``retention_task_raise_for_interaction`` (call it after recording a complaint, an
  inquiry or a retention contact) and ``retention_task_raise_for_bill``;
* **the scan**, ``retention_triggers_run(at=...)`` (the ``telcrm retention_triggers``
  command, nightly), for what arrives in batches: contract ends, monthly usage, bills,
  and tickets loaded from the complaint silo.

Only active, unmerged customers fire.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from telcrm.billing.models import Bill
from telcrm.campaigns.choices import TaskQueue, TaskStatus, TriggerKind
from telcrm.campaigns.models import RetentionTask
from telcrm.campaigns.tasks import (
    retention_task_raise,
    retention_tasks_reroute,
    task_due_at,
)
from telcrm.customers.choices import (
    CustomerStatus,
    Direction,
    InteractionKind,
    InteractionOutcome,
    InteractionReason,
)
from telcrm.customers.models import Customer, Interaction
from telcrm.inventory.choices import SubscriptionStatus
from telcrm.inventory.models import Subscription
from telcrm.usage.models import LineUsageMonth

MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)
# Customers per batch of the scan's bulk raise (well under SQLite's bound-parameter
# limit for the IN lists).
RAISE_CHUNK = 500


@dataclass(frozen=True)
class TriggerThresholds:
    """The triggers' parameters (defaults documented in docs/campaigns.md)."""

    # Contract end: an active access line's contract ends within this many days.
    contract_end_days: int = 30
    # Usage drop: last month's figure is at most this share of the mean of the
    # months before it, for revenue, calls made or data...
    usage_drop_share: Decimal = Decimal("0.5")
    usage_baseline_months: int = 3
    # ... and that mean was worth watching (below it a drop is noise).
    usage_min_revenue: Decimal = Decimal("20.00")
    usage_min_voice_seconds: int = 60 * 60
    usage_min_data_bytes: int = 1_000_000_000
    # Bill shock: the amount due is at least ratio x the mean of the previous bills
    # and at least min_increase yuan above it.
    bill_shock_ratio: Decimal = Decimal("1.5")
    bill_shock_min_increase: Decimal = Decimal("50.00")
    bill_baseline_bills: int = 3
    # Valuable customers (complaint, intent to leave): these value bands of the
    # latest pipeline run, or a key account (the customer has an account manager).
    valuable_value_bands: tuple[str, ...] = ("high",)
    # The scan looks back this many days for bills issued and interactions recorded
    # (the same event never raises twice, so overlapping runs are harmless).
    lookback_days: int = 7


DEFAULT_THRESHOLDS = TriggerThresholds()


@dataclass(frozen=True)
class Firing:
    """One event that asks for a task."""

    trigger: str
    customer_id: int
    source_reference: str
    detail: str


@dataclass
class TriggerCount:
    """A scan's result for one trigger: tasks raised, and firings that raised
    nothing (the customer had an open task for the trigger, or this very event
    raised one before)."""

    raised: int = 0
    duplicates: int = 0


@dataclass
class TriggerReport:
    at: datetime.datetime
    counts: dict[str, TriggerCount] = field(
        default_factory=lambda: {kind: TriggerCount() for kind in TriggerKind.values}
    )
    # Open tasks sent to a customer's new manager or back to the team's queue.
    rerouted: int = 0

    @property
    def raised(self) -> int:
        return sum(count.raised for count in self.counts.values())

    @property
    def duplicates(self) -> int:
        return sum(count.duplicates for count in self.counts.values())


def months_back(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def live_customer(prefix: str = "customer__") -> Q:
    return Q(
        **{f"{prefix}status": CustomerStatus.ACTIVE},
        **{f"{prefix}merged_into__isnull": True},
    )


def _times(expression: F, factor: Decimal | int) -> ExpressionWrapper:
    return ExpressionWrapper(expression * Value(Decimal(factor)), output_field=MONEY)


# --- 1. Contract end approaching -------------------------------------------------


def contract_end_firings(
    at: datetime.datetime,
    thresholds: TriggerThresholds = DEFAULT_THRESHOLDS,
    lines: QuerySet[Subscription] | None = None,
) -> list[Firing]:
    """Customers with an active access line whose contract ends within
    ``contract_end_days`` of ``at``'s day (today included), one firing per
    customer for the earliest such day: the event is that day."""
    today = timezone.localdate(at)
    last = today + datetime.timedelta(days=thresholds.contract_end_days)
    rows = (
        (lines if lines is not None else Subscription.objects.all())
        .filter(
            live_customer(),
            status=SubscriptionStatus.ACTIVE,
            parent__isnull=True,
            contract_end__gte=today,
            contract_end__lte=last,
        )
        .order_by("customer_id", "contract_end", "subscription_id")
        .values_list("customer_id", "contract_end", "subscription_id")
    )
    ending: dict[int, tuple[datetime.date, list[str]]] = {}
    for customer_id, day, line in rows:
        assert day is not None
        first = ending.setdefault(customer_id, (day, []))
        if first[0] == day:
            first[1].append(line)
    return [
        Firing(
            TriggerKind.CONTRACT_END,
            customer_id,
            f"contract:{day.isoformat()}",
            ngettext(
                "Contract ends on %(day)s (in %(days)s day): %(lines)s.",
                "Contract ends on %(day)s (in %(days)s days): %(lines)s.",
                (day - today).days,
            )
            % {
                "day": day.isoformat(),
                "days": (day - today).days,
                "lines": ", ".join(lines_ending),
            },
        )
        for customer_id, (day, lines_ending) in ending.items()
    ]


# --- 2. Usage drop ------------------------------------------------------------------


def usage_drop_firings(
    at: datetime.datetime,
    thresholds: TriggerThresholds = DEFAULT_THRESHOLDS,
    customers: QuerySet[Customer] | None = None,
) -> list[Firing]:
    """Customers whose last complete month (the month before ``at``'s) fell to
    ``usage_drop_share`` or less of the mean of the ``usage_baseline_months``
    before it, in revenue, outgoing call time or data, all lines summed.

    The customer must have usage in every baseline month and that mean must reach
    the metric's floor. Nothing fires while the month is not loaded at all.
    """
    month = months_back(timezone.localdate(at), 1)
    n = thresholds.usage_baseline_months
    first = months_back(month, n)
    usage = LineUsageMonth.objects.filter(period__gte=first, period__lte=month)
    if not usage.filter(period=month).exists():
        return []
    if customers is not None:
        usage = usage.filter(customer__in=customers.values("pk"))
    now, before = Q(period=month), Q(period__lt=month)
    metrics: dict[str, tuple[str, Decimal]] = {
        "charge": ("charge", thresholds.usage_min_revenue),
        "voice": ("voice_out_seconds", Decimal(thresholds.usage_min_voice_seconds)),
        "data": ("data_bytes", Decimal(thresholds.usage_min_data_bytes)),
    }
    sums = {}
    for name, (column, _floor) in metrics.items():
        sums[f"now_{name}"] = Sum(column, filter=now, default=0)
        sums[f"base_{name}"] = Sum(column, filter=before, default=0)
    # this month <= share x (base sum / n)  <=>  base sum x share >= this month x n,
    # multiplied out: a quotient such as n / 0.7 is not exact, and SQLite and
    # PostgreSQL would round it differently.
    dropped = Q()
    for name, (_column, floor) in metrics.items():
        fell: GreaterThanOrEqual = GreaterThanOrEqual(
            _times(F(f"base_{name}"), thresholds.usage_drop_share),
            _times(F(f"now_{name}"), n),
        )
        dropped |= Q(Q(**{f"base_{name}__gte": Value(floor * n)}), fell)
    rows = (
        usage.filter(live_customer())
        .values("customer_id")
        .annotate(
            **sums,
            base_months=Count("period", filter=before, distinct=True),
        )
        .filter(dropped, Q(base_months=n))
        .order_by("customer_id")
    )
    firings = []
    for row in rows:
        parts = []
        for name, (_column, floor) in metrics.items():
            current, mean = (
                Decimal(row[f"now_{name}"]),
                Decimal(row[f"base_{name}"]) / n,
            )
            if mean >= floor and current <= thresholds.usage_drop_share * mean:
                parts.append(_metric_text(name, current, mean))
        firings.append(
            Firing(
                TriggerKind.USAGE_DROP,
                row["customer_id"],
                f"usage:{month:%Y-%m}",
                _("%(month)s against the mean of %(first)s to %(last)s: %(parts)s.")
                % {
                    "month": f"{month:%Y-%m}",
                    "first": f"{first:%Y-%m}",
                    "last": f"{months_back(month, 1):%Y-%m}",
                    "parts": "; ".join(parts),
                },
            )
        )
    return firings


def _metric_text(name: str, current: Decimal, mean: Decimal) -> str:
    if name == "charge":
        return _("revenue %(now)s yuan, was %(mean)s") % {
            "now": f"{current:.2f}",
            "mean": f"{mean:.2f}",
        }
    if name == "voice":
        return _("calls made %(now)s min, was %(mean)s") % {
            "now": f"{current / 60:.0f}",
            "mean": f"{mean / 60:.0f}",
        }
    return _("data %(now)s GB, was %(mean)s") % {
        "now": f"{current / 10**9:.2f}",
        "mean": f"{mean / 10**9:.2f}",
    }


# --- 3. Bill shock ------------------------------------------------------------------


def bill_shock_firings(
    bills: QuerySet[Bill], thresholds: TriggerThresholds = DEFAULT_THRESHOLDS
) -> list[Firing]:
    """Bills of ``bills`` whose amount is at least ``bill_shock_ratio`` x the mean
    of the account's bills of the ``bill_baseline_bills`` months before, and at
    least ``bill_shock_min_increase`` yuan above it (all of those bills present)."""
    n = thresholds.bill_baseline_bills
    bills = bills.filter(live_customer("billing_account__customer__"))
    firings = []
    periods = bills.order_by().values_list("period", flat=True).distinct()
    for period in sorted(periods):
        # One grouped pass over the accounts billed for ``period``: this bill and
        # the sum and count of the ``n`` months before, side by side.
        now, before = Q(period=period), Q(period__lt=period)
        rows = (
            Bill.objects.filter(
                billing_account__in=bills.filter(period=period).values(
                    "billing_account"
                ),
                period__gte=months_back(period, n),
                period__lte=period,
            )
            .values("billing_account_id", "billing_account__customer_id")
            .annotate(
                bill_amount=Sum("amount", filter=now),
                before_sum=Sum("amount", filter=before),
                before_n=Count("pk", filter=before),
                number=Max("bill_number", filter=now),
            )
            .annotate(amount_n=_times(F("bill_amount"), n))
            .filter(
                Q(before_n=n),
                Q(amount_n__gte=_times(F("before_sum"), thresholds.bill_shock_ratio)),
                Q(
                    amount_n__gte=ExpressionWrapper(
                        F("before_sum") + Value(thresholds.bill_shock_min_increase * n),
                        output_field=MONEY,
                    )
                ),
            )
            .order_by("billing_account_id")
            .values_list(
                "billing_account__customer_id", "number", "bill_amount", "before_sum"
            )
        )
        for customer_id, number, amount, before_sum in rows:
            mean = Decimal(before_sum) / n
            firings.append(
                Firing(
                    TriggerKind.BILL_SHOCK,
                    customer_id,
                    f"bill:{number}",
                    ngettext(
                        "Bill %(number)s for %(month)s: %(amount)s yuan, against "
                        "%(mean)s on average over the month before.",
                        "Bill %(number)s for %(month)s: %(amount)s yuan, against "
                        "%(mean)s on average over the %(n)s months before.",
                        n,
                    )
                    % {
                        "number": number,
                        "month": f"{period:%Y-%m}",
                        "amount": f"{Decimal(amount):.2f}",
                        "mean": f"{mean:.2f}",
                        "n": n,
                    },
                )
            )
    return firings


# --- 4. Interactions: port-out query, intent to leave, complaint ----------------------


def interaction_trigger_kind(
    *, direction: str, kind: str, reason: str, outcome: str, valuable: bool
) -> TriggerKind | None:
    """Which trigger an interaction fires, if any (one at most, in this order).

    * **port-out query**: the customer asks (any kind of contact) about porting
      their number out (reason ``port_out_query``), whoever they are;
    * **intent to leave**: a valuable customer's inbound retention contact (they
      called to cancel or downgrade), unless the offer was accepted in that call;
    * **complaint**: a valuable customer's complaint.

    Outbound contacts (the operator's own calls) never fire.
    """
    if direction != Direction.INBOUND:
        return None
    if reason == InteractionReason.PORT_OUT_QUERY:
        return TriggerKind.PORT_OUT_QUERY
    if not valuable:
        return None
    if kind == InteractionKind.RETENTION and outcome != InteractionOutcome.ACCEPTED:
        return TriggerKind.INTENT_TO_LEAVE
    if kind == InteractionKind.COMPLAINT:
        return TriggerKind.COMPLAINT
    return None


def interaction_firings(
    interactions: QuerySet[Interaction],
    thresholds: TriggerThresholds = DEFAULT_THRESHOLDS,
) -> list[Firing]:
    """The firings of ``interactions``, oldest first."""
    valuable = Q(customer__account_manager__isnull=False) | Q(
        customer__score__value_band__in=thresholds.valuable_value_bands
    )
    leaving = Q(kind=InteractionKind.RETENTION) & ~Q(
        outcome=InteractionOutcome.ACCEPTED
    )
    rows = (
        interactions.filter(live_customer(), direction=Direction.INBOUND)
        .filter(
            Q(reason=InteractionReason.PORT_OUT_QUERY)
            | (valuable & (Q(kind=InteractionKind.COMPLAINT) | leaving))
        )
        .order_by("occurred_at", "id")
        .values(
            "pk",
            "reference",
            "customer_id",
            "customer__account_manager_id",
            "customer__score__value_band",
            "direction",
            "kind",
            "reason",
            "outcome",
            "occurred_at",
            "description",
        )
    )
    firings = []
    for row in rows:
        trigger = interaction_trigger_kind(
            direction=row["direction"],
            kind=row["kind"],
            reason=row["reason"],
            outcome=row["outcome"],
            valuable=row["customer__account_manager_id"] is not None
            or row["customer__score__value_band"] in thresholds.valuable_value_bands,
        )
        if trigger is None:
            continue
        firings.append(
            Firing(
                trigger,
                row["customer_id"],
                f"interaction:{row['pk']}",
                _interaction_text(row),
            )
        )
    return firings


def _interaction_text(row: Mapping[str, Any]) -> str:
    occurred = row["occurred_at"]
    assert isinstance(occurred, datetime.datetime)
    parts = [
        str(row["reference"] or f"#{row['pk']}"),
        f"{timezone.localtime(occurred):%Y-%m-%d %H:%M}",
        str(InteractionKind(str(row["kind"])).label),
    ]
    if row["reason"]:
        parts.append(str(InteractionReason(str(row["reason"])).label))
    description = str(row["description"] or "").strip()
    if description:
        parts.append(description[:200])
    return " · ".join(parts)


# --- Raising ------------------------------------------------------------------------


def _chunks(firings: Sequence[Firing]) -> Iterator[Sequence[Firing]]:
    for start in range(0, len(firings), RAISE_CHUNK):
        yield firings[start : start + RAISE_CHUNK]


def _raise_one(firing: Firing, at: datetime.datetime) -> bool:
    customer = Customer.objects.select_related("account_manager").get(
        pk=firing.customer_id
    )
    _task, created = retention_task_raise(
        customer=customer,
        trigger=firing.trigger,
        at=at,
        detail=firing.detail,
        source_reference=firing.source_reference,
    )
    return created


def _raise_many(
    trigger: str, firings: Sequence[Firing], at: datetime.datetime, count: TriggerCount
) -> None:
    """``retention_task_raise`` for many firings of one trigger, in a few queries per
    chunk: existing tasks are read in bulk, the new ones inserted in one statement.
    Should someone raise one of them meanwhile (the unique constraint stops the
    insert), the chunk is raised one by one instead."""
    due_at = task_due_at(trigger, at)
    raised: set[int] = set()
    for chunk in _chunks(firings):
        ids = {f.customer_id for f in chunk}
        tasks = RetentionTask.objects.filter(trigger=trigger, customer_id__in=ids)
        open_ids = set(
            tasks.filter(status=TaskStatus.OPEN).values_list("customer_id", flat=True)
        )
        seen = set(
            tasks.filter(
                source_reference__in={f.source_reference for f in chunk}
            ).values_list("customer_id", "source_reference")
        )
        managers = {
            pk: manager if active else None
            for pk, manager, active in Customer.objects.filter(pk__in=ids).values_list(
                "pk", "account_manager_id", "account_manager__is_active"
            )
        }
        new: list[tuple[Firing, RetentionTask]] = []
        for firing in chunk:
            key = (firing.customer_id, firing.source_reference)
            already = firing.customer_id in open_ids or firing.customer_id in raised
            if already or key in seen:
                count.duplicates += 1
                continue
            raised.add(firing.customer_id)
            manager = managers[firing.customer_id]
            new.append(
                (
                    firing,
                    RetentionTask(
                        customer_id=firing.customer_id,
                        trigger=trigger,
                        detail=firing.detail,
                        source_reference=firing.source_reference,
                        assigned_to_id=manager,
                        queue=TaskQueue.RETENTION_TEAM
                        if manager is None
                        else TaskQueue.ACCOUNT_MANAGER,
                        raised_at=at,
                        due_at=due_at,
                    ),
                )
            )
        try:
            with transaction.atomic():
                RetentionTask.objects.bulk_create([task for _f, task in new])
            count.raised += len(new)
        except IntegrityError:
            for firing, _task in new:
                if _raise_one(firing, at):
                    count.raised += 1
                else:
                    count.duplicates += 1


def _raise_all(
    firings: Iterable[Firing], at: datetime.datetime, report: TriggerReport
) -> None:
    by_trigger: dict[str, list[Firing]] = {kind: [] for kind in TriggerKind.values}
    for firing in firings:
        by_trigger[firing.trigger].append(firing)
    for trigger, of_trigger in by_trigger.items():
        _raise_many(trigger, of_trigger, at, report.counts[trigger])


def retention_triggers_run(
    *, at: datetime.datetime, thresholds: TriggerThresholds = DEFAULT_THRESHOLDS
) -> TriggerReport:
    """The nightly scan: every trigger over the store as it stands at ``at``.

    Bills issued and interactions recorded in the ``lookback_days`` up to ``at``
    are examined; re-running the scan raises nothing twice. Open tasks whose
    customer changed manager are rerouted first (``retention_tasks_reroute``).
    """
    report = TriggerReport(at=at, rerouted=retention_tasks_reroute(at=at))
    today = timezone.localdate(at)
    since = today - datetime.timedelta(days=thresholds.lookback_days)
    with translation.override(settings.LANGUAGE_CODE):
        firings = [
            *contract_end_firings(at, thresholds),
            *usage_drop_firings(at, thresholds),
            *bill_shock_firings(
                Bill.objects.filter(issue_date__gt=since, issue_date__lte=today),
                thresholds,
            ),
            *interaction_firings(
                Interaction.objects.filter(
                    occurred_at__gt=at
                    - datetime.timedelta(days=thresholds.lookback_days),
                    occurred_at__lte=at,
                ),
                thresholds,
            ),
        ]
    _raise_all(firings, at, report)
    return report


# --- Event-driven hooks --------------------------------------------------------------


def _raise_first(
    firings: list[Firing], at: datetime.datetime
) -> tuple[RetentionTask, bool] | None:
    if not firings:
        return None
    firing = firings[0]
    customer = Customer.objects.select_related("account_manager").get(
        pk=firing.customer_id
    )
    return retention_task_raise(
        customer=customer,
        trigger=firing.trigger,
        at=at,
        detail=firing.detail,
        source_reference=firing.source_reference,
    )


def retention_task_raise_for_interaction(
    *,
    interaction: Interaction,
    at: datetime.datetime | None = None,
    thresholds: TriggerThresholds = DEFAULT_THRESHOLDS,
) -> tuple[RetentionTask, bool] | None:
    """The task a just-recorded interaction raises, with whether it is new; None
    when it fires no trigger. For the path that records complaints, inquiries and
    inbound retention contacts, right after the interaction is saved."""
    with translation.override(settings.LANGUAGE_CODE):
        firings = interaction_firings(
            Interaction.objects.filter(pk=interaction.pk), thresholds
        )
    return _raise_first(firings, at or timezone.now())


def retention_task_raise_for_bill(
    *,
    bill: Bill,
    at: datetime.datetime | None = None,
    thresholds: TriggerThresholds = DEFAULT_THRESHOLDS,
) -> tuple[RetentionTask, bool] | None:
    """The bill-shock task a just-issued bill raises (None when it is no shock)."""
    with translation.override(settings.LANGUAGE_CODE):
        firings = bill_shock_firings(Bill.objects.filter(pk=bill.pk), thresholds)
    return _raise_first(firings, at or timezone.now())
