"""The whole data flow on the example submissions: contract shape, seed behaviour, determinism,
overrides."""

from __future__ import annotations

import json

import pytest

from grader.ingest.submission import Submission, discover
from grader.pipeline import grade_submission
from grader.report import result_json
from grader.score import Override, OverrideError, load_overrides

from .conftest import EXAMPLES, SEED


def grade(path, rubric, key, overrides=()):
    [sub] = discover([path])
    return grade_submission(sub, rubric, key, list(overrides))


def test_every_example_has_23_parts_summing_to_100(rubric, key):
    subs = discover([EXAMPLES])
    assert {s.id for s in subs} >= {"000_af16c1991d1beaae", "perfect-sheet", "mistakes-sheet", "markdown-student"}
    for sub in subs:
        data = grade_submission(sub, rubric, key).to_json()
        assert len(data["parts"]) == 23
        assert sum(p["max_score"] for p in data["parts"]) == 100 == data["max_score"]
        assert data["score"] == pytest.approx(sum(p["score"] for p in data["parts"]))
        for part in data["parts"]:
            assert part["status"] in {"correct", "partial", "incorrect", "missing", "needs_review"}
            assert 0 <= part["score"] <= part["max_score"]
            if part["status"] == "needs_review":
                assert part["review"], "a part awaiting review says why"


def test_result_json_has_the_contract_fields(rubric, key):
    data = grade(EXAMPLES / "perfect-sheet.yaml", rubric, key).to_json()
    assert list(data)[:8] == ["submission", "students", "files", "rubric", "score", "max_score", "needs_review", "parts"]
    assert data["students"] == [{"name": "Ada Lovelace", "sid": "20231001", "email": "ada.lovelace@umontreal.ca"}]
    assert data["rubric"]["id"] == "ift6135-a3"
    part = data["parts"][0]
    assert list(part)[:7] == ["id", "max_score", "score", "status", "answer", "feedback", "review"]
    assert part["answer"] == {"cells": ["11", "12", "13", "14", "15", "21", "22", "23", "31"]}


def test_seed_grids_need_review_and_say_why(rubric, key):
    result = grade(SEED, rubric, key)
    for pid in ("1.1", "1.2", "1.3", "1.4"):
        part = next(p for p in result.parts if p.id == pid)
        assert part.status == "needs_review"
        assert "highlights were lost" in part.review


def test_seed_choices_are_read_as_phrased(rubric, key):
    parts = {p.id: p for p in grade(SEED, rubric, key).parts}
    assert parts["3.1"].answer == {"choices": ["b"]}  # "3.1.b): is correct because"
    assert parts["3.3"].answer == {"choices": ["a", "b", "d"]}  # "3.3.a) True - ..."
    assert parts["4.1"].answer == {"choices": ["b"]}  # "4.1.b) False." on a which-is-false question
    assert parts["4.2"].answer == {"choices": ["b"]}  # "the correct answer is b"
    assert parts["4.3"].answer == {"choices": ["b"]}  # "**Dropout** (b)"
    assert parts["4.4"].answer["choice"] == {"choices": ["b"]}  # "I would choose ... (B)"
    for pid in ("3.1", "3.3", "4.1", "4.2", "4.3"):
        assert parts[pid].status == "correct"


def test_seed_finds_every_part(rubric, key):
    parts = grade(SEED, rubric, key).parts
    assert [p.id for p in parts if p.status == "missing"] == []


def test_seed_ai_use_disclosed_per_question(rubric, key):
    result = grade(SEED, rubric, key)
    assert set(result.ai_use) >= {"2", "3", "4", "5"}
    assert "Grammarly" in result.ai_use["2"]


def test_mistakes_sheet_gets_specific_feedback(rubric, key):
    parts = {p.id: p for p in grade(EXAMPLES / "mistakes-sheet.yaml", rubric, key).parts}
    assert parts["1.1"].status == "partial" and "blind spot" in parts["1.1"].feedback
    assert "33 is the output pixel itself" in parts["1.2"].feedback
    assert parts["4.1"].status == "incorrect" and "most defended alternative" in parts["4.1"].feedback


def test_same_input_gives_byte_identical_result_json(rubric, key):
    first = result_json(grade(SEED, rubric, key))
    second = result_json(grade(SEED, rubric, key))
    assert first == second


