"""Call detail records, day by day: generated column-wise and written at once.

Each day draws, for every active mobile line, a Poisson number of outgoing records
(voice, SMS, data) and of incoming calls and SMS from off-net numbers. Times within a
line come out sorted (sorted uniforms through the hourly profile), so allowances are
consumed in time order with one cumulative sum.

The day's active lines are processed in chunks of ``LINES_PER_CHUNK`` lines, each with
its own random stream, so that a chunk's working set stays in the CPU caches. Each
chunk is sorted by time (stable, in cache) and kept in compact columns; at the end of
the day the sorted chunks are merged by time (a counting merge: every record's place
follows from the per-second counts of the chunks before it) into day-sized buffers
that are reused from day to day, and written in slices with Arrow's CSV writer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from telcrm_pipeline.silo_contract import CDR_COLUMNS
from telcrm_pipeline.synthetic import names, profiles
from telcrm_pipeline.synthetic.behaviour import DECLINE_DAYS
from telcrm_pipeline.synthetic.config import (
    SECONDS_PER_DAY,
    GeneratorConfig,
    component_rng,
)
from telcrm_pipeline.synthetic.lines import (
    CONTACT_SLOTS,
    OTHER_OPERATOR_PREFIXES,
    ZIPF,
    CallGraph,
)
from telcrm_pipeline.synthetic.usage import PREMIUM_PREFIXES, LineBook, cell_ids
from telcrm_pipeline.synthetic.writer import CDR_WRITE_OPTIONS, money

RECORD_TYPES = ("voice", "sms", "data")
CALL_TYPES = (
    "local",
    "long_distance",
    "international",
    "info_service",
    "p2p",
    "info_service",
    "data",
)
LOCAL, LONG_DISTANCE, INTERNATIONAL, INFO, P2P, SMS_INFO, DATA = range(7)
CHARGE_TYPES = (
    "local_voice",
    "long_distance",
    "international",
    "info_service",
    "sms",
    "data",
    "roaming",
)
PLAIN, INTL_PREFIX, APN = 0, 1, 2
ROAMING_CENTS_PER_MINUTE = 60
INFO_CENTS = 100
# Charges are written by lookup in a table of texts up to this many cents.
CHARGE_TEXTS = 250_000
RECORD_TYPE_TEXTS = pa.array(RECORD_TYPES)
CALL_TYPE_TEXTS = pa.array(CALL_TYPES)
SMS_INFO_CENTS = 50
# Active lines per chunk: about 400,000 records, a few MiB per column.
LINES_PER_CHUNK = 65_536
# Rows formatted and written per call of the CSV writer.
SLICE_ROWS = 262_144
# The compact per-record columns kept from generation to writing, and their types.
COLUMN_TYPES: dict[str, type] = {
    "caller": np.int64,
    "callee": np.int64,
    "callee_kind": np.int8,
    "record_type": np.int8,
    "call_type": np.int8,
    "second": np.int32,
    "duration": np.int32,
    "volume": np.int64,
    "cents": np.int64,
    "cell": np.int32,
    "roaming": np.int8,
}


@dataclass
class Block:
    """A batch of records of one kind; concatenated into the day's table."""

    line: np.ndarray
    outgoing: np.ndarray
    record_type: np.ndarray
    call_type: np.ndarray
    other: np.ndarray
    other_kind: np.ndarray
    second: np.ndarray
    duration: np.ndarray
    volume: np.ndarray
    cents: np.ndarray
    cell: np.ndarray
    roaming: np.ndarray


