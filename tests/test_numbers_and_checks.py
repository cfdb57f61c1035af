"""Numbers of any shape (exact forms, vectors, matrices, complex sets, intervals, named quantities)
and answers checked by a function beside the rubric."""

from __future__ import annotations

import time

import pytest

from grader.kinds import get_kind
from grader.kinds.base import Fragment
from grader.mathexpr.values import read_value, show
from grader.rubric import Component, load_rubric

NUMERIC = get_kind("numeric")
CHECK = get_kind("check")


def numeric(key, **settings) -> Component:
    return Component.model_validate({"kind": "numeric", "points": 2, "key": {"literal": key}, "settings": settings})


def run(comp: Component, text: str = "", structured=None):
    kind = get_kind(comp.kind)
    answer = kind.extract(Fragment("x", text, "test", 1.0, structured=structured), comp)
    if not answer.readable:
        return answer, None
    key = kind.prepare(comp.key.literal, comp.settings) if comp.key is not None else None
    return answer, kind.grade(answer, key, comp)


@pytest.mark.parametrize("written, shown", [
    ("−log 4", "−1.386"), (r"-\log 4", "−1.386"), ("½", "0.5"), ("√2/2", "0.7071"), (r"\frac{\pi}{4}", "0.7854"),
    ("1e-3", "0.001"), (r"1 \pm 0.1i", "{1+0.1i, 1−0.1i}"), ("(0, 0)", "(0, 0)"), ("(0, 2]", "(0, 2]"),
    (r"\begin{pmatrix} 1 & -0.1 \\ 0.1 & 1 \end{pmatrix}", "[[1, −0.1], [0.1, 1]]"),
])
def test_exact_forms_are_read_never_evaluated_as_code(written, shown):
    assert show(read_value(written)) == shown


@pytest.mark.parametrize("text", ["__import__('os')", "x + 1", "1/0 + 2"])
def test_what_is_not_a_number_is_refused(text):
    with pytest.raises(ValueError):
        read_value(text)


@pytest.mark.parametrize("key, settings, text, status", [
    ("-\\log 4", {}, "The minimum value is −log 4.", "correct"),
    ("-\\log 4", {}, "The minimum value is -1.386.", "correct"),
    ([1, -2], {"target": "(d^*, g^*)"}, "so (d*, g*) = (1, -2) is the stationary point", "correct"),
    ([1, -2], {}, "The stationary point is $(d^*, g^*) = (-2, 1)$.", "incorrect"),
    ({"set": ["1+0.1i", "1-0.1i"]}, {"target": "\\lambda"}, r"$\lambda = 1 \pm 0.1 i$", "correct"),
    ({"set": ["1+0.1i", "1-0.1i"]}, {"target": "\\lambda"}, r"$\lambda = 1 + 0.1 i$", "incorrect"),
    ([[1, -0.1], [0.1, 1]], {"target": "A"}, r"$$A = \begin{pmatrix} 1 & -0.1 \\ 0.1 & 1\end{pmatrix}$$", "correct"),
    ({"interval": [0, 2], "closed": [False, False]}, {}, r"It converges for $\eta \in (0, 2)$.", "correct"),
    ({"V": 0, "D": 0.5}, {}, "At the equilibrium, V = 0, D = 0.5.", "correct"),
    ({"V": 0, "D": 0.5}, {}, "V = 0 and D = 0.5", "correct"),
    ({"V": 0, "D": 0.5}, {}, "V = 0.5 and D = 0.5", "partial"),
])
def test_numbers_of_any_shape_from_text(key, settings, text, status):
    answer, outcome = run(numeric(key, **settings), text)
    assert outcome is not None, answer.problem
    assert outcome.status == status, (answer.value, outcome.feedback)


def test_named_quantities_are_read_per_name_not_as_the_last_number():
    answer, _ = run(numeric({"V": 0, "D": 0.5}), "V = 0, D = 0.5")
    assert answer.value == {"named": {"V": 0.0, "D": 0.5}}


@pytest.mark.parametrize("given, status", [
    ({"interval": [0, 2], "closed": [False, False]}, "correct"), ("(0, 2]", "partial"), ("[0, 3)", "incorrect")])
def test_interval_answers_and_their_brackets(given, status):
    _, outcome = run(numeric({"interval": [0, 2], "closed": [False, False]}), structured=given)
    assert outcome.status == status


def test_tolerances_and_declared_mistakes_for_any_shape():
    comp = Component.model_validate({"kind": "numeric", "points": 2, "key": {"literal": [1, -2]},
                                     "settings": {"abs_tol": 0.01},
                                     "mistakes": [{"id": "swapped", "credit": 0.5, "message": "swapped",
                                                   "when": {"value": [-2, 1]}}]})
    assert run(comp, structured=[1.005, -2])[1].status == "correct"
    outcome = run(comp, structured="(-2, 1)")[1]
    assert (outcome.status, outcome.notes, outcome.fraction) == ("partial", ("swapped",), 0.5)
    assert "a vector of 2" in run(comp, structured=3)[1].feedback


