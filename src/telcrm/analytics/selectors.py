"""Reads of the analytics app, free of the pipeline's imports: the web app's
processes read runs without loading the modelling libraries."""

from __future__ import annotations

from telcrm.analytics.choices import RunState
from telcrm.analytics.models import PipelineRun


def latest_completed_run() -> PipelineRun | None:
    return PipelineRun.objects.filter(state=RunState.COMPLETED).first()
