"""The synthetic operator: source silos in files, the ground truth apart.

Public API: ``GeneratorConfig``, ``GenerationReport`` and ``generate_operator``.
"""

from telcrm_pipeline.synthetic.api import generate_operator
from telcrm_pipeline.synthetic.config import GenerationReport, GeneratorConfig

__all__ = ["GenerationReport", "GeneratorConfig", "generate_operator"]
