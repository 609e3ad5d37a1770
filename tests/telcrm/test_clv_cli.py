"""`telcrm clv fit`: JSON figures on CDNOW; errors name the file, column and line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from telcrm.clv_cli import clv_app

CDNOW = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cdnow"
SAMPLE = CDNOW / "CDNOW_sample.txt"
needs_cdnow = pytest.mark.skipif(
    not SAMPLE.exists(), reason=f"CDNOW data absent: {SAMPLE} (see docs/clv.md)"
)

runner = CliRunner()


@needs_cdnow
def test_fit_prints_the_cdnow_models_as_json() -> None:
    result = runner.invoke(
        clv_app,
        [
            "fit",
            "--transactions", str(SAMPLE),
            "--sep", "whitespace",
            "--no-header",
            "--customer", "2",
            "--date", "3",
            "--value", "5",
            "--calibration-end", "1997-09-30",
            "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert list(figures) == [
        "bgnbd",
        "gamma_gamma",
        "customers",
        "repeat_customers",
        "period",
        "calibration_end",
    ]
    assert list(figures["bgnbd"]) == ["r", "alpha", "a", "b", "log_likelihood"]
    assert list(figures["gamma_gamma"]) == ["p", "q", "gamma", "log_likelihood"]
    bgnbd = {k: round(v, 3) for k, v in figures["bgnbd"].items()}
    assert bgnbd == {
        "r": 0.243,
        "alpha": 4.414,
        "a": 0.793,
        "b": 2.426,
        "log_likelihood": -9582.429,
    }
    gg = {k: round(v, 2) for k, v in figures["gamma_gamma"].items()}
    assert gg == {"p": 6.25, "q": 3.74, "gamma": 15.44, "log_likelihood": -4055.92}
    assert figures["customers"] == 2357
    assert figures["repeat_customers"] == 946
    assert figures["period"] == "W"
    assert figures["calibration_end"] == "1997-09-30"


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sales.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_column_is_named_with_the_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, "cust,day,amount\n1,2020-01-01,3\n")
    result = runner.invoke(
        clv_app,
        [
            "fit", "--transactions", str(path), "--customer", "cust", "--date", "day",
            "--value", "price", "--calibration-end", "2020-06-30", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: {path}: no column 'price' (columns: cust, day, amount)\n"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "1,2020-01-01,3\n1,2020-02-30,4\n",
            "line 3, column 'day': unparseable date '2020-02-30' "
            "(expected YYYYMMDD or an ISO date)",
        ),
        ("1,20200101,3\n\n1,20200201,4 EUR\n", "line 4, column 'amount': "),
    ],
    ids=["date", "value"],
)
def test_a_bad_row_is_named_by_its_line(
    tmp_path: Path, body: str, message: str
) -> None:
    path = _csv(tmp_path, "cust,day,amount\n" + body)
    result = runner.invoke(
        clv_app,
        [
            "fit", "--transactions", str(path), "--customer", "cust", "--date", "day",
            "--value", "amount", "--calibration-end", "2020-06-30",
        ],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}: {message}")


def test_a_small_file_fits_and_prints_a_table(tmp_path: Path) -> None:
    rows = ["cust;day;amount"]
    for customer in range(40):
        for week in range(0, 1 + customer % 5 * 3, 3):
            rows.append(
                f"c{customer};2020-01-{1 + week + customer % 7:02d};{10 + week}"
            )
    path = _csv(tmp_path, "\n".join(rows) + "\n")
    result = runner.invoke(
        clv_app,
        [
            "fit", "--transactions", str(path), "--sep", ";", "--customer", "cust",
            "--date", "day", "--value", "amount", "--calibration-end", "2020-01-31",
            "--period", "D",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "BG/NBD" in result.stderr
    assert "repeat customers" in result.stderr


def test_the_module_does_not_import_django() -> None:
    code = (
        "import sys, telcrm.clv_cli; "
        "print(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == "False"
