"""Expression answers (4.6a, 4.6b): the LaTeX grammar, numerical equivalence with named mistakes
and diagnostics, extraction from Markdown and LaTeX sources (the seed's 4.6 text among them),
self-tests, and the guards against hostile input."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.kinds import get_kind
from grader.kinds.base import Fragment
from grader.mathexpr import equivalence
from grader.mathexpr import tree as t
from grader.mathexpr.equations import find_equations, split_math
from grader.mathexpr.evaluate import EvalError, TimeLimit, evaluate
from grader.mathexpr.parser import parse as parse_plain
from grader.mathexpr.printer import to_latex, to_plain
from grader.mathexpr.tree import ParseError
from grader.pipeline import fragments_for, split_components
from grader.ingest.submission import Submission, read_submission
from grader.report.html import ENV
from grader.rubric import Component

from .conftest import SEED

KIND = get_kind("expression")
GAN = Component.model_validate({"kind": "expression", "points": 1, "key": {"literal": r"\log 2"},
                                "settings": {"target": "JSD", "context": "rubrics/contexts/two-densities.yaml"}}
                               ).settings.ctx


def parse(latex: str) -> t.Node:
    return parse_plain(latex, GAN.lexicon)
KEY_JSD = (r"\frac{1}{2}\left(\mathbb{E}_{x\sim p_0}\left[\log\left(1 - D^*(x)\right)\right]"
           r" + \mathbb{E}_{x\sim p_1}\left[\log D^*(x)\right]\right) + \log 2")


def plain(latex: str) -> str:
    return to_plain(parse(latex))


# ---------------------------------------------------------------- parser: every construct

@pytest.mark.parametrize("latex, expected", [
    (r"\frac{1}{2}", "1/2"),
    (r"\tfrac12 + \dfrac{1}{4}", "1/2 + 1/4"),
    (r"0.5 + .25", "1/2 + 1/4"),
    (r"1/2 (a + b)", "1/2 · (a + b)"),  # a plain-text fraction is one number
    (r"\log 2", "log 2"),
    (r"\ln(2)", "log 2"),
    (r"\log_2 x + \log_{10}(y)", "log_2 x + log_10 y"),
    (r"\log 2D(x)", "log(2 · D(x))"),  # an unparenthesised argument takes the juxtaposition
    (r"\log(1 - D(x)) p_0(x)", "log(1 − D(x)) · p0(x)"),  # a parenthesised one stops at ")"
    (r"\log \frac{p_0(x)}{\mu(x)}", "log(p0(x)/μ(x))"),
    (r"\left(a + b\right)\left[c\right]", "(a + b) · c"),
    (r"\big( a \big) \Big[ b \Big] \bigl( c \bigr)", "a · b · c"),
    (r"\mathbb{E}_{x\sim p_0}[\log(1 - D(x))]", "E_p0[log(1 − D(x))]"),
    (r"\mathbb{E}_{x \sim p_0} \left[\log D \right]", "E_p0[log D]"),
    (r"E_{p_1}[\log D^*]", "E_p1[log D*]"),
    (r"\mathbf{E}_{p_1}[x]", "E_p1[x]"),
    (r"\operatorname{E}_{x\sim p_1}[x]", "E_p1[x]"),
    (r"\mathbb{E}_{y \sim p_1}[y]", "E_{y~p1}[y]"),
    (r"D^*(x) + D^\ast(x) + D^{*}(x) + D^{\ast}(x) + D^\star", "D*(x) + D*(x) + D*(x) + D*(x) + D*"),
    (r"f_0(x) + p_1(x) + f_{1}(x)", "f0(x) + p1(x) + f1(x)"),
    (r"\mu(x) + \mu", "μ(x) + μ"),
    (r"\int p_0(x) \log\frac{p_0(x)}{\mu(x)} \, dx", "∫ p0(x) · log(p0(x)/μ(x)) dx"),
    (r"\int_{-\infty}^{\infty} p_1(x)\,\mathrm{d}x", "∫_−∞^∞ p1(x) dx"),
    (r"\int_{\mathbb{R}} p_1(x) dx", "∫ p1(x) dx"),
    (r"2 \cdot 3 \times 4 * 5", "2 · 3 · 4 · 5"),
    (r"x^2 + x^{-1} + x^23", "x^2 + x^(−1) + x^2 · 3"),
    (r"-x - -y", "−x − (−y)"),
    (r"\text{JSD}(p_0, p_1)", "JSD(p0, p1)"),
    (r"\mathrm{JSD}(p_0 \| p_1) + JSD", "JSD(p0, p1) + JSD"),
    (r"\text{KL}(p_0||\mu) + D_{KL}(p_1 \| \mu) + D_{\mathrm{KL}}(p_0\parallel p_1)",
     "KL(p0 ‖ μ) + KL(p1 ‖ μ) + KL(p0 ‖ p1)"),
    (r"\sqrt{2} + e^{x}", "sqrt(2) + e^x"),
    (r"\hat{D}(\mathbf{x})", "D\u0302(x)"),  # another name, which means D unless declared
    ("½ log(2 D∗(x)) − μ", "1/2 · log(2 · D*(x)) − μ"),  # Unicode from PDF text
    (r"E_{x~p0}[ln(1 - D*(x))]", "E_p0[log(1 − D*(x))]"),  # plain text
])
def test_parses_each_construct(latex, expected):
    assert plain(latex) == expected


def test_the_tree_is_normalised():
    assert parse(r"\frac{1}{2}\log 2") == parse(r"0.5 \cdot \ln(2)")
    assert parse(r"E_{p_0}[x]") == parse(r"\mathbb{E}_{x \sim p_0}\left[x\right]")
    assert parse("a + (b + c)") == parse("a + b + c")
    assert parse(r"\frac{1}{2}") == t.num(Fraction(1, 2))


@pytest.mark.parametrize("latex, reason", [
    (r"\sum_i \log D(x_i)", "bounds"),
    (r"\frac{1}{", "ends too early"),
    (r"a | b", "cannot read '|'"),
    (r"x + \text{ where } y", "text inside the formula"),
    (r"\mathbb{E}[\log D]", "over which distribution"),
    (r"\log_{x}(2)", "base must be a whole number"),
    ("x" * 3000, "too long"),
    ("(" * 60 + "x" + ")" * 60, "nested"),
    ("- " * 100 + "x", "nested"),
    ("1" * 40, "digits"),
    (r"\foo{x}", "'\\foo' cannot be read"),
])
def test_what_cannot_be_read_is_a_parse_error_with_a_reason(latex, reason):
    with pytest.raises(ParseError, match=None) as info:
        parse(latex)
    assert reason in str(info.value)


_PIECES = [r"\frac", r"\log", r"\ln", r"\mathbb{E}", "E", "_", "^", "{", "}", "(", ")", "[", "]", r"\left(",
           r"\right)", "p_0", "f_1", "D^*", r"D^\ast", "x", r"\sim", "+", "-", r"\cdot", "/", "1", "2", ".", ",",
           r"\|", r"\int", "dx", r"\,", r"\mu", r"\text{KL}", r"\mathrm{JSD}", "=", "&", r"\\", "$", "|", "*",
           r"\sqrt", r"\infty", r"\exp", "e", " ", r"\big(", r"\tfrac", "12", r"\sum", "∼", "−", "½",
           r"\nabla", r"\partial", "_w", r"\ell"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)))
def test_the_parser_raises_only_parse_errors(text):
    try:
        node = parse(text)
    except ParseError:
        return
    assert parse(to_latex(node)) == node  # whatever reads, prints back to itself


def _trees():
    names = st.sampled_from([t.sym("x"), t.sym("p", "0"), t.sym("f", "1"), t.sym("D", star=True), t.sym("D"),
                             t.sym("\\mu"), t.sym("a"), t.sym("q", "data"), t.sym("D", "\\theta", True),
                             t.sym("\\ell", None, False, t.gradient_accent("w")), t.sym("L", "i", False, t.GRADIENT)])
    numbers = st.fractions(min_value=0, max_value=50, max_denominator=12).map(t.num)
    leaves = st.one_of(names, numbers, st.just(t.INFINITY))
    heads = st.sampled_from([t.sym("D", star=True), t.sym("p", "0"), t.sym("\\mu"), t.sym("g")])

    def extend(children):
        densities = st.sampled_from([t.sym("p", "0"), t.sym("p", "1"), t.sym("\\mu")])
        return st.one_of(
            st.lists(children, min_size=2, max_size=4).map(lambda c: t.add(*c)),
            st.lists(children, min_size=2, max_size=4).map(lambda c: t.mul(*c)),
            children.map(t.neg),
            st.tuples(children, children).map(lambda c: t.div(*c)),
            st.tuples(children, children).map(lambda c: t.power(*c)),
            st.tuples(heads, st.lists(children, min_size=1, max_size=2)).map(lambda c: t.apply(c[0], c[1])),
            st.tuples(st.sampled_from(["log", "exp", "sqrt"]), children).map(lambda c: t.call(*c)),
            st.tuples(children, st.sampled_from([2, 10])).map(lambda c: t.call("log", c[0], t.num(c[1]))),
            st.tuples(densities, children, st.sampled_from(["x", "y"])).map(lambda c: t.expect(*c)),
            st.tuples(children, st.sampled_from(["x", "y"])).map(lambda c: t.integral(*c)),
            children.map(lambda c: t.integral(c, "x", t.neg(t.INFINITY), t.INFINITY)),
            st.tuples(st.sampled_from(["KL", "JSD"]), densities, densities).map(
                lambda c: t.apply(t.sym(c[0]), c[1:])),
            st.just(t.sym("JSD")),
            st.lists(children, min_size=2, max_size=3).map(t.tuple_),
            st.lists(children, min_size=2, max_size=3).map(t.set_of),
            st.lists(st.lists(children, min_size=2, max_size=2), min_size=1, max_size=2).map(t.matrix),
            children.map(t.plus_minus),
            st.tuples(children, st.sampled_from([None, "1", "2"])).map(lambda c: t.norm(*c)),
            st.tuples(st.sampled_from(["sum", "prod"]), children).map(
                lambda c: t.big_op(c[0], "j", t.num(1), t.num(3), c[1])),
            children.map(lambda c: t.call("abs", c)),
            children.map(lambda c: t.power(c, t.TOP)),
        )
    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_trees())
def test_printing_and_reparsing_a_tree_gives_it_back(node):
    assert parse(to_latex(node)) == node
    assert to_plain(node)  # and it has a readable form


@settings(max_examples=200, deadline=None)
@given(_trees(), st.booleans())
def test_evaluating_any_tree_raises_only_eval_errors(node, pointwise):
    try:
        values = evaluate(node, GAN, pointwise, deadline=time.perf_counter() + 5)
    except (EvalError, TimeLimit):
        return
    for array in (values if isinstance(values, tuple) else (values,)):
        assert array.shape[0] == GAN.cases(pointwise) == (60 if pointwise else 5)


# ---------------------------------------------------------------- equivalence on the real rubric

def component(rubric, part_id: str, component_id: str = "answer") -> Component:
    return next(c for c in rubric.part(part_id).components if c.id == component_id)


def grade(rubric, key, part_id, latex, component_id="answer"):
    comp = component(rubric, part_id, component_id)
    answer = KIND.extract(Fragment(part_id, "", "test", 1.0, structured=latex), comp)
    assert answer.readable, answer.problem
    return KIND.grade(answer, key.value(part_id, component_id), comp)


JSD_REWRITES = [
    KEY_JSD,
    r"\frac12\left(E_{p_0}[\log(1-D^*)] + E_{p_1}[\log D^*]\right) + \log 2",
    r"\frac12 \mathbb{E}_{x\sim p_0}[\log 2(1-D^*(x))] + \frac12 \mathbb{E}_{x\sim p_1}[\log 2D^*(x)]",
    r"\frac12\int p_0(x)\log(1-D(x))\,dx + \frac12\int_{-\infty}^{\infty} p_1(x)\ln D(x)\,\mathrm{d}x + \ln 2",
    r"\text{JSD}(p_0, p_1) = \frac12 \mathbb{E}_{p_0}[\log(1-D)] + \frac12 \mathbb{E}_{p_1}[\log D] + \log 2",
    r"\log 2 + \frac{1}{2}\mathbb{E}_{p_1}\left[\log D\right] - \frac{1}{2}\mathbb{E}_{p_0}\left[\log\frac{1}{1-D}\right]",
]


# Equal to the JSD, without the discriminator: the question's definition restated, which the rubric's
# `requires: [D]` refuses (issue 10, item 3).
JSD_WITHOUT_D = [
    r"\frac{1}{2}\mathbb{E}_{p_0}\left[\log\frac{2p_0(x)}{p_0(x)+p_1(x)}\right] + "
    r"\frac{1}{2}\mathbb{E}_{p_1}\left[\log\frac{2p_1(x)}{p_0(x)+p_1(x)}\right]",
    r"\frac{1}{2}\mathbb{E}_{p_0}\left[\ln\frac{p_0}{\mu}\right] + \frac{1}{2}\mathbb{E}_{p_1}\left[\ln\frac{p_1}{\mu}\right]",
    r"\frac{1}{2}\text{KL}(p_0||\mu) + \frac{1}{2}\text{KL}(p_1||\mu)",
    r"\text{JSD}(p_0, p_1) = \frac{1}{2}\left(\mathrm{KL}(p_0\|\mu) + \mathrm{KL}(p_1\|\mu)\right)",
]


@pytest.mark.parametrize("latex", JSD_REWRITES)
def test_correct_rewrites_of_the_jsd_get_full_credit(rubric, key, latex):
    outcome = grade(rubric, key, "4.6a", latex)
    assert (outcome.status, outcome.fraction) == ("correct", 1.0), outcome.feedback


@pytest.mark.parametrize("latex", JSD_WITHOUT_D)
def test_the_definition_restated_without_the_discriminator_earns_nothing(rubric, key, latex):
    outcome = grade(rubric, key, "4.6a", latex)
    assert (outcome.status, outcome.fraction) == ("incorrect", 0.0) and outcome.notes == ("lacks-D",)
    assert outcome.feedback == " ".join(component(rubric, "4.6a").settings.requires.message.split())


@pytest.mark.parametrize("mistake, latex", [
    ("missing-log2", r"\frac{1}{2}\left(\mathbb{E}_{p_0}\left[\log\frac{p_0}{p_0+p_1}\right] + "
                     r"\mathbb{E}_{p_1}\left[\log\frac{p_1}{p_0+p_1}\right]\right)"),
    ("logit-inside", r"\frac12\left(\mathrm{KL}(p_0\|p_1) + \mathrm{KL}(p_1\|p_0)\right)"),
])
def test_a_known_mistake_without_the_discriminator_says_both(rubric, key, mistake, latex):
    outcome = grade(rubric, key, "4.6a", latex)
    declared = next(m for m in component(rubric, "4.6a").mistakes if m.id == mistake)
    assert outcome.fraction == 0 and outcome.notes == ("lacks-D", mistake)
    assert outcome.feedback.endswith(declared.message) and "D*(x)" in outcome.feedback


def test_a_required_name_is_preferred_when_choosing_the_equation(rubric, key):
    text = ("$$\\mathrm{JSD}(p_0, p_1) = \\frac{1}{2}\\left(\\mathbb{E}_{p_0}[\\log(1-D^*(x))] + "
            "\\mathbb{E}_{p_1}[\\log D^*(x)]\\right) + \\log 2$$\n\nwhich is, by definition,\n\n"
            "$$\\mathrm{JSD}(p_0, p_1) = \\frac{1}{2}\\mathrm{KL}(p_0\\|\\mu) + \\frac{1}{2}\\mathrm{KL}(p_1\\|\\mu)$$")
    comp = component(rubric, "4.6a")
    answer = KIND.extract(Fragment("4.6a", text, "test", 1.0), comp)
    assert "D^*" in answer.value["expression"]
    assert KIND.grade(answer, key.value("4.6a", "answer"), comp).status == "correct"


def test_requires_names_declared_names_the_key_uses():
    def expression(**settings_):
        return Component.model_validate({"kind": "expression", "points": 1, "key": {"literal": r"\mathbb{E}_{p_1}[\log D]"},
                                         "settings": {"target": "JSD", "symbols": ["D", "p0", "p1"], **settings_}})

    ok = expression(requires=["D"])
    assert ok.settings.required == ("D",) and ok.settings.public()["requires"] == ["D"]
    assert expression(requires={"names": ["D"], "message": "Use D."}).settings.requires.message == "Use D."
    with pytest.raises(ValueError, match="not declared"):
        expression(requires=["Q"])
    with pytest.raises(ValueError, match="'symbols' does not allow"):
        expression(requires=["mu"])
    with pytest.raises(ValueError, match="requires"):
        KIND.prepare(r"\log 2", ok.settings)


@pytest.mark.parametrize("mistake, latex", [
    ("missing-log2", r"\frac12\left(E_{p_0}[\log(1-D^*(x))] + E_{p_1}[\log D^*(x)]\right)"),
    ("minus-log2", r"\frac12 E_{p_0}[\log(1-D)] + \frac12 E_{p_1}[\log D] - \log 2"),
    ("logit-inside", r"\frac{1}{2}\left(\mathbb{E}_{x \sim p_0}\left[\log \frac{1 - D^*(x)}{D^*(x)}\right] + "
                     r"\mathbb{E}_{x \sim p_1}\left[\log \frac{D^*(x)}{1 - D^*(x)}\right]\right)"),
    ("swapped", r"\frac12(E_{p_0}[\log D] + E_{p_1}[\log(1-D)]) + \log 2"),
    ("missing-half", r"E_{p_0}[\log(1-D)] + E_{p_1}[\log D] + \log 4"),
])
def test_each_declared_jsd_mistake_is_named(rubric, key, mistake, latex):
    outcome = grade(rubric, key, "4.6a", latex)
    declared = next(m for m in component(rubric, "4.6a").mistakes if m.id == mistake)
    assert outcome.notes == (mistake,)
    assert outcome.fraction == (declared.credit or 0.0)
    assert outcome.feedback.startswith(declared.message)
    assert outcome.status == ("partial" if outcome.fraction > 0 else "incorrect")


@pytest.mark.parametrize("latex, note, words", [
    (r"\frac12(E_{p_0}[\log(1-D)] + E_{p_1}[\log D]) + \log 3", "constant", "+ 0.4055"),
    (r"\frac12(E_{p_0}[\log(1-D)] + E_{p_1}[\log D]) + 2\log 2", "constant", "+ log 2"),
    (r"-\frac12(E_{p_0}[\log(1-D)] + E_{p_1}[\log D]) - \log 2", "sign", "Wrong sign"),
    (r"\frac32(E_{p_0}[\log(1-D)] + E_{p_1}[\log D]) + 3\log 2", "factor", "3 ×"),
    (r"\frac12(E_{p_0}[\log_2(1-D)] + E_{p_1}[\log_2 D]) + 1", "factor", "another base"),
    (r"\frac32(E_{p_0}[\log(1-D)] + E_{p_1}[\log D]) + 1", "affine", "3 × JSD(p0, p1) − 1.079"),
    (r"E_{p_1}[\log D]", "different", "with p0 = N(0, 1²), p1 = N(1.5, 1²) it gives"),
    (r"E_{p_1}[\log(D - 0.5)]", "undefined", "undefined"),
])
def test_generic_diagnostics_name_the_relation(rubric, key, latex, note, words):
    outcome = grade(rubric, key, "4.6a", latex)
    assert outcome.notes == (note,)
    assert words in outcome.feedback, outcome.feedback
    assert outcome.status == "incorrect" and outcome.fraction == 0.0


@pytest.mark.parametrize("component_id, latex, status, note", [
    ("d_star", r"\frac{f_1(x)}{f_0(x)+f_1(x)}", "correct", None),
    ("d_star", r"D^*(x) = \frac{p_1}{p_1 + p_0}", "correct", None),
    ("d_star", r"\frac{1}{1 + f_0(x)/f_1(x)}", "correct", None),
    ("d_star", r"\frac{f_1(x)}{f_0(x)}", "incorrect", "ratio"),
    ("d_star", r"\frac{f_0}{f_0 + f_1}", "partial", "swapped"),
    ("d_star", r"\frac{f_0 + f_1}{f_1}", "incorrect", "reciprocal"),
    ("d_star", r"\frac{2f_1}{f_0 + f_1}", "incorrect", "factor"),
    ("d_star", r"D^*(x)", "incorrect", "uses-D"),
    ("f1", r"\frac{f_0(x) \cdot D^*(x)}{1 - D^*(x)}", "correct", None),
    ("f1", r"f_0(x)\frac{D^*(x)}{1-D^*(x)}", "correct", None),
    ("f1", r"\frac{f_0 (1 - D)}{D}", "partial", "swapped"),  # f_0(1-D) is a product, not f_0 applied
    ("f1", r"\frac{D^*}{1-D^*}", "partial", "ratio-only"),
    ("f1", r"f_1(x)", "incorrect", "uses-p1"),
])
def test_pointwise_answers_of_4_6b(rubric, key, component_id, latex, status, note):
    outcome = grade(rubric, key, "4.6b", latex, component_id)
    assert outcome.status == status, outcome.feedback
    assert outcome.notes == (() if note is None else (note,))


# ---------------------------------------------------------------- extraction

@pytest.fixture(scope="module")
def seed_fragments(rubric):
    docs, _ = read_submission(Submission("seed", [SEED], SEED.parent))
    return fragments_for(docs, rubric)


def test_the_seed_4_6a_is_half_the_symmetrised_kl_and_says_so(rubric, key, seed_fragments):
    comp = component(rubric, "4.6a")
    answer = KIND.extract(seed_fragments["4.6a"], comp)
    assert answer.readable and answer.confidence >= 0.9
    assert "\\log \\frac{1 - D^*(x)}{D^*(x)}" in answer.value["expression"]
    assert "JSD" in answer.how and "last of 3" in answer.how
    outcome = KIND.grade(answer, key.value("4.6a", "answer"), comp)
    assert outcome.notes == ("logit-inside",)
    assert 0 < outcome.fraction < 1 and outcome.status == "partial"
    assert "half the" in outcome.feedback and "symmetrised KL" in outcome.feedback
    # the line before it lacks the + log 2: the feedback points at that too
    assert "earlier line" in outcome.feedback and "missing + log 2" in outcome.feedback


def test_the_seed_4_6b_d_star_and_f1_are_accepted(rubric, key, seed_fragments):
    part = rubric.part("4.6b")
    pieces = split_components(part, seed_fragments["4.6b"])
    for component_id, expected in (("d_star", r"\frac{f_1(x)}{f_0(x) + f_1(x)}"),
                                   ("f1", r"\frac{f_0(x) \cdot D^*(x)}{1 - D^*(x)}")):
        comp = component(rubric, "4.6b", component_id)
        answer = KIND.extract(pieces[component_id], comp)
        assert answer.value["expression"] == expected
        assert KIND.grade(answer, key.value("4.6b", component_id), comp).status == "correct"


LATEX_SOURCE = r"""
\textbf{4.6 (a)} Using the optimal discriminator,
\begin{align*}
  \mathrm{JSD}(p_0, p_1) &= \tfrac12 \mathrm{KL}(p_0 \,\|\, \mu) + \tfrac12 \mathrm{KL}(p_1 \,\|\, \mu) \\
  &= \tfrac12 \mathbb{E}_{x\sim p_0}\!\left[\log \frac{p_0(x)}{\mu(x)}\right]
     + \tfrac12 \mathbb{E}_{x\sim p_1}\!\left[\log \frac{p_1(x)}{\mu(x)}\right] \label{eq:jsd} \\
  &= \tfrac12 \mathbb{E}_{x\sim p_0}\left[\log\big(1 - D^*(x)\big)\right] \nonumber \\
  &\quad + \tfrac12 \mathbb{E}_{x\sim p_1}\left[\log D^*(x)\right] + \log 2,
  \quad \text{where } D^*(x) = \frac{p_1(x)}{p_0(x) + p_1(x)}.
