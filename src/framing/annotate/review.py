"""HTML of the review side: Krippendorff's α per label, the adjudication of disagreements (the
annotators shown as A, B, … so the adjudicator is blind to who said what), an item's history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from framing.annotate.agreement import Disagreement, LabelAgreement
from framing.annotate.pages import escape, layout
from framing.annotate.store import Answer, Decision
from framing.labels import LabelSchema


def agreement_page(
    project: str, rows: Iterable[LabelAgreement], progress: Mapping[str, Mapping[str, int]]
) -> str:
    """α per frame and target, with the items it rests on and how many of them differ."""
    cells = "".join(
        f'<tr data-label="{escape(r.label)}"><td>{escape(r.label)}</td><td>{r.kind}</td>'
        f'<td class="alpha">{"–" if r.alpha is None else f"{r.alpha:.3f}"}</td>'
        f"<td>{r.items}</td><td>{r.disagreements}</td><td>{escape(r.reason)}</td></tr>"
        for r in rows
    )
    people = ", ".join(f"{escape(n)} ({p['done']} done)" for n, p in progress.items())
    body = (
        "<h1>Agreement</h1><p>Krippendorff's α (nominal) per label, over the sentences that two "
        "or more annotators answered (skipped sentences left out). "
        f"Annotators: {people or 'none yet'}.</p>"
        '<table id="alpha"><thead><tr><th>label</th><th>kind</th><th>α</th><th>items</th>'
        f"<th>disagreements</th><th></th></tr></thead><tbody>{cells}</tbody></table>"
    )
    return layout("agreement", body, project)


def _shown(answer: Answer | Decision) -> str:
    frames = ", ".join(answer.frames) or "no frame"
    stance = "; ".join(f"{t}: {v}" for t, v in answer.stance.items())
    return escape(f"{frames} | {stance}")


def _decision_form(item_id: str, schema: LabelSchema, decision: Decision | None) -> str:
    frames = "".join(
        f'<label class="choice"><input type="checkbox" name="frame" value="{escape(f)}"'
        f"{' checked' if decision and f in decision.frames else ''}> {escape(f)}</label>"
        for f in schema.frames
    )
    stance = ""
    for target in schema.targets:
        chosen = decision.stance.get(target) if decision else None
        radios = "".join(
            f'<label class="choice"><input type="radio" name="stance.{escape(target)}" '
            f'value="{escape(label)}" required{" checked" if label == chosen else ""}> '
            f"{escape(label)}</label>"
            for label in schema.stance_labels
        )
        stance += f"<fieldset><legend>{escape(target)}</legend>{radios}</fieldset>"
    return (
        f'<form method="post" action="/adjudicate/{escape(item_id)}" class="decide">'
        f"<fieldset><legend>frames</legend>{frames}</fieldset>{stance}"
        '<label>adjudicator <input name="adjudicator" required maxlength="40" '
        'pattern="[A-Za-z0-9_][A-Za-z0-9_.\\-]*"></label> '
        '<label>note <input name="note" maxlength="2000"></label> '
        '<button type="submit">decide</button></form>'
    )


def adjudication_page(
    project: str, items: Sequence[Disagreement], schema: LabelSchema, decided: dict[str, Decision]
) -> str:
    """Every disagreement: the sentence, each answer under a letter, and a form to decide."""
    sections = []
    for n, case in enumerate(items):
        answers = "".join(
            f"<li><b>{chr(65 + i)}</b>: {_shown(a)}"
            f"{' · flagged' if a.flag else ''}{' · note: ' + escape(a.note) if a.note else ''}"
            "</li>"
            for i, a in enumerate(case.answers.values())
        )
        decision = decided.get(case.item.id)
        status = (
            f'<p class="decided">decided by {escape(decision.decided_by)}: {_shown(decision)}</p>'
            if decision
            else '<p class="open">not decided</p>'
        )
        sections.append(
            f'<section class="case" id="case-{n}" data-item="{escape(case.item.id)}">'
            f"<h2>{escape(case.item.id)}</h2>"
            f'<p class="sentence">{escape(case.item.text)}</p>'
            f"<p>differs on: {escape(', '.join(case.labels))}</p><ul>{answers}</ul>{status}"
            f"{_decision_form(case.item.id, schema, decision)}"
            f'<p><a href="/history/{escape(case.item.id)}">history</a></p></section>'
        )
    open_count = sum(c.item.id not in decided for c in items)
    head = (
        f"<h1>Adjudication</h1><p>{len(sections)} sentences where annotators differ; "
        f"{open_count} not decided. Annotators are shown as A, B, … in the order they "
        "answered.</p>"
    )
    return layout("adjudicate", head + ("".join(sections) or "<p>No disagreements.</p>"), project)


def history_page(project: str, item_id: str, rows: Iterable[Mapping[str, Any]]) -> str:
    """Every action logged for one item: answers, skips, undos and decisions."""
    cells = "".join(
        f"<tr><td>{row['seq']}</td><td>{escape(row['at'])}</td><td>{escape(row['who'])}</td>"
        f"<td>{escape(row['action'])}</td><td>{escape(', '.join(row.get('frames', [])))}</td>"
        f"<td>{escape('; '.join(f'{t}: {v}' for t, v in row.get('stance', {}).items()))}</td>"
        f"<td>{escape(row.get('note', ''))}</td></tr>"
        for row in rows
    )
    body = (
        f"<h1>History of {escape(item_id)}</h1><table><thead><tr><th>#</th><th>at</th>"
        "<th>who</th><th>action</th><th>frames</th><th>stance</th><th>note</th></tr></thead>"
        f"<tbody>{cells}</tbody></table>"
    )
    return layout(f"history {item_id}", body, project)
