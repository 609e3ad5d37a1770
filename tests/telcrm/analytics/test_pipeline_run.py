"""`telcrm pipeline run` on an imported operator: results written back, runs recorded,
and the figures against the ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test.utils import override_settings

from telcrm.analytics.choices import RunState
from telcrm.analytics.models import CustomerScore, FraudFlag, PipelineRun
from telcrm.analytics.selectors import latest_completed_run
from telcrm.analytics.services import pipeline_run
from telcrm.customers.models import Customer
from telcrm_pipeline.evaluate import evaluate_run
from telcrm_pipeline.synthetic import GeneratorConfig, generate_operator

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning:ibis"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:mlxtend"),
]


@pytest.fixture(scope="module")
def operator_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pipeline-operator")
    generate_operator(GeneratorConfig(out=out, customers=700, months=5, seed=4))
    return out


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    with override_settings(TELCRM_HOME=home, TELCRM_STORE_DIR=home / "store"):
        yield home


def test_a_run_writes_scores_flags_and_its_record(
    operator_dir: Path, home: Path
) -> None:
    from telcrm.imports.services import import_directory
    from telcrm.linkage.services import linkage_run

    import_directory(operator_dir / "silos")
    linkage_run()

    outcome = pipeline_run(operator="tester")

    run = outcome.run
    assert run.state == RunState.COMPLETED
    assert run.started_by == "tester"
    assert run.as_of is not None and str(run.as_of) == "2026-10-31"
    assert set(run.summary["seconds"]) >= {"features", "churn", "fraud", "segments"}
    scored = CustomerScore.objects.filter(run=run)
    assert scored.count() == outcome.scores_written > 400
    assert not scored.filter(customer__merged_into__isnull=False).exists()
    sample = scored.exclude(churn_reasons=[]).select_related("customer").first()
    assert sample is not None
    assert sample.customer.churn_risk == sample.churn_probability
    assert sample.customer.segment_code == sample.segment_code != ""
    assert Customer.objects.filter(scored_at=run.started_at).count() == scored.count()
    assert FraudFlag.objects.filter(run=run).count() == outcome.flags_written > 0
    assert (home / "models" / "churn").is_dir()

    figures = evaluate_run(Path(run.marts), operator_dir / "truth")

    assert figures["churn"]["with_graph"]["auc"] > 0.8
    assert figures["fraud"]["recall"] == 1.0
    assert latest_completed_run() == run


def test_a_failed_run_is_recorded_and_writes_nothing(
    operator_dir: Path, home: Path
) -> None:
    # No import: the store holds no CDRs, so the feature stage has nothing to read.
    with pytest.raises(Exception):  # noqa: B017 - any failure must be recorded
        pipeline_run(operator="tester")

    run = PipelineRun.objects.get()
    assert run.state == RunState.FAILED
    assert run.error != ""
    assert run.finished_at is not None
    assert not CustomerScore.objects.exists()
    assert latest_completed_run() is None
