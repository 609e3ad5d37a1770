"""One small operator per session, generated through the CLI like a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

CUSTOMERS, MONTHS, SEED = 2000, 3, 7


def generate(out: Path, *extra: str, seed: int = SEED, months: int = MONTHS) -> Path:
    """Run `telcrm generate` in a subprocess and return the output directory."""
    command = [
        sys.executable,
        "-m",
        "telcrm.cli",
        "generate",
        "--customers",
        str(CUSTOMERS),
    ]
    command += ["--months", str(months), "--seed", str(seed), "--out", str(out), *extra]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return out


def read_table(path: Path, encoding: str = "utf-8") -> pa.Table:
    """Read a silo CSV with every column as text (empty field = missing)."""
    header = path.open(encoding=encoding).readline().strip().split(",")
    convert = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True
    )
    read = pa_csv.ReadOptions(encoding=encoding)
    return pa_csv.read_csv(path, read_options=read, convert_options=convert)


def read_frame(path: Path) -> pd.DataFrame:
    """A silo CSV as a pandas frame of strings."""
    return read_table(path).to_pandas()


@pytest.fixture(scope="session")
def operator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2000 customers, 3 months, seed 7."""
    return generate(tmp_path_factory.mktemp("operator"))


@pytest.fixture(scope="session")
def silos(operator: Path) -> Path:
    return operator / "silos"


@pytest.fixture(scope="session")
def cdrs(silos: Path) -> pd.DataFrame:
    """Every CDR of the operator, typed."""
    tables = [read_table(p) for p in sorted((silos / "cdr").glob("*/*.csv"))]
    frame = pa.concat_tables(tables).to_pandas()
    frame["start_time"] = pd.to_datetime(frame["start_time"])
    for column in ("duration_s", "bytes", "roaming"):
        frame[column] = frame[column].astype("int64")
    frame["charge"] = frame["charge"].astype(float)
    return frame


@pytest.fixture(scope="session")
def subscriptions(silos: Path) -> pd.DataFrame:
    return read_frame(silos / "crm/subscriptions.csv")


@pytest.fixture(scope="session")
def owner_of(subscriptions: pd.DataFrame) -> dict[str, str]:
    """Mobile number -> customer (plan and bundle rows; add-ons repeat the number)."""
    return dict(zip(subscriptions["service_no"], subscriptions["cust_no"], strict=True))


@pytest.fixture(scope="session")
def truth(operator: Path) -> dict[str, pd.DataFrame]:
    names = ("identities", "churn", "fraud", "defaulters", "traits")
    return {name: read_frame(operator / "truth" / f"{name}.csv") for name in names}
