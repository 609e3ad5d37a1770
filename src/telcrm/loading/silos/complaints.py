"""complaints/tickets.csv -> interactions on the customer's timeline."""

from __future__ import annotations

from telcrm.customers.choices import (
    Direction,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
    InteractionReason,
)
from telcrm.customers.models import Interaction
from telcrm.loading.context import LoadContext, load_rows
from telcrm.loading.parsing import (
    RowError,
    local_datetime,
    one_of,
    optional,
    optional_datetime,
    required,
)
from telcrm.loading.silos.customers import customer_keys
from telcrm.loading.silos.staff import staff_numbers
from telcrm.loading.silos.subscriptions import subscription_ids_by_number
from telcrm_pipeline.silo_contract import SILO_COLUMNS

FILE = "complaints/tickets.csv"
COLUMNS = SILO_COLUMNS[FILE]
TICKET_STATUSES = ("open", "resolved", "closed")


def satisfaction(row: dict[str, str]) -> int | None:
    value = optional(row, "satisfaction")
    if not value:
        return None
    if value not in {"1", "2", "3", "4", "5"}:
        raise RowError("satisfaction", f"{value!r} is not a score from 1 to 5")
    return int(value)


def known(
    row: dict[str, str], field: str, ids: dict[str, int], what: str
) -> int | None:
    value = optional(row, field)
    if value and value not in ids:
        raise RowError(field, f"unknown {what} {value!r}")
    return ids.get(value)


def load_tickets(ctx: LoadContext) -> None:
    customers, staff = customer_keys(), staff_numbers()
    lines = subscription_ids_by_number()
    references = Interaction.objects.exclude(reference=None)
    present = {str(ref) for ref in references.values_list("reference", flat=True)}

    def build(row: dict[str, str]) -> Interaction:
        return Interaction(
            reference=required(row, "ticket_no"),
            customer_id=known(row, "cust_no", customers, "customer"),
            subscription_id=lines.get(optional(row, "service_no")),
            service_number=optional(row, "service_no"),
            channel=one_of(row, "channel", InteractionChannel.values),
            direction=Direction.INBOUND,
            kind=one_of(row, "kind", InteractionKind.values),
            reason=one_of(row, "category", InteractionReason.values),
            outcome=InteractionOutcome(one_of(row, "status", TICKET_STATUSES)),
            description=optional(row, "description"),
            staff_id=known(row, "staff_no", staff, "staff member"),
            occurred_at=local_datetime(row, "opened_at", ctx.zone),
            ended_at=optional_datetime(row, "closed_at", ctx.zone),
            satisfaction=satisfaction(row),
        )

    load_rows(
        ctx, FILE, COLUMNS, key="ticket_no", present=present, build=build,
        model=Interaction,
    )  # fmt: skip
