"""A graded output folder as the workspace sees it: the results, the rubric's parts and items,
answer groups and each part's review queue.

Everything here is read from `DIR/<id>/result.json` (written by `grader grade`), the rubric and
its key; the decisions come from the store. The folder is read again when a regrade rewrites it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from grader.key import Key
from grader.kinds import get_kind
from grader.kinds.base import Extracted
from grader.report.folder import earlier_submissions
from grader.review.store import Decision, Item, Store
from grader.rubric import Part, Rubric
from grader.score import answer_fingerprint, round_score


@dataclass
class GradedPart:
    """One submission's part as graded: the automatic score (before any TA decision) and the answer."""

    submission: str
    id: str
    max_score: float
    score: float
    status: str
    review: str | None
    feedback: str
    answer: Any
    components: list[dict[str, Any]]  # {id, answer, score, max_score, status, feedback}
    found: list[dict[str, Any]]
    where: list[dict[str, Any]]  # [{file, page, bbox}] when the grader recorded where the answer is
    files: list[Path] = field(default_factory=list, repr=False)

    @property
    def needs_review(self) -> bool:
        return self.status == "needs_review"

    @cached_property
    def fingerprint(self) -> str:
        return answer_fingerprint(self.answer, self.files)


@dataclass
class GradedSubmission:
    id: str
    students: list[dict[str, str]]
    files: list[str]
    source: Path | None
    rubric_id: str
    rubric_version: str
    parts: dict[str, GradedPart]
    problems: list[str]

    @property
    def who(self) -> str:
        names = ", ".join(s.get("name") or s.get("sid") or s.get("email") or "" for s in self.students)
        return names.strip(", ") or self.id

    def search_text(self) -> str:
        fields = [self.id, *[v for s in self.students for v in s.values()]]
        return " ".join(str(f) for f in fields).lower()

    def file_path(self, index: int) -> Path | None:
        """The student's own file number `index`, only inside the submission's folder."""
        if self.source is None or not 0 <= index < len(self.files):
            return None
        root = self.source.resolve()
        path = (root / self.files[index]).resolve()
        return path if path.is_relative_to(root) and path.is_file() else None


@dataclass
class Card:
    """What one screen grades: a submission, or an answer group of equal answers."""

    part: str
    members: list[str]  # submission ids, the first one shown
    label: str | None  # the group's answer, as each kind labels it

    @property
    def id(self) -> str:
        return self.members[0]


def _load_result(path: Path) -> GradedSubmission | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sub_id = str(data["submission"])
        source = Path(data["source"]) if data.get("source") else None
        files = [str(f) for f in data.get("files", [])]
        paths = [source / f for f in files] if source else []
        parts = {}
        for p in data["parts"]:
            override = p.get("override") or {}
            components = p.get("components") or [{"id": f["component"], "answer": p.get("answer")}
                                                  for f in p.get("found", [])[:1]]
            parts[str(p["id"])] = GradedPart(
                sub_id, str(p["id"]), float(p["max_score"]),
                float(override.get("automatic_score", p["score"])),
                str(override.get("automatic_status", p["status"])),
                override["automatic_review"] if "automatic_review" in override else p.get("review"),
                override.get("automatic_feedback", p.get("feedback") or ""),
                p.get("answer"), components, p.get("found", []), p.get("where") or [], paths)
        rubric = data.get("rubric") or {}
        return GradedSubmission(sub_id, data.get("students") or [], files, source, str(rubric.get("id", "")),
                                str(rubric.get("version", "")), parts, data.get("problems") or [])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a result.json of ours: not part of the workspace


