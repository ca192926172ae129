"""Cross-source comparison: how often each source uses each frame, and what stance it takes,
estimated with naive, error-corrected and design-based estimators and cluster-bootstrap
intervals (see `framing.compare.estimates`), written as a folder with a report.

Modules, in the order a comparison runs: `settings` (config and groups file), `corpus` (reading,
documents, groups, periods), `scores` (scoring and the score cache), `columns` (label columns),
`estimates` (estimators and bootstrap replicates), `levels` (the compared cells), `contrasts`
(differences and trends), `tables` (output formats), `job` (`compare()`), and `results`,
`plots`, `report` (the report rendered from the folder).
"""

from __future__ import annotations

from framing.compare.gold import draw_gold_sample
from framing.compare.job import ComparisonResult, compare
from framing.compare.report import build_report
from framing.compare.settings import Grouping, load_compare_config, load_groups
from framing.compare.tables import DIFFERENCE_COLUMNS, ESTIMATE_COLUMNS
from framing.config import CompareConfig

__all__ = [
    "DIFFERENCE_COLUMNS",
    "ESTIMATE_COLUMNS",
    "CompareConfig",
    "ComparisonResult",
    "Grouping",
    "build_report",
    "compare",
    "draw_gold_sample",
    "load_compare_config",
    "load_groups",
]
