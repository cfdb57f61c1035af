"""The workspace's web app (Starlette): server-rendered pages, one form per decision.

Routes, top-down as a TA uses them:

    GET  /                          the parts, with how many await review
    GET  /part/{part}               the part's first screen still to grade
    GET  /grade/{part}/{sub}        one screen: a submission (or its answer group) for one part
    POST /decide                    confirm a score (items, comment) -> the next screen to grade
    POST /withdraw, /split, /regroup, /items, /items/edit, /ta
    GET  /find/{part}?q=            search a student
    GET  /source/{part}/{sub}       the student's own files around the answer (loaded by the screen)
    GET  /page/{part}/{sub}.png     the student's own PDF page around the answer
    GET  /reports/...               the folder's summary.html and feedback pages, read-only

Safety: the server binds 127.0.0.1 only; every request needs the token printed with the URL
(kept in an HttpOnly, SameSite=Strict cookie after the first visit); every POST also needs the
CSRF token of the page (or header) and a Host and Origin of this server; templates autoescape
everything; files are served only from the folder's known reports and the submission's own files.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from grader.report.html import _kind_source
from grader.review.folder import Card, GradedFolder
from grader.review.sources import SourceError, Sources
from grader.review.store import Store

HERE = Path(__file__).resolve().parent
MAX_COMMENT = 4000

ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(HERE / "templates"), jinja2.FunctionLoader(_kind_source)]),
    autoescape=True,  # student text is hostile: every template, whatever its name
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["points"] = lambda v: f"{v:g}" if v is not None else "—"
ENV.filters["signed"] = lambda v: f"{v:+g}" if v else "±0"  # ±0: a message with no points

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make the browser send "Origin: null" with our forms
    "Cache-Control": "no-store",
}


class Workspace:
    """The app's state: the folder, the store, the student's files, the access token."""

    def __init__(self, folder: GradedFolder, store: Store, sources: Sources, token: str, default_ta: str):
        self.folder = folder
        self.store = store
        self.sources = sources
        self.token = token
        self.csrf = hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()
        self.default_ta = default_ta
        self.port = 0  # set once the socket is bound

    @property
    def cookie(self) -> str:
        return f"grader_review_{self.port}"  # cookies ignore ports: two servers must not share one

    def ta(self, request: Request) -> str:
        name = request.cookies.get(f"grader_ta_{self.port}", "").strip()
        return name[:80] or self.default_ta


# ---------------------------------------------------------------- access control

class Guard:
    """ASGI middleware: the token on every request, CSRF and same-origin checks on every POST."""

    def __init__(self, app, workspace: Workspace):
        self.app = app
        self.ws = workspace

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        problem = self._check(request)
        if isinstance(problem, Response):
            return await problem(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                            if k.lower().encode() not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)

    def _check(self, request: Request) -> Response | None:
        allowed_hosts = {f"127.0.0.1:{self.ws.port}", f"localhost:{self.ws.port}"}
        if request.headers.get("host", "") not in allowed_hosts:  # DNS rebinding: a page on another name
            return Response("wrong host", status_code=403)
        given = request.query_params.get("token")
        if given is not None and hmac.compare_digest(given, self.ws.token) and request.method == "GET":
            # as Jupyter: the token once in the URL, then a cookie; the URL loses it
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)
            response.set_cookie(self.ws.cookie, self.ws.token, httponly=True, samesite="strict", path="/")
            return response
        if not hmac.compare_digest(request.cookies.get(self.ws.cookie, ""), self.ws.token):
            return HTMLResponse(ENV.get_template("denied.html").render(), status_code=403,
                                headers=SECURITY_HEADERS)
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            if origin is not None and origin not in {f"http://{h}" for h in allowed_hosts}:
                return Response("cross-site request refused", status_code=403)
            if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
                return Response("cross-site request refused", status_code=403)
        return None


async def _form(request: Request, ws: Workspace):
    """The POSTed form, after its CSRF token (field or header) is checked."""
    form = await request.form()
    given = str(form.get("csrf") or request.headers.get("x-grader-csrf") or "")
    if not hmac.compare_digest(given, ws.csrf):
        raise PermissionError("the page's form token is missing or wrong: reload the page")
    return form


# ---------------------------------------------------------------- pages

def _render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    ws: Workspace = request.app.state.ws
    page = ENV.get_template(name).render(csrf=ws.csrf, ta=ws.ta(request), folder=ws.folder, **context)
    return HTMLResponse(page, status_code=status)


def _error(request: Request, message: str, status: int = 400) -> HTMLResponse:
    return _render(request, "error.html", status=status, message=message)


def _everyone(request: Request) -> bool:
    return request.query_params.get("all") == "1"


def _grade_url(part: str, sub: str, everyone: bool = False) -> str:
    return f"/grade/{quote(part, safe='')}/{quote(sub, safe='')}" + ("?all=1" if everyone else "")


async def index(request: Request) -> Response:
    ws: Workspace = request.app.state.ws
    ws.folder.reload()
    rows = ws.folder.progress()
    return _render(request, "index.html", rows=rows, total_left=sum(r["left"] for r in rows),
                   total_queue=sum(r["queue"] for r in rows), history=ws.store.history(12))


def _todo(ws: Workspace, card: Card, decisions) -> bool:
    for sub in card.members:
        decision = decisions.get((sub, card.part))
        graded = ws.folder.submissions[sub].parts[card.part]
        if decision is None or ws.folder.recheck(graded, decision):
            return True
    return False


async def part_start(request: Request) -> Response:
    ws: Workspace = request.app.state.ws
    ws.folder.reload()
    part_id = request.path_params["part"]
    try:
        ws.folder.part(part_id)
    except KeyError:
        return _error(request, "No such part in the rubric.", 404)
    everyone = _everyone(request)
    cards = ws.folder.cards(part_id, everyone)
    if not cards:
        return _render(request, "done.html", part=ws.folder.part(part_id), next_part=_next_part(ws, part_id),
                       empty=True, everyone=everyone)
    decisions = ws.store.decisions(part_id)
    first = next((c for c in cards if _todo(ws, c, decisions)), None)
    if first is None and request.query_params.get("done") == "1":
        return _render(request, "done.html", part=ws.folder.part(part_id), next_part=_next_part(ws, part_id),
                       empty=False, everyone=everyone)
    return RedirectResponse(_grade_url(part_id, (first or cards[0]).id, everyone), status_code=303)


def _next_part(ws: Workspace, part_id: str):
    rows = ws.folder.progress()
    ids = [r["part"].id for r in rows]
    start = ids.index(part_id) if part_id in ids else -1
    for row in rows[start + 1:] + rows[:start + 1]:
        if row["left"] and row["part"].id != part_id:
            return row["part"]
    return None


async def grade(request: Request) -> Response:
    ws: Workspace = request.app.state.ws
    ws.folder.reload()
    part_id, sub_id = request.path_params["part"], request.path_params["sub"]
    try:
        part = ws.folder.part(part_id)
    except KeyError:
        return _error(request, "No such part in the rubric.", 404)
    submission = ws.folder.submissions.get(sub_id)
    if submission is None or part_id not in submission.parts:
        return _error(request, "No such submission in this folder.", 404)
    everyone = _everyone(request)
    cards = ws.folder.cards(part_id, everyone)
    position = next((i for i, c in enumerate(cards) if sub_id in c.members), None)
    if position is None:  # outside the queue (graded automatically): shown on its own
        cards.append(Card(part_id, [sub_id], None))
        position = len(cards) - 1
    card = cards[position]
    if card.id != sub_id and sub_id in card.members:
        card = Card(part_id, [sub_id] + [m for m in card.members if m != sub_id], card.label)
    graded = submission.parts[part_id]
    decisions = ws.store.decisions(part_id)
    decision = decisions.get((sub_id, part_id))
    items = ws.folder.items(part_id)
    points = {i.id: i.points for i in items}
    # the suggestion as items: the checklist items the grader found, and a base for the rest of its score
    suggested = ws.folder.suggested_items(graded)
    suggested_base = graded.score - sum(points[i] for i in suggested)
    applied = [i.id for i in decision.items] if decision else suggested
    score = decision.score if decision else graded.score
    base = decision.base if decision else suggested_base
    explained = ws.folder.explain(graded)
    members = [{"id": m, "who": ws.folder.submissions[m].who, "decision": decisions.get((m, part_id)),
                "recheck": ws.folder.recheck(ws.folder.submissions[m].parts[part_id], decisions.get((m, part_id)))}
               for m in card.members]
    left = sum(1 for c in cards if _todo(ws, c, decisions))
    ahead = [ws.folder.submissions[c.id] for c in cards[position + 1:position + 4]]
    ws.sources.read_ahead([(s.source, s.files) for s in ahead if s.source])
    state = {"max": graded.max_score, "base": base, "applied": applied, "suggested_applied": suggested,
             "suggested_base": suggested_base, "items": [{"id": i.id, "points": i.points} for i in items],
             "part": part_id}
    return _render(
        request, "grade.html", part=part, statement=ws.folder.statement(part_id), card=card, members=members,
        submission=submission, graded=graded, decision=decision, items=items, applied=set(applied), score=score,
        explained=explained, position=position, total=len(cards), left=left, everyone=everyone,
        prev_url=_grade_url(part_id, cards[position - 1].id, everyone) if position > 0 else None,
        next_url=_grade_url(part_id, cards[position + 1].id, everyone) if position + 1 < len(cards) else None,
        recheck=ws.folder.recheck(graded, decision), state=json.dumps(state), split_off=ws.store.splits(part_id),
        find=[{"id": s.id, "who": s.who} for s in ws.folder.submissions.values() if part_id in s.parts])


def _fragment(ws: Workspace, submission, part_id: str) -> tuple[dict[str, Any], str | None]:
    """The part's answer text as segmented from the student's files, and why not when they could not be read."""
    if submission.source is None:
        return {}, "the results do not say where the student's files are (graded by an older grader)"
    read = ws.sources.parts(submission.source, submission.files)
    return read.get(part_id) or {}, read.get("error")


async def _located(request: Request):
    """The submission and part of a /source or /page request, with the answer's text and its PDF place."""
    ws: Workspace = request.app.state.ws
    part_id, sub_id = request.path_params["part"], request.path_params["sub"]
    submission = ws.folder.submissions.get(sub_id)
    if submission is None or part_id not in submission.parts:
        return Response("not found", status_code=404)
    fragment, read_error = await run_in_threadpool(_fragment, ws, submission, part_id)
    return ws, submission, part_id, fragment, read_error, _pdf_for(submission, submission.parts[part_id], fragment)


