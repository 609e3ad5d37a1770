"""crm/offers.csv -> the product catalogue, bundles linked to their components."""

from __future__ import annotations

from telcrm.catalog.choices import LineOfBusiness, OfferingKind
from telcrm.catalog.models import BundleComponent, ProductOffering
from telcrm.loading.context import LoadContext, load_rows
from telcrm.loading.parsing import (
    RowError,
    money,
    one_of,
    optional,
    required,
    whole_number,
)
from telcrm_pipeline.silo_contract import SILO_COLUMNS

FILE = "crm/offers.csv"
COLUMNS = SILO_COLUMNS[FILE]


def offering_codes() -> dict[str, int]:
    return dict(ProductOffering.objects.values_list("code", "id"))


def components_of(row: dict[str, str]) -> list[str]:
    return [code for code in optional(row, "components").split("|") if code]


def load_offers(ctx: LoadContext) -> None:
    known = offering_codes()
    in_file = {row["offer_code"] for _, row in ctx.source.rows(FILE, columns=COLUMNS)}

    def build(row: dict[str, str]) -> ProductOffering:
        for code in components_of(row):
            if code not in in_file and code not in known:
                raise RowError("components", f"unknown offer code {code!r}")
        return ProductOffering(
            code=required(row, "offer_code"),
            name=required(row, "name"),
            name_en=optional(row, "name_en"),
            line_of_business=one_of(row, "line_of_business", LineOfBusiness.values),
            kind=one_of(row, "kind", OfferingKind.values),
            monthly_fee=money(row, "monthly_fee"),
            included_minutes=whole_number(row, "included_minutes"),
            included_sms=whole_number(row, "included_sms"),
            included_data_mb=whole_number(row, "included_data_mb"),
            voice_rate=money(row, "voice_rate"),
            sms_rate=money(row, "sms_rate"),
            data_rate_per_mb=money(row, "data_rate_per_mb"),
            contract_months=whole_number(row, "contract_months"),
        )

    inserted = load_rows(
        ctx, FILE, COLUMNS, key="offer_code", present=set(known), build=build,
        model=ProductOffering,
    )  # fmt: skip
    codes = offering_codes()
    BundleComponent.objects.bulk_create(
        [
            BundleComponent(
                bundle_id=codes[item.row["offer_code"]], component_id=codes[c]
            )
            for item in inserted
            for c in components_of(item.row)
            if c in codes
        ]
    )
