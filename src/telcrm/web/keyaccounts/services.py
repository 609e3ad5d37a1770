"""Writes of the key-account pages: visits to a group and plans for the next one."""

from __future__ import annotations

import datetime

from django.utils import timezone

from telcrm.accounts.models import GroupNode
from telcrm.customers.choices import Direction, InteractionChannel, InteractionKind
from telcrm.customers.models import Interaction
from telcrm.users.models import User

# Visits carry no time of day on the form; they are kept at the start of office hours
# (Asia/Shanghai) so that a plan for today is due today.
VISIT_TIME = datetime.time(9, 0)


def group_visit_record(
    *, root: GroupNode, by: User, day: datetime.date, outcome: str, notes: str
) -> Interaction:
    """A visit to the group (against its root's customer), made or planned.

    The operator goes to the customer: an outbound contact. The interaction channels
    have no "on site"; ``outbound`` is the operator-initiated one.
    """
    return Interaction.objects.create(
        customer_id=root.customer_id,
        kind=InteractionKind.VISIT,
        channel=InteractionChannel.OUTBOUND,
        direction=Direction.OUTBOUND,
        outcome=outcome,
        description=notes,
        staff=by,
        occurred_at=timezone.make_aware(datetime.datetime.combine(day, VISIT_TIME)),
    )