@dataclass
class UsageLedger:
    """Month-to-date allowance use and charges per line and charge type.

    ``used[k, line]`` is the month's use of allowance ``k`` (minutes, SMS, MB).
    """

    n_lines: int
    used: np.ndarray = field(init=False)
    charges: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.used = np.zeros((3, self.n_lines))

    def open_month(self) -> None:
        """Reset allowances and start a new month of charges."""
        self.used[:] = 0
        self.charges.append(np.zeros(self.n_lines * len(CHARGE_TYPES)))

    def book(
        self,
        line: np.ndarray,
        charge_type: np.ndarray,
        cents: np.ndarray,
        lines: tuple[int, int],
    ) -> None:
        """Add charges of lines in the range ``lines`` (first, end)."""
        first, end = lines
        charged = cents > 0
        key = (line[charged] - first) * len(CHARGE_TYPES) + charge_type[charged]
        width = len(CHARGE_TYPES)
        self.charges[-1][first * width : end * width] += np.bincount(
            key, weights=cents[charged], minlength=(end - first) * width
        )


class Buffers:
    """Named arrays reused from day to day (grown when needed, never shrunk).

    A day's records run to hundreds of MiB; allocating them afresh every day costs
    a page fault per page (large allocations are mapped and unmapped each time).
    """

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, size: int, dtype: type, keep: int = 0) -> np.ndarray:
        """The first ``size`` items of buffer ``name`` (growing keeps ``keep``)."""
        array = self.arrays.get(name)
        if array is None or len(array) < size:
            capacity = size if array is None else max(size, len(array) * 3 // 2)
            grown: np.ndarray = np.empty(capacity, dtype)
            if array is not None and keep:
                grown[:keep] = array[:keep]
            self.arrays[name] = array = grown
        return array[:size]


class CdrWriter:
    """Generate and write one CSV file per day."""

    def __init__(
        self, config: GeneratorConfig, book: LineBook, graph: CallGraph, silos: Path
    ) -> None:
        self.config = config
        self.book = book
        self.graph = graph
        self.silos = silos
        self.ledger = UsageLedger(book.n)
        self.next_id = 1
        self.cells = cell_ids()
        self.clock = clock_texts()
        self.charges = charge_texts()
        self.rows: dict[str, int] = {}
        self.staging = Buffers()
        self.merged = Buffers()

    def run(self, progress: Callable[[str, int, int], None] | None = None) -> int:
        """Write every day; returns the number of records."""
        calendar = self.config.calendar
        month_starts = {calendar.month_first_day(m) for m in range(calendar.n_months)}
        for day in range(calendar.n_days):
            if day in month_starts:
                self.ledger.open_month()
            self.write_day(day)
            if progress:
                progress("cdr", day + 1, calendar.n_days)
        return self.next_id - 1

    def write_day(self, day: int) -> None:
        """Generate the day chunk by chunk, merge the chunks by time, write."""
        weekend = self.config.calendar.weekday(day) >= 5
        active, multiplier = self.active_lines(day, weekend)
        day_rng = component_rng(self.config.seed, "cdr", day, 1)
        roams_today = day_rng.random(self.book.n) < self.book.traveller
        staged = 0
        before = np.zeros(SECONDS_PER_DAY, np.int64)
        for chunk, first in enumerate(range(0, len(active), LINES_PER_CHUNK)):
            rng = component_rng(self.config.seed, "cdr", day, 2, chunk)
            part = slice(first, first + LINES_PER_CHUNK)
            lines = (int(active[part][0]), int(active[part][-1]) + 1)
            blocks = [
                self.outgoing(
                    rng, day, weekend, active[part], multiplier[part], roams_today
                ),
                self.incoming(rng, weekend, active[part], multiplier[part]),
                self.bursts(rng, day, active[part], lines),
            ]
            block = concatenate(blocks)
            staged = self.stage(block, time_order(block.second), staged, before)
        self.write_merged(day, staged, before)

    def stage(
        self, block: Block, order: np.ndarray, staged: int, before: np.ndarray
    ) -> int:
        """Append a chunk, in time order, to the day's staging columns.

        ``rank`` is each record's place among the day's records of the same second
        in the chunks staged so far; ``before`` counts them per second (updated).
        """
        n = len(order)
        end = staged + n
        served = self.book.msisdn[block.line]
        columns = {
            "caller": np.where(block.outgoing, served, block.other),
            "callee": np.where(block.outgoing, block.other, served),
            # Incoming records are dialled plainly: their kind is PLAIN.
            "callee_kind": block.other_kind,
            "record_type": block.record_type,
            "call_type": block.call_type,
            "second": block.second,
            "duration": block.duration,
            "volume": block.volume,
            "cents": block.cents,
            "cell": block.cell,
            "roaming": block.roaming,
        }
        for name, values in columns.items():
            target = self.staging.get(name, end, COLUMN_TYPES[name], keep=staged)
            target[staged:end] = values[order]
        second = self.staging.arrays["second"][staged:end]
        per_second = np.bincount(second, minlength=SECONDS_PER_DAY)
        first_of_second = np.cumsum(per_second) - per_second
        rank = self.staging.get("rank", end, np.int64, keep=staged)
        rank[staged:end] = np.arange(n) - first_of_second[second] + before[second]
        before += per_second
        return end

    def write_merged(self, day: int, staged: int, per_second: np.ndarray) -> None:
        """Merge the time-sorted chunks into one time-sorted day and write it."""
        second = self.staging.arrays["second"][:staged]
        starts = np.cumsum(per_second) - per_second
        place = self.staging.get("rank", staged, np.int64)
        place += starts[second]
        merged = {}
        for name, dtype in COLUMN_TYPES.items():
            merged[name] = self.merged.get(name, staged, dtype)
            merged[name][place] = self.staging.arrays[name][:staged]
        epoch = np.datetime64(int(self.config.calendar.epoch_day + day), "D")
        relative = f"cdr/{str(epoch)[:7]}/cdr_{str(epoch).replace('-', '')}.csv"
        path = self.silos / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        clock = self.day_clock(day)
        with path.open("wb") as sink:
            sink.write((",".join(CDR_COLUMNS) + "\n").encode("ascii"))
            for first in range(0, staged, SLICE_ROWS):
                part = slice(first, min(first + SLICE_ROWS, staged))
                rows = {name: values[part] for name, values in merged.items()}
                pa_csv.write_csv(
                    self.table(rows, clock), sink, write_options=CDR_WRITE_OPTIONS
                )
                release_written(sink)
        self.rows[relative] = staged

    def active_lines(self, day: int, weekend: bool) -> tuple[np.ndarray, np.ndarray]:
        """Lines live today and their volume multiplier (rhythm, season, decline)."""
        book = self.book
        active = np.flatnonzero((book.active_from <= day) & (day < book.active_to))
        active = active[(book.fraud[active] != 1) | (book.fraud_start[active] <= day)]
        multiplier = profiles.volume_factor(book.business[active], weekend)
        multiplier *= profiles.season(self.config.calendar.epoch_day + day)
        to_go = book.churn_day[active] - day
        multiplier *= np.clip(to_go / DECLINE_DAYS, 0.12, 1.0)
        return active, np.where(book.fraud[active] == 1, 1.0, multiplier)

    def outgoing(
        self,
        rng: np.random.Generator,
        day: int,
        weekend: bool,
        active: np.ndarray,
        multiplier: np.ndarray,
        roams_today: np.ndarray,
    ) -> Block:
        """Outgoing voice, SMS and data, charged against the plan's allowances."""
        book = self.book
        counts = rng.poisson(book.rate_out[active] * multiplier)
        line = np.repeat(active, counts)
        second = sorted_seconds(
            rng, counts, book.business[active], weekend, book.fraud[active] == 1
        )
        n = len(line)
        kind_draw = rng.random(n)
        record_type = np.where(
            kind_draw < book.p_voice[line],
            0,
            np.where(kind_draw < book.p_voice[line] + book.p_sms[line], 1, 2),
        )
        other, call_type = self.callees(rng, line, record_type)
        duration = durations(rng, book, line, record_type, call_type)
        volume = data_volumes(rng, book, line, record_type)
        roaming, cell = self.cells_of(rng, weekend, line, second, roams_today)
        block = Block(
            line,
            np.ones(n, bool),
            record_type,
            call_type,
            other,
            np.where(
                call_type == INTERNATIONAL,
                INTL_PREFIX,
                np.where(record_type == 2, APN, PLAIN),
            ),
            second,
            duration,
            volume,
            np.zeros(n, np.int64),
            cell,
            roaming,
        )
        block.cents = self.charge(block, counts, (int(active[0]), int(active[-1]) + 1))
        return block

    def callees(
        self, rng: np.random.Generator, line: np.ndarray, record_type: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Who is called: contacts by strength, or service and foreign numbers."""
        book, graph = self.book, self.graph
        n = len(line)
        in_graph = line < book.graph_lines
        slot = np.searchsorted(ZIPF, rng.random(n))
        flat = np.where(in_graph, line, 0) * CONTACT_SLOTS + slot
        contact = graph.contact_number.ravel()[flat]
        long_distance = graph.long_distance.ravel()[flat]
        other = contact.copy()
        outside = np.flatnonzero(~in_graph)
        other[outside] = strangers(rng, len(outside))
        draw = rng.random(n)
        intl = draw < book.p_intl[line]
        info = (draw >= book.p_intl[line]) & (draw < book.p_intl[line] + 0.02)
        voice_type = np.where(
            intl,
            INTERNATIONAL,
            np.where(info, INFO, np.where(long_distance, LONG_DISTANCE, LOCAL)),
        )
        sms_type = np.where(draw < 0.05, SMS_INFO, P2P)
        call_type = np.select(
            [record_type == 0, record_type == 1], [voice_type, sms_type], DATA
        )
        other = np.where(call_type == INTERNATIONAL, book.intl_number[line], other)
        other = np.where(
            call_type == INFO, 125_900_000 + rng.integers(0, 10_000, n), other
        )
        other = np.where(
            call_type == SMS_INFO, 10_658_000_000 + rng.integers(0, 1_000_000, n), other
        )
        return other, call_type

    def cells_of(
        self,
        rng: np.random.Generator,
        weekend: bool,
        line: np.ndarray,
        second: np.ndarray,
        roams_today: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Roaming flag and serving cell: home, work (weekday office hours) or away."""
        book = self.book
        roaming = roams_today[line]
        at_work = (
            ~weekend
            & (second >= 9 * 3600)
            & (second < 18 * 3600)
            & (rng.random(len(line)) < 0.7)
        )
        cell = np.where(
            roaming,
            book.roam_cell[line],
            np.where(at_work, book.work_cell[line], book.home_cell[line]),
        )
        return roaming.astype(np.int8), cell

    def charge(
        self, block: Block, counts: np.ndarray, lines: tuple[int, int]
    ) -> np.ndarray:
        """Price outgoing records: allowances first (in time order), then rates.

        ``lines`` is the (first, end) range of the chunk's lines.
        """
        book, ledger = self.book, self.ledger
        line, call_type = block.line, block.call_type
        first, end = lines
        local = line - first
        included = book.included[first:end]
        minutes = -(-block.duration // 60)
        roaming = block.roaming == 1
        bundled_voice = ((call_type == LOCAL) | (call_type == LONG_DISTANCE)) & ~roaming
        over = [
            over_allowance(
                np.where(bundled_voice, minutes, 0),
                counts,
                local,
                ledger.used[0, first:end],
                included[:, 0],
            ),
            over_allowance(
                (call_type == P2P).astype(np.float64),
                counts,
                local,
                ledger.used[1, first:end],
                included[:, 1],
            ),
            over_allowance(
                block.volume / 1_048_576,
                counts,
                local,
                ledger.used[2, first:end],
                included[:, 2],
            ),
        ]
        cents = np.select(
            [
                bundled_voice,
                call_type == P2P,
                call_type == DATA,
                call_type == INTERNATIONAL,
                call_type == INFO,
                call_type == SMS_INFO,
            ],
            [
                over[0] * book.rate_cents[line, 0],
                over[1] * book.rate_cents[line, 1],
                np.round(over[2] * book.rate_cents[line, 2]),
                minutes * book.intl_rate[line],
                minutes * INFO_CENTS,
                SMS_INFO_CENTS,
            ],
            minutes * ROAMING_CENTS_PER_MINUTE,
        ).astype(np.int64)
        charge_type = np.array([0, 1, 2, 3, 4, 3, 5])[call_type]
        charge_type = np.where(
            roaming & (block.record_type == 0) & (call_type <= LONG_DISTANCE),
            6,
            charge_type,
        )
        ledger.book(line, charge_type, cents, lines)
        return cents

    def incoming(
        self,
        rng: np.random.Generator,
        weekend: bool,
        active: np.ndarray,
        multiplier: np.ndarray,
    ) -> Block:
        """Calls and SMS from off-net numbers to our subscribers (free to receive)."""
        book, graph = self.book, self.graph
        counts = rng.poisson(book.rate_in[active] * multiplier)
        line = np.repeat(active, counts)
        n = len(line)
        personal, business = profiles.day_profiles(weekend)
        second = np.where(
            book.business[line],
            profiles.seconds_of_day(rng.random(n), business),
            profiles.seconds_of_day(rng.random(n), personal),
        )
        in_graph = line < book.graph_lines
        flat = np.where(in_graph, line, 0) * CONTACT_SLOTS + np.searchsorted(
            ZIPF, rng.random(n)
        )
        offnet = graph.contact_line.ravel()[flat] < 0
        friend = graph.offnet_friend[np.where(in_graph, line, 0)]
        caller = np.where(in_graph & offnet, graph.contact_number.ravel()[flat], friend)
        outside = np.flatnonzero(~in_graph)
        caller[outside] = strangers(rng, len(outside))
        record_type = np.where(rng.random(n) < 0.75, 0, 1)
        call_type = np.where(
            record_type == 0, np.where(rng.random(n) < 0.2, LONG_DISTANCE, LOCAL), P2P
        )
        duration = np.where(
            record_type == 0, durations(rng, book, line, record_type, call_type), 0
        )
        cell = book.home_cell[line]
        return Block(
            line,
            np.zeros(n, bool),
            record_type,
            call_type,
            caller,
            np.zeros(n, np.int8),
            second,
            duration,
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            cell,
            np.zeros(n, np.int8),
        )

    def bursts(
        self,
        rng: np.random.Generator,
        day: int,
        active: np.ndarray,
        lines: tuple[int, int],
    ) -> Block:
        """International-burst fraud: many long calls to premium-rate destinations."""
        book = self.book
        bursting = active[
            (book.fraud[active] == 2)
            & (book.fraud_start[active] <= day)
            & (day < book.fraud_end[active])
        ]
        counts = rng.poisson(35, len(bursting))
        line = np.repeat(bursting, counts)
        n = len(line)
        other = PREMIUM_PREFIXES[
            rng.integers(0, len(PREMIUM_PREFIXES), n)
        ] * 10**8 + rng.integers(0, 10**8, n)
        duration = rng.lognormal(6.0, 0.5, n).astype(np.int64).clip(30, 7200)
        cents = -(-duration // 60) * 800
        self.ledger.book(line, np.full(n, 2), cents, lines)
        second = rng.integers(0, SECONDS_PER_DAY, n).astype(np.int32)
        return Block(
            line,
            np.ones(n, bool),
            np.zeros(n, np.int64),
            np.full(n, INTERNATIONAL),
            other,
            np.full(n, INTL_PREFIX),
            second,
            duration,
            np.zeros(n, np.int64),
            cents,
            book.home_cell[line],
            np.zeros(n, np.int8),
        )

    def day_clock(self, day: int) -> pa.Array:
        """``YYYY-MM-DD HH:MM:SS`` for every second of ``day``."""
        date = str(np.datetime64(self.config.calendar.epoch_day + day, "D"))
        return names.join(date, self.clock)

    def charge_column(self, cents: np.ndarray) -> pa.Array:
        """Charges as two-decimal text, by lookup (faster than formatting)."""
        if len(cents) and (cents.max() >= CHARGE_TEXTS or cents.min() < 0):
            return money(cents)
        return self.charges.take(pa.array(cents))

    def table(self, rows: dict[str, np.ndarray], clock: pa.Array) -> pa.Table:
        """Arrow table of a slice of the day's records (already in time order).

        The caller is always plain digits (our subscriber, or an off-net caller);
        the callee may be dialled abroad or be the data APN.
        """
        n = len(rows["second"])
        table = pa.table(
            {
                "cdr_id": pa.array(
                    np.arange(self.next_id, self.next_id + n, dtype=np.int64)
                ),
                "record_type": RECORD_TYPE_TEXTS.take(pa.array(rows["record_type"])),
                "call_type": CALL_TYPE_TEXTS.take(pa.array(rows["call_type"])),
                "caller": names.as_text(rows["caller"]),
                "callee": other_text(rows["callee"], rows["callee_kind"]),
                "start_time": clock.take(pa.array(rows["second"])),
                "duration_s": pa.array(rows["duration"]),
                "bytes": pa.array(rows["volume"]),
                "charge": self.charge_column(rows["cents"]),
                "cell_id": self.cells.take(pa.array(rows["cell"])),
                "roaming": pa.array(rows["roaming"]),
            }
        )
        self.next_id += n
        return table


def release_written(sink: BinaryIO) -> None:
    """Let the kernel drop the file's pages from the page cache once written back.

    A month of CDRs is tens of GB: kept in the page cache, every page written is a
    fresh page of memory, and on a virtual machine that hands freed memory back to the
    host a costly one (2.5 s of system time per GB written, against 0.4 s when the
    pages are released as the file grows and reused). ``POSIX_FADV_DONTNEED`` starts
    the write-back of dirty pages and drops the clean ones; the data stays on disk.
    """
    if not hasattr(os, "posix_fadvise"):
        return
    sink.flush()
    os.posix_fadvise(sink.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def strangers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random numbers of other operators (SIM boxes dial anyone)."""
    prefix = OTHER_OPERATOR_PREFIXES[rng.integers(0, len(OTHER_OPERATOR_PREFIXES), n)]
    return prefix * 10**8 + rng.integers(0, 10**8, n)


def clock_texts() -> pa.Array:
    """`` HH:MM:SS`` for every second of a day, to ``take`` from."""
    second = np.arange(SECONDS_PER_DAY)
    hour, minute = (
        names.zero_padded(second // 3600, 2),
        names.zero_padded(second // 60 % 60, 2),
    )
    return names.join(" ", hour, ":", minute, ":", names.zero_padded(second % 60, 2))


def charge_texts() -> pa.Array:
    """``Y.YY`` for every amount in cents below ``CHARGE_TEXTS``, to ``take`` from."""
    cents = np.arange(CHARGE_TEXTS)
    return names.join(
        names.as_text(cents // 100), ".", names.zero_padded(cents % 100, 2)
    )


def concatenate(blocks: list[Block]) -> Block:
    """Join blocks field by field."""
    fields = Block.__dataclass_fields__
    return Block(
        **{name: np.concatenate([getattr(b, name) for b in blocks]) for name in fields}
    )


def sorted_seconds(
    rng: np.random.Generator,
    counts: np.ndarray,
    business: np.ndarray,
    weekend: bool,
    sim_box: np.ndarray,
) -> np.ndarray:
    """Seconds of day for each line's records, ascending within each line.

    Sorted uniforms come from normalised cumulative sums of exponential spacings
    (one extra spacing per line), then go through the line's hourly profile.
    """
    slots = counts + 1
    spacing = rng.standard_exponential(int(slots.sum()))
    cumulative = np.cumsum(spacing)
    last = np.cumsum(slots) - 1
    base = np.concatenate([[0.0], cumulative[last[:-1]]])
    keep = np.ones(len(spacing), dtype=bool)
    keep[last] = False
    group = np.repeat(np.arange(len(counts)), counts)
    quantile = (cumulative[keep] - base[group]) / (cumulative[last] - base)[group]
    personal, business_profile = profiles.day_profiles(weekend)
    seconds = profiles.seconds_of_day(quantile, personal)
    for mask, profile in ((business, business_profile), (sim_box, profiles.SIM_BOX)):
        rows = np.flatnonzero(mask[group])
        seconds[rows] = profiles.seconds_of_day(quantile[rows], profile)
    return seconds


def durations(
    rng: np.random.Generator,
    book: LineBook,
    line: np.ndarray,
    record_type: np.ndarray,
    call_type: np.ndarray,
) -> np.ndarray:
    """Seconds: log-normal calls (short for SIM boxes, cut by bad coverage), data."""
    seconds = np.zeros(len(line))
    voice = np.flatnonzero(record_type == 0)
    calls = rng.lognormal(4.1, 1.0, len(voice)) * book.duration_scale[line[voice]]
    calls[call_type[voice] == INTERNATIONAL] *= 1.5
    dropped = rng.random(len(voice)) < book.dropped_calls[line[voice]]
    calls[dropped] = rng.uniform(2, 12, int(dropped.sum()))
    sim_box = book.fraud[line[voice]] == 1
    calls[sim_box] = rng.lognormal(2.9, 0.5, int(sim_box.sum()))
    seconds[voice] = calls
    data = np.flatnonzero(record_type == 2)
    seconds[data] = rng.lognormal(5.5, 1.2, len(data))
    return np.minimum(seconds, 14_400).astype(np.int64) + (record_type != 1)


def data_volumes(
    rng: np.random.Generator, book: LineBook, line: np.ndarray, record_type: np.ndarray
) -> np.ndarray:
    """Bytes of data sessions (0 for calls and SMS)."""
    volume = np.zeros(len(line), dtype=np.int64)
    data = np.flatnonzero(record_type == 2)
    volume[data] = rng.lognormal(0, 1.3, len(data)) * book.bytes_scale[line[data]]
    return volume


def over_allowance(
    used: np.ndarray,
    counts: np.ndarray,
    line: np.ndarray,
    month_used: np.ndarray,
    included: np.ndarray,
) -> np.ndarray:
    """Part of each record beyond the allowance, consuming it in record order per line.

    Records are grouped by line (``counts`` per active line, in time order), so one
    cumulative sum gives each line's running total; ``month_used`` is updated in place.
    """
    running = np.cumsum(used)
    start = np.cumsum(counts) - counts
    before_group = (
        (running - used)[np.minimum(start, max(len(used) - 1, 0))]
        if len(used)
        else np.zeros(0)
    )
    within = running - np.repeat(before_group, counts)
    total = month_used[line] + within
    over = np.clip(total - included[line], 0, used)
    month_used += np.bincount(line, weights=used, minlength=len(month_used))
    return over


def time_order(second: np.ndarray) -> np.ndarray:
    """Stable order by second of day, with two 16-bit radix passes."""
    low = (second & 0xFF).astype(np.uint16)
    high = (second >> 8).astype(np.uint16)
    first = np.argsort(low, kind="stable")
    return first[np.argsort(high[first], kind="stable")]


def other_text(number: np.ndarray, kind: np.ndarray) -> pa.Array:
    """The other party as dialled: digits, ``00`` + digits abroad, or the APN."""
    digits = names.as_text(number)
    special = kind != PLAIN
    rows = np.flatnonzero(special)
    if not len(rows):
        return digits
    abroad = names.join("00", names.as_text(number[rows]))
    dialled = pc.if_else(pa.array(kind[rows] == APN), pa.scalar("cmnet"), abroad)
    return pc.replace_with_mask(digits, pa.array(special), dialled)