class GradedFolder:
    def __init__(self, folder: Path, rubric: Rubric, key: Key, store: Store):
        self.folder = Path(folder)
        self.rubric = rubric
        self.key = key
        self.store = store
        self.submissions: dict[str, GradedSubmission] = {}
        self._stamp: tuple = ()
        self._explained: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.reload()
        store.seed_items([item for part in rubric.parts for item in rubric_items(part)])

    # ------------------------------------------------------------ loading

    def _results(self) -> list[Path]:
        return [self.folder / name / "result.json" for name in sorted(earlier_submissions(self.folder))]

    def reload(self) -> bool:
        """Read the results again when a regrade changed them; True when something changed."""
        paths = self._results()
        stamp = tuple((p, p.stat().st_mtime_ns) for p in paths)
        if stamp == self._stamp:
            return False
        loaded = [s for s in map(_load_result, paths) if s is not None]
        self.submissions = {s.id: s for s in sorted(loaded, key=lambda s: s.id)}
        self._stamp = stamp
        self._explained.clear()
        return True

    @property
    def rubric_changed(self) -> bool:
        """The results were graded with another version of the rubric than the one loaded."""
        current = f"{self.rubric.version}+{self.rubric.content_hash}"
        return any(s.rubric_version and s.rubric_version != current for s in self.submissions.values())

    # ------------------------------------------------------------ parts and queues

    def part(self, part_id: str) -> Part:
        return self.rubric.part(part_id)

    def graded(self, part_id: str) -> list[GradedPart]:
        return [s.parts[part_id] for s in self.submissions.values() if part_id in s.parts]

    def recheck(self, graded: GradedPart, decision: Decision | None) -> bool:
        return bool(decision and decision.answer_hash and decision.answer_hash != graded.fingerprint)

    def in_queue(self, graded: GradedPart, decision: Decision | None) -> bool:
        return graded.needs_review or decision is not None

    def progress(self) -> list[dict[str, Any]]:
        """Per part: how many await review, how many are decided, how many ask to be re-checked."""
        decisions = self.store.decisions()
        rows = []
        for part in self.rubric.parts:
            graded = self.graded(part.id)
            queue = [g for g in graded if self.in_queue(g, decisions.get((g.submission, part.id)))]
            done = [g for g in queue if (g.submission, part.id) in decisions
                    and not self.recheck(g, decisions[(g.submission, part.id)])]
            recheck = [g for g in queue if self.recheck(g, decisions.get((g.submission, part.id)))]
            rows.append({"part": part, "kinds": ", ".join(dict.fromkeys(c.kind for c in part.components)),
                         "queue": len(queue), "done": len(done), "left": len(queue) - len(done),
                         "recheck": len(recheck), "submissions": len(graded)})
        return rows

    def cards(self, part_id: str, everyone: bool = False) -> list[Card]:
        """The part's screens in order: answer groups (largest first), then single submissions.
        Without `everyone`, only the review queue (awaiting review, or already decided here)."""
        decisions = self.store.decisions(part_id)
        splits = self.store.splits(part_id)
        part = self.part(part_id)
        groups: dict[str, list[str]] = {}
        singles: list[str] = []
        for graded in self.graded(part_id):
            if not everyone and not self.in_queue(graded, decisions.get((graded.submission, part_id))):
                continue
            label = None if graded.submission in splits else group_label(part, graded)
            if label is None:
                singles.append(graded.submission)
            else:
                groups.setdefault(label, []).append(graded.submission)
        cards = [Card(part_id, members, label) for label, members in groups.items() if len(members) > 1]
        singles += [members[0] for members in groups.values() if len(members) == 1]
        cards.sort(key=lambda c: (-len(c.members), c.members[0]))
        return cards + [Card(part_id, [s], None) for s in sorted(singles)]

    def find(self, part_id: str, query: str) -> list[str]:
        words = query.lower().split()
        return [s.id for s in self.submissions.values() if part_id in s.parts
                and all(w in s.search_text() for w in words)]

    # ------------------------------------------------------------ what a screen shows

    def statement(self, part_id: str) -> str:
        """The question's text from the rubric's question_text file (the whole question the part belongs to)."""
        if self.rubric.question_path is None:
            return ""
        try:
            text = self.rubric.question_path.read_text(encoding="utf-8")
        except OSError:
            return ""
        question = self.part(part_id).question
        m = re.search(rf"^Question\s+{question}\b.*?(?=^Question\s+\d|\Z)", text, re.M | re.S | re.I)
        return m.group(0).strip() if m else ""

    def explain(self, graded: GradedPart) -> dict[str, Any]:
        """Per component: the kind's picture of the answer beside the key, its evidence and checklist,
        by grading the answer as read again (cheap, and exactly what the kind shows in feedback)."""
        cache_key = (graded.submission, graded.id, graded.fingerprint)
        if cache_key not in self._explained:
            if len(self._explained) > 4096:  # a few screens' worth is what matters; memory stays bounded
                self._explained.clear()
            self._explained[cache_key] = {"components": [self._explain_component(graded, c) for c in
                                                         self.part(graded.id).components]}
        return self._explained[cache_key]

    def _explain_component(self, graded: GradedPart, component) -> dict[str, Any]:
        kind = get_kind(component.kind)
        value = _component_answer(graded, component.id, len(self.part(graded.id).components))
        key = self.key.value(graded.id, component.id)
        out = {"id": component.id, "kind": component.kind, "points": component.points, "read": value is not None,
               "evidence": [], "checklist": [], "notes": []}
        answer = Extracted(value, "as read", 1.0) if value is not None else None
        outcome = None
        if answer is not None and (key is not None or not kind.needs_key):
            try:
                outcome = kind.grade(answer, key, component)
            except Exception:  # an answer this version of the kind cannot grade again: show it plainly
                outcome = None
        try:
            out["ctx"] = kind.render_context(answer, key, outcome, component)
        except Exception:
            out["ctx"] = {"shown": kind.describe(answer) if answer else "—"}
        if outcome is not None:
            out["evidence"] = list(outcome.evidence)
            out["checklist"] = list(outcome.extra.get("items", []))
            out["notes"] = list(outcome.notes)
        if value is not None and isinstance(value, dict) and "text" in value:
            out["text"] = value["text"]
        return out

    def items(self, part_id: str) -> list[Item]:
        return self.store.items(part_id)

    def suggested_items(self, graded: GradedPart) -> list[str]:
        """Items the automatic grading already counted: the checklist items it found."""
        found = []
        for component in self.explain(graded)["components"]:
            found += [f"{component['id']}:{i['id']}" for i in component["checklist"] if i.get("found")]
        known = {i.id for i in self.items(graded.id)}
        return [f for f in found if f in known]


