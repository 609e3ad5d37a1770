"""The synthetic operator: source silos in files, the ground truth apart.

Public API: ``GeneratorConfig``, ``GenerationReport`` and ``generate_operator``; for
retention campaigns on a generated operator, ``ResponseModel``, ``CampaignResponder``
and ``CALL_OUTCOMES``.
"""

from telcrm_pipeline.synthetic.api import generate_operator
from telcrm_pipeline.synthetic.campaign_response import (
    CALL_OUTCOMES,
    CampaignResponder,
    ResponseModel,
)
from telcrm_pipeline.synthetic.config import GenerationReport, GeneratorConfig

__all__ = [
    "CALL_OUTCOMES",
    "CampaignResponder",
    "GenerationReport",
    "GeneratorConfig",
    "ResponseModel",
    "generate_operator",
]