async def source(request: Request) -> Response:
    """The student's own files around the answer: the PDF page and the text read (loaded after the screen)."""
    located = await _located(request)
    if isinstance(located, Response):
        return located
    ws, submission, part_id, fragment, read_error, pdf = located
    return HTMLResponse(ENV.get_template("source.html").render(
        part=ws.folder.part(part_id), submission=submission, fragment=fragment, read_error=read_error, pdf=pdf))


def _pdf_for(submission, graded, fragment: dict) -> dict[str, Any] | None:
    """Which PDF of the submission shows the answer, and where (page, box) when known."""
    pdfs = [i for i, f in enumerate(submission.files) if f.lower().endswith(".pdf")]
    if not pdfs:
        return None
    for where in graded.where:
        if isinstance(where, dict) and where.get("file") in submission.files and str(where["file"]).lower().endswith(".pdf"):
            return {"index": submission.files.index(where["file"]), "page": where.get("page"), "bbox": where.get("bbox")}
    source = fragment.get("source")
    index = submission.files.index(source) if source in submission.files and source.lower().endswith(".pdf") else pdfs[0]
    pages = fragment.get("grid_pages") or []
    return {"index": index, "page": pages[0] if pages else None, "bbox": None}


async def page_image(request: Request) -> Response:
    located = await _located(request)
    if isinstance(located, Response):
        return located
    ws, submission, _, fragment, _, pdf = located
    path = submission.file_path(pdf["index"]) if pdf else None
    if path is None:
        return Response("not found", status_code=404)
    bbox = pdf["bbox"] if isinstance(pdf["bbox"], list) and all(isinstance(v, (int, float)) and math.isfinite(v)
                                                                 for v in pdf["bbox"]) else None
    page = pdf["page"] if isinstance(pdf["page"], int) else None
    try:
        shown = await run_in_threadpool(ws.sources.page, path, page, bbox, fragment.get("text", ""))
    except (SourceError, OSError) as exc:
        return Response(f"the page could not be rendered: {exc}", status_code=422, media_type="text/plain")
    return Response(shown["png"], media_type="image/png",
                    headers={"X-Page": f"{shown['page']}/{shown['pages']}", "X-Page-How": shown["how"]})


