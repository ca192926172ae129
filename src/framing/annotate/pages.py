"""HTML of the labelling side: the page layout, the start page and the labelling page.

Every piece of text that comes from a corpus, a schema, a config or a person goes through
`escape` (quotes included, so it is safe in attributes too); pages carry no inline script, and
the server's Content-Security-Policy forbids any, so a sentence holding `<script>` stays text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from framing.annotate.store import Answer, Item
from framing.labels import LabelSchema

# Shortcut rows for the stance of the first three targets; the letters of the commands
# (f flag, n note, u undo, k skip) are left out so no key means two things.
_STANCE_ROWS = ("qweryiop", "asdghjl", "zxcvbm")
_FRAME_KEYS = "1234567890"


def escape(value: object) -> str:
    """Text made safe for HTML content and attribute values."""
    return html.escape(str(value), quote=True)


@dataclass(frozen=True)
class Keys:
    """The keyboard shortcut of every frame and every (target, stance label) pair."""

    frames: dict[str, str]
    stance: dict[tuple[str, str], str]


def shortcuts(schema: LabelSchema) -> Keys:
    """Digits toggle frames; one letter row per target picks its stance (none past a row)."""
    frames = {f: _FRAME_KEYS[i] for i, f in enumerate(schema.frames[: len(_FRAME_KEYS)])}
    stance = {}
    for row, target in zip(_STANCE_ROWS, schema.targets):
        for key, label in zip(row, schema.stance_labels):
            stance[(target, label)] = key
    return Keys(frames, stance)


def layout(title: str, body: str, project: str) -> str:
    """A whole page: local stylesheet and script only, nothing fetched from elsewhere."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {escape(project)}</title>"
        '<link rel="stylesheet" href="/static/annotate.css">'
        '<script src="/static/annotate.js" defer></script></head><body>'
        f'<nav><a href="/">{escape(project)}</a> <a href="/agreement">agreement</a> '
        f'<a href="/adjudicate">adjudicate</a> <a href="/export.jsonl">export</a></nav>'
        f"<main>{body}</main></body></html>"
    )


