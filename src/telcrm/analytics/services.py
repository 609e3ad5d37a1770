"""``telcrm pipeline run``: the analytics pipeline on the operational store.

The store is exported as the pipeline's operator tables (kept with the run's marts,
so a run can be reproduced), the pipeline runs on them and the CDR store, and its
results are written back in one transaction: customer scores, headline columns and
fraud flags. A failed run is recorded with its error and changes nothing else.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from telcrm.analytics.choices import RunState
from telcrm.analytics.export import crm_keys_table, operator_data_from_database
from telcrm.analytics.models import PipelineRun
from telcrm.analytics.writeback import (
    customer_ids,
    customer_scores_write,
    fraud_flags_write,
)
from telcrm.lib.login import login_name
from telcrm_pipeline.models.registry import ModelRegistry
from telcrm_pipeline.run import PipelineSettings, Progress, run_pipeline, write_mart

INPUT_DIR = "input"


def marts_root() -> Path:
    return Path(settings.TELCRM_HOME) / "marts"


def model_registry() -> ModelRegistry:
    return ModelRegistry(Path(settings.TELCRM_HOME) / "models")


@dataclass(frozen=True)
class PipelineRunOutcome:
    run: PipelineRun
    scores_written: int
    flags_written: int


def pipeline_run(
    *,
    operator: str | None = None,
    pipeline_settings: PipelineSettings | None = None,
    progress: Progress | None = None,
) -> PipelineRunOutcome:
    """Export, run every stage, write the results back; the run is recorded."""
    run = PipelineRun.objects.create(
        started_at=timezone.now(), started_by=operator or login_name()
    )
    marts = marts_root() / f"run-{run.pk:05d}"
    run.marts = str(marts)
    run.save(update_fields=["marts"])
    try:
        if progress:
            progress("export", "reading the operational store")
        data = operator_data_from_database()
        data.write(marts / INPUT_DIR)
        keys = crm_keys_table()
        outcome = run_pipeline(
            data,
            Path(settings.TELCRM_STORE_DIR),
            marts,
            model_registry(),
            settings=pipeline_settings,
            progress=progress,
        )
        write_mart(marts, "crm_keys", keys.to_pandas())
        with transaction.atomic():
            if progress:
                progress("write", "writing scores and flags to the database")
            # One read of every customer's key serves both writes.
            ids = customer_ids()
            scores = customer_scores_write(run, outcome.customers, ids)
            flags = fraud_flags_write(run, outcome.fraud_flags, ids)
            run.state = RunState.COMPLETED
            run.as_of = outcome.as_of
            run.finished_at = timezone.now()
            run.summary = {
                **outcome.figures,
                "scores_written": scores,
                "flags_written": flags,
                "seconds": outcome.seconds,
            }
            run.save()
    except BaseException:
        run.state = RunState.FAILED
        run.finished_at = timezone.now()
        run.error = traceback.format_exc()
        run.save()
        raise
    return PipelineRunOutcome(run, scores, flags)
