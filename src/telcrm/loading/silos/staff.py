"""crm/staff.csv -> staff users (no usable password until an administrator sets one)."""

from __future__ import annotations

from telcrm.loading.context import LoadContext, load_rows
from telcrm.loading.parsing import RowError, one_of, optional, required
from telcrm.users.choices import Role
from telcrm.users.models import User
from telcrm_pipeline.silo_contract import SILO_COLUMNS

FILE = "crm/staff.csv"
COLUMNS = SILO_COLUMNS[FILE]


def staff_numbers(model_filter: dict[str, object] | None = None) -> dict[str, int]:
    rows = User.objects.exclude(staff_number=None).filter(**(model_filter or {}))
    return dict(rows.values_list("staff_number", "id"))  # type: ignore[arg-type]


def load_staff(ctx: LoadContext) -> None:
    known = staff_numbers()
    in_file = {row["staff_no"] for _, row in ctx.source.rows(FILE, columns=COLUMNS)}

    def build(row: dict[str, str]) -> User:
        number = required(row, "staff_no")
        supervisor = optional(row, "supervisor_no")
        if supervisor and supervisor not in in_file and supervisor not in known:
            raise RowError("supervisor_no", f"unknown staff number {supervisor!r}")
        user = User(
            username=number.lower(),
            staff_number=number,
            full_name=required(row, "name"),
            role=one_of(row, "role", Role.values),
            province=optional(row, "province"),
            city=optional(row, "city"),
        )
        user.set_unusable_password()
        return user

    inserted = load_rows(
        ctx, FILE, COLUMNS, key="staff_no", present=set(known), build=build, model=User
    )
    link_supervisors([(item.row, item.instance) for item in inserted])


def link_supervisors(loaded: list[tuple[dict[str, str], object]]) -> None:
    ids = staff_numbers()
    users = []
    for row, user in loaded:
        supervisor = row.get("supervisor_no", "")
        if supervisor and isinstance(user, User):
            user.supervisor_id = ids.get(supervisor)
            users.append(user)
    User.objects.bulk_update(users, ["supervisor"], batch_size=500)