def message_page(title: str, text: str, project: str) -> str:
    """A page saying one thing (an unknown annotator, a finished task)."""
    return layout(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>", project)


def home_page(
    project: str, n_items: int, progress: dict[str, dict[str, int]], allowed: Sequence[str]
) -> str:
    """The start page: who has labelled how much, and a name field to start or resume."""
    rows = "".join(
        f'<tr><td><a href="/label/{escape(name)}">{escape(name)}</a></td>'
        f"<td>{p['done']}</td><td>{p['skipped']}</td><td>{p['total']}</td></tr>"
        for name, p in progress.items()
    )
    table = (
        "<table><thead><tr><th>annotator</th><th>done</th><th>skipped</th><th>items</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
        if rows
        else "<p>No answers yet.</p>"
    )
    options = "".join(f'<option value="{escape(n)}">' for n in allowed)
    body = (
        f"<h1>Annotate: {escape(project)}</h1><p>{n_items} sentences in this project.</p>"
        f'{table}<form method="get" action="/start" class="start"><label>Your name '
        '<input name="annotator" id="annotator" required pattern="[A-Za-z0-9_][A-Za-z0-9_.\\-]*" '
        f'maxlength="40" list="known" autofocus></label><datalist id="known">{options}</datalist>'
        ' <button type="submit">start or resume</button></form>'
        "<p class=hint>Each annotator labels every sentence, blind to the others' answers.</p>"
    )
    return layout("start", body, project)


def _context(item: Item) -> str:
    record = item.record
    meta = " · ".join(
        escape(record[k]) for k in ("source", "date", "doc_id") if record.get(k) is not None
    )
    before = "".join(f'<p class="ctx">{escape(t)}</p>' for t in item.before)
    after = "".join(f'<p class="ctx">{escape(t)}</p>' for t in item.after)
    return (
        f'<section class="doc"><p class="meta">{meta} · <span class="sel">'
        f"{escape(item.selection)}</span></p>{before}"
        f'<p class="sentence" id="sentence">{escape(item.text)}</p>{after}</section>'
    )


def _frames(schema: LabelSchema, keys: Keys, answer: Answer | None) -> str:
    boxes = []
    for frame in schema.frames:
        key = keys.frames.get(frame, "")
        checked = " checked" if answer and frame in answer.frames else ""
        boxes.append(
            f'<label class="choice" title="{escape(schema.definitions.get(frame, ""))}">'
            f'<input type="checkbox" name="frame" value="{escape(frame)}" data-key="{key}"'
            f"{checked}><kbd>{key}</kbd> <b>{escape(frame)}</b>"
            f'<span class="def">{escape(schema.definitions.get(frame, ""))}</span></label>'
        )
    return f'<fieldset class="frames"><legend>Frames</legend>{"".join(boxes)}</fieldset>'


def _stance(schema: LabelSchema, keys: Keys, answer: Answer | None) -> str:
    groups = []
    default = "none" if "none" in schema.stance_labels else None
    for target in schema.targets:
        chosen = answer.stance.get(target, default) if answer else default
        radios = []
        for label in schema.stance_labels:
            key = keys.stance.get((target, label), "")
            checked = " checked" if label == chosen else ""
            radios.append(
                f'<label class="choice"><input type="radio" name="stance.{escape(target)}" '
                f'value="{escape(label)}" data-key="{key}" required{checked}>'
                f"<kbd>{key}</kbd> {escape(label)}</label>"
            )
        definition = escape(schema.definitions.get(f"target:{target}", ""))
        groups.append(
            f'<fieldset class="stance"><legend>Stance toward <b>{escape(target)}</b></legend>'
            f'<p class="def">{definition}</p>{"".join(radios)}</fieldset>'
        )
    return "".join(groups)


def label_page(
    project: str,
    annotator: str,
    item: Item,
    schema: LabelSchema,
    progress: dict[str, int],
    previous: Answer | None = None,
) -> str:
    """One sentence with its context, the schema's labels with definitions and shortcuts, and
    the annotator's progress; `previous` pre-fills an answer that was undone."""
    keys = shortcuts(schema)
    who = escape(annotator)
    flag = " checked" if previous and previous.flag else ""
    note = escape(previous.note) if previous else ""
    done, total = progress["done"], progress["total"]
    body = (
        f'<header><span>annotator <b id="who">{who}</b></span> <span id="progress">'
        f"{done} / {total} done · {progress['skipped']} skipped</span>"
        f'<progress value="{done}" max="{max(total, 1)}"></progress></header>'
        f"{_context(item)}"
        f'<form method="post" action="/label/{who}/answer" id="answer-form">'
        f'<input type="hidden" name="item_id" value="{escape(item.id)}">'
        '<input type="hidden" name="seconds" id="seconds" value="">'
        f"{_frames(schema, keys, previous)}{_stance(schema, keys, previous)}"
        f'<fieldset class="extra"><label><input type="checkbox" name="flag" value="1" '
        f'data-key="f"{flag}><kbd>f</kbd> flag for review</label> '
        f'<label><kbd>n</kbd> note <input type="text" name="note" id="note" value="{note}" '
        'maxlength="2000"></label></fieldset>'
        '<p class="buttons"><button type="submit" name="action" value="done" id="save">'
        '<kbd>Enter</kbd> save and next</button> <button type="submit" name="action" '
        'value="skipped" id="skip" formnovalidate><kbd>k</kbd> skip</button> '
        f'<button type="submit" formaction="/label/{who}/undo" formnovalidate id="undo">'
        "<kbd>u</kbd> undo last</button></p></form>"
        f"{_help(schema, keys)}"
    )
    return layout(f"label {item.id}", body, project)


def _help(schema: LabelSchema, keys: Keys) -> str:
    lines: Iterable[str] = [
        "digits toggle frames; a letter row per target sets its stance",
        "Enter saves and shows the next sentence (every answer is saved at once)",
        "k skips (skipped sentences come back at the end); u undoes your last answer",
        "f flags the sentence for review; n writes a note, Esc leaves the note",
    ]
    if len(schema.targets) > len(_STANCE_ROWS):
        lines = [*lines, "targets past the third have no shortcut: click them"]
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f'<details class="help"><summary>Keyboard</summary><ul>{items}</ul></details>'
