"""gradebook.csv (one row per student, one column per part) and the statistics for summary.html."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from typing import Any

from grader.pipeline import Result


def gradebook_csv(results: list[Result], failures: list[dict[str, Any]], part_ids: list[str]) -> str:
    """Columns: Name, SID, Email first (Gradescope's and most LMSs' import keys), then parts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Name", "SID", "Email", "Submission", *part_ids, "Total", "Needs review", "AI use disclosed", "Problems"])
    for r in results:
        students = r.students or [{"name": "", "sid": "", "email": ""}]
        scores = {p.id: p.score for p in r.parts}
        for s in students:
            writer.writerow([s.get("name", ""), s.get("sid", ""), s.get("email", ""), r.submission,
                             *[f"{scores[pid]:g}" for pid in part_ids], f"{r.score:g}",
                             sum(p.status == "needs_review" for p in r.parts),
                             "; ".join(f"Q{q}: {note}" for q, note in r.ai_use.items()),
                             " | ".join(r.problems)])
    for f in failures:
        writer.writerow(["", "", "", f["submission"], *["" for _ in part_ids], "", "", "", f["reason"]])
    return out.getvalue()


def _answer_label(answer: Any) -> str:
    if isinstance(answer, dict) and "cells" in answer:
        return "{" + ", ".join(answer["cells"]) + "}"
    if isinstance(answer, dict) and "choices" in answer:
        return ", ".join(f"({c})" for c in answer["choices"])
    if isinstance(answer, dict) and "text" in answer:
        return None  # free text: no answer groups
    return json.dumps(answer, sort_keys=True, ensure_ascii=False)[:120] if answer is not None else "(not read)"


def summary_stats(results: list[Result], part_ids: list[str]) -> dict[str, Any]:
    n = len(results)
    parts = []
    queue = []
    for pid in part_ids:
        rows = [next(p for p in r.parts if p.id == pid) for r in results]
        if not rows:
            continue
        maximum = rows[0].max_score
        histogram = Counter()
        for p in rows:
            share = p.score / maximum if maximum else 0
            histogram["0" if share == 0 else "full" if share == 1 else "<½" if share < 0.5 else "≥½"] += 1
        groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"count": 0})
        for p in rows:
            label = _answer_label(p.answer) if len(p.components) == 1 else None
            if label is None:
                continue
            group = groups[label]
            group.update(answer=label, score=p.score, notes=", ".join(n for c in p.components for n in c.notes))
            group["count"] += 1
        parts.append({"id": pid, "max": maximum, "mean": sum(p.score for p in rows) / n,
                      "histogram": [{"label": k, "count": histogram[k]} for k in ("full", "≥½", "<½", "0") if histogram[k]],
                      "groups": sorted(groups.values(), key=lambda g: (-g["count"], g["answer"]))[:5]})
        for r, p in zip(results, rows):
            if p.status == "needs_review":
                queue.append({"part": pid, "submission": r.submission, "score": p.score, "max": maximum,
                              "why": (p.review or "")[:300]})
    return {"n": n, "mean": sum(r.score for r in results) / n if n else 0.0, "parts": parts, "queue": queue,
            "review_count": len(queue)}
