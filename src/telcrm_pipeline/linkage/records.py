"""Linkage records: one row per source record of a person or company, in one shape.

Grain of the records table: one row per source record (a CRM customer, a billing
account, a broadband customer); key ``record_id`` = ``f"{source_system}:{source_id}"``.
Columns: ``RECORD_COLUMNS``, all text; an empty string or null is a missing value.

Grain of the known links table: one row per pair of records that a source system's own
reference ties together; key (``record_id_l``, ``record_id_r``) with
``record_id_l < record_id_r``; ``reason`` says which reference
(``billing_cust_ref``, ``broadband_line_id``).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import phonenumbers
import pyarrow as pa
import pyarrow.csv as pa_csv
from stdnum.cn import uscc

RECORD_COLUMNS: tuple[str, ...] = (
    "record_id",
    "source_system",
    "source_id",
    "party_kind",
    "name",
    "id_number",
    "birth_date",
    "phone",
    "street",
    "province",
    "city",
    "district",
)
KNOWN_LINK_COLUMNS: tuple[str, ...] = ("record_id_l", "record_id_r", "reason")
SOURCE_SYSTEMS: tuple[str, ...] = ("crm", "billing", "broadband")
INDIVIDUAL, ORGANIZATION = "individual", "organization"
PARTY_KINDS: tuple[str, ...] = (INDIVIDUAL, ORGANIZATION)

RECORDS_SCHEMA = pa.schema([(column, pa.string()) for column in RECORD_COLUMNS])
KNOWN_LINKS_SCHEMA = pa.schema([(column, pa.string()) for column in KNOWN_LINK_COLUMNS])

# Words that only organisation names contain (company, group, bureau, school, ...).
ORGANIZATION_WORDS: tuple[str, ...] = (
    "公司",
    "集团",
    "分公司",
    "有限",
    "合作社",
    "事务所",
    "研究院",
    "中心",
    "协会",
    "医院",
    "学校",
    "大学",
    "学院",
    "银行",
    "工厂",
    "厂",
    "店",
    "局",
    "委员会",
    "政府",
)
_SEPARATORS = re.compile(r"[\s\-().]")


def record_id(source_system: str, source_id: str) -> str:
    """``crm:C100000001``: the record's key across every silo."""
    return f"{source_system}:{source_id}"


@lru_cache(maxsize=200_000)
def normalise_phone(value: str | None, region: str = "CN") -> str | None:
    """A typed phone number in E.164 (``+8613800138000``), or None when not valid.

    Accepts the forms people type: ``138 0013 8000``, ``+86 13800138000``,
    ``8613800138000``, ``138-0013-8000``, ``0571-87654321``. An E.164 string
    normalises to itself. Invalid or empty input gives None (a missing phone).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    digits = _SEPARATORS.sub("", text)
    if region == "CN" and len(digits) == 11 and digits.isdigit() and digits[0] == "1":
        candidate = "+86" + digits  # the common case, without the parser
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_id_number(value: str | None) -> str | None:
    """An ID number without separators, upper case (``x`` check digit -> ``X``)."""
    if value is None:
        return None
    text = _SEPARATORS.sub("", value).upper()
    return text or None


_RIC_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


def resident_id_is_valid(value: str | None) -> bool:
    """An 18-character resident ID number with a real birth date and the right
    ISO 7064 MOD 11-2 check character. One mistyped digit always breaks the check."""
    if not value or len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], _RIC_WEIGHTS, strict=True))
    check = (12 - total % 11) % 11
    if value[17] != ("X" if check == 10 else str(check)):
        return False
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return year >= 1900


def name_looks_like_organization(name: str | None) -> bool:
    """More than four characters, or a word only organisations' names contain."""
    text = (name or "").strip()
    return len(text) > 4 or any(word in text for word in ORGANIZATION_WORDS)


def infer_party_kind(name: str | None, id_number: str | None) -> str:
    """Individual or organisation, for systems that do not record it.

    A valid resident ID number makes an individual; otherwise an organisation's name
    is longer than a person's (more than four characters) or contains an organisation
    word. (A mistyped resident ID can pass the weaker USCC check, so the USCC does
    not decide.)
    """
    if resident_id_is_valid(normalise_id_number(id_number)):
        return INDIVIDUAL
    return ORGANIZATION if name_looks_like_organization(name) else INDIVIDUAL


def id_number_is_valid(id_number: str | None, party_kind: str | None) -> bool:
    """A resident ID number (individuals) or unified social credit code
    (organisations) whose check character is right."""
    if not id_number:
        return False
    if party_kind == ORGANIZATION:
        return bool(uscc.is_valid(id_number)) and not resident_id_is_valid(id_number)
    return resident_id_is_valid(id_number)


def strip_region(
    address: str | None, province: str | None, city: str | None, district: str | None
) -> str | None:
    """The street part of a full address: the leading province, city and district
    names are removed when the address starts with them."""
    if address is None:
        return None
    text = address.strip()
    for part in (province, city, district):
        if part and text.startswith(part):
            text = text[len(part) :]
    return text or None


def read_silo_csv(path: Path, encoding: str = "utf-8") -> pa.Table:
    """A silo CSV with every column as text (empty field = null)."""
    with path.open(encoding=encoding, newline="") as handle:
        header = handle.readline().strip().split(",")
    columns = [name.strip('"') for name in header]
    convert = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(columns, pa.string()), strings_can_be_null=True
    )
    return pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(encoding=encoding),
        convert_options=convert,
    )


def silo_encoding(silos_dir: Path) -> str:
    """The encoding recorded in ``manifest.json`` (UTF-8 when there is none)."""
    manifest = silos_dir / "manifest.json"
    if manifest.exists():
        return str(json.loads(manifest.read_text("utf-8")).get("encoding", "utf-8"))
    return "utf-8"