# ---------------------------------------------------------------- actions

def _members(ws: Workspace, form, part_id: str) -> list[str]:
    members = [str(m) for m in form.getlist("member")]
    if not members or any(m not in ws.folder.submissions or part_id not in ws.folder.submissions[m].parts
                          for m in members):
        raise ValueError("unknown submission")
    return members


async def _posted(request: Request, failed: str, members: bool = True, as_json: bool = False):
    """The checked form of an action: (workspace, form, part id, submissions), or the refusal to send."""
    ws: Workspace = request.app.state.ws
    try:
        form = await _form(request, ws)
        part_id = str(form.get("part", ""))
        ws.folder.part(part_id)
        return ws, form, part_id, (_members(ws, form, part_id) if members else [])
    except PermissionError as exc:
        return JSONResponse({"error": str(exc)}, status_code=403) if as_json else _error(request, str(exc), 403)
    except (KeyError, ValueError) as exc:
        message = f"{failed}: {exc}"
        return JSONResponse({"error": message}, status_code=400) if as_json else _error(request, message + ".")


async def decide(request: Request) -> Response:
    posted = await _posted(request, "The decision was not saved")
    if isinstance(posted, Response):
        return posted
    ws, form, part_id, members = posted
    max_score = ws.folder.submissions[members[0]].parts[part_id].max_score
    try:
        score = float(str(form.get("score", "")).replace(",", "."))
    except ValueError:
        score = math.nan
    if not math.isfinite(score) or not 0 <= score <= max_score:
        return _error(request, f"The decision was not saved: the score must be between 0 and {max_score:g}.")
    comment = str(form.get("comment", ""))[:MAX_COMMENT].strip()
    items = [str(i) for i in form.getlist("item")]
    automatic = {}
    for sub in members:
        graded = ws.folder.submissions[sub].parts[part_id]
        seen = str(form.get(f"seen:{sub}") or graded.fingerprint)[:64]
        automatic[sub] = (graded.score, graded.status, seen)
    ws.store.decide(members, part_id, score, max_score, items, comment, ws.ta(request), automatic)
    everyone = form.get("all") == "1"
    cards = ws.folder.cards(part_id, everyone)
    decisions = ws.store.decisions(part_id)
    here = next((i for i, c in enumerate(cards) if members[0] in c.members), -1)
    following = cards[here + 1:] + cards[:max(here, 0)]
    target = next((c for c in following if _todo(ws, c, decisions)), None)
    if target is None:
        return RedirectResponse(f"/part/{quote(part_id, safe='')}?done=1" + ("&all=1" if everyone else ""),
                                status_code=303)
    return RedirectResponse(_grade_url(part_id, target.id, everyone), status_code=303)


