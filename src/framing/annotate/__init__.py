"""`framing annotate`: label sentences in the browser, several annotators, agreement,
adjudication, and the labels as canonical JSONL (see docs/annotate.md)."""

from __future__ import annotations

from framing.annotate.agreement import agreement, disagreements
from framing.annotate.app import create_app, serve
from framing.annotate.drawing import open_project, read_project
from framing.annotate.export import export_labels, final_records
from framing.annotate.project import AnnotateConfig, load_annotate_config
from framing.annotate.sampling import disagreement, margins
from framing.annotate.store import Answer, Decision, Item, Store

__all__ = [
    "AnnotateConfig",
    "Answer",
    "Decision",
    "Item",
    "Store",
    "agreement",
    "create_app",
    "disagreement",
    "disagreements",
    "export_labels",
    "final_records",
    "load_annotate_config",
    "margins",
    "open_project",
    "read_project",
    "serve",
]