\end{align*}
so with a trained $D \approx D^*$ we estimate $\mathrm{JSD}$ by averages over samples.
"""


def test_reads_the_last_side_of_an_align_chain_in_latex_source(rubric, key):
    comp = component(rubric, "4.6a")
    answer = KIND.extract(Fragment("4.6a", LATEX_SOURCE, "test", 1.0), comp)
    assert answer.readable, answer.problem
    assert answer.value["plain"] == "1/2 · E_p0[log(1 − D*(x))] + 1/2 · E_p1[log D*(x)] + log 2"
    assert KIND.grade(answer, key.value("4.6a", "answer"), comp).status == "correct"


def test_equations_are_split_into_sides_and_rows():
    rows = split_math(r"a &= b \\ &= c, \quad \text{with } d = e \\ f = g \\ &\quad + h")
    assert rows == [("a", "b", "c"), ("d", "e"), ("f", "g + h")]
    found = find_equations(r"Text $x = 1$ then \[ y = 2 \] and $$z = 3$$ and \begin{equation} w = 4 \end{equation}")
    assert [(e.sides, e.where) for e in found] == [
        (("x", "1"), "inline math"), (("y", "2"), "display math"), (("z", "3"), "display math"),
        (("w", "4"), "display math")]
    assert find_equations("JSD(p0, p1) = 1/2 (E_{p0}[log(1 - D)] + E_{p1}[log D]) + log 2")[0].where == "a line of text"
    # a stray opener does not swallow the math after it; \\[2pt] inside align is a row break
    found = find_equations(r"\[ stray \[ x = 1 \] \begin{align} a &= b \\[2pt] &= c \end{align}")
    assert [e.sides for e in found] == [("x", "1"), ("a", "b", "c")]
    assert find_equations(r"\[" * 50_000) == [] and len(find_equations("$a$" * 30_000)) == 400


@pytest.mark.parametrize("text, status, confidence", [
    # the target on the right: "<answer> = f_1(x)"
    (r"$$\frac{f_0(x) D^*(x)}{1 - D^*(x)} = f_1(x)$$", "correct", 0.9),
    # a bare formula, no equation naming f1: read, but only as a suggestion for a TA
    (r"so the answer is $$\frac{f_0(x) D^*(x)}{1 - D^*(x)}$$", "needs_review", 0.6),
    # an intermediate step that still has f1 on both sides is passed over for the final one
    (r"$$f_1(x) = D^*(x)(f_0(x) + f_1(x))$$ hence $$f_1(x) = \frac{D^* f_0}{1 - D^*}$$ and $f_1(x) = f_1(x)$",
     "correct", 0.95),
])
def test_locating_the_answer_in_text(rubric, key, text, status, confidence):
    comp = component(rubric, "4.6b", "f1")
    answer = KIND.extract(Fragment("4.6b", text, "test", 1.0), comp)
    assert answer.readable and answer.confidence == pytest.approx(confidence)
    assert KIND.grade(answer, key.value("4.6b", "f1"), comp).status == status


def test_a_product_is_not_taken_for_the_quantity(rubric, key):
    # "D^*(f_0 + f_1) = f_1" is D* times (f0 + f1); the answer for D* is the equation after it
    text = r"Then $D^*(f_0 + f_1) = f_1$, where $D^*(x) = \frac{f_1(x)}{f_0(x) + f_1(x)}$."
    comp = component(rubric, "4.6b", "d_star")
    answer = KIND.extract(Fragment("4.6b", text, "test", 1.0), comp)
    assert answer.value["plain"] == "f1(x)/(f0(x) + f1(x))"
    assert KIND.grade(answer, key.value("4.6b", "d_star"), comp).status == "correct"


@pytest.mark.parametrize("text, problem", [
    ("I could not do this one.", "no equation giving f1(x) was found"),
    (r"$$f_1(x) = \sum_i w_i$$", "could not be read"),
    (r"$$f_1(x) = g(x) f_0(x)$$", "unknown function g"),
])
def test_unreadable_answers_say_why(rubric, text, problem):
    answer = KIND.extract(Fragment("4.6b", text, "test", 1.0), component(rubric, "4.6b", "f1"))
    assert not answer.readable and problem in answer.problem


@pytest.mark.parametrize("text, fraction, optimiser", [
    # arg max written where the maximum's value is meant: the value at the optimum, for a TA to confirm
    (r"$$\mathrm{JSD}(p_0, p_1) = \frac{1}{2}\left(\arg\max_D \mathbb{E}_{x\sim p_1}[\log D(x)]"
     r" + \mathbb{E}_{x\sim p_0}[\log(1 - D(x))] + \log 4\right)$$", 1.0, r"\arg\max_D"),
    (r"$$\mathrm{JSD}(p_0, p_1) = \frac{1}{2}\max_{D}\left(\mathbb{E}_{p_1}[\log D] + \mathbb{E}_{p_0}[\log(1 - D)]\right)"
     r" + \log 2$$", 1.0, r"\max_{D}"),
    # the same reading of a wrong answer earns what the answer earns, still only suggested
    (r"$$\mathrm{JSD}(p_0, p_1) = \frac{1}{2}\operatorname*{arg\,max}_D \left(\mathbb{E}_{p_1}[\log D]"
     r" + \mathbb{E}_{p_0}[\log(1 - D)]\right)$$", 0.6, r"\operatorname*{arg\,max}_D"),
])
def test_an_optimum_written_as_its_operator_is_read_for_a_ta(rubric, key, text, fraction, optimiser):
    comp = component(rubric, "4.6a")
    answer = KIND.extract(Fragment("4.6a", text, "test", 1.0), comp)
    assert answer.readable and answer.confidence < 0.75
    assert optimiser in answer.value["read_note"] and optimiser not in answer.value["read_as"]
    outcome = KIND.grade(answer, key.value("4.6a", "answer"), comp)
    assert outcome.status == "needs_review" and outcome.fraction == pytest.approx(fraction)
    assert "a TA will confirm it" in outcome.feedback and not outcome.feedback.startswith("Correct")
    assert ("arg max names where the maximum is reached" in outcome.feedback) == ("arg" in optimiser)
    assert "read so:" in KIND.describe(answer)
    html = ENV.from_string(KIND.TEMPLATE).render(ctx=KIND.render_context(answer, key.value("4.6a", "answer"), outcome, comp))
    assert "Read so: &#39;" in html and "at the optimum" in html  # escaped, as all student text


def test_a_definition_set_apart_as_a_pdf_gives_it_is_one_relation():
    assert split_math(r"D^*: = \frac{p_1(x)}{p_1(x) + p_0(x)}") == [("D^*", r"\frac{p_1(x)}{p_1(x) + p_0(x)}")]
    assert split_math(r"D^* := \frac{a}{b}") == [("D^*", r"\frac{a}{b}")]
    assert split_math("a: b = c") == [("a: b", "c")]  # a colon before words is no definition


def test_max_of_two_values_is_a_function_not_an_optimum():
    from grader.mathexpr.normalise import without_optimum

    assert without_optimum(r"\max(a, b) + \min(c, d)") is None
    assert without_optimum(r"\sup_{\theta} f + \inf_x g")[0].split() == ["f", "+", "g"]


# ---------------------------------------------------------------- the kind's contract

def test_self_tests_get_the_statuses_they_predict(rubric, key):
    for part_id, component_id in (("4.6a", "answer"), ("4.6b", "d_star"), ("4.6b", "f1")):
        comp = component(rubric, part_id, component_id)
        key_value = key.value(part_id, component_id)
        cases = KIND.self_test(comp, key_value)
        assert {status for _, status in cases} >= {"correct", "incorrect", "needs_review"}
        for answer, expected in cases:
            extracted = KIND.extract(Fragment(part_id, "", "self-test", 1.0, structured=answer), comp)
            got = KIND.grade(extracted, key_value, comp).status if extracted.readable else "needs_review"
            assert got == expected, (part_id, component_id, answer)


def test_prepare_checks_keys_and_public_key_prints_them(rubric):
    settings_ = component(rubric, "4.6a").settings
    assert KIND.prepare({"expression": " \\log 2 + \\mathbb{E}_{p_1}[\\log D] "}, settings_) == \
        {"expression": "\\log 2 + \\mathbb{E}_{p_1}[\\log D]"}
    assert KIND.public_key({"expression": KEY_JSD}) == {"expression": KEY_JSD}
    for bad, reason in ((r"\frac{1}{", "does not parse"), (r"D(x)", "outside any expectation"),
                        (r"\log 2 + f_1", "outside any expectation"), (3, "LaTeX string")):
        with pytest.raises(ValueError, match=reason):
            KIND.prepare(bad, settings_)
    with pytest.raises(ValueError, match="target"):
        Component.model_validate({"kind": "expression", "points": 1, "key": {"literal": "1"},
                                  "settings": {"target": "1 + 1", "symbols": ["D"]}})
    with pytest.raises(ValueError, match="mistake form"):
        Component.model_validate({"kind": "expression", "points": 1, "key": {"literal": r"\log 2"},
                                  "settings": {"target": "JSD", "symbols": ["D"]},
                                  "mistakes": [{"id": "m", "message": "m", "when": {"expression": "\\frac{"}}]})


def test_describe_shows_the_reading_never_a_verdict(rubric):
    comp = component(rubric, "4.6a")
    answer = KIND.extract(Fragment("4.6a", "", "test", 1.0, structured=KEY_JSD), comp)
    shown = KIND.describe(answer)
    assert "1/2 · (E_p0[log(1 − D*(x))] + E_p1[log D*(x)]) + log 2" in shown
    assert not any(word in shown.lower() for word in ("correct", "key", "expected", "credit"))
    unread = KIND.extract(Fragment("4.6a", "", "test", 1.0, structured=r"\frac{1}{"), comp)
    assert KIND.describe(unread).startswith("not read: the expression could not be read")


def test_the_rendered_block_escapes_student_latex(rubric, key):
    comp = component(rubric, "4.6a")
    hostile = r"\frac12 E_{p_0}[\log(1-D)] <script>alert(1)</script>"
    answer = KIND.extract(Fragment("4.6a", "", "test", 1.0, structured=hostile), comp)
    ctx = KIND.render_context(answer, key.value("4.6a", "answer"), None, comp)
    html = ENV.get_template("kinds/expression.html").render(ctx=ctx)
    assert "<script>" not in html and "&lt;script&gt;" in html
    good = KIND.extract(Fragment("4.6a", "", "test", 1.0, structured=KEY_JSD), comp)
    outcome = KIND.grade(good, key.value("4.6a", "answer"), comp)
    html = ENV.get_template("kinds/expression.html").render(
        ctx=KIND.render_context(good, key.value("4.6a", "answer"), outcome, comp))
    assert "read as: <code>1/2 · (E_p0[log(1 − D*(x))]" in html and "Expected:" in html
    assert "equal to the expected expression" in html


def test_identical_answers_are_checked_once(rubric, key):
    latex = r"\frac12(E_{p_0}[\log(1-D)] + E_{p_1}[\log D]) + \log 2 + 0 \cdot 17"
    before = equivalence.check.cache_info()
    grade(rubric, key, "4.6a", latex)
    grade(rubric, key, "4.6a", latex.replace(r"\log 2", r"\ln 2"))  # the same tree
    after = equivalence.check.cache_info()
    assert after.misses - before.misses == 1 and after.hits - before.hits >= 1


def test_a_check_over_its_time_limit_goes_to_a_ta():
    comp = Component.model_validate({
        "kind": "expression", "points": 1, "key": {"literal": r"\log 2"},
        "settings": {"target": "JSD", "symbols": ["D", "p0"], "time_limit": 1e-9}})
    answer = KIND.extract(Fragment("x", "", "test", 1.0, structured=r"E_{p_0}[\log(1 - D)] + 0.123"), comp)
    outcome = KIND.grade(answer, KIND.prepare(r"\log 2", comp.settings), comp)
    assert outcome.status == "needs_review" and "longer than" in outcome.feedback


def test_too_many_formulas_go_to_a_ta(rubric):
    answer = KIND.extract(Fragment("4.6a", "$x = 1$ " * 500, "test", 1.0), component(rubric, "4.6a"))
    assert not answer.readable and "too many" in answer.problem


def test_huge_exponents_are_undefined_not_a_crash(rubric, key):
    outcome = grade(rubric, key, "4.6a", r"\frac12 E_{p_0}[\log(1 - D)] + 10^{10^{10}}")
    assert outcome.notes == ("undefined",) and outcome.status == "incorrect"


@pytest.mark.parametrize("between", ["or maybe", "Or perhaps:", "alternatively,", "ou peut-être", "or"])
def test_an_answer_offered_beside_another_goes_to_review(rubric, key, between):
    wrong = r"\frac{1}{2}\left(\mathbb{E}_{p_0}[\log(1-D^*(x))] + \mathbb{E}_{p_1}[\log D^*(x)]\right)"
    text = (f"$$\\mathrm{{JSD}}(p_0, p_1) = {wrong}$$\n\n{between}\n\n"
            f"$$\\mathrm{{JSD}}(p_0, p_1) = {KEY_JSD}$$")
    comp = component(rubric, "4.6a")
    answer = KIND.extract(Fragment("4.6a", text, "test", 1.0), comp)
    assert answer.confidence < 0.75 and "a TA will choose" in answer.how
    assert KIND.grade(answer, key.value("4.6a", "answer"), comp).status == "needs_review"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([r"\arg", r"\max", r"\min", r"\sup", "_", "D", "{", "}", " ", r"\operatorname*{arg\,max}",
                                 "(", ")", "a", ",", r"\limits", "E", "[", "]"]), max_size=25).map("".join))
def test_an_optimum_is_taken_out_of_any_formula_without_failing(latex):
    from grader.mathexpr.normalise import without_optimum

    found = without_optimum(latex)
    if found is not None:
        stripped, note = found
        assert without_optimum(stripped) is None  # every operator taken out at once
        assert "is read as the value of what it optimises" in note
