"""Fraud flags from the CDRs: SIM boxes, international bursts and spend spikes.

The CDRs are read once into per-line daily activity (``line_day_activity``, Ibis: the
same expression runs on DuckDB and on Spark); each rule is a filter and an
aggregation over those days, also in Ibis, so only the flagged lines come back to
Python, where the evidence sentences are written and the line's holder looked up.

The thresholds (``FraudSettings``) come from what a person's phone does and does
not do, not from the fraud cases of any data set; docs/fraud-and-bad-debt.md gives
the reasoning behind each one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from telcrm_pipeline.operator_data import OperatorData

SIM_BOX = "sim_box"
INTERNATIONAL_BURST = "international_burst"
SPEND_SPIKE = "spend_spike"
RULES = (SIM_BOX, INTERNATIONAL_BURST, SPEND_SPIKE)
# The rules that look for each pattern of the truth: a burst is costly, so its
# spend spike is the burst seen through its charges.
PATTERN_RULES = {
    SIM_BOX: (SIM_BOX,),
    INTERNATIONAL_BURST: (INTERNATIONAL_BURST, SPEND_SPIKE),
}
FLAG_COLUMNS = (
    "service_no", "customer", "rule", "first_day", "last_day", "score", "evidence",
)  # fmt: skip
# Scale factor that makes the median absolute deviation estimate a standard deviation
# for normally distributed data: the usual robust z-score.
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class FraudSettings:
    """The rules' thresholds; the defaults are argued in docs/fraud-and-bad-debt.md.

    SIM box: a line-day fits the pattern when it places at least
    ``sim_box_min_calls`` outgoing calls averaging at most ``sim_box_max_mean_seconds``
    to mostly different numbers (``sim_box_min_distinct_share`` of the calls), gets
    at most ``sim_box_max_incoming_share`` as many incoming calls and SMS as it makes
    calls, and sends no SMS and opens no data session. A line is flagged after
    ``sim_box_min_days`` such days when it is a prepaid line opened at most
    ``sim_box_new_line_days`` before the first of them.

    International burst: a line-day with at least ``burst_min_calls`` international
    calls totalling ``burst_min_minutes`` minutes whose robust z-score against the
    line's own days (median, and the median absolute deviation floored at
    ``burst_scale_floor_minutes``) is at least ``burst_min_z``.

    Spend spike: a line-day charged at least ``spike_min_charge`` yuan and at least
    ``spike_min_ratio`` times the line's mean daily charge over its previous
    ``spike_baseline_days`` active days (floored at ``spike_baseline_floor`` yuan).
    """

    sim_box_min_calls: int = 100
    sim_box_max_mean_seconds: float = 60.0
    sim_box_min_distinct_share: float = 0.8
    sim_box_max_incoming_share: float = 0.05
    sim_box_min_days: int = 2
    sim_box_new_line_days: int = 30
    burst_min_calls: int = 10
    burst_min_minutes: float = 120.0
    burst_min_z: float = 10.0
    burst_scale_floor_minutes: float = 5.0
    spike_min_charge: float = 500.0
    spike_min_ratio: float = 10.0
    spike_baseline_days: int = 28
    spike_baseline_floor: float = 5.0


def line_day_activity(cdr: ir.Table) -> ir.Table:
    """One row per line (as caller) and day it placed anything.

    Seconds and charges (in fen) are summed as integers, so DuckDB and Spark give
    identical figures whatever order they add in. ``contacts_in`` counts the calls
    and SMS the line received that day.
    """
    day = cdr.start_time.date()
    voice = cdr.record_type == "voice"
    international = voice & (cdr.call_type == "international")
    outgoing = cdr.group_by(service_no=cdr.caller, day=day).aggregate(
        voice_calls=cdr.count(where=voice),
        voice_seconds=cdr.duration_s.cast("int64").sum(where=voice),
        distinct_callees=cdr.callee.nunique(where=voice),
        sms_sent=cdr.count(where=cdr.record_type == "sms"),
        data_sessions=cdr.count(where=cdr.record_type == "data"),
        intl_calls=cdr.count(where=international),
        intl_seconds=cdr.duration_s.cast("int64").sum(where=international),
        charge_fen=(cdr.charge * 100).cast("int64").sum(),
    )
    contacts = cdr.filter(cdr.record_type.isin(["voice", "sms"]))
    incoming = contacts.group_by(
        service_no=contacts.callee, day=contacts.start_time.date()
    ).aggregate(contacts_in=contacts.count())
    joined = outgoing.left_join(incoming, ["service_no", "day"])
    measures = (
        "voice_calls", "voice_seconds", "distinct_callees", "sms_sent",
        "data_sessions", "intl_calls", "intl_seconds", "charge_fen", "contacts_in",
    )  # fmt: skip
    return joined.select(
        "service_no", "day", **{name: joined[name].fill_null(0) for name in measures}
    )


def sim_box_lines(cdr: ir.Table, daily: ir.Table, settings: FraudSettings) -> ir.Table:
    """Lines with their SIM-box days: count, span, calls, incoming, distinct numbers.

    The line's age and plan are checked afterwards (``_sim_box_flags``), against the
    operator's lines.
    """
    calls = daily.voice_calls
    fits = daily.filter(
        (calls >= settings.sim_box_min_calls)
        & (daily.voice_seconds <= calls * settings.sim_box_max_mean_seconds)
        & (daily.distinct_callees >= calls * settings.sim_box_min_distinct_share)
        & (daily.contacts_in <= calls * settings.sim_box_max_incoming_share)
        & (daily.sms_sent == 0)
        & (daily.data_sessions == 0)
    )
    per_line = fits.group_by("service_no").aggregate(
        days=fits.count(),
        first_day=fits.day.min(),
        last_day=fits.day.max(),
        calls=fits.voice_calls.sum(),
        voice_seconds=fits.voice_seconds.sum(),
        contacts_in=fits.contacts_in.sum(),
    )
    # Distinct numbers over all the pattern days (a daily count cannot be summed).
    voice = cdr.filter(cdr.record_type == "voice")
    on_days = voice.join(
        fits.select("service_no", "day"),
        [voice.caller == fits.service_no, voice.start_time.date() == fits.day],
    )
    numbers = on_days.group_by("service_no").aggregate(numbers=on_days.callee.nunique())
    return per_line.join(numbers, "service_no").filter(
        lambda t: t.days >= settings.sim_box_min_days
    )


def international_burst_lines(daily: ir.Table, settings: FraudSettings) -> ir.Table:
    """Lines with days of international minutes far above their own usual day.

    The baseline is the median of the line's days and the scale the median absolute
    deviation: both barely move when a few days out of months are a burst, so the
    burst cannot hide itself by raising its own baseline (a mean and a standard
    deviation would).
    """
    minutes = daily.intl_seconds.cast("float64") / 60
    days = daily.mutate(intl_minutes=minutes)
    median = days.group_by("service_no").aggregate(
        median_minutes=days.intl_minutes.median()
    )
    with_median = days.join(median, "service_no")
    deviation = (with_median.intl_minutes - with_median.median_minutes).abs()
    mad = (
        with_median.mutate(deviation=deviation)
        .group_by("service_no")
        .aggregate(mad_minutes=lambda t: t.deviation.median())
    )
    scored = with_median.join(mad, "service_no")
    scale = ibis.greatest(
        scored.mad_minutes * MAD_TO_SIGMA, settings.burst_scale_floor_minutes
    )
    scored = scored.mutate(z=(scored.intl_minutes - scored.median_minutes) / scale)
    bursts = scored.filter(
        (scored.intl_calls >= settings.burst_min_calls)
        & (scored.intl_minutes >= settings.burst_min_minutes)
        & (scored.z >= settings.burst_min_z)
    )
    return bursts.group_by("service_no").aggregate(
        days=bursts.count(),
        first_day=bursts.day.min(),
        last_day=bursts.day.max(),
        intl_calls=bursts.intl_calls.sum(),
        intl_seconds=bursts.intl_seconds.sum(),
        median_minutes=bursts.median_minutes.max(),
        max_z=bursts.z.max(),
    )


def spend_spike_lines(daily: ir.Table, settings: FraudSettings) -> ir.Table:
    """Lines with days charged far above their own recent level.

    The level is the mean charge of the line's previous active days (a window that
    looks back only), so a spike is judged against what came before it.
    """
    before = ibis.window(
        group_by="service_no",
        order_by="day",
        preceding=settings.spike_baseline_days,
        following=-1,
    )
    prior_fen = daily.charge_fen.cast("float64").mean().over(before)
    floor_fen = settings.spike_baseline_floor * 100
    leveled = daily.mutate(level_fen=ibis.greatest(prior_fen.fill_null(0.0), floor_fen))
    spikes = leveled.filter(
        (leveled.charge_fen >= settings.spike_min_charge * 100)
        & (leveled.charge_fen >= leveled.level_fen * settings.spike_min_ratio)
    )
    return spikes.group_by("service_no").aggregate(
        days=spikes.count(),
        first_day=spikes.day.min(),
        last_day=spikes.day.max(),
        charge_fen=spikes.charge_fen.sum(),
        max_ratio=(spikes.charge_fen / spikes.level_fen).max(),
    )


def fraud_flags(
    con: Any,
    cdr: ir.Table,
    data: OperatorData,
    settings: FraudSettings | None = None,
) -> pd.DataFrame:
    """One row per flagged line and rule, columns ``FLAG_COLUMNS``.

    ``con`` is the Ibis backend ``cdr`` lives on (DuckDB or Spark): it runs the
    scans. ``data`` supplies the lines (plan, opening date, holder). ``score`` is
    the rule's own strength figure (SIM box: calls per pattern day over the
    threshold; burst: the highest robust z-score; spike: the highest charge over
    the line's level), comparable within a rule, not across rules.
    """
    settings = settings or FraudSettings()
    daily = line_day_activity(cdr)
    lines = _line_holders(data)
    frames = [
        _sim_box_flags(_run(con, sim_box_lines(cdr, daily, settings)), lines, settings),
        _burst_flags(_run(con, international_burst_lines(daily, settings)), lines),
        _spike_flags(_run(con, spend_spike_lines(daily, settings)), lines),
    ]
    found = [frame for frame in frames if len(frame)]
    if not found:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in FLAG_COLUMNS})
    flags = pd.concat(found, ignore_index=True)
    return flags.sort_values(["rule", "service_no"], ignore_index=True)[
        list(FLAG_COLUMNS)
    ]


def _run(con: Any, expr: ir.Table) -> pd.DataFrame:
    """Execute on the backend; days as ``datetime.date`` whatever the backend."""
    frame: pd.DataFrame = con.to_pandas(expr)
    for column in ("first_day", "last_day"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame.sort_values("service_no", ignore_index=True)


def _line_holders(data: OperatorData) -> pd.DataFrame:
    columns = ["service_no", "customer", "line_of_business", "start_date", "end_date"]
    lines: pd.DataFrame = data["lines"].select(columns).to_pandas()
    return lines[lines.line_of_business != "vas"]


def _holder(lines: pd.DataFrame, service_no: str, first: dt.date, last: dt.date) -> Any:
    """The line's row held during the flagged days (numbers are reused), or None."""
    rows = lines[
        (lines.service_no == service_no)
        & (lines.start_date <= last)
        & (lines.end_date.isna() | (lines.end_date >= first))
    ]
    if rows.empty:
        return None
    return rows.sort_values("start_date").iloc[-1]


