"""The TA review workspace: `grader review DIR` over a graded output folder.

    store.py    the decisions, rubric items and answer-group splits, in DIR/review.sqlite (stdlib only:
                `grader grade` imports it to apply the decisions)
    folder.py   the graded folder: results, review queues, answer groups, what a screen explains
    sources.py  the student's own files: the answer's text and PDF page, read in a child process
    app.py      the web app (Starlette, jinja2 templates, a little plain JavaScript in static/)
    here        serve() runs it on 127.0.0.1; export_decisions()/import_decisions() move the
                decisions to and from an overrides file (the format `grader grade --overrides` reads)
"""

from __future__ import annotations

import csv
import io
import secrets
import socket
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `grader grade` imports review.store through this package: a rerun loads no grading code
    from grader.key import Key
    from grader.rubric import Rubric


class ReviewError(Exception):
    pass


def _folder(folder: Path, rubric: Rubric, key: Key):
    from grader.review.folder import GradedFolder
    from grader.review.store import Store

    if not folder.is_dir():
        raise ReviewError(f"{folder}: no such folder (grade first: grader grade PATH --out {folder})")
    store = Store(folder)
    graded = GradedFolder(folder, rubric, key, store)
    if not graded.submissions:
        raise ReviewError(f"{folder}: no graded submission (<id>/result.json) here; "
                          f"grade first: grader grade PATH --out {folder}")
    other = sorted({s.rubric_id for s in graded.submissions.values() if s.rubric_id and s.rubric_id != rubric.id})
    if other:
        raise ReviewError(f"{folder} was graded with rubric {', '.join(other)}, not {rubric.id} "
                          f"({rubric.path}): pass that rubric with --rubric")
    return store, graded


def make_app(folder: Path, rubric: Rubric, key: Key, ta: str = "", port: int = 0):
    """The web app over `folder`, with a fresh access token: (app, workspace)."""
    from grader.review.app import Workspace, build_app
    from grader.review.sources import Sources

    store, graded = _folder(folder, rubric, key)
    ws = Workspace(graded, store, Sources(rubric.path), secrets.token_urlsafe(24), ta or _default_ta())
    ws.port = port
    return build_app(ws), ws


def serve(folder: Path, rubric: Rubric, key: Key, port: int = 0, ta: str = "") -> None:
    """Serve the workspace on 127.0.0.1 until interrupted; print the URL with its token."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))  # never another interface: a TA's grades stay on the machine
    except OSError as exc:
        sock.close()
        raise ReviewError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    sock.listen(64)
    try:
        app, ws = make_app(folder, rubric, key, ta, sock.getsockname()[1])
    except BaseException:
        sock.close()
        raise
    ws.sources.warm()
    left = sum(r["left"] for r in ws.folder.progress())
    print(f"Review workspace for {folder}/: {len(ws.folder.submissions)} submissions, {left} parts to review.\n"
          f"Open in a browser (this URL holds the access token):\n\n"
          f"    http://127.0.0.1:{ws.port}/?token={ws.token}\n\n"
          f"Decisions are saved in {folder / 'review.sqlite'} and applied by the next "
          f"'grader grade ... --out {folder}'. Stop with Ctrl+C.", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        ws.sources.close()
        sock.close()


def _default_ta() -> str:
    import getpass
    import os

    try:
        return os.environ.get("GRADER_TA") or getpass.getuser()
    except (KeyError, OSError):
        return "TA"


def export_decisions(folder: Path, rubric: Rubric, key: Key, path: Path) -> int:
    """Write the decisions as an overrides file (YAML, or CSV by its suffix); returns how many."""
    import yaml

    from grader.review.store import as_overrides

    store, _ = _folder(folder, rubric, key)
    rows = [{"submission": o.submission, "part": o.part, "score": o.score, "comment": o.comment, "ta": o.ta,
             "time": o.at} for o in as_overrides(store.decisions())]
    if path.suffix.lower() == ".csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, ["submission", "part", "score", "comment", "ta", "time"], lineterminator="\n")
        writer.writeheader()
        writer.writerows({**r, "score": f"{r['score']:g}"} for r in rows)
        text = out.getvalue()
    else:
        text = ("# TA decisions from the review workspace; grader grade --overrides reads this file\n"
                + yaml.safe_dump(rows, sort_keys=False, allow_unicode=True, width=100))
    path.write_text(text, encoding="utf-8")
    return len(rows)


def import_decisions(folder: Path, rubric: Rubric, key: Key, path: Path, ta: str = "") -> int:
    """Read an overrides file into the workspace as decisions; every entry must name a known
    submission and part, or nothing is imported."""
    store, graded = _folder(folder, rubric, key)
    from grader.score import load_overrides

    overrides = load_overrides(path)
    problems = []
    for o in overrides:
        sub = graded.submissions.get(o.submission)
        if sub is None:
            problems.append(f"{o.source}: unknown submission {o.submission!r}")
        elif o.part not in sub.parts:
            problems.append(f"{o.source}: unknown part {o.part!r}")
        elif not 0 <= o.score <= sub.parts[o.part].max_score:
            problems.append(f"{o.source}: score {o.score:g} is outside 0..{sub.parts[o.part].max_score:g}")
    if problems:
        raise ReviewError("nothing imported: " + "; ".join(problems))
    who = ta or _default_ta()
    for o in overrides:  # the file's own `ta` and `time`, when it gives them, say who decided and when
        graded_part = graded.submissions[o.submission].parts[o.part]
        store.decide([o.submission], o.part, o.score, graded_part.max_score, [], o.comment, o.ta or who,
                     {o.submission: (graded_part.score, graded_part.status, graded_part.fingerprint)}, o.time or None)
    return len(overrides)