def _component_answer(graded: GradedPart, component_id: str, count: int) -> Any:
    if count == 1:
        return graded.answer
    for c in graded.components:
        if c.get("id") == component_id:
            return c.get("answer")
    return graded.answer.get(component_id) if isinstance(graded.answer, dict) else None


def group_label(part: Part, graded: GradedPart) -> str | None:
    """Equal answers after each kind's normalisation share a label; an unread answer or free text has none."""
    labels = []
    for component in part.components:
        value = _component_answer(graded, component.id, len(part.components))
        label = get_kind(component.kind).group_label(value) if value is not None else None
        if label is None:
            return None
        labels.append(label)
    return " · ".join(labels)


def rubric_items(part: Part) -> list[Item]:
    """A part's rubric items from the rubric: each checklist item (points up, scaled to the
    component) and each declared mistake (points down by the credit it loses, or a message only)."""
    items = []
    many = len(part.components) > 1
    for component in part.components:
        prefix = f"[{component.id.replace('_', ' ')}] " if many else ""
        checklist = getattr(component.settings, "items", None) or []
        if checklist:
            weight = sum(i.points for i in checklist)
            needed = min(getattr(component.settings, "full_credit_at", None) or weight, weight)
            for item in checklist:
                items.append(Item(part.id, f"{component.id}:{item.id}", prefix + item.description,
                                  round_score(component.points * item.points / needed), len(items) + 1, "rubric"))
        for mistake in component.mistakes:
            loss = -round_score(component.points * (1 - mistake.credit)) if mistake.credit is not None else 0.0
            items.append(Item(part.id, f"{component.id}:mistake:{mistake.id}", prefix + " ".join(mistake.message.split()),
                              loss, len(items) + 1, "rubric"))
    return items
