"""A run's output folder: each submission's result.json and feedback.html, and the run's
gradebook.csv, similarity.csv and summary.html, every file written atomically.

The gradebook and the summary cover every result in the folder, not only this run's: a run over
a late-submissions folder into the same `--out` keeps the earlier students' rows. Results left by
earlier runs are read back from their result.json (`result_from_json`); one graded under another
rubric is left out with a note. Delete `<out>/<id>/` to drop a submission from the reports.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.output import write_if_changed

if TYPE_CHECKING:
    from grader.batch import BatchOutcome
    from grader.cache import ResultCache
    from grader.key import Key
    from grader.pipeline import Result
    from grader.rubric import Rubric
    from grader.score import Override

SUBMISSION_FILES = ("result.json", "feedback.html")
RUN_FILES = ("gradebook.csv", "similarity.csv", "summary.html")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_submission(result: Result, out: Path, key: Key, store: ResultCache | None,
                     key_hash: str | None, overrides: list[Override]) -> None:
    """result.json and feedback.html; skipped when neither the result nor its overrides changed
    and both files are still the ones written (their digests are checked, not their dates)."""
    from grader.report import result_json
    from grader.report.html import feedback_page

    folder = out / result.submission
    stamp = None
    if store is not None and key_hash is not None:
        stamp = hashlib.sha256(json.dumps([key_hash, str(out.resolve()), [vars(o) for o in overrides]],
                                          sort_keys=True, default=str).encode()).hexdigest()
        recorded = store.get_stamp(result.submission)
        if recorded is not None and recorded["stamp"] == stamp and _unchanged(folder, recorded["files"]):
            return
    rendered = {"result.json": result_json(result).encode("utf-8"),
                "feedback.html": feedback_page(result, key).encode("utf-8")}
    for name, data in rendered.items():
        write_if_changed(folder / name, data)
    if stamp is not None and store is not None:
        store.put_stamp(result.submission, stamp, {name: _digest(data) for name, data in rendered.items()})


def _unchanged(folder: Path, digests: dict[str, str]) -> bool:
    try:
        return all(_digest((folder / name).read_bytes()) == digests.get(name) for name in SUBMISSION_FILES)
    except OSError:
        return False


# ---------------------------------------------------------------- results of earlier runs

def result_from_json(data: dict[str, Any], rubric: Rubric) -> Result:
    """A Result from its result.json, enough for the gradebook and the summary (not its page).
    ValueError when it was not graded under this rubric's parts."""
    from grader.pipeline import Result
    from grader.score import ComponentResult, PartResult

    if (data.get("rubric") or {}).get("id") != rubric.id:
        raise ValueError(f"graded under rubric {(data.get('rubric') or {}).get('id')!r}")
    by_id = {p.get("id"): p for p in data.get("parts") or [] if isinstance(p, dict)}
    if list(by_id) != [p.id for p in rubric.parts]:
        raise ValueError("graded under another version of the rubric (its parts differ)")
    parts = []
    for spec in rubric.parts:
        p = by_id[spec.id]
        found = {f.get("component"): f for f in p.get("found") or [] if isinstance(f, dict)}
        listed = {c.get("id"): c for c in p.get("components") or [] if isinstance(c, dict)}
        components = []
        for cspec in spec.components:
            c = listed.get(cspec.id) or (p if len(spec.components) == 1 else {})
            how = found.get(cspec.id, {})
            components.append(ComponentResult(
                id=cspec.id, kind=cspec.kind, max_score=cspec.points, score=float(c.get("score") or 0.0),
                status=c.get("status", p.get("status", "needs_review")), feedback=str(c.get("feedback") or ""),
                answer=c.get("answer"), how=str(how.get("how") or ""), confidence=float(how.get("confidence") or 0.0)))
        parts.append(PartResult(spec.id, spec.title, spec.points, float(p.get("score") or 0.0),
                                p.get("status", "needs_review"), str(p.get("feedback") or ""), components,
                                p.get("review"), p.get("override"), spec.visibility))
    return Result(str(data["submission"]), list(data.get("students") or []), list(data.get("files") or []),
                  rubric, parts, list(data.get("problems") or []), dict(data.get("ai_use") or {}),
                  list(data.get("hidden_text") or []), ai_disclosures=dict(data.get("ai_use_detail") or {}),
                  error=data.get("error"))


