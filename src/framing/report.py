"""The run report: report.md of a training or evaluation run, from its metrics.

(The comparison report is `framing.compare.report`.)
"""

from __future__ import annotations

from typing import Any


def _fmt_metric(value: Any, ci: Any = None) -> str:
    """A metric to 3 decimals, with its interval when there is one ('–' when missing)."""
    if value is None:
        return "–"
    text = f"{value:.3f}" if isinstance(value, float) else str(value)
    if ci and ci[0] is not None:
        text += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    return text


def _frame_table(frames: dict[str, Any]) -> list[str]:
    """Micro/macro-F1 of the frames, then precision, recall, F1 and ECE per frame."""
    lines = [
        f"Frames: micro-F1 {_fmt_metric(frames['micro_f1'], frames.get('micro_f1_ci'))}, "
        f"macro-F1 {_fmt_metric(frames['macro_f1'], frames.get('macro_f1_ci'))}",
        "",
        "| frame | precision | recall | F1 [95% CI] | support | ECE |",
        "|---|---|---|---|---|---|",
    ]
    for label, m in frames["per_label"].items():
        lines.append(
            f"| {label} | {_fmt_metric(m['precision'])} | {_fmt_metric(m['recall'])} | "
            f"{_fmt_metric(m['f1'], m.get('f1_ci'))} | {m['support']} | "
            f"{_fmt_metric(frames['ece'][label])} |"
        )
    return lines + [""]


def _stance_tables(target: str, m: dict[str, Any]) -> list[str]:
    """One target's stance metrics, its per-label table and its confusion matrix."""
    lines = [
        f"Stance toward **{target}**: "
        f"accuracy {_fmt_metric(m['accuracy'], m.get('accuracy_ci'))}, "
        f"macro-F1 {_fmt_metric(m['macro_f1'], m.get('macro_f1_ci'))}, "
        "F_avg (favor/against) "
        f"{_fmt_metric(m['f1_favor_against'], m.get('f1_favor_against_ci'))}, "
        f"ECE {_fmt_metric(m['ece'])}",
        "",
        "| label | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for label, s in m["per_label"].items():
        lines.append(
            f"| {label} | {_fmt_metric(s['precision'])} | {_fmt_metric(s['recall'])} | "
            f"{_fmt_metric(s['f1'])} | {s['support']} |"
        )
    labels = m["confusion"]["labels"]
    lines += [
        "",
        "Confusion (rows gold, columns predicted):",
        "",
        "| gold \\ pred | " + " | ".join(labels) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for label, row in zip(labels, m["confusion"]["matrix"]):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    return lines + [""]


def _source_table(by_source: dict[str, Any]) -> list[str]:
    """macro-F1 per source."""
    lines = [
        "By source:",
        "",
        "| source | n | macro-F1 | frames macro-F1 |",
        "|---|---|---|---|",
    ]
    for source, s in by_source.items():
        lines.append(
            f"| {source} | {s['n']} | {_fmt_metric(s['macro_f1'])} | "
            f"{_fmt_metric(s['frames_macro_f1'])} |"
        )
    return lines + [""]


def _set_tables(name: str, block: dict[str, Any]) -> list[str]:
    """The tables of one evaluated set: frames, each stance target, and per source."""
    lines = [f"#### {name} (n = {block['n']})", ""]
    if block.get("frames"):
        lines += _frame_table(block["frames"])
    for target, m in (block.get("stance") or {}).items():
        lines += _stance_tables(target, m)
    if block.get("by_source"):
        lines += _source_table(block["by_source"])
    return lines


def render_run_report(name: str, metrics: dict[str, Any]) -> str:
    """The run's report.md: which model won on dev, then each model's tables per set."""
    models = metrics["models"]
    sets = sorted({s for m in models.values() for s in m["eval"]})
    lines = [
        f"# Run `{name}`",
        "",
        f"Best on dev: **{metrics['best_model']}** (selected on {metrics['select_on']}). "
        "macro-F1 here is the mean of each frame's F1 and each target's stance macro-F1.",
        "",
        "| model | kind | train s | dev macro-F1 | "
        + " | ".join(f"{s} macro-F1" for s in sets)
        + " |",
        "|---" * (4 + len(sets)) + "|",
    ]
    for model, m in models.items():
        dev = (m.get("dev") or {}).get("macro_f1")
        cells = [_fmt_metric(m["eval"].get(s, {}).get("macro_f1")) for s in sets]
        lines.append(
            f"| {model} | {m['kind']} | {m['train_seconds']:.1f} | {_fmt_metric(dev)} | "
            + " | ".join(cells)
            + " |"
        )
    lines.append("")
    for model, m in models.items():
        lines += [f"## {model}", ""]
        blocks = ([("dev", m["dev"])] if m.get("dev") else []) + list(m["eval"].items())
        for set_name, block in blocks:
            lines += _set_tables(set_name, block)
    return "\n".join(lines) + "\n"
