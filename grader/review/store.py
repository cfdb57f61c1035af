"""The TAs' decisions, in SQLite inside the graded folder (`DIR/review.sqlite`): data, never lost.

A decision is one (submission, part): the rubric items the TA applied, a `base` of points the
items adjust (score = base + the items' points, kept within 0..max), a free comment, the TA's
name, the time, the automatic score it replaced and the fingerprint of the answer the TA saw.
Rubric items belong to a part and are shared by every submission: editing an item's points or
message changes the score and feedback of everyone it was given to, as in Gradescope, because
scores are always computed from the items, never copied.

Every change is also appended to `history`, so a decision replaced or withdrawn can be found again.
The database runs in WAL mode with a busy timeout: two TAs (two browsers, or two servers on the
same folder) write safely at once, and `grader grade` reads it while a server writes.

This module needs only the standard library: `grader grade` imports it to apply the decisions.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from grader.score import Override, round_score

FILENAME = "review.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    part TEXT NOT NULL, id TEXT NOT NULL, label TEXT NOT NULL, points REAL NOT NULL,
    position INTEGER NOT NULL, origin TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (part, id));
CREATE TABLE IF NOT EXISTS decisions (
    submission TEXT NOT NULL, part TEXT NOT NULL, base REAL NOT NULL, max_score REAL NOT NULL,
    comment TEXT NOT NULL, ta TEXT NOT NULL, decided_at TEXT NOT NULL,
    automatic_score REAL, automatic_status TEXT, answer_hash TEXT,
    PRIMARY KEY (submission, part));
CREATE TABLE IF NOT EXISTS applied (
    submission TEXT NOT NULL, part TEXT NOT NULL, item TEXT NOT NULL,
    PRIMARY KEY (submission, part, item));
CREATE TABLE IF NOT EXISTS splits (part TEXT NOT NULL, submission TEXT NOT NULL, PRIMARY KEY (part, submission));
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, ta TEXT NOT NULL, action TEXT NOT NULL,
    submission TEXT, part TEXT, data TEXT NOT NULL);
"""


def now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class Item:
    part: str
    id: str
    label: str  # the message the student sees
    points: float  # + adds, - deducts
    position: int
    origin: str  # "rubric" (from the rubric's checklist or mistakes) or "ta" (added while grading)


@dataclass(frozen=True)
class Decision:
    submission: str
    part: str
    base: float
    max_score: float
    comment: str
    ta: str
    decided_at: str
    automatic_score: float | None
    automatic_status: str | None
    answer_hash: str | None
    items: tuple[Item, ...]

    @property
    def score(self) -> float:
        return clamp(self.base + sum(i.points for i in self.items), self.max_score)

    @property
    def feedback(self) -> str:
        """What the student reads: each applied item's message with its points, then the comment."""
        lines = [f"{i.label.rstrip('. ')} ({i.points:+g})." if i.points else
                 i.label if i.label.endswith((".", "!", "?")) else f"{i.label}." for i in self.items]
        return " ".join(x for x in [*lines, self.comment] if x)


def clamp(score: float, maximum: float) -> float:
    return round_score(min(max(score, 0.0), maximum))


