"""Reports: result.json, feedback.html per submission, gradebook.csv and summary.html per run."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.pipeline import Result


def result_json(result: Result) -> str:
    """Deterministic: same files and rubric -> byte-identical output."""
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