def test_an_unreadable_submission_is_review_not_zero(rubric, key, tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    result = grade(bad, rubric, key)
    assert result.error and "empty" in result.error
    assert all(p.status == "needs_review" for p in result.parts)
    assert result.problems


def test_missing_parts_are_missing_when_the_rest_was_found(rubric, key, tmp_path):
    path = tmp_path / "partial.md"
    path.write_text("## Question 3\n\n### 3.1)\nAnswer: (b)\n\n### 3.3)\n(a) True\n(b) True\n(c) False\n(d) True\n")
    parts = {p.id: p for p in grade(path, rubric, key).parts}
    assert parts["3.1"].status == "correct" and parts["3.3"].status == "correct"
    assert parts["3.2a"].status == "missing" and "3.2a" in parts["3.2a"].feedback
    assert parts["1.1"].status == "needs_review"  # nothing of question 1 was recognised at all


# ---------------------------------------------------------------- overrides

def test_override_wins_and_shows_as_such(rubric, key):
    override = Override("000_af16c1991d1beaae", "1.1", 4.0, "Grid read from the PDF by hand", "test")
    result = grade(SEED, rubric, key, [override])
    part = next(p for p in result.parts if p.id == "1.1")
    assert part.score == 4 and part.status == "partial" and part.review is None
    assert part.override["automatic_status"] == "needs_review"
    assert "Grid read from the PDF by hand" in part.feedback
    data = json.loads(result_json(result))
    assert data["parts"][0]["override"]["score"] == 4


def test_override_survives_regrading_and_beats_a_correct_automatic_score(rubric, key):
    override = Override("perfect-sheet", "3.1", 1.5, "Late penalty on this part", "test")
    for _ in range(2):
        part = next(p for p in grade(EXAMPLES / "perfect-sheet.yaml", rubric, key, [override]).parts if p.id == "3.1")
        assert part.score == 1.5 and part.override["automatic_score"] == 3


def test_override_out_of_range_is_reported_not_applied(rubric, key):
    result = grade(EXAMPLES / "perfect-sheet.yaml", rubric, key, [Override("perfect-sheet", "3.1", 9, "", "x")])
    assert next(p for p in result.parts if p.id == "3.1").override is None
    assert any("outside 0..3" in p for p in result.problems)


def test_overrides_load_from_yaml_and_csv(tmp_path):
    (tmp_path / "o.yaml").write_text("- {submission: s1, part: '1.1', score: 3, comment: ok}\n")
    (tmp_path / "o.csv").write_text("submission,part,score,comment\ns1,1.1,3,ok\n")
    for name in ("o.yaml", "o.csv"):
        [o] = load_overrides(tmp_path / name)
        assert (o.submission, o.part, o.score, o.comment) == ("s1", "1.1", 3.0, "ok")
    (tmp_path / "bad.csv").write_text("submission,part,score\ns1,1.1,lots\n")
    with pytest.raises(OverrideError, match="not a number"):
        load_overrides(tmp_path / "bad.csv")


def test_discovery_rules(tmp_path):
    (tmp_path / "batch" / "alice").mkdir(parents=True)
    (tmp_path / "batch" / "alice" / "main.md").write_text("x")
    (tmp_path / "batch" / "bob.md").write_text("x")
    assert sorted(s.id for s in discover([tmp_path / "batch"])) == ["alice", "bob"]
    loose = tmp_path / "loose"
    loose.mkdir()
    for name in ("a.md", "b.md", "c.txt"):
        (loose / name).write_text("x")
    assert sorted(s.id for s in discover([loose])) == ["a", "b", "c"]
    project = tmp_path / "project"
    project.mkdir()
    (project / "main.md").write_text("x")
    (project / "main.yaml").write_text("answers: {}")
    assert [s.id for s in discover([project])] == ["project"]


def test_duplicate_ids_are_an_error_naming_both(tmp_path):
    from grader.ingest.submission import DiscoveryError

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.md").write_text("1")
    (tmp_path / "b" / "x.md").write_text("2")
    with pytest.raises(DiscoveryError, match=r"x.*a/x\.md.*b/x\.md"):
        discover([tmp_path / "a" / "x.md", tmp_path / "b" / "x.md"])


def test_non_utf8_text_is_read_with_a_note(rubric, key, tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("### 3.1)\nRéponse : (b)\n".encode("cp1252"))
    result = grade(path, rubric, key)
    assert any("not UTF-8" in p for p in result.problems)
    assert next(p for p in result.parts if p.id == "3.1").status == "correct"


def test_submission_object_names_files(tmp_path):
    sub = Submission("s", [tmp_path / "a.md"], tmp_path)
    assert sub.names() == ["a.md"]