def earlier_submissions(out: Path) -> set[str]:
    """Ids of the submissions whose result.json is in `out`."""
    if not out.is_dir():
        return set()
    return {p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / "result.json").is_file()}


def earlier_results(out: Path, rubric: Rubric, current: set[str]) -> tuple[list[Result], list[str]]:
    """Results in `out` that this run did not grade, and notes on those left out."""
    results, notes = [], []
    for name in sorted(earlier_submissions(out) - current):
        folder = out / name
        path = folder / "result.json"
        try:
            data = json.loads(path.read_bytes())
            if not isinstance(data, dict) or data.get("submission") != folder.name:
                raise ValueError("it is not the result of this folder's submission")
            results.append(result_from_json(data, rubric))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            notes.append(f"{path}: left out of the gradebook and summary ({exc})")
    return results, notes


# ---------------------------------------------------------------- the run's reports

def _similar_pairs(results: list[Result], rubric: Rubric, store: ResultCache | None) -> list:
    """Flagged pairs per part, recomputed only for the parts whose free texts changed."""
    from grader.cache import file_digest
    from grader.trust import code_fingerprint, mac, signed_by_me
    from grader.similarity import SimilarPair, find_similar_texts, prose_texts, question_shingles

    question = rubric.question_path
    memo_path = store.folder / "similarity.json" if store is not None else None
    memo: dict[str, Any] = {}
    context = [code_fingerprint(), file_digest(question)]
    if memo_path is not None:
        try:
            stored = json.loads(memo_path.read_bytes())
            signed = json.dumps([stored["context"], stored["parts"]], sort_keys=True).encode()
            if stored["context"] == context and signed_by_me(stored["mac"], signed):
                memo = stored["parts"]
        except (OSError, ValueError, KeyError, TypeError):
            memo = {}
    ignore = None
    by_part = prose_texts(results, rubric)
    pairs, fresh = [], {}
    for part in rubric.parts:
        if part.id not in by_part:
            continue
        digest = _digest(json.dumps(sorted(by_part[part.id].items())).encode())
        entry = memo.get(part.id)
        if entry is not None and entry.get("digest") == digest:
            found = [SimilarPair(**p) for p in entry["pairs"]]
        else:
            ignore = question_shingles(rubric) if ignore is None else ignore
            found = sorted(find_similar_texts(by_part[part.id], part.id, ignore),
                           key=lambda p: (-p.jaccard, -p.containment, p.a, p.b))
        fresh[part.id] = {"digest": digest, "pairs": [dataclasses.asdict(p) for p in found]}
        pairs += found
    if memo_path is not None and fresh != memo:
        from grader.output import write_atomic

        signed = json.dumps([context, fresh], sort_keys=True).encode()
        write_atomic(memo_path, json.dumps({"context": context, "parts": fresh, "mac": mac(signed)}))
    return pairs


def write_reports(outcome: BatchOutcome, rubric: Rubric, key: Key, out: Path, similarity: bool = True,
                  store: ResultCache | None = None) -> list[str]:
    """The run's gradebook.csv, similarity.csv and summary.html, over every result in `out`
    (this run's and earlier runs'); returns notes on results left out."""
    from grader.report.gradebook import gradebook_csv, summary_stats
    from grader.report.html import summary_page

    out.mkdir(parents=True, exist_ok=True)
    for result in outcome.results:
        if result.submission not in outcome.written:
            write_submission(result, out, key, None, None, [])
    earlier, notes = earlier_results(out, rubric, {r.submission for r in outcome.results})
    results = sorted([*outcome.results, *earlier], key=lambda r: r.submission)
    part_ids = [p.id for p in rubric.parts]
    write_if_changed(out / "gradebook.csv", gradebook_csv(results, outcome.failures, part_ids))
    pairs = []
    if similarity:
        from grader.similarity import similarity_csv

        pairs = _similar_pairs(results, rubric, store)
        write_if_changed(out / "similarity.csv", similarity_csv(pairs))
    stats = summary_stats(results, part_ids, rubric=rubric, similar=pairs)
    write_if_changed(out / "summary.html", summary_page(results, outcome.failures, rubric, stats))
    return notes
