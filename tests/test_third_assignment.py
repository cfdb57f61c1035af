"""A third assignment, written by a new course's staff from the README alone (issue 11), grades its
examples as a TA would, with no engine change: tests/fixtures/third-assignment/ holds its rubric
(grids from 5×5 and 3×3 masks of its own, one map numbered from the bottom; a logistic-loss gradient
and a Gaussian KL over declared variables; a number computed by its reference code; a matrix and its
eigenvalues; a single and a multiple choice; a proof checklist with French hints; a student's own
example checked by a function), its question text, reference and check code and built key, and four
examples: an answer sheet, a French Markdown file, and an English and a French PDF compiled from
sources/ by build.sh, graded from the PDF alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli import main
from grader.ingest.text import students_from_text
from grader.key import build_key, load_key
from grader.rubric import load_rubric

HERE = Path(__file__).parent / "fixtures" / "third-assignment"
RUBRIC = HERE / "rubrics" / "prob201-hw3.yaml"

# What a careful TA gives each example, part by part: (status, score). A part a TA always confirms
# (the proof, cells listed in a sentence) is "needs_review" with the score the TA would give.
EXPECTED = {
    "alice-sheet": {"1.1": ("correct", 4), "1.2": ("partial", 2), "2.1": ("correct", 4), "2.2": ("partial", 2),
                    "3.1": ("partial", 1.5), "3.2": ("correct", 3), "3.3": ("correct", 2), "4.1": ("incorrect", 0),
                    "4.2": ("partial", 2), "5": ("needs_review", 5), "6": ("correct", 3)},
    "benoit-fr": {"1.1": ("needs_review", 4), "1.2": ("needs_review", 1.5), "2.1": ("correct", 4),
                  "2.2": ("correct", 4), "3.1": ("correct", 3), "3.2": ("correct", 3), "3.3": ("correct", 2),
                  # every option of a select-all is a hedge (issue 10, item 3): no credit, with the message
                  "4.1": ("correct", 2), "4.2": ("incorrect", 0), "5": ("needs_review", 5), "6": ("correct", 3)},
    "chloe-en": {"1.1": ("partial", 3.5), "1.2": ("correct", 3), "2.1": ("partial", 2), "2.2": ("partial", 1),
                 "3.1": ("correct", 3), "3.2": ("incorrect", 0), "3.3": ("correct", 2), "4.1": ("correct", 2),
                 "4.2": ("correct", 3), "5": ("needs_review", 2), "6": ("incorrect", 0)},
    "dominique-fr": {"1.1": ("correct", 4), "1.2": ("partial", 1.5), "2.1": ("correct", 4), "2.2": ("correct", 4),
                     "3.1": ("incorrect", 0), "3.2": ("correct", 3), "3.3": ("correct", 2), "4.1": ("correct", 2),
                     "4.2": ("correct", 3), "5": ("needs_review", 5), "6": ("correct", 3)},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("third")
    assert main(["grade", str(HERE / "submissions"), "--rubric", str(RUBRIC), "--out", str(out), "--no-cache"]) == 0
    return out


def _parts(graded, submission) -> dict[str, dict]:
    result = json.loads((graded / submission / "result.json").read_text())
    assert result["rubric"]["id"] == "prob201-hw3" and result["max_score"] == 36 and not result["error"]
    return {p["id"]: p for p in result["parts"]}


def test_the_rubric_passes_rubric_check(capsys):
    assert main(["rubric", "check", "--rubric", str(RUBRIC)]) == 0
    assert "11 parts, 36 points; self-tests passed" in capsys.readouterr().out


def test_the_committed_key_is_what_the_reference_code_computes():
    pytest.importorskip("torch")  # the grids' reference backpropagates through the masked layers
    rubric = load_rubric(RUBRIC)
    built, committed = build_key(rubric), load_key(rubric)
    for part in ("1.1", "1.2", "3.1"):
        assert built["parts"][part]["answer"]["value"] == committed.value(part, "answer")
    assert committed.value("1.2", "answer") == {"cells": ["32", "33", "42", "43"]}  # numbered from the bottom
    assert committed.value("3.1", "answer") == {"value": 1060.0}


@pytest.mark.parametrize("submission", sorted(EXPECTED))
def test_the_examples_grade_as_a_ta_would(graded, submission):
    parts = _parts(graded, submission)
    assert set(parts) == set(EXPECTED[submission])
    for part_id, wanted in EXPECTED[submission].items():
        got = (parts[part_id]["status"], parts[part_id]["score"])
        assert got == wanted, (part_id, parts[part_id]["feedback"], parts[part_id]["found"])


def test_the_feedback_names_the_declared_mistakes(graded):
    chloe, dominique = _parts(graded, "chloe-en"), _parts(graded, "dominique-fr")
    assert "minus sign" in chloe["2.1"]["feedback"] and "KL(N2 ‖ N1)" in chloe["2.2"]["feedback"]
    assert "not independent" in chloe["3.2"]["feedback"]
    assert "numbered from the top" not in chloe["1.2"]["feedback"]
    assert "row 1 is the bottom row" in dominique["1.2"]["feedback"] and "rounded up" in dominique["3.1"]["feedback"]


def test_the_students_are_named_in_every_format(graded):
    named = {sub: json.loads((graded / sub / "result.json").read_text())["students"][0] for sub in EXPECTED}
    assert {sub: (s["name"], s["sid"]) for sub, s in named.items()} == {
        "alice-sheet": ("Alice Martin", "20250011"), "benoit-fr": ("Benoît Tremblay", "20250022"),
        "chloe-en": ("Chloé Dubois", "20250033"), "dominique-fr": ("Dominique Roy", "20250044")}


@pytest.mark.parametrize("text, student", [
    ("# HW\n\nStudent: Edsger Dijkstra (20240002)\n", ("Edsger Dijkstra", "20240002")),
    ("Étudiante : Marie Curie\nMatricule : 20240003\n", ("Marie Curie", "20240003")),
    ("Homework 3\nGrace Hopper\nStudent ID: 20240004\n", ("Grace Hopper", "20240004")),
    ("We show the bound below.\nStudent ID: 20240005\n", ("", "20240005")),  # a sentence is no name
    ("Homework 3\nGrace Hopper, Student ID: 20240006\n", ("", "20240006")),
])
def test_students_from_the_top_of_a_text(text, student):
    [found] = students_from_text(text)
    assert (found["name"], found["sid"]) == student


def test_the_self_check_shows_the_map_as_the_question_numbers_it(capsys):
    assert main(["check", str(HERE / "submissions" / "dominique-fr.pdf"), "--rubric", str(RUBRIC)]) == 0
    out = capsys.readouterr().out
    grid = out.split("[1.2]")[1].split("[2.1]")[0].splitlines()[-4:]  # 4×4, row 4 on top, row 1 last
    assert [" ".join(line.split()) for line in grid] == [".. .. .. ..", ".. .. .. ..", ".. [22] [23] ..", ".. [12] [13] .."]
    assert "found in: the equation '\\frac{\\partial\\ell}{\\partial w} = …'" in out