def _flag(
    row: Any, holder: Any, rule: str, score: float, evidence: str
) -> dict[str, Any]:
    return {
        "service_no": row.service_no,
        "customer": None if holder is None else holder.customer,
        "rule": rule,
        "first_day": row.first_day,
        "last_day": row.last_day,
        "score": round(float(score), 2),
        "evidence": evidence,
    }


def _span(row: Any) -> str:
    return _days(int(row.days))


def _days(count: int) -> str:
    return f"{count} day{'s' if count != 1 else ''}"


def _sim_box_flags(
    found: pd.DataFrame, lines: pd.DataFrame, settings: FraudSettings
) -> pd.DataFrame:
    flags = []
    for row in found.itertuples(index=False):
        holder = _holder(lines, row.service_no, row.first_day, row.last_day)
        if holder is None or holder.line_of_business != "mobile_prepaid":
            continue
        age = (row.first_day - holder.start_date).days
        if age > settings.sim_box_new_line_days:
            continue
        calls = int(row.calls)
        per_day = calls / int(row.days)
        mean_seconds = int(row.voice_seconds) / calls
        evidence = (
            f"{calls} outgoing calls to {int(row.numbers)} numbers in {_span(row)} "
            f"(mean {mean_seconds:.0f} s), {int(row.contacts_in)} incoming, no SMS "
            f"or data, on a prepaid line opened {_days(age)} before: SIM-box pattern"
        )
        score = per_day / settings.sim_box_min_calls
        flags.append(_flag(row, holder, SIM_BOX, score, evidence))
    return pd.DataFrame(flags)


