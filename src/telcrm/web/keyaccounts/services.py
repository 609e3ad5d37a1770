"""Writes of the key-account pages: visits to a group and plans for the next one."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from telcrm.accounts.models import GroupNode
from telcrm.customers.choices import (
    Direction,
    InteractionChannel,
    InteractionKind,
    InteractionOutcome,
)
from telcrm.customers.models import Interaction
from telcrm.users.models import User

# Visits carry no time of day on the form; they are kept at the start of office hours
# (Asia/Shanghai) so that a plan for today is due today.
VISIT_TIME = datetime.time(9, 0)


@transaction.atomic
def group_visit_record(
    *, root: GroupNode, by: User, day: datetime.date, outcome: str, notes: str
) -> Interaction:
    """A visit to the group (against its root's customer), made or planned.

    The operator goes to the customer: an outbound contact. The interaction channels
    have no "on site"; ``outbound`` is the operator-initiated one. A visit made (any
    outcome but open) fulfils the group's plans due that day or before: they are
    closed, so they leave the planned list and the workbench's visits due; a plan
    for a later day stays open.
    """
    occurred_at = timezone.make_aware(datetime.datetime.combine(day, VISIT_TIME))
    if outcome != InteractionOutcome.OPEN:
        Interaction.objects.filter(
            customer_id=root.customer_id,
            kind=InteractionKind.VISIT,
            outcome=InteractionOutcome.OPEN,
            occurred_at__lte=occurred_at,
        ).update(outcome=InteractionOutcome.CLOSED, updated=timezone.now())
    return Interaction.objects.create(
        customer_id=root.customer_id,
        kind=InteractionKind.VISIT,
        channel=InteractionChannel.OUTBOUND,
        direction=Direction.OUTBOUND,
        outcome=outcome,
        description=notes,
        staff=by,
        occurred_at=occurred_at,
    )
