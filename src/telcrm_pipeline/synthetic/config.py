"""Configuration, calendar and random streams of the synthetic operator."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

GENERATOR_VERSION = "1.0.0"
SUPPORTED_ENCODINGS = ("utf-8", "gbk")
DEFAULT_START = "2026-06"
SECONDS_PER_DAY = 86_400

# One independent random stream per component: changing how one component draws
# never changes what another one produces.
COMPONENTS = (
    "customers",
    "groups",
    "staff",
    "lines",
    "graph",
    "churn",
    "fraud",
    "default",
    "cdr",
    "billing",
    "broadband",
    "complaints",
    "accounts",
    "consents",
)


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate.

    Parameters
    ----------
    customers : int
        Number of CRM customer records (individuals and organisations).
    months : int
        Months of activity (CDRs, bills, tickets) starting at ``start``.
    seed : int
        Random seed; the same configuration writes byte-identical files.
    out : Path
        Directory receiving ``silos/`` and ``truth/``.
    encoding : str
        ``utf-8`` (default) or ``gbk`` for every CSV file.
    start : str
        First month, ``YYYY-MM``.
    cdr_per_line_day : float
        Mean records per active mobile line per day.
    """

    customers: int
    months: int
    seed: int
    out: Path
    encoding: str = "utf-8"
    start: str = DEFAULT_START
    cdr_per_line_day: float = 6.0

    def __post_init__(self) -> None:
        normalised = self.encoding.lower().replace("_", "-")
        normalised = "utf-8" if normalised == "utf8" else normalised
        if normalised not in SUPPORTED_ENCODINGS:
            raise ValueError(
                f"unsupported encoding {self.encoding!r}: "
                f"use one of {', '.join(SUPPORTED_ENCODINGS)}"
            )
        object.__setattr__(self, "encoding", normalised)
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", self.start):
            raise ValueError(f"start must be YYYY-MM, got {self.start!r}")
        if self.customers < 1 or self.months < 1 or self.cdr_per_line_day <= 0:
            raise ValueError("customers, months and cdr_per_line_day must be positive")

    @cached_property
    def calendar(self) -> Calendar:
        """The days and months covered."""
        return Calendar.starting(self.start, self.months)


@dataclass(frozen=True)
class GenerationReport:
    """What was written: rows per file (relative path), CDR total and time taken."""

    out: Path
    rows: dict[str, int]
    cdr_rows: int
    elapsed_s: float

    @property
    def cdr_rows_per_second(self) -> float:
        """CDR rows written per second of wall time, end to end."""
        return self.cdr_rows / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass(frozen=True)
class Calendar:
    """The covered period: days are numbered 0..n_days-1 from the first month."""

    first_day: np.datetime64
    month_starts: np.ndarray = field(repr=False)

    @classmethod
    def starting(cls, start: str, months: int) -> Calendar:
        """Build the calendar of ``months`` months from ``start`` (``YYYY-MM``)."""
        first = np.datetime64(start, "M")
        starts = (first + np.arange(months + 1)).astype("datetime64[D]")
        return cls(first_day=starts[0], month_starts=starts)

    @property
    def n_days(self) -> int:
        """Number of days covered."""
        return int((self.month_starts[-1] - self.first_day).astype(np.int64))

    @property
    def n_months(self) -> int:
        """Number of months covered."""
        return len(self.month_starts) - 1

    @property
    def epoch_day(self) -> int:
        """Days from 1970-01-01 to the first day."""
        return int(self.first_day.astype(np.int64))

    def month_first_day(self, month: int) -> int:
        """Day index of the first day of ``month`` (``n_months``: the day after)."""
        return int((self.month_starts[month] - self.first_day).astype(np.int64))

    def month_of_day(self, day: np.ndarray | int) -> np.ndarray:
        """Month index of day indexes."""
        starts = (self.month_starts[1:-1] - self.first_day).astype(np.int64)
        return np.searchsorted(starts, day, side="right")

    def period(self, month: int) -> str:
        """``YYYY-MM`` of a month index."""
        return str(self.month_starts[month].astype("datetime64[M]"))

    def weekday(self, day: int) -> int:
        """Day of week of a day index, Monday = 0."""
        return int((self.epoch_day + day + 3) % 7)


def component_rng(seed: int, component: str, *extra: int) -> np.random.Generator:
    """Return the independent random stream of one component (and sub-stream).

    Parameters
    ----------
    seed : int
        The run's seed.
    component : str
        One of ``COMPONENTS``.
    *extra : int
        Further keys, e.g. the day for a per-day CDR stream.
    """
    key = (COMPONENTS.index(component), *extra)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
