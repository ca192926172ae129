"""The annotation web app: Starlette routes over the project database, served by uvicorn on the
local machine. Pages are rendered on the server; the one script (static/annotate.js) only maps
keys to the form's controls. Nothing is fetched from outside the app.

Starlette (FastAPI's core) is enough here: the app takes HTML forms, not JSON bodies, so it
needs no request models. It and uvicorn are imported inside functions: `framing --help` stays
fast and works without the `annotate` extra installed.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlsplit

from framing.annotate.agreement import agreement, disagreements
from framing.annotate.export import final_records
from framing.annotate.pages import home_page, label_page, message_page
from framing.annotate.project import ANNOTATOR_NAME, AnnotateConfig
from framing.annotate.review import adjudication_page, agreement_page, history_page
from framing.annotate.store import Answer, Decision, Store
from framing.errors import ConfigError
from framing.labels import LabelSchema

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

STATIC = Path(__file__).parent / "static"
_STATIC_TYPES = {"annotate.js": "text/javascript", "annotate.css": "text/css"}
# No inline script, no request anywhere but this server: hostile text cannot run, and a page
# that tried to load a CDN would fail in the browser test.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_MAX_NOTE = 2000
_EXTRA = "framing annotate needs the annotate extra: pip install 'framing[annotate]'"


class BadRequest(Exception):
    """A request the app refuses with a page saying why (status 400, 403 or 404)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_answer(form: dict[str, list[str]], schema: LabelSchema) -> Answer:
    """The answer a label form posted, checked against the schema.

    Raises:
        BadRequest: a label outside the schema, or a target without a stance on a done answer.
    """
    status = (form.get("action") or ["done"])[0]
    if status not in ("done", "skipped"):
        raise BadRequest(400, f"unknown action {status!r}")
    frames = tuple(form.get("frame", []))
    unknown = [f for f in frames if f not in schema.frames]
    if unknown:
        raise BadRequest(400, f"frame {unknown[0]!r} is not in the schema")
    stance = {}
    for target in schema.targets:
        value = (form.get(f"stance.{target}") or [""])[0]
        if value in schema.stance_labels:
            stance[target] = value
        elif status == "done":
            raise BadRequest(400, f"choose a stance toward {target} (one of the schema's labels)")
    try:
        seconds: float | None = round(float((form.get("seconds") or [""])[0]), 3)
    except ValueError:
        seconds = None
    if seconds is not None and not 0 <= seconds < 1e7:  # NaN and inf fail this too
        seconds = None
    note = (form.get("note") or [""])[0].strip()[:_MAX_NOTE]
    flag = (form.get("flag") or [""])[0] == "1"
    if status == "skipped":
        frames, stance = (), {}
    return Answer(frames, stance, status, flag, note, seconds)


