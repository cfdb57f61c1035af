"""Each answer kind on correct, partly correct, wrong and unreadable answers, from sheets and text."""

from __future__ import annotations

import pytest

from grader.kinds import get_kind
from grader.kinds.base import Fragment
from grader.rubric import Component
from grader.selftest import run_self_tests


def component(**fields) -> Component:
    return Component.model_validate({"points": 5, **fields})


def run(comp: Component, *, text: str = "", structured=None, key=None):
    kind = get_kind(comp.kind)
    if key is None and comp.key is not None:
        key = comp.key.literal
    key = kind.prepare(key, comp.settings) if key is not None else None
    answer = kind.extract(Fragment("x", text, "test", 1.0, structured=structured), comp)
    if not answer.readable:
        return answer, None
    return answer, kind.grade(answer, key, comp)


# ---------------------------------------------------------------- grid

GRID = component(kind="grid", key={"literal": [11, 12, 13, 14, 15, 21, 22, 23, 31]},
                 mistakes=[{"id": "blind-spot", "when": {"extra_includes": ["24", "25", "32"]},
                            "message": "The blind spot: 24, 25 and 32 are never reached."}])
KEY_CELLS = ["11", "12", "13", "14", "15", "21", "22", "23", "31"]


def test_grid_correct_from_sheet():
    _, outcome = run(GRID, structured=KEY_CELLS)
    assert outcome.status == "correct" and outcome.fraction == 1


def test_grid_each_missing_or_extra_cell_costs_a_point():
    _, outcome = run(GRID, structured=KEY_CELLS[:-1] + ["33"])
    assert outcome.status == "partial" and outcome.fraction == pytest.approx(3 / 5)
    assert "Missing cell 31" in outcome.feedback and "Extra cell 33" in outcome.feedback


def test_grid_blind_spot_mistake_is_explained():
    _, outcome = run(GRID, structured=KEY_CELLS + ["24", "25", "32"])
    assert outcome.fraction == pytest.approx(2 / 5)
    assert "blind-spot" in outcome.notes and "never reached" in outcome.feedback


def test_grid_score_floors_at_zero():
    wrong = ["41", "42", "43", "44", "45", "51", "52"]
    _, outcome = run(GRID, structured=wrong)
    assert outcome.status == "incorrect" and outcome.fraction == 0


@pytest.mark.parametrize("bad", [{"cells": ["66", "11"]}, "no cells here", {"nope": 1}, 42])
def test_grid_unreadable_sheet_value(bad):
    answer, outcome = run(GRID, structured=bad)
    assert outcome is None and answer.problem


def test_grid_from_markdown_bold_labels():
    rows = [" ".join(f"**{r}{c}**" if f"{r}{c}" in KEY_CELLS else f"{r}{c}" for c in range(1, 6)) for r in range(1, 6)]
    answer, outcome = run(GRID, text="\n".join(rows))
    assert answer.value == {"cells": KEY_CELLS} and outcome.status == "correct"


def test_grid_from_a_matrix_of_marks():
    text = "1 1 1 1 1\n1 1 1 0 0\n1 0 0 0 0\n0 0 0 0 0\n0 0 0 0 0\n"
    answer, outcome = run(GRID, text=text)
    assert answer.value == {"cells": KEY_CELLS} and outcome.status == "correct"


def test_grid_from_an_explicit_list_is_read_but_confirmed_by_a_ta():
    # a grid read from prose is never graded automatically: read, suggested, reviewed
    answer, outcome = run(GRID, text="The receptive field is {11, 12, 13, 14, 15, 21, 22, 23, 31}.")
    assert answer.value == {"cells": KEY_CELLS} and "written as the answer" in answer.how
    assert outcome.status == "needs_review" and outcome.fraction == 1.0


@pytest.mark.parametrize("text", [
    "We combine the receptive fields of pixels 22, 23, 24 and 32 from the figure above.",
    "Only pixels 22, 23, 24 and 32 of the hidden layer reach 33, so the field follows.",
])
def test_cells_mentioned_in_a_sentence_are_no_answer(text):
    answer, outcome = run(GRID, text=text)
    assert "not written as an answer" in answer.how and not answer.readable and outcome is None
    assert "22, 23, 24, 32" in answer.problem and any("mentioned in" in e for e in answer.evidence)


def test_grid_plain_text_grid_has_lost_its_highlights():
    text = "\n".join("\t".join(f"{r}{c}" for c in range(1, 6)) for r in range(1, 6))
    answer, outcome = run(GRID, text=text)
    assert outcome is None and "highlights were lost" in answer.problem


def test_grid_lost_highlights_count_the_map_s_own_cells():
    small = component(kind="grid", key={"literal": ["32", "33"]}, settings={"size": 4})
    text = "\n".join("\t".join(f"{r}{c}" for c in range(1, 5)) for r in range(4, 0, -1))
    answer, _ = run(small, text=text)
    assert "all 16 cells appear as plain text" in answer.problem


