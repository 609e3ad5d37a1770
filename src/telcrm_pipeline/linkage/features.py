"""Comparison features: the records table with the columns the linkage model compares.

Grain: one row per record (key ``unique_id`` = ``record_id``). Every derived column is
computed here, in Python, before the model sees the data, so the model's comparisons
are plain SQL equalities and built-in distance functions that run unchanged on DuckDB
and on Spark.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

import pyarrow as pa
from pypinyin import Style, lazy_pinyin, pinyin

from telcrm_pipeline.linkage.records import (
    ORGANIZATION,
    RECORD_COLUMNS,
    id_number_is_valid,
)

FEATURE_SCHEMA = pa.schema(
    [
        ("unique_id", pa.string()),
        ("source_system", pa.string()),
        ("party_kind", pa.string()),
        ("name", pa.string()),
        ("name_pinyin", pa.string()),
        ("name_pinyin_keys", pa.list_(pa.string())),
        ("name_sorted", pa.string()),
        ("id_number", pa.string()),
        ("id_valid", pa.bool_()),
        ("birth_date", pa.string()),
        ("phone", pa.string()),
        ("street", pa.string()),
        ("city_key", pa.string()),
        ("district_key", pa.string()),
    ]
)
# Most readings of one name kept for the similar-pinyin comparison (polyphonic
# characters multiply them); past this, further characters keep their usual reading.
MAX_PINYIN_KEYS = 16
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_NOISE = re.compile(r"[\s\u3000·•.,，。:：;；'\"“”‘’()（）\[\]【】\-_/]")


@lru_cache(maxsize=200_000)
def normalise_name(name: str | None) -> str | None:
    """NFKC (full-width to normal width), no spaces or punctuation, upper case Latin."""
    if not name:
        return None
    text = _NOISE.sub("", unicodedata.normalize("NFKC", name)).upper()
    return text or None


@lru_cache(maxsize=200_000)
def name_pinyin(name: str | None) -> str | None:
    """The name's pronunciation without tones, syllables joined by spaces:
    ``张伟`` and ``张玮`` both give ``zhang wei``."""
    if not name:
        return None
    return " ".join(lazy_pinyin(name, style=Style.NORMAL, errors="default"))


def fuzzy_syllable(syllable: str) -> str:
    """A syllable with the distinctions many speakers blur removed (as in Chinese
    input methods' fuzzy pinyin): zh/z, ch/c, sh/s, n/l at the start, -ng/-n at the
    end. ``ling`` and ``lin`` give ``lin``; ``zhang`` gives ``zan``."""
    for retroflex, plain in _FUZZY_INITIALS:
        if syllable.startswith(retroflex):
            syllable = plain + syllable[len(retroflex) :]
            break
    else:
        if syllable.startswith("n"):
            syllable = "l" + syllable[1:]
    if syllable.endswith("ng"):
        syllable = syllable[:-1]
    return syllable


@lru_cache(maxsize=20_000)
def _readings(character: str) -> tuple[str, ...]:
    """Every reading of a character (polyphonic ones have several), fuzzy, usual
    reading first."""
    readings = pinyin(character, style=Style.NORMAL, heteronym=True, errors="default")
    found = [fuzzy_syllable(r) for r in (readings[0] if readings else [character])]
    return tuple(dict.fromkeys(found))


@lru_cache(maxsize=200_000)
def name_pinyin_keys(name: str | None) -> tuple[str, ...] | None:
    """Every fuzzy pronunciation of the name (at most ``MAX_PINYIN_KEYS``), sorted.

    Two names sound alike when they share a key: ``陈玲娜``/``陈琳娜`` (-ng/-n),
    ``王柏振``/``王博振`` (柏 also reads ``bo``).
    """
    if not name:
        return None
    options: list[tuple[str, ...]] = []
    count = 1
    for character in name:
        readings = _readings(character)
        if count * len(readings) > MAX_PINYIN_KEYS:
            readings = readings[:1]
        count *= len(readings)
        options.append(readings)
    return tuple(sorted(" ".join(p) for p in itertools.product(*options)))


def name_sorted(name: str | None) -> str | None:
    """The surname (first character) then the other characters in code point order:
    ``宋家帆`` and ``宋帆家`` (swapped given-name characters) give the same value."""
    if not name:
        return None
    return name[0] + "".join(sorted(name[1:]))


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    return text or None


def _region_key(*parts: str | None) -> str | None:
    if any(not part for part in parts):
        return None
    return "|".join(part or "" for part in parts)


def feature_table(records: pa.Table) -> pa.Table:
    """The model's input: ``records`` (``RECORD_COLUMNS``) with derived columns."""
    missing = [c for c in RECORD_COLUMNS if c not in records.column_names]
    if missing:
        raise ValueError(f"records lack columns: {', '.join(missing)}")
    rows = []
    for record in records.select(list(RECORD_COLUMNS)).to_pylist():
        kind = _blank(record["party_kind"])
        name = normalise_name(record["name"])
        id_number = _blank(record["id_number"])
        id_number = id_number.upper() if id_number else None
        province, city, district = (
            _blank(record["province"]),
            _blank(record["city"]),
            _blank(record["district"]),
        )
        rows.append(
            {
                "unique_id": record["record_id"],
                "source_system": record["source_system"],
                "party_kind": kind,
                "name": name,
                "name_pinyin": name_pinyin(name),
                "name_pinyin_keys": name_pinyin_keys(name),
                "name_sorted": name_sorted(name) if kind != ORGANIZATION else name,
                "id_number": id_number,
                "id_valid": id_number_is_valid(id_number, kind),
                "birth_date": _blank(record["birth_date"]),
                "phone": _blank(record["phone"]),
                "street": normalise_name(record["street"]),
                "city_key": _region_key(province, city),
                "district_key": _region_key(province, city, district),
            }
        )
    return pa.Table.from_pylist(rows, schema=FEATURE_SCHEMA)
