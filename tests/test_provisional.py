"""Suggested scores are provisional everywhere: the gradebook keeps final and provisional totals
apart and never shows a part awaiting review as a plain number; summary.html counts reviewed and
remaining parts and lists TA decisions; feedback.html stops promising a review once a TA decided;
Gradescope shows only confirmed points of the parts visible now, and before the due date only
what the rubric's feedback_before_due allows."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from grader.cli import main
from grader.gradescope import before_due, results_json
from grader.ingest.submission import discover
from grader.leaks import find_leaks
from grader.pipeline import grade_submission
from grader.report.gradebook import gradebook_csv
from grader.report.html import feedback_page
from grader.score import Override

from .conftest import EXAMPLES, SEED


def grade(path, rubric, key, overrides=()):
    return grade_submission(discover([path])[0], rubric, key, list(overrides))


@pytest.fixture(scope="module")
def seed(rubric, key):
    return grade(SEED, rubric, key)


def test_final_total_counts_confirmed_points_only(seed):
    pending = [p for p in seed.parts if p.provisional]
    assert pending and all(p.status == "needs_review" for p in pending)
    assert seed.final_score == sum(p.score for p in seed.parts if not p.provisional)
    assert seed.score == seed.final_score + sum(p.score for p in pending)
    data = seed.to_json()
    assert data["final_score"] == seed.final_score and data["provisional_score"] == data["score"] == seed.score
    assert [p["provisional"] for p in data["parts"]] == [p.provisional for p in seed.parts]


def test_gradebook_marks_parts_awaiting_review_and_keeps_totals_apart(seed, rubric):
    rows = list(csv.DictReader(io.StringIO(gradebook_csv([seed], [], [p.id for p in rubric.parts]))))
    row = rows[0]
    assert float(row["Final total"]) == seed.final_score and float(row["Provisional total"]) == seed.score
    for part in seed.parts:
        cell = row[part.id]
        if part.provisional:
            assert cell.startswith("review ("), cell  # never a plain number, never a 0 nobody decided
            assert ("suggested" in cell) == part.read
        else:
            assert cell == f"{part.score:g}"
    unread_grid = next(p for p in seed.parts if p.id.startswith("1.") and p.provisional and not p.read)
    assert row[unread_grid.id] == "review (not read)"


def test_a_ta_decision_is_final_and_settles_the_feedback(rubric, key):
    part_id = "1.1"
    before = next(p for p in grade(SEED, rubric, key).parts if p.id == part_id)
    assert before.provisional and "TA will" in before.feedback
    result = grade(SEED, rubric, key, [Override(SEED.stem, part_id, 3, "Grid checked in the PDF", "o.yaml:1")])
    part = next(p for p in result.parts if p.id == part_id)
    assert not part.provisional and part.score == 3
    assert "TA will" not in part.feedback and "Grid checked in the PDF" in part.feedback
    page = feedback_page(result, key)
    section = page[page.index(f'id="part-{part_id}"'):page.index('</section>', page.index(f'id="part-{part_id}"'))]
    assert "TA will" not in section and "Awaiting review" not in section and "Score set by a TA: 3" in section
    row = next(csv.DictReader(io.StringIO(gradebook_csv([result], [], [p.id for p in rubric.parts]))))
    assert row[part_id] == "3" and float(row["Final total"]) == result.final_score


def test_summary_counts_reviewed_and_remaining_per_part_and_lists_decisions(tmp_path, capsys):
    folder = tmp_path / "subs"
    folder.mkdir()
    for name in ("perfect-sheet.yaml", "mistakes-sheet.yaml"):
        (folder / name).write_bytes((EXAMPLES / name).read_bytes())
    overrides = tmp_path / "o.yaml"
    overrides.write_text('- {submission: mistakes-sheet, part: "2.1", score: 2, comment: fine, ta: Ada}\n'
                         '- {submission: perfect-sheet, part: "3.1", score: 2, comment: late}\n')
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out), "--overrides", str(overrides)]) == 0
    html = (out / "summary.html").read_text()
    row = html[html.index('id="dist-2.1"'):html.index('id="dist-2.2"')]
    assert re.search(r"1 reviewed · 1 remain", row)  # mistakes-sheet decided, perfect-sheet awaits
    row = html[html.index('id="dist-3.1"'):html.index('id="dist-3.2a"')]
    assert "0 reviewed · 0 remain" in row and "1 other TA decision" in row
    decisions = html[html.index('id="decisions"'):html.index('id="similar"')]
    assert "mistakes-sheet" in decisions and "Ada" in decisions and "o.yaml:1" in decisions and "late" in decisions


def _visible_outputs(data) -> str:
    return "\n".join(t["output"] for t in data["tests"] if t["visibility"] == "visible")


@pytest.mark.parametrize("path", [SEED, EXAMPLES / "mistakes-sheet.yaml", EXAMPLES / "markdown-student.md"])
def test_gradescope_before_the_due_date_names_no_part_of_the_key(path, rubric, key):
    result = grade(path, rubric, key)
    data = results_json(result, 1.0, key, early=True)
    assert find_leaks({"visible.txt": _visible_outputs(data).encode()}, rubric, key) == []
    assert data["score"] == sum(p.score for p in result.parts if p.visibility == "visible" and not p.provisional)
    for test, part in zip(data["tests"], result.parts):
        if part.provisional:
            assert test["score"] == 0 and test["output"].startswith("Awaiting a TA's review")


def test_gradescope_summary_says_how_far_not_what(rubric, key):
    result = grade(EXAMPLES / "mistakes-sheet.yaml", rubric, key)
    data = results_json(result, 1.0, key, early=True)
    outputs = {t["number"]: t["output"] for t in data["tests"]}
    wrong_grid = next(p for p in result.parts if p.id.startswith("1.") and p.status == "partial")
    assert re.fullmatch(r"\d+ cells? differs? from the expected field\.", outputs[wrong_grid.id])
    late = results_json(result, 1.0, key, early=False)  # after the due date: the full feedback
    assert {t["number"]: t["output"] for t in late["tests"]}[wrong_grid.id] == wrong_grid.feedback
    assert find_leaks({"late.txt": _visible_outputs(late).encode()}, rubric, key)  # the full one names cells


def test_feedback_before_due_full_and_score_modes(rubric, key):
    result = grade(EXAMPLES / "mistakes-sheet.yaml", rubric, key)
    grid = next(p for p in result.parts if p.id.startswith("1.") and p.status == "partial")
    spec = rubric.part(grid.id)
    for mode, expect in (("full", grid.feedback), ("score", "Feedback on this part is shown after the due date.")):
        object.__setattr__(spec, "feedback_before_due", mode)
        try:
            output = {t["number"]: t["output"] for t in results_json(result, 1.0, key, True)["tests"]}[grid.id]
        finally:
            object.__setattr__(spec, "feedback_before_due", "summary")
        assert output == expect


@pytest.mark.parametrize("metadata, early", [
    ({}, True),
    ({"created_at": "2023-12-01T10:00:00-05:00", "assignment": {"due_date": "2023-12-08T23:59:00-05:00"}}, True),
    ({"created_at": "2023-12-09T10:00:00-05:00", "assignment": {"due_date": "2023-12-08T23:59:00-05:00"}}, False),
    ({"created_at": "2023-12-09T10:00:00-05:00", "assignment": {"due_date": "2023-12-08T23:59:00-05:00",
                                                                 "late_due_date": "2023-12-10T23:59:00-05:00"}}, True),
    ({"created_at": "not a date", "assignment": {"due_date": "2023-12-08T23:59:00-05:00"}}, True),
])
def test_before_due_reads_gradescope_metadata(metadata, early):
    assert before_due(metadata) is early


def test_result_json_of_a_decided_part_says_so(rubric, key):
    result = grade(SEED, rubric, key, [Override(SEED.stem, "1.1", 5, "", "o.csv:2")])
    part = next(p for p in json.loads(json.dumps(result.to_json()))["parts"] if p["id"] == "1.1")
    assert part["provisional"] is False and part["override"]["automatic_status"] == "needs_review"