def test_grid_self_check_picture_follows_the_map_s_size_and_numbering():
    bottom_up = component(kind="grid", key={"literal": ["32", "33"]}, settings={"size": 4, "origin": "bottom-left"})
    answer, _ = run(bottom_up, structured={"cells": ["42", "43", "11"]})
    assert get_kind("grid").describe_in(answer, bottom_up).splitlines() == [
        " ..  [42] [43]  .. ", " ..   ..   ..   .. ", " ..   ..   ..   .. ", "[11]  ..   ..   .. "]


def test_grid_cells_listed_after_champ_receptif_are_read():
    answer, _ = run(GRID, text="Le champ réceptif du pixel 33 est : 11, 12, 13, 14, 15, 21, 22, 23, 31.")
    assert answer.value == {"cells": KEY_CELLS} and answer.confidence < 0.75


MASK = [[0, 1, 0], [1, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("args, settings, error", [
    ({"size": 4, "target": "23"}, {"size": 4, "origin": "bottom-left"}, "give no origin"),
    ({"size": 5, "target": "23", "origin": "bottom-left"}, {"size": 4, "origin": "bottom-left"}, "give size 5"),
    ({"size": 4, "target": "23", "origin": "bottom-left"}, {"size": 4}, "give origin 'bottom-left'"),
])
def test_a_grid_reference_must_compute_the_map_graded(args, settings, error):
    fields = {"kind": "grid", "settings": settings,
              "key": {"reference": "reference.masked_conv:receptive_field_cells", "args": {"masks": [MASK], **args}}}
    with pytest.raises(ValueError, match=error):
        component(**fields)
    component(**{**fields, "settings": {"size": 4, "origin": "bottom-left"},
                 "key": {**fields["key"], "args": {"masks": [MASK], "size": 4, "target": "23", "origin": "bottom-left"}}})


def test_grid_list_without_cue_is_low_confidence():
    answer, outcome = run(GRID, text="11 12 13 14 15 21 22 23 31")
    assert outcome.status == "needs_review"


# ---------------------------------------------------------------- choice

SINGLE = component(kind="choice", key={"literal": "b"},
                   settings={"options": {"a": "first", "b": "second", "c": "third", "d": "fourth"}})
MULTI = component(kind="choice", key={"literal": ["a", "b", "d"]},
                  settings={"options": {"a": "A", "b": "B", "c": "C", "d": "D"}, "multiple": True,
                            "policy": "each_answer"})


@pytest.mark.parametrize("text", [
    "Answer: (b)",
    "the correct answer is b, because ...",
    "3.1.a): is incorrect because x.\n3.1.b): is correct because y.\n3.1.c): is incorrect.\n3.1.d): is incorrect.",
    "[ ] (a) first\n[x] (b) second\n[ ] (c) third",
    "I would choose the second option (b) since it is right.",
])
def test_single_choice_read_from_text(text):
    answer, outcome = run(SINGLE, text=text)
    assert answer.value == {"choices": ["b"]}, answer
    assert outcome.status == "correct"


def test_single_choice_wrong_option():
    _, outcome = run(SINGLE, structured="c")
    assert outcome.status == "incorrect" and outcome.fraction == 0


def test_single_choice_selecting_everything_never_earns_credit():
    _, outcome = run(SINGLE, structured=["a", "b", "c", "d"])
    assert outcome.fraction == 0 and "Only one option" in outcome.feedback


def test_single_choice_contradictory_text_is_unreadable():
    answer, outcome = run(SINGLE, text="(a) True\n(a) False\n")
    assert outcome is None and "both true and false" in answer.problem


def test_choice_nothing_found():
    answer, outcome = run(SINGLE, text="I am not sure about this one.")
    assert outcome is None and answer.problem


def test_verdict_false_selects_for_which_is_false_questions():
    comp = component(kind="choice", key={"literal": "b"},
                     settings={"options": {"a": "x", "b": "y", "c": "z", "d": "w"}, "chosen_verdict": "false"})
    answer, outcome = run(comp, text="4.1.a) True.\n4.1.b) False. The discriminator ...\n4.1.c) True\n4.1.d) True.")
    assert answer.value == {"choices": ["b"]} and outcome.status == "correct"


def test_multi_choice_partial_credit_per_option():
    _, full = run(MULTI, structured=["a", "b", "d"])
    _, partial = run(MULTI, structured=["a", "b"])
    _, everything = run(MULTI, structured=["a", "b", "c", "d"])
    _, wrong = run(MULTI, structured=["c"])
    assert full.status == "correct"
    assert partial.fraction == pytest.approx(3 / 4) and partial.status == "partial"
    assert everything.fraction == 0 and "Every option is selected" in everything.feedback  # a hedge (issue 10.3)
    assert wrong.fraction == 0 and wrong.status == "incorrect"
    assert "(d)" in partial.feedback


def test_multi_choice_net_correct_policy():
    comp = component(kind="choice", key={"literal": ["a", "b"]},
                     settings={"options": {"a": "A", "b": "B", "c": "C", "d": "D"}, "multiple": True,
                               "policy": "net_correct"})
    _, outcome = run(comp, structured=["a", "b", "c"])
    assert outcome.fraction == pytest.approx(0.5)


def test_single_choice_may_not_have_a_partial_policy():
    with pytest.raises(ValueError):
        component(kind="choice", key={"literal": "a"}, settings={"options": {"a": "A"}, "policy": "each_answer"})


# ---------------------------------------------------------------- numeric

NUMERIC = component(kind="numeric", key={"literal": 0.2212}, settings={"rel_tol": 0.01},
                    mistakes=[{"id": "no-log2", "when": {"value": -0.4719}, "credit": 0.5,
                               "message": "You forgot + log 2."}])


@pytest.mark.parametrize("given,status,fraction", [
    (0.2212, "correct", 1.0), ("0.222", "correct", 1.0), (-0.4719, "partial", 0.5), (3.0, "incorrect", 0.0)])
def test_numeric_from_sheet(given, status, fraction):
    _, outcome = run(NUMERIC, structured=given)
    assert outcome.status == status and outcome.fraction == fraction


def test_numeric_from_text():
    answer, outcome = run(NUMERIC, text="The JSD is approximately = 0.221 nats.")
    assert answer.value == {"value": 0.221} and outcome.status == "correct"


@pytest.mark.parametrize("bad", ["abc", "nan", True])
def test_numeric_unreadable(bad):
    answer, outcome = run(NUMERIC, structured=bad)
    assert outcome is None and answer.problem


def test_numeric_several_numbers_without_a_stated_answer():
    answer, outcome = run(NUMERIC, text="we tried 3 seeds and 2 models")
    assert outcome is None and "none stated" in answer.problem


# ---------------------------------------------------------------- prose

PROSE = component(kind="prose", automatic=False, settings={
    "items": [{"id": "jensen", "points": 1, "description": "Jensen", "hints": ["jensen", "concav"]},
              {"id": "unbiased", "points": 1, "description": "unbiased estimate", "hints": ["unbiased"]}],
    "false_proofs": [{"id": "variance", "patterns": ["variance"], "message": "Variance is not a proof.", "cap": 0.3}],
    "words": {"min": 5}})


def test_prose_full_checklist_is_a_suggestion_for_review():
    answer, outcome = run(PROSE, text="The average is an unbiased estimate of p(x). By Jensen's inequality the log...")
    assert outcome.status == "needs_review" and outcome.suggested and outcome.fraction == 1
    assert any("unbiased" in quote for quote in outcome.evidence)


def test_prose_partial_checklist_names_what_is_missing():
    _, outcome = run(PROSE, text="By Jensen's inequality on the concave log we get the bound we need.")
    assert outcome.fraction == pytest.approx(0.5) and "Not found: unbiased estimate" in outcome.feedback


def test_prose_known_false_proof_is_capped_with_its_message():
    _, outcome = run(PROSE, text="Averaging reduces the variance, and by Jensen the bound is tighter overall.")
    assert outcome.fraction == pytest.approx(0.3) and "variance" in outcome.notes
    assert "Variance is not a proof." in outcome.feedback


def test_prose_wrong_answer_suggests_zero():
    _, outcome = run(PROSE, text="The KL divergence is symmetric so everything follows.")
    assert outcome.fraction == 0 and outcome.status == "needs_review"


def test_prose_unreadable_and_short():
    answer, outcome = run(PROSE, structured={"not": "text"})
    assert outcome is None and answer.problem == "expected text"
    _, short = run(PROSE, text="Jensen.")
    assert "too-short" in short.notes


# ---------------------------------------------------------------- every kind tests itself

def test_every_kind_passes_its_self_test_on_the_real_rubric(rubric, key):
    assert run_self_tests(rubric, key) == []


def test_self_test_can_fail(rubric, key, monkeypatch):
    """A kind whose grading ignores the answer is caught by its own test cases."""
    from grader.kinds.base import Outcome
    from grader.kinds.choice import ChoiceKind

    monkeypatch.setattr(ChoiceKind, "grade", lambda self, answer, key, component: Outcome(1.0, "correct", ""))
    failures = run_self_tests(rubric, key)
    assert failures and any(f.startswith("3.1/answer (choice)") for f in failures)


@pytest.mark.parametrize("policy", ["all_or_nothing", "each_answer", "net_correct"])
@pytest.mark.parametrize("wanted", [["a"], ["a", "c"], ["a", "b", "c", "d"]])
def test_multi_choice_self_tests_hold_for_every_policy(policy, wanted):
    comp = component(kind="choice", key={"literal": wanted},
                     settings={"options": {"a": "A", "b": "B", "c": "C", "d": "D"}, "multiple": True, "policy": policy})
    kind = get_kind("choice")
    key = kind.prepare(wanted, comp.settings)
    cases = kind.self_test(comp, key)
    assert {status for _, status in cases} >= {"correct", "incorrect", "needs_review"}
    for answer, expected in cases:
        read = kind.extract(Fragment("x", "", "test", 1.0, structured=answer), comp)
        assert (kind.grade(read, key, comp).status if read.readable else "needs_review") == expected, answer
