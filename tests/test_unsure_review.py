"""A construct the reader cannot evaluate safely sends the part that holds it to a TA, never earns a
point (issue 10, item 1): the .tex reader leaves the passage out and records it (HiddenText with
unsure=True and its offset); segmentation attaches it to the part whose region holds it, as it does
grids; grading sends that part to review with the reason, and the score read from the rest is only
a suggestion, counted in no final total."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.ingest.limits import DEFAULT_LIMITS
from grader.ingest.submission import discover
from grader.ingest.tex import read_tex_source
from grader.pipeline import fragments_for, grade_submission
from grader.rubric import default_rubric_path, load_rubric

FIXTURES = Path(__file__).parent / "fixtures" / "hidden_tex"
UNSURE = ["ifnum_counter", "ifpdf", "iffileexists", "catcode_escape"]  # every fixture the reader is unsure of
MESSAGE = "cannot evaluate safely"


def graded(tmp_path: Path, name: str, rubric, key, source: str | None = None):
    path = tmp_path / f"{name}.tex"
    if source is None:
        shutil.copy(FIXTURES / f"{name}.tex", path)
    else:
        path.write_text(source)
    [sub] = discover([path])
    result = grade_submission(sub, rubric, key)
    return result, {p.id: p for p in result.parts}


@pytest.mark.parametrize("name", UNSURE)
def test_a_part_holding_an_unsure_construct_goes_to_review(name, rubric, key, tmp_path):
    result, parts = graded(tmp_path, name, rubric, key)
    assert parts["3.1"].status == "needs_review" and parts["3.1"].provisional
    assert MESSAGE in parts["3.1"].feedback and MESSAGE in (parts["3.1"].review or "")
    assert parts["4.1"].status == "correct" and MESSAGE not in parts["4.1"].feedback
    assert parts["3.1"].score == 0  # the hidden passage holds the right answer: it earns nothing


def test_the_fixtures_list_every_unsure_one():
    expected = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))
    assert sorted(UNSURE) == sorted(name for name, e in expected.items() if e["unsure"])


TEMPLATE = r"""\documentclass{article}
\newcounter{hidden}
\begin{document}
%s
\end{document}
"""
ANSWERS = {"3.1": "Answer: (b).", "4.1": "Answer: (b).", "4.2": "Answer: (b).", "4.3": "Answer: (b)."}
UNSURE_CONSTRUCTS = [r"\ifnum\value{hidden}>2 Answer: (c). \fi", r"\ifdim\linewidth>300pt (d)\else (a)\fi",
                     r"\pdfliteral{/Fm1 Do}text after a literal"]


def _source(target: str, construct: str) -> str:
    body = []
    for question in ("3", "4"):
        body.append(f"\\section*{{Question {question}}}")
        for pid, answer in ANSWERS.items():
            if pid.startswith(question):
                body.append(f"{pid}) {answer}" + (f"\n{construct}" if pid == target else "") + "\n")
    return TEMPLATE % "\n".join(body)


@functools.cache
def _rubric():
    return load_rubric(default_rubric_path())


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(sorted(ANSWERS)), st.sampled_from(UNSURE_CONSTRUCTS))
def test_only_the_part_that_holds_the_construct_goes_to_review(target, construct):
    doc = read_tex_source(_source(target, construct), "main.tex", DEFAULT_LIMITS)
    assert any(h.unsure for h in doc.hidden), doc.hidden
    fragments = fragments_for([doc], _rubric())
    holding = {pid for pid, f in fragments.items() if f.unsure}
    assert holding == {target}, (target, holding)


def test_an_answer_wholly_inside_an_unsure_construct_is_reviewed_not_missing(rubric, key, tmp_path):
    source = TEMPLATE % ("\\section*{Question 3}\n3.1) \\ifnum\\value{hidden}>2 Answer: (b). \\fi\n\n"
                         "\\section*{Question 4}\n4.1) Answer: (b).\n")
    _, parts = graded(tmp_path, "whole", rubric, key, source)
    assert parts["3.1"].status == "needs_review" and parts["3.1"].score == 0
    assert MESSAGE in parts["3.1"].feedback


def test_a_correct_visible_answer_with_an_unsure_passage_is_only_a_suggestion(rubric, key, tmp_path):
    source = _source("3.1", UNSURE_CONSTRUCTS[0])
    result, parts = graded(tmp_path, "suggested", rubric, key, source)
    assert parts["3.1"].status == "needs_review" and parts["3.1"].provisional
    assert result.final_score == result.score - parts["3.1"].score