# ---------------------------------------------------------------- check functions

CHECKS = '''
import time
import numpy as np

def small_kl(answer, threshold=0.01):
    m1, s1, m2, s2 = (answer[name] for name in ("m_1", "s_1", "m_2", "s_2"))
    kl = np.log(s2 / s1) + (s1**2 + (m1 - m2)**2) / (2 * s2**2) - 0.5
    if s1 <= 0 or s2 <= 0:
        return {"score": 0, "message": "a standard deviation is positive", "note": "negative-scale"}
    if kl == 0:
        return {"score": 0.5, "message": "the same Gaussian twice: KL is 0, not just small"}
    return {"score": 1.0 if kl < threshold else 0.0, "message": f"KL = {kl:.3g}"}

def slow(answer):
    time.sleep(5)
    return 1, "late"

def broken(answer):
    return {"score": 3}
'''


@pytest.fixture()
def checked(tmp_path):
    (tmp_path / "checks.py").write_text(CHECKS)
    rubric = tmp_path / "r.yaml"
    rubric.write_text("""
id: r
title: r
total: 9
parts:
  - id: "1.1"
    title: two Gaussians
    points: 3
    kind: check
    settings:
      function: checks.py:small_kl
      args: {threshold: 0.01}
      read: {names: [m_1, s_1, m_2, s_2]}
      examples:
        - {answer: {m_1: 0, s_1: 1, m_2: 0.01, s_2: 1}, score: 1}
        - {answer: {m_1: 0, s_1: 1, m_2: 0, s_2: 1}, score: 0.5}
        - {answer: {m_1: 0, s_1: 1, m_2: 3, s_2: 1}, score: 0}
  - {id: "1.2", title: slow, points: 3, kind: check, settings: {function: checks.py:slow, time_limit: 0.2}}
  - {id: "1.3", title: broken, points: 3, kind: check, settings: {function: checks.py:broken}}
""")
    return load_rubric(rubric)


def test_a_check_function_grades_the_parsed_answer(checked):
    comp = checked.part("1.1").components[0]
    text = "Take $m_1 = 0$, $s_1 = 1$, $m_2 = 0.05$, $s_2 = 1$."
    answer, outcome = run(comp, text)
    assert answer.value == {"named": {"m_1": 0.0, "s_1": 1.0, "m_2": 0.05, "s_2": 1.0}}
    assert outcome.status == "correct" and "KL = 0.00125" in outcome.feedback
    _, same = run(comp, structured={"m_1": 0, "s_1": 1, "m_2": 0, "s_2": 1})
    assert same.status == "partial"
    for answer, status in CHECK.self_test(comp, None):  # the rubric's examples are the self-test
        read = CHECK.extract(Fragment("1.1", "", "t", 1.0, structured=answer), comp)
        got = CHECK.grade(read, None, comp).status if read.readable else "needs_review"
        assert got == status


def test_a_slow_or_broken_check_goes_to_a_ta_never_a_silent_zero(checked):
    started = time.perf_counter()
    _, slow = run(checked.part("1.2").components[0], structured=1)
    assert slow.status == "needs_review" and "longer than 0.2 s" in slow.feedback
    assert time.perf_counter() - started < 3
    _, broken = run(checked.part("1.3").components[0], structured=1)
    assert broken.status == "needs_review" and "outside 0..1" in broken.feedback


def test_check_functions_travel_with_the_rubric_and_never_to_students(checked):
    assert "checks.py" in checked.companion_files  # bundled for grading (Gradescope)
    public = CHECK.public_settings(checked.part("1.1").components[0].settings)
    assert public["function"] == "withheld" and "args" not in public


@pytest.mark.parametrize("text, status", [
    (r"$\lambda_1 = \frac{3 + \sqrt{5}}{2}$ and $\lambda_2 = \frac{3 - \sqrt{5}}{2}$.", "correct"),
    (r"$\lambda_1 = 2.618$, $\lambda_2 = 0.382$", "correct"),
    (r"$\lambda_1 = 2.618$, $\lambda_2 = 1$", "incorrect"),
])
def test_values_given_one_by_one_are_read_as_their_set_never_as_the_last_one(text, status):
    answer, outcome = run(numeric(r"\frac{3 \pm \sqrt{5}}{2}", target="\\lambda", abs_tol=1e-3), text)
    assert outcome is not None and outcome.status == status, (answer.value, answer.problem)
    assert "given one by one" in answer.how and len(answer.value["set"]) == 2


def test_a_value_given_one_by_one_that_does_not_read_goes_to_a_ta():
    text = r"$\lambda_1 = {\frac{3 +}{2}}^{\sqrt{5}}$ and $\lambda_2 = \frac{3 - \sqrt{5}}{2}$"
    answer, outcome = run(numeric(r"\frac{3 \pm \sqrt{5}}{2}", target="\\lambda"), text)
    assert outcome is None and "\\lambda_1 does not read" in answer.problem