class AnnotationServer:
    """The routes of one project; every write goes straight to the database."""

    def __init__(self, store: Store, schema: LabelSchema, config: AnnotateConfig) -> None:
        from starlette import responses

        self.store = store
        self.schema = schema
        self.config = config
        self.responses = responses

    # -- helpers -------------------------------------------------------------------------------
    def html(self, text: str, status: int = 200) -> Response:
        """An HTML response with the app's security headers."""
        return self.responses.HTMLResponse(text, status_code=status, headers=_HEADERS)

    def redirect(self, url: str) -> Response:
        """See other: after every POST, so a reload never posts twice."""
        return self.responses.RedirectResponse(url, status_code=303, headers=_HEADERS)

    def refuse(self, error: BadRequest) -> Response:
        """The page of a refused request."""
        return self.html(message_page("Not accepted", str(error), self.config.name), error.status)

    def annotator(self, name: str) -> str:
        """A checked annotator name (and one of `annotators:` when the config lists them)."""
        if not ANNOTATOR_NAME.fullmatch(name):
            raise BadRequest(400, "an annotator name is letters, digits, '_', '-' or '.' (≤ 40)")
        if self.config.annotators and name not in self.config.annotators:
            raise BadRequest(403, f"{name} is not one of this project's annotators")
        return name

    async def form(self, request: Request) -> dict[str, list[str]]:
        """The posted form fields (URL-encoded, as HTML forms send them).

        Raises:
            BadRequest: the form was posted from a page of another site (a browser sends the
                Origin of a cross-site form; without this check any page could post answers).
        """
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
            raise BadRequest(403, f"a form posted from {origin} is not accepted")
        body = (await request.body()).decode("utf-8", errors="replace")
        return parse_qs(body, keep_blank_values=True)

    def progress(self) -> dict[str, dict[str, int]]:
        """Progress of every annotator who has answered (or is listed in the config)."""
        names = list(dict.fromkeys([*self.config.annotators, *self.store.annotators()]))
        return {name: self.store.progress(name) for name in names}

    # -- labelling -------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        """GET /: progress of everyone, and where to start."""
        page = home_page(
            self.config.name, self.store.count_items(), self.progress(), self.config.annotators
        )
        return self.html(page)

    async def start(self, request: Request) -> Response:
        """GET /start?annotator=NAME: to that annotator's next sentence."""
        try:
            name = self.annotator(request.query_params.get("annotator", "").strip())
        except BadRequest as error:
            return self.refuse(error)
        return self.redirect(f"/label/{quote(name)}")

    async def label(self, request: Request) -> Response:
        """GET /label/NAME: the annotator's next sentence, or a page saying all are done."""
        try:
            name = self.annotator(request.path_params["annotator"])
        except BadRequest as error:
            return self.refuse(error)
        item = self.store.next_item(name)
        progress = self.store.progress(name)
        if item is None:
            text = f"All {progress['total']} sentences are answered. Thank you, {name}."
            return self.html(message_page("Done", text, self.config.name))
        previous = self.store.last_answer(name, item.id)
        page = label_page(self.config.name, name, item, self.schema, progress, previous)
        return self.html(page)

    async def answer(self, request: Request) -> Response:
        """POST /label/NAME/answer: save the answer (committed), then the next sentence."""
        try:
            name = self.annotator(request.path_params["annotator"])
            form = await self.form(request)
            item_id = (form.get("item_id") or [""])[0]
            if self.store.item(item_id) is None:
                raise BadRequest(404, f"no item {item_id!r} in this project")
            self.store.save_answer(name, item_id, parse_answer(form, self.schema))
        except BadRequest as error:
            return self.refuse(error)
        return self.redirect(f"/label/{quote(name)}")

    async def undo(self, request: Request) -> Response:
        """POST /label/NAME/undo: withdraw the latest answer and show its sentence again."""
        try:
            name = self.annotator(request.path_params["annotator"])
        except BadRequest as error:
            return self.refuse(error)
        self.store.undo(name)
        return self.redirect(f"/label/{quote(name)}")

    # -- review ----------------------------------------------------------------------------------
    async def agreement(self, request: Request) -> Response:
        """GET /agreement: Krippendorff's α per label."""
        rows = agreement(self.store, self.schema)
        return self.html(agreement_page(self.config.name, rows, self.progress()))

    async def adjudicate(self, request: Request) -> Response:
        """GET /adjudicate: the disagreements, each with a form to decide it."""
        cases = disagreements(self.store, self.schema)
        page = adjudication_page(self.config.name, cases, self.schema, self.store.decisions())
        return self.html(page)

    async def decide(self, request: Request) -> Response:
        """POST /adjudicate/ITEM: store the final label of an item (and log it)."""
        item_id = request.path_params["item_id"]
        try:
            if self.store.item(item_id) is None:
                raise BadRequest(404, f"no item {item_id!r} in this project")
            form = await self.form(request)
            who = self.annotator_free((form.get("adjudicator") or [""])[0].strip())
            answer = parse_answer({**form, "action": ["done"]}, self.schema)
            note = answer.note
            self.store.decide(item_id, Decision(answer.frames, answer.stance, who, note))
        except BadRequest as error:
            return self.refuse(error)
        return self.redirect("/adjudicate")

    def annotator_free(self, name: str) -> str:
        """An adjudicator's name: checked like an annotator's, but need not be listed."""
        if not ANNOTATOR_NAME.fullmatch(name):
            raise BadRequest(400, "an adjudicator name is letters, digits, '_', '-' or '.'")
        return name

    async def history(self, request: Request) -> Response:
        """GET /history/ITEM: every action logged for one item."""
        item_id = request.path_params["item_id"]
        rows = list(self.store.history(item_id))
        return self.html(history_page(self.config.name, item_id, rows))

    async def export(self, request: Request) -> Response:
        """GET /export.jsonl: the final labels as canonical JSONL."""
        records, _ = final_records(self.store)
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        headers = {
            **_HEADERS,
            "Content-Disposition": f'attachment; filename="{self.config.name}.jsonl"',
        }
        return self.responses.Response(text, media_type="application/x-ndjson", headers=headers)

    async def static(self, request: Request) -> Response:
        """GET /static/NAME: the app's own script and stylesheet, nothing else."""
        name = request.path_params["name"]
        if name not in _STATIC_TYPES:
            return self.html(message_page("Not found", name, self.config.name), 404)
        content = (STATIC / name).read_bytes()
        return self.responses.Response(content, media_type=_STATIC_TYPES[name], headers=_HEADERS)


def create_app(store: Store, schema: LabelSchema, config: AnnotateConfig) -> Starlette:
    """The Starlette app of an opened project."""
    try:
        from starlette.applications import Starlette
        from starlette.routing import Route
    except ImportError:
        raise ConfigError(_EXTRA) from None

    server = AnnotationServer(store, schema, config)
    routes = [
        Route("/", server.home),
        Route("/start", server.start),
        Route("/label/{annotator}", server.label),
        Route("/label/{annotator}/answer", server.answer, methods=["POST"]),
        Route("/label/{annotator}/undo", server.undo, methods=["POST"]),
        Route("/agreement", server.agreement),
        Route("/adjudicate", server.adjudicate),
        Route("/adjudicate/{item_id}", server.decide, methods=["POST"]),
        Route("/history/{item_id}", server.history),
        Route("/export.jsonl", server.export),
        Route("/static/{name}", server.static),
    ]
    return Starlette(routes=routes)


def serve(store: Store, schema: LabelSchema, config: AnnotateConfig, host: str, port: int) -> None:
    """Serve an opened project on host:port until interrupted, then close its database."""
    try:
        import uvicorn
    except ImportError:
        raise ConfigError(_EXTRA) from None
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            store.close()
            raise ConfigError(
                f"cannot serve on {host}:{port} ({exc.strerror or exc}); choose another --port"
            ) from None
    try:
        uvicorn.run(create_app(store, schema, config), host=host, port=port, log_level="warning")
    finally:
        store.close()