def _rule_flags(
    found: pd.DataFrame,
    lines: pd.DataFrame,
    rule: str,
    score: Callable[[Any], float],
    evidence: Callable[[Any], str],
) -> pd.DataFrame:
    """One flag per line a rule found, with its holder, score and evidence."""
    flags = []
    for row in found.itertuples(index=False):
        holder = _holder(lines, row.service_no, row.first_day, row.last_day)
        flags.append(_flag(row, holder, rule, score(row), evidence(row)))
    return pd.DataFrame(flags)


def _burst_flags(found: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    def evidence(row: Any) -> str:
        return (
            f"{int(row.intl_calls)} international calls, "
            f"{int(row.intl_seconds) / 60:.0f} minutes in {_span(row)}, against a "
            f"usual {row.median_minutes:.1f} minutes a day (robust z up to "
            f"{row.max_z:.0f}): international burst"
        )

    return _rule_flags(
        found, lines, INTERNATIONAL_BURST, lambda row: row.max_z, evidence
    )


def _spike_flags(found: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    def evidence(row: Any) -> str:
        return (
            f"{int(row.charge_fen) / 100:.2f} yuan charged in {_span(row)}, up to "
            f"{row.max_ratio:.0f} times its usual daily charge: spend spike"
        )

    return _rule_flags(found, lines, SPEND_SPIKE, lambda row: row.max_ratio, evidence)


def evaluate_fraud(flags: pd.DataFrame, truth_fraud: pd.DataFrame) -> dict[str, Any]:
    """Line-level precision and recall of ``flags`` against the fraud truth.

    A truth line counts as found when any rule flags its number; a flagged line is
    a true positive when its number is in the truth, whatever the rule (a spend
    spike on a burst line is the burst seen through its cost). Precision counts
    flagged lines, not flag rows, so a line two rules flag counts once.

    Per pattern: recall as above on that pattern's truth lines; precision over the
    lines flagged by the pattern's own rules (``PATTERN_RULES``).
    """
    flagged = set(flags["service_no"])
    truth_lines = set(truth_fraud["service_no"])
    found = flagged & truth_lines
    result: dict[str, Any] = {
        "flagged_lines": len(flagged),
        "truth_lines": len(truth_lines),
        "true_positive_lines": len(found),
        "false_positive_lines": len(flagged - truth_lines),
        "precision": _share(found, flagged),
        "recall": _share(found, truth_lines),
        "flags_per_rule": {rule: int((flags["rule"] == rule).sum()) for rule in RULES},
        "per_pattern": {},
    }
    for pattern, rules in PATTERN_RULES.items():
        lines_of_pattern = set(
            truth_fraud.loc[truth_fraud["pattern"] == pattern, "service_no"]
        )
        by_rules = set(flags.loc[flags["rule"].isin(rules), "service_no"])
        result["per_pattern"][pattern] = {
            "truth_lines": len(lines_of_pattern),
            "found": len(lines_of_pattern & flagged),
            "recall": _share(lines_of_pattern & flagged, lines_of_pattern),
            "flagged_lines": len(by_rules),
            "precision": _share(by_rules & lines_of_pattern, by_rules),
        }
    return result


def _share(part: set[str], whole: set[str]) -> float:
    return len(part) / len(whole) if whole else 0.0
