"""A checklist step named only in a list of keywords, or negated where it is named, is not shown
and earns nothing (issue 10, item 4). Checked on the real rubric's 2.1 (forward KL in data space
equals reverse KL in base space) and 3.4a, as properties over list shapes and negations."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.kinds import get_kind
from grader.kinds.base import Fragment
from grader.kinds.prose_claims import negated, pieces
from grader.rubric import default_rubric_path, load_rubric

KIND = get_kind("prose")

# Each step of 2.1 as a sentence or an equation, and as the bare terms a keyword list would use.
STEPS = {
    "change-of-variables": ("By the change of variables formula, $p_X(x) = p_U(F^{-1}(x))\\,|\\det J_{F^{-1}}(x)|$.",
                            ["change of variables", "Jacobian", "det"]),
    "substitution": ("We substitute $x = F(u)$ in the integral, so that $dx = |\\det J_F(u)|\\,du$.",
                     ["substitution", "x = F(u) substitution"]),
    "determinants-cancel": ("The Jacobian determinants cancel in the log-ratio.", ["cancel", "same determinant"]),
    "conclusion": ("Therefore the two KL divergences are equal.", ["hence", "therefore"]),
}


@functools.cache
def _settings(part: str):
    return load_rubric(default_rubric_path()).part(part).components[0].settings


def found(part: str, text: str) -> dict[str, bool]:
    return {i["id"]: i["found"] for i in KIND.checklist(text, _settings(part))}


def test_the_steps_in_sentences_are_found(rubric):
    text = " ".join(sentence for sentence, _ in STEPS.values())
    assert all(found("2.1", text).values())


# --- keyword lists ---------------------------------------------------------------------------------

_LABELS = ["", "Keywords: ", "Key steps: ", "Concepts: ", "Mots-clés : ", "Answer: "]
_SEPARATORS = [", ", "; ", "\n- ", "\n* ", "\n", ",\n"]


@st.composite
def keyword_lists(draw):
    terms = [t for _, words in STEPS.values() for t in words if "=" not in t and t not in ("hence", "therefore")]
    chosen = draw(st.lists(st.sampled_from(terms), min_size=3, max_size=7, unique=True))
    chosen.insert(draw(st.integers(0, len(chosen))), draw(st.sampled_from(["hence", "therefore", "QED", "thus"])))
    separator = draw(st.sampled_from(_SEPARATORS))
    start = "- " if separator.startswith("\n-") else ("* " if separator.startswith("\n*") else "")
    return draw(st.sampled_from(_LABELS)) + start + separator.join(chosen) + draw(st.sampled_from(["", ".", " etc."]))


@settings(max_examples=200, deadline=None)
@given(keyword_lists())
def test_a_list_of_keywords_shows_no_step(text):
    steps = found("2.1", text)
    assert not any(steps[s] for s in ("change-of-variables", "substitution", "determinants-cancel")), (text, steps)


def test_a_keyword_list_is_named_in_the_feedback(rubric):
    component = rubric.part("2.1").components[0]
    answer = KIND.extract(Fragment("2.1", "Keywords: change of variables, Jacobian, determinant, cancel, substitution",
                                   "test", 1.0), component)
    outcome = KIND.grade(answer, None, component)
    assert outcome.fraction == 0 and "only in a list of keywords" in outcome.feedback


def test_a_step_stated_among_keywords_still_counts(rubric):
    text = "Jacobian, determinant, cancel, and we substitute $x = F(u)$ in the integral"
    steps = found("2.1", text)
    assert steps["substitution"] and not steps["determinants-cancel"]


def test_a_review_counts_lists_and_negated_judgments(rubric):
    assert all(rubric.part(p).components[0].settings.mentions_count for p in ("5.1", "5.2", "5.3", "5.4"))
    assert not rubric.part("2.1").components[0].settings.mentions_count
    assert found("5.2", "Strengths: simple method, strong empirical results, careful ablations, public code")["practical"]
    assert found("5.3", "The paper is not novel, and its gains are not significant.")["significance"]
    assert found("5.2", "It does not need a memory bank.")["formulation"]


def test_bare_mentions_may_be_set_either_way():
    from grader.kinds.prose import ProseSettings

    item = {"id": "x", "points": 1, "description": "x", "hints": ["jacobian"]}
    counting = ProseSettings(items=[item], bare_mentions="count")
    strict = ProseSettings(items=[item])
    text = "There is no Jacobian here."
    assert KIND.checklist(text, counting)[0]["found"] and not KIND.checklist(text, strict)[0]["found"]


@pytest.mark.parametrize("unit", [
    "Since the determinants cancel, the ratio is unchanged, hence the KLs are equal.",
    "Therefore, as shown, the bound holds, QED.",
    "By Jensen, $\\log E[w] \\ge E[\\log w]$, so $L_k \\le \\log p(x)$.",
    "The first term is the reconstruction, the second the KL to the prior, and the last one vanishes.",
    "Simple, clear, and a big empirical improvement.",
    "We have $a = b$, $c = d$, $e = f$ and $g = h$.",
])
def test_sentences_with_commas_are_not_lists(unit):
    assert [p.counts for p in pieces(unit)] == [True]


# --- negation ----------------------------------------------------------------------------------------

_NEGATED = ["It is not the case that {s}", "I do not think that {s}", "It is false that {s}",
            "Ce n'est pas le cas que {s}"]


@pytest.mark.parametrize("frame", _NEGATED)
def test_a_negated_proposition_is_no_step(rubric, frame):
    text = " ".join(frame.format(s=sentence[0].lower() + sentence[1:]) for sentence, _ in STEPS.values())
    steps = found("2.1", text)
    assert not any(steps.values()), steps


@pytest.mark.parametrize("text, word, is_negated", [
    ("the estimator is not unbiased", "unbiased", True),
    ("we can bound it without using Jensen", "Jensen", True),
    ("l'estimateur n'est pas sans biais", "sans biais", True),
    ("there is no Jacobian term", "Jacobian", True),
    ("the determinants do not cancel", "cancel", True),
    ("the estimator isn't unbiased", "unbiased", True),
    ("the estimator is unbiased", "unbiased", False),
    ("Since the KL is not symmetric, we use the change of variables", "change", False),
    ("the terms that do not depend on θ cancel", "cancel", False),
    ("without loss of generality, the Jacobian terms cancel", "cancel", False),
    ("it is not only unbiased but also consistent", "unbiased", False),
    ("It is not the case that the KL is symmetric, but the Jacobian terms cancel", "cancel", False),
    ("the Jacobian is non-negative", "Jacobian", False),
    ("we never use that the Jacobian terms cancel in the ratio", "cancel", True),
    ("we do not need the fact that the Jacobian terms cancel", "cancel", True),
    ("we never use Jensen, so the Jacobian terms cancel", "cancel", False),
])
def test_negation_is_read_in_the_words_before_the_match(text, word, is_negated):
    assert negated(text, text.index(word)) is is_negated


def test_a_negated_concept_does_not_count_in_english_or_french(rubric):
    settings_ = rubric.part("3.4a").components[0].settings
    ids = {i.id for i in settings_.items}
    unbiased = "unbiased-estimate"
    assert unbiased in ids
    for text in ("The estimator is not unbiased.", "Nous voyons que l'estimateur n'est pas sans biais pour tout k.",
                 "The estimator isn't unbiased.", "Ce n'est pas vrai que l'estimateur est sans biais pour tout k."):
        assert not {i["id"]: i["found"] for i in KIND.checklist(text, settings_)}[unbiased], text
    for text in ("The estimator is unbiased.", "Nous voyons que l'estimateur est sans biais pour tout k."):
        assert {i["id"]: i["found"] for i in KIND.checklist(text, settings_)}[unbiased], text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc ,;:.\n-*()$=notsaj'", max_size=120), st.integers(0, 120))
def test_the_readers_accept_any_text(text, start):
    assert pieces(text) and all(isinstance(p.counts, bool) for p in pieces(text))
    assert negated(text, min(start, len(text))) in (True, False)


def test_a_mention_that_continues_a_negated_one_is_negated_too():
    steps = found("2.1", "We prove it without the change-of-variables formula for the flow's density, "
                         "with its Jacobian determinant.")
    assert not steps["change-of-variables"]
    steps = found("2.1", "We apply the change-of-variables formula, with its Jacobian determinant, and not Jensen.")
    assert steps["change-of-variables"]


def test_a_negation_after_a_mention_leaves_it_alone():
    text = "The method needs very large batches, which makes it expensive and hard to reproduce without TPUs."
    assert found("5.3", text)["cost"]


def test_a_formula_the_step_states_does_not_count_when_negated():
    assert found("2.1", "We use the substitution x = F(u) in the integral.")["substitution"]
    assert not found("2.1", "The argument is not the substitution x = F(u) in the integral.")["substitution"]
