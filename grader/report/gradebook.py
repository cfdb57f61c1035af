"""gradebook.csv (one row per student, one column per part) and the statistics for summary.html.

The gradebook's first columns are Name, SID and Email: Gradescope matches uploaded scores to its
roster by email (or SID), and LMS imports (Moodle, Canvas via SIS id, Brightspace) match on one of
the same keys. Scores are final or provisional, never mixed without saying so:

- a part column holds the part's points when they are final (automatic and confirmed, or a TA's
  decision); a part awaiting review holds `review (suggested 3)`, or `review (not read)` when
  nothing could be read: never a plain number that looks final, never a 0 nobody decided;
- `Final total` adds final points only: it is the grade to upload once `Needs review` is 0;
- `Provisional total` adds the suggested scores too, for a first look at the distribution.

Every text cell goes through `csvsafe.cell`, so a spreadsheet never runs one as a formula.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import Counter
from typing import Any

from grader.kinds import get_kind
from grader.pipeline import Result
from grader.report.csvsafe import cell

FIRST_COLUMNS = ["Name", "SID", "Email", "Submission"]
LAST_COLUMNS = ["Final total", "Provisional total", "Max Points", "Needs review", "AI use disclosed", "Status",
                "Problems"]


def _text(value: str) -> str:
    """One line of text a spreadsheet shows as text, never runs."""
    return cell(" ".join(str(value).split()))


def part_cell(part) -> str:
    if not part.provisional:
        return f"{part.score:g}"
    return f"review (suggested {part.score:g})" if part.read else "review (not read)"


def _status(result: Result, failed: dict[str, str]) -> str:
    if result.submission in failed:
        return f"not graded: {failed[result.submission]}"[:300]
    if result.error:
        return f"unreadable: {result.error}"[:300]
    review = sum(p.provisional for p in result.parts)
    return "needs review" if review else "graded"


def gradebook_csv(results: list[Result], failures: list[dict[str, Any]], part_ids: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIRST_COLUMNS, *part_ids, *LAST_COLUMNS])
    failed = {f["submission"]: f["reason"].splitlines()[0] for f in failures}
    listed = set()
    for r in results:
        listed.add(r.submission)
        students = r.students or [{"name": "", "sid": "", "email": ""}]
        cells = {p.id: part_cell(p) for p in r.parts}
        for s in students:
            writer.writerow([_text(s.get("name", "")), _text(s.get("sid", "")), _text(s.get("email", "")),
                             _text(r.submission), *[cells.get(pid, "") for pid in part_ids],
                             f"{r.final_score:g}", f"{r.score:g}", f"{r.max_score:g}",
                             sum(p.provisional for p in r.parts),
                             _text("; ".join(f"Q{q}: {note}" for q, note in r.ai_use.items())),
                             _text(_status(r, failed)), _text(" | ".join(r.problems))])
    for f in failures:  # callers that pass failures without a placeholder result
        if f["submission"] in listed:
            continue
        for s in f.get("students") or [{"name": "", "sid": "", "email": ""}]:
            writer.writerow([_text(s.get("name", "")), _text(s.get("sid", "")), _text(s.get("email", "")),
                             _text(f["submission"]), *["review (not read)" for _ in part_ids], "", "", "", "", "",
                             _text(f"not graded: {failed[f['submission']]}"), _text(f["reason"])])
    return out.getvalue()


# ---------------------------------------------------------------- summary statistics

def _answer_label(kind: str, answer: Any) -> str | None:
    return "(not read)" if answer is None else get_kind(kind).group_label(answer)


def histogram(values: list[float], maximum: float, width: int = 240, height: int = 64) -> dict[str, Any]:
    """Bars for an inline SVG: one bar per point for small parts, ten bins for large totals."""
    if maximum <= 10:
        edges = [float(i) for i in range(int(math.floor(maximum)) + 1)]
        labels = [f"{e:g}" for e in edges]
    else:
        step = maximum / 10
        edges = [i * step for i in range(10)]
        labels = [f"{e:g}–{e + step:g}" for e in edges]
    counts = [0] * len(edges)
    for v in values:
        index = max(i for i, e in enumerate(edges) if v >= e - 1e-9) if v >= 0 else 0
        counts[index] += 1
    top = max(counts) if counts and max(counts) else 1
    bar_w = width / len(edges)
    bars = []
    for i, (label, count) in enumerate(zip(labels, counts)):
        h = round((height - 14) * count / top, 1)
        bars.append({"x": round(i * bar_w + 1, 1), "w": round(bar_w - 2, 1), "y": round(height - 14 - h, 1),
                     "h": h, "label": label, "count": count, "tx": round(i * bar_w + bar_w / 2, 1)})
    return {"width": width, "height": height, "bars": bars, "base": height - 14}


def summary_stats(results: list[Result], part_ids: list[str], rubric=None, similar=()) -> dict[str, Any]:
    n = len(results)
    order = {pid: i for i, pid in enumerate(part_ids)}
    parts, queue, decisions = [], [], []
    for pid in part_ids:
        rows = [(r, p) for r in results for p in r.parts if p.id == pid]
        if not rows:
            continue
        maximum = rows[0][1].max_score
        scores = [p.score for _, p in rows]
        statuses = Counter(p.status for _, p in rows)
        groups = []
        for index, component in enumerate(rows[0][1].components):
            buckets: dict[str, dict[str, Any]] = {}
            for r, p in rows:
                if index >= len(p.components):
                    continue
                c = p.components[index]
                label = _answer_label(c.kind, c.answer)
                if label is None:
                    continue
                g = buckets.setdefault(label, {"answer": label, "component": c.id, "count": 0, "score": c.score,
                                               "max": c.max_score, "status": c.status, "notes": set(),
                                               "submissions": []})
                g["count"] += 1
                g["notes"].update(c.notes)
                if len(g["submissions"]) < 8:
                    g["submissions"].append(r.submission)
            for g in buckets.values():
                g["notes"] = ", ".join(sorted(g["notes"]))
                g["multi"] = len(rows[0][1].components) > 1
            groups += sorted(buckets.values(), key=lambda g: (-g["count"], g["answer"]))[:6]
        title = rubric.part(pid).title if rubric is not None else ""
        decided = [(r, p) for r, p in rows if p.override is not None]
        decisions += [{"part": pid, "submission": r.submission, "score": p.score, "max": maximum,
                       "automatic": p.override.get("automatic_score"),
                       "was_review": p.override.get("automatic_status") == "needs_review",
                       "comment": p.override.get("comment", ""), "ta": p.override.get("ta", ""),
                       "source": p.override.get("source", "")} for r, p in decided]
        parts.append({"id": pid, "title": title, "max": maximum, "mean": sum(scores) / len(scores),
                      "decided": len(decided), "remaining": statuses["needs_review"],
                      "reviewed": sum(1 for _, p in decided if p.override.get("automatic_status") == "needs_review"),
                      "statuses": [{"status": s, "count": statuses[s]} for s in
                                   ("correct", "partial", "incorrect", "missing", "needs_review") if statuses[s]],
                      "plot": histogram(scores, maximum), "groups": groups})
        for r, p in rows:
            if p.status == "needs_review":
                queue.append({"part": pid, "submission": r.submission, "score": p.score, "max": maximum,
                              "why": (p.review or p.feedback or "")[:300]})
    queue.sort(key=lambda q: (order.get(q["part"], 0), q["submission"]))
    totals = [r.score for r in results]
    finals = [r.final_score for r in results]
    maximum = results[0].max_score if results else (rubric.total if rubric is not None else 100)
    problems = [{"submission": r.submission, "problems": r.problems, "error": r.error}
                for r in results if r.problems or r.error]
    decisions.sort(key=lambda d: (order.get(d["part"], 0), d["submission"]))
    return {"n": n, "mean": sum(totals) / n if n else 0.0, "median": statistics.median(totals) if n else 0.0,
            "final_mean": sum(finals) / n if n else 0.0, "complete": sum(not r.needs_review for r in results),
            "decisions": decisions,
            "total_plot": histogram(totals, maximum, width=480, height=90), "parts": parts, "queue": queue,
            "review_count": len(queue), "problems": problems, "similar": list(similar)}