def _rows(table: pa.Table) -> list[dict[str, str | None]]:
    return table.to_pylist()


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    return text or None


def _crm_records(crm_dir: Path, encoding: str) -> tuple[list[dict], set[str]]:
    customers = _rows(read_silo_csv(crm_dir / "customers.csv", encoding))
    contacts = _rows(read_silo_csv(crm_dir / "contacts.csv", encoding))
    phone: dict[str, tuple[int, str]] = {}
    address: dict[str, tuple[int, dict]] = {}
    for contact in contacts:
        cust_no, kind = contact["cust_no"] or "", contact["kind"]
        rank = 0 if contact["is_primary"] == "1" else 1
        if kind == "phone":
            number = normalise_phone(contact["value"])
            if number and rank < phone.get(cust_no, (2, ""))[0]:
                phone[cust_no] = (rank, number)
        elif kind == "address" and rank < address.get(cust_no, (2, {}))[0]:
            address[cust_no] = (rank, contact)
    records = []
    for customer in customers:
        cust_no = customer["cust_no"] or ""
        where = address.get(cust_no, (2, {}))[1]
        kind = customer["cust_type"]
        records.append(
            {
                "record_id": record_id("crm", cust_no),
                "source_system": "crm",
                "source_id": cust_no,
                "party_kind": kind
                if kind in PARTY_KINDS
                else infer_party_kind(customer["name"], customer["id_no"]),
                "name": _blank(customer["name"]),
                "id_number": normalise_id_number(customer["id_no"]),
                "birth_date": _blank(customer["birth_date"]),
                "phone": phone.get(cust_no, (2, None))[1],
                "street": strip_region(
                    where.get("value"),
                    where.get("province"),
                    where.get("city"),
                    where.get("district"),
                ),
                "province": _blank(where.get("province")),
                "city": _blank(where.get("city")),
                "district": _blank(where.get("district")),
            }
        )
    return records, {str(r["source_id"]) for r in records}


def _other_record(
    system: str,
    source_id: str,
    name: str | None,
    id_number: str | None,
    phone: str | None,
    row: dict,
    address_column: str,
) -> dict:
    return {
        "record_id": record_id(system, source_id),
        "source_system": system,
        "source_id": source_id,
        "party_kind": infer_party_kind(name, id_number),
        "name": _blank(name),
        "id_number": normalise_id_number(id_number),
        "birth_date": None,
        "phone": normalise_phone(phone),
        "street": strip_region(
            row[address_column], row["province"], row["city"], row["district"]
        ),
        "province": _blank(row["province"]),
        "city": _blank(row["city"]),
        "district": _blank(row["district"]),
    }


def _links(pairs: Iterable[tuple[str, str, str]]) -> pa.Table:
    rows = sorted({(min(a, b), max(a, b), why) for a, b, why in pairs if a != b})
    return pa.table(
        {
            "record_id_l": pa.array([r[0] for r in rows], pa.string()),
            "record_id_r": pa.array([r[1] for r in rows], pa.string()),
            "reason": pa.array([r[2] for r in rows], pa.string()),
        },
        schema=KNOWN_LINKS_SCHEMA,
    )


def records_from_silos(
    silos_dir: Path, encoding: str | None = None
) -> tuple[pa.Table, pa.Table]:
    """Read the CRM, billing and broadband silos into linkage records.

    Returns ``(records, known_links)``. Records: CRM customers with their primary
    phone and primary address (``crm/contacts.csv``), billing accounts and broadband
    customers, with phones in E.164 and the street without its region prefix.
    Known links: a billing account's ``cust_ref`` to that CRM customer, and a broadband
    customer whose ``line_id`` is a CRM subscription's ``service_no`` to the
    subscription's customer. ``encoding`` defaults to the silos' manifest.
    """
    silos_dir = Path(silos_dir)
    encoding = encoding or silo_encoding(silos_dir)
    records, crm_ids = _crm_records(silos_dir / "crm", encoding)
    links: list[tuple[str, str, str]] = []
    for account in _rows(read_silo_csv(silos_dir / "billing/accounts.csv", encoding)):
        acct_no = account["acct_no"] or ""
        records.append(
            _other_record(
                "billing",
                acct_no,
                account["holder_name"],
                account["holder_id_no"],
                account["phone"],
                account,
                "bill_address",
            )
        )
        cust_ref = _blank(account["cust_ref"])
        if cust_ref in crm_ids:
            links.append(
                (
                    record_id("billing", acct_no),
                    record_id("crm", cust_ref),
                    "billing_cust_ref",
                )
            )
    subscriptions = read_silo_csv(silos_dir / "crm/subscriptions.csv", encoding)
    owner = {
        row["service_no"]: row["cust_no"]
        for row in subscriptions.select(["service_no", "cust_no"]).to_pylist()
        if row["service_no"] and row["cust_no"] in crm_ids
    }
    broadband = _rows(read_silo_csv(silos_dir / "broadband/customers.csv", encoding))
    for customer in broadband:
        bb_id = customer["bb_cust_id"] or ""
        records.append(
            _other_record(
                "broadband",
                bb_id,
                customer["name"],
                customer["id_no"],
                customer["phone"],
                customer,
                "install_address",
            )
        )
        cust_no = owner.get(_blank(customer["line_id"]) or "")
        if cust_no is not None:
            links.append(
                (
                    record_id("broadband", bb_id),
                    record_id("crm", cust_no),
                    "broadband_line_id",
                )
            )
    table = pa.Table.from_pylist(records, schema=RECORDS_SCHEMA)
    return table, _links(links)
