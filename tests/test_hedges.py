"""Hedged choices earn nothing (issue 10, item 3): several options where one is asked, every option
of a multiple choice, an answer the verdicts beside the options contradict. What a hedge earns is
the rubric's `on_hedge` (zero by default, with a message; or a TA's review). Options rejected where
they are named are no part of the answer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.kinds import get_kind
from grader.kinds.base import Fragment
from grader.rubric import Component

OPTIONS = {"a": "first", "b": "second", "c": "third", "d": "fourth"}


def component(**fields) -> Component:
    return Component.model_validate({"points": 5, "kind": "choice", **fields})


SINGLE = component(key={"literal": "b"}, settings={"options": OPTIONS})
SINGLE_REVIEW = component(key={"literal": "b"}, settings={"options": OPTIONS, "on_hedge": "review"})
MULTI = component(key={"literal": ["a", "b", "d"]}, settings={"options": OPTIONS, "multiple": True,
                                                              "policy": "each_answer"})
MULTI_ALL = component(key={"literal": ["a", "b", "c", "d"]}, settings={"options": OPTIONS, "multiple": True})


def grade(comp: Component, text: str = "", structured=None):
    kind = get_kind("choice")
    key = kind.prepare(comp.key.literal, comp.settings)
    answer = kind.extract(Fragment("x", text, "test", 1.0, structured=structured), comp)
    return answer, (kind.grade(answer, key, comp) if answer.readable else None)


# --- phrasings of a list of options ------------------------------------------------------------------

_STYLES = ["({})", "[{}]", "({}) ", "{upper}", "option ({})"]
_JOINS = [", ", " or ", " or maybe ", ", or perhaps ", " and/or ", "/", " ou ", " ou bien ", " and ", " or possibly "]
_OPENERS = ["Answer: ", "The answer is ", "Réponse : ", "I would choose ", "My answer would be ", "Answer = ",
            "la réponse est ", "Final answer: "]


def _letter(style: str, option: str) -> str:
    return style.format(option, upper=option.upper()).strip()


@st.composite
def hedges(draw, with_key: bool = True):
    """A statement naming two or more options, the key among them (a student hoping for the point)."""
    others = draw(st.lists(st.sampled_from("acd"), min_size=1, max_size=3, unique=True))
    listed = draw(st.permutations(["b", *others])) if with_key else others
    style = draw(st.sampled_from(_STYLES))
    if style == "option ({})":
        words = [_letter("({})", o) for o in listed]
        words[0] = "option " + words[0]
    else:
        words = [_letter(style, o) for o in listed]
    join = draw(st.sampled_from(_JOINS))
    opener = draw(st.sampled_from(_OPENERS))
    if opener == "I would choose " and style == "{upper}":
        style_words = [_letter("({upper})", o) for o in listed]  # a verb's object: letters in parentheses
        words = style_words
    text = opener + words[0] + "".join(join + w for w in words[1:])
    return text + draw(st.sampled_from(["", ".", " .", "\n\nBecause the integral is intractable."]))


@settings(max_examples=300, deadline=None)
@given(hedges())
def test_a_list_of_options_on_a_single_choice_earns_nothing(text):
    answer, outcome = grade(SINGLE, text)
    assert answer.readable, (text, answer)
    assert len(answer.value["choices"]) > 1, (text, answer)
    assert outcome.fraction == 0 and outcome.status == "incorrect" and "hedge" in outcome.notes
    assert "Only one option may be selected" in outcome.feedback


@settings(max_examples=100, deadline=None)
@given(hedges())
def test_the_rubric_may_send_hedges_to_review(text):
    _, outcome = grade(SINGLE_REVIEW, text)
    assert outcome.status == "needs_review" and outcome.fraction == 0 and outcome.suggested


@pytest.mark.parametrize("text", [
    "either (a) or (b)", "(b) or (d)", "(b), (a), (c), (d)", "soit (b) soit (c)", "Either (B) or (C).",
    "(b) (or perhaps (c))", "I'd say (b) or (d).", "(b) or maybe (c), I am not sure",
    "Answer: (b). (d) would also work.", "The answer is (b); (c) is also correct.", "(b) is right. (d) works too.",
])
def test_hedges_without_an_answer_line_earn_nothing_either(text):
    answer, outcome = grade(SINGLE, text)
    assert outcome is None or (outcome.fraction == 0 and outcome.status != "correct"), (text, answer, outcome)


# --- what is not a hedge -------------------------------------------------------------------------------

_REJECTIONS = ["I do not think ({o}) is correct.", "({o}) is wrong because the prior is Gaussian.",
               "Not ({o}), since it assumes too much.", "({o}) is false.", "({o}) est fausse.",
               "I don't think ({o}) is right.", "({o}) isn't it either.", "Rather than ({o}), which fails here."]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from("abcd"), st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from(_REJECTIONS)), max_size=3),
       st.sampled_from(["Answer: ({x}).", "The answer is ({x}).", "Réponse : ({x})", "I would choose ({x})."]))
def test_options_rejected_where_they_are_named_are_not_part_of_the_answer(chosen, rejected, opener):
    rejected = [(o, r) for o, r in rejected if o != chosen]
    text = opener.format(x=chosen) + " " + " ".join(r.format(o=o) for o, r in rejected)
    answer, outcome = grade(SINGLE, text)
    assert answer.value == {"choices": [chosen]}, (text, answer)
    assert outcome.status == ("correct" if chosen == "b" else "incorrect")


@pytest.mark.parametrize("text", [
    "Answer: (d). I do not think (b) is correct.", "Answer: (d), not (b).", "Answer: (d), (b) being wrong.",
    "Answer: (d) rather than (b).", "Answer: (d) because (b) assumes a closed form.",
])
def test_the_stated_option_alone_is_read(text):
    answer, outcome = grade(SINGLE, text)
    assert answer.value == {"choices": ["d"]} and outcome.status == "incorrect" and "hedge" not in outcome.notes


def test_words_that_are_letters_are_not_options():
    answer, outcome = grade(SINGLE, "The answer is a bit subtle: (b), since the integral is intractable.")
    assert answer.value == {"choices": ["b"]} and outcome.status == "correct"


# --- verdicts that contradict the stated answer ------------------------------------------------------

@pytest.mark.parametrize("verdicts", [
    "(a) False\n(b) False\n(c) True\n(d) False", "b) is incorrect", "(b) False. (c) True.", "(c) is correct",
])
def test_a_stated_answer_contradicted_by_verdicts_goes_to_review_with_both(verdicts):
    answer, _ = grade(SINGLE, f"Answer: (b)\n\n{verdicts}\n")
    assert not answer.readable and "disagree" in answer.problem
    assert any("Answer: (b)" in e for e in answer.evidence) and len(answer.evidence) >= 2


def test_verdicts_that_agree_with_the_stated_answer_confirm_it():
    answer, outcome = grade(SINGLE, "Answer: (b)\n(a) False\n(b) True\n(c) False\n(d) False\n")
    assert answer.value == {"choices": ["b"]} and outcome.status == "correct" and answer.confidence >= 0.95


def test_two_answer_lines_naming_different_options_go_to_review():
    answer, _ = grade(SINGLE, "Answer: (b).\n\nAfter more thought, the answer is (d).")
    assert not answer.readable and "more than once" in answer.problem


# --- multiple choice ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Answer: (a), (b), (c), (d)", "[x] (a) [x] (b) [x] (c) [x] (d)",
                                  "Answer: a, b, c and d", "(a) True (b) True (c) True (d) True"])
def test_every_option_of_a_multiple_choice_is_a_hedge(text):
    answer, outcome = grade(MULTI, text)
    assert answer.value == {"choices": ["a", "b", "c", "d"]}
    assert outcome.fraction == 0 and "hedge" in outcome.notes and "Every option" in outcome.feedback


def test_every_option_is_right_when_the_key_is_every_option():
    _, outcome = grade(MULTI_ALL, "Answer: (a), (b), (c), (d)")
    assert outcome.status == "correct" and outcome.fraction == 1


def test_a_multiple_choice_list_is_read_whole():
    answer, outcome = grade(MULTI, "Answer: (a), (b) and (d)")
    assert answer.value == {"choices": ["a", "b", "d"]} and outcome.status == "correct"


def test_a_declared_mistake_with_a_credit_decides_over_the_hedge_rule():
    comp = component(key={"literal": ["a", "b", "d"]},
                     settings={"options": OPTIONS, "multiple": True, "policy": "each_answer"},
                     mistakes=[{"id": "all", "when": {"selected": ["a", "b", "c", "d"]}, "credit": 0.5,
                                "message": "(c) is false."}])
    _, outcome = grade(comp, structured=["a", "b", "c", "d"])
    assert outcome.fraction == 0.5 and "hedge" not in outcome.notes


def test_on_hedge_is_checked():
    with pytest.raises(ValueError):
        component(key={"literal": "b"}, settings={"options": OPTIONS, "on_hedge": "half"})


def test_an_answer_sheet_listing_several_options_hedges_too():
    _, outcome = grade(SINGLE, structured=["b", "d"])
    assert outcome.fraction == 0 and "hedge" in outcome.notes