async def withdraw(request: Request) -> Response:
    posted = await _posted(request, "Nothing was withdrawn")
    if isinstance(posted, Response):
        return posted
    ws, form, part_id, members = posted
    ws.store.withdraw(members, part_id, ws.ta(request))
    return RedirectResponse(_grade_url(part_id, members[0], form.get("all") == "1"), status_code=303)


async def split(request: Request) -> Response:
    posted = await _posted(request, "The group was not split")
    if isinstance(posted, Response):
        return posted
    ws, form, part_id, members = posted
    if form.get("regroup") == "1":
        ws.store.regroup(part_id, ws.ta(request))
    else:
        ws.store.split(part_id, members, ws.ta(request))
    return RedirectResponse(_grade_url(part_id, str(form.get("back") or members[0]), form.get("all") == "1"),
                            status_code=303)


def _item_fields(form) -> tuple[str, float]:
    label = " ".join(str(form.get("label", "")).split())[:500]
    try:
        points = float(str(form.get("points", "")).replace(",", ".").replace("−", "-"))
    except ValueError:
        points = math.nan
    if not label or not math.isfinite(points) or abs(points) > 1000:
        raise ValueError("an item needs a message and a number of points")
    return label, points


async def add_item(request: Request) -> Response:
    posted = await _posted(request, "not added", members=False, as_json=True)
    if isinstance(posted, Response):
        return posted
    ws, form, part_id, _ = posted
    try:
        label, points = _item_fields(form)
    except ValueError as exc:
        return JSONResponse({"error": f"not added: {exc}"}, status_code=400)
    item = ws.store.add_item(part_id, label, points, ws.ta(request))
    return JSONResponse({"id": item.id, "label": item.label, "points": item.points,
                         "number": len(ws.folder.items(part_id))})


