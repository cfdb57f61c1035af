"""Reports: result.json, feedback.html per submission, gradebook.csv and summary.html per run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from grader.output import write_atomic

if TYPE_CHECKING:
    from grader.pipeline import Result


def result_json(result: Result) -> str:
    """Deterministic: same files and rubric -> byte-identical output."""
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write_result(result: Result, out: Path, key=None) -> Path:
    from grader.report.html import feedback_page

    folder = out / result.submission
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "result.json", result_json(result))
    write_atomic(folder / "feedback.html", feedback_page(result, key))
    return folder