class Store:
    """One connection per call site (SQLite connections are not shared across threads)."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / FILENAME
        with self.connect() as db:
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=10000")
            db.row_factory = sqlite3.Row
            yield db
        finally:
            db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.connect() as db:
            db.execute("BEGIN IMMEDIATE")  # take the write lock now: no lost update between two TAs
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ------------------------------------------------------------ rubric items

    def seed_items(self, items: list[Item]) -> None:
        """The rubric's own items, added once; a TA's later edits of them are kept."""
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO items VALUES (?, ?, ?, ?, ?, ?, 'rubric', ?)",
                           [(i.part, i.id, i.label, i.points, i.position, i.origin, now()) for i in items])

    def items(self, part: str | None = None) -> list[Item]:
        with self.connect() as db:
            rows = db.execute("SELECT * FROM items" + (" WHERE part = ?" if part else "") + " ORDER BY part, position, id",
                              (part,) if part else ()).fetchall()
        return [_item(r) for r in rows]

    def add_item(self, part: str, label: str, points: float, ta: str) -> Item:
        with self.transaction() as db:
            position = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM items WHERE part = ?", (part,)).fetchone()[0]
            count = db.execute("SELECT COUNT(*) FROM items WHERE part = ? AND origin = 'ta'", (part,)).fetchone()[0]
            item_id = f"ta-{count + 1}"
            while db.execute("SELECT 1 FROM items WHERE part = ? AND id = ?", (part, item_id)).fetchone():
                count += 1
                item_id = f"ta-{count + 1}"
            db.execute("INSERT INTO items VALUES (?, ?, ?, ?, ?, 'ta', ?, ?)", (part, item_id, label, points, position, ta, now()))
            _log(db, ta, "add item", None, part, {"item": item_id, "label": label, "points": points})
        return Item(part, item_id, label, points, position, "ta")

    def edit_item(self, part: str, item_id: str, label: str, points: float, ta: str) -> int:
        """Change an item for everyone it was given to; returns how many decisions it touches."""
        with self.transaction() as db:
            old = db.execute("SELECT * FROM items WHERE part = ? AND id = ?", (part, item_id)).fetchone()
            if old is None:
                raise KeyError(item_id)
            db.execute("UPDATE items SET label = ?, points = ? WHERE part = ? AND id = ?", (label, points, part, item_id))
            used = db.execute("SELECT COUNT(*) FROM applied WHERE part = ? AND item = ?", (part, item_id)).fetchone()[0]
            _log(db, ta, "edit item", None, part, {"item": item_id, "label": label, "points": points,
                                                    "was": {"label": old["label"], "points": old["points"]},
                                                    "decisions": used})
        return used

    # ------------------------------------------------------------ decisions

    def decide(self, submissions: list[str], part: str, score: float, max_score: float, items: list[str],
               comment: str, ta: str, automatic: dict[str, tuple[float | None, str | None, str | None]],
               at: str | None = None) -> None:
        """Record one decision for each submission (several at once for an answer group).
        `score` is what the TA confirmed; the base is what is left after the items' points.
        `automatic`: submission -> (automatic score, automatic status, fingerprint of the answer seen).
        `at`: when the TA decided, if not now (a decision imported from an overrides file)."""
        score = clamp(score, max_score)
        with self.transaction() as db:
            points = {r["id"]: r["points"] for r in db.execute("SELECT id, points FROM items WHERE part = ?", (part,))}
            chosen = [i for i in dict.fromkeys(items) if i in points]
            base = score - sum(points[i] for i in chosen)
            at = at or now()
            for sub in submissions:
                auto_score, auto_status, seen = automatic.get(sub, (None, None, None))
                db.execute("INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (sub, part, base, max_score, comment, ta, at, auto_score, auto_status, seen))
                db.execute("DELETE FROM applied WHERE submission = ? AND part = ?", (sub, part))
                db.executemany("INSERT INTO applied VALUES (?, ?, ?)", [(sub, part, i) for i in chosen])
                _log(db, ta, "decide", sub, part, {"score": score, "base": base, "items": chosen, "comment": comment,
                                                   "automatic_score": auto_score, "answer_hash": seen})

    def withdraw(self, submissions: list[str], part: str, ta: str) -> None:
        """Back to the automatic score; the withdrawn decision stays in the history."""
        with self.transaction() as db:
            for sub in submissions:
                db.execute("DELETE FROM decisions WHERE submission = ? AND part = ?", (sub, part))
                db.execute("DELETE FROM applied WHERE submission = ? AND part = ?", (sub, part))
                _log(db, ta, "withdraw", sub, part, {})

    def decisions(self, part: str | None = None) -> dict[tuple[str, str], Decision]:
        with self.connect() as db:
            where, args = (" WHERE part = ?", (part,)) if part else ("", ())
            rows = db.execute("SELECT * FROM decisions" + where, args).fetchall()
            items = {(r["part"], r["id"]): _item(r) for r in db.execute("SELECT * FROM items" + where, args)}
            applied: dict[tuple[str, str], list[Item]] = {}
            for r in db.execute("SELECT * FROM applied" + where, args):
                item = items.get((r["part"], r["item"]))
                if item is not None:
                    applied.setdefault((r["submission"], r["part"]), []).append(item)
        out = {}
        for r in rows:
            chosen = tuple(sorted(applied.get((r["submission"], r["part"]), []), key=lambda i: (i.position, i.id)))
            out[(r["submission"], r["part"])] = Decision(
                r["submission"], r["part"], r["base"], r["max_score"], r["comment"], r["ta"], r["decided_at"],
                r["automatic_score"], r["automatic_status"], r["answer_hash"], chosen)
        return out

    # ------------------------------------------------------------ answer groups

    def split(self, part: str, submissions: list[str], ta: str) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO splits VALUES (?, ?)", [(part, s) for s in submissions])
            _log(db, ta, "split", None, part, {"submissions": submissions})

    def regroup(self, part: str, ta: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM splits WHERE part = ?", (part,))
            _log(db, ta, "regroup", None, part, {})

    def splits(self, part: str) -> set[str]:
        with self.connect() as db:
            return {r[0] for r in db.execute("SELECT submission FROM splits WHERE part = ?", (part,))}

    def history(self, limit: int = 200) -> list[sqlite3.Row]:
        with self.connect() as db:
            return db.execute("SELECT * FROM history ORDER BY id DESC LIMIT ?", (limit,)).fetchall()


def _item(row: sqlite3.Row) -> Item:
    return Item(row["part"], row["id"], row["label"], row["points"], row["position"], row["origin"])


def _log(db: sqlite3.Connection, ta: str, action: str, submission: str | None, part: str | None, data: dict) -> None:
    db.execute("INSERT INTO history (at, ta, action, submission, part, data) VALUES (?, ?, ?, ?, ?, ?)",
               (now(), ta, action, submission, part, json.dumps(data, ensure_ascii=False)))


# ---------------------------------------------------------------- decisions as overrides

def as_overrides(decisions: dict[tuple[str, str], Decision]) -> list[Override]:
    return [Override(d.submission, d.part, d.score, d.feedback,
                     f"review workspace, {d.ta}, {d.decided_at}", answer_hash=d.answer_hash, ta=d.ta, at=d.decided_at)
            for (_, _), d in sorted(decisions.items())]


def decisions_as_overrides(folder: Path) -> list[Override]:
    """The workspace's decisions in a graded folder, for `grader grade --out DIR` (none: [])."""
    if not (Path(folder) / FILENAME).exists():
        return []
    return as_overrides(Store(folder).decisions())


def with_decisions(overrides: list[Override], folder: Path) -> list[Override]:
    """The overrides file's entries, then the workspace's decisions; a decision on the same part wins."""
    decisions = decisions_as_overrides(folder)
    decided = {(o.submission, o.part) for o in decisions}
    return [o for o in overrides if (o.submission, o.part) not in decided] + decisions