async def edit_item(request: Request) -> Response:
    posted = await _posted(request, "not changed", members=False, as_json=True)
    if isinstance(posted, Response):
        return posted
    ws, form, part_id, _ = posted
    try:
        label, points = _item_fields(form)
        used = ws.store.edit_item(part_id, str(form.get("id", "")), label, points, ws.ta(request))
    except (KeyError, ValueError) as exc:
        return JSONResponse({"error": f"not changed: {exc}"}, status_code=400)
    return JSONResponse({"label": label, "points": points, "decisions": used})


async def set_ta(request: Request) -> Response:
    ws: Workspace = request.app.state.ws
    try:
        form = await _form(request, ws)
    except PermissionError as exc:
        return _error(request, str(exc), 403)
    name = " ".join(str(form.get("ta", "")).split())[:80]
    back = str(form.get("back") or "/")
    response = RedirectResponse(back if back.startswith("/") and not back.startswith("//") else "/", status_code=303)
    response.set_cookie(f"grader_ta_{ws.port}", name or ws.default_ta, httponly=True, samesite="strict", path="/")
    return response


async def find(request: Request) -> Response:
    ws: Workspace = request.app.state.ws
    part_id = request.path_params["part"]
    query = request.query_params.get("q", "").strip()
    matches = ws.folder.find(part_id, query) if query else []
    if len(matches) == 1 or (matches and query in matches):
        target = query if query in matches else matches[0]
        return RedirectResponse(_grade_url(part_id, target, _everyone(request)), status_code=303)
    try:
        part = ws.folder.part(part_id)
    except KeyError:
        return _error(request, "No such part in the rubric.", 404)
    return _render(request, "find.html", part=part, query=query,
                   matches=[ws.folder.submissions[m] for m in matches])


async def reports(request: Request) -> Response:
    """The folder's own reports, read-only: summary.html, gradebook.csv and each feedback.html."""
    ws: Workspace = request.app.state.ws
    name = request.path_params["name"]
    if name in ("summary.html", "gradebook.csv"):
        path = ws.folder.folder / name
    elif name.endswith("/feedback.html") and name[:-len("/feedback.html")] in ws.folder.submissions:
        path = ws.folder.folder / name[:-len("/feedback.html")] / "feedback.html"
    else:
        return Response("not found", status_code=404)
    if not path.is_file():
        return Response("not found", status_code=404)
    media = "text/csv; charset=utf-8" if name.endswith(".csv") else "text/html; charset=utf-8"
    return FileResponse(path, media_type=media)


def build_app(ws: Workspace) -> Starlette:
    routes = [
        Route("/", index),
        Route("/part/{part}", part_start),
        Route("/grade/{part}/{sub}", grade),
        Route("/find/{part}", find),
        Route("/source/{part}/{sub}", source),
        Route("/page/{part}/{sub}.png", page_image),
        Route("/decide", decide, methods=["POST"]),
        Route("/withdraw", withdraw, methods=["POST"]),
        Route("/split", split, methods=["POST"]),
        Route("/items", add_item, methods=["POST"]),
        Route("/items/edit", edit_item, methods=["POST"]),
        Route("/ta", set_ta, methods=["POST"]),
        Route("/reports/{name:path}", reports),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.ws = ws
    app.add_middleware(Guard, workspace=ws)
    return app
