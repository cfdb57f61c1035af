"""Grade many submissions: parallel across cores, one bad file never stops the batch."""

from __future__ import annotations

import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.ingest.limits import DEFAULT_LIMITS, Limits
from grader.ingest.submission import Submission
from grader.key import Key, load_key
from grader.pipeline import Result, grade_submission
from grader.report import write_result
from grader.report.gradebook import gradebook_csv, summary_stats
from grader.report.html import summary_page
from grader.rubric import Rubric, load_rubric
from grader.score import Override


@dataclass
class BatchOutcome:
    results: list[Result]
    failures: list[dict[str, Any]]  # {"submission", "reason"}: could not be graded at all


def _grade_one(sub: Submission, rubric: Rubric, key: Key, overrides: list[Override], limits: Limits) -> Result | str:
    try:
        return grade_submission(sub, rubric, key, overrides, limits)
    except Exception as exc:  # a grader bug on one file is reported, and the batch goes on
        return f"internal error while grading ({type(exc).__name__}: {exc}); {traceback.format_exc(limit=-1).strip()}"


# Worker processes load the rubric and key once, not once per submission.
_WORKER: dict[str, Any] = {}


def _init_worker(rubric_path: str, overrides: list[Override], limits: Limits) -> None:
    rubric = load_rubric(rubric_path)
    _WORKER.update(rubric=rubric, key=load_key(rubric), overrides=overrides, limits=limits)


def _grade_in_worker(sub: Submission) -> Result | str:
    return _grade_one(sub, _WORKER["rubric"], _WORKER["key"], _WORKER["overrides"], _WORKER["limits"])


def grade_all(subs: list[Submission], rubric: Rubric, key: Key, overrides: list[Override] = (),
              jobs: int = 1, limits: Limits = DEFAULT_LIMITS, progress=None) -> BatchOutcome:
    results: list[Result] = []
    failures: list[dict[str, Any]] = []

    def collect(sub: Submission, outcome: Result | str) -> None:
        if isinstance(outcome, str):
            failures.append({"submission": sub.id, "reason": outcome})
        else:
            results.append(outcome)
        if progress:
            progress(sub.id)

    if jobs > 1 and len(subs) > 1:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                 initargs=(str(rubric.path), list(overrides), limits)) as pool:
            for sub, outcome in zip(subs, pool.map(_grade_in_worker, subs, chunksize=4)):
                collect(sub, outcome)
    else:
        for sub in subs:
            collect(sub, _grade_one(sub, rubric, key, list(overrides), limits))
    results.sort(key=lambda r: r.submission)
    failures.sort(key=lambda f: f["submission"])
    return BatchOutcome(results, failures)


def write_reports(outcome: BatchOutcome, rubric: Rubric, key: Key, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for result in outcome.results:
        write_result(result, out, key)
    part_ids = [p.id for p in rubric.parts]
    (out / "gradebook.csv").write_text(gradebook_csv(outcome.results, outcome.failures, part_ids), encoding="utf-8")
    stats = summary_stats(outcome.results, part_ids)
    (out / "summary.html").write_text(summary_page(outcome.results, outcome.failures, rubric, stats), encoding="utf-8")
