"""Expressions of any assignment: the grammar reads course mathematics, a context declared by the
rubric gives the names their meaning, and equivalence is decided on random points of the declared
domains (complex, vectors, matrices, sets), with declared mistakes for any shape."""

from __future__ import annotations

import pytest

from grader.kinds import get_kind
from grader.kinds.base import Fragment
from grader.mathexpr import tree as t
from grader.mathexpr.context import ContextDecl, compile_context, public_decl
from grader.mathexpr.equivalence import check
from grader.mathexpr.parser import parse
from grader.mathexpr.printer import to_latex, to_plain
from grader.mathexpr.tree import ParseError
from grader.rubric import Component

KIND = get_kind("expression")
GAME = {"imaginary_unit": "i", "variables": {"\\alpha": {"range": [0.05, 0.5]}, "d": {"range": [-2, 2]},
                                             "g": {"range": [-2, 2]}},
        "functions": {"V": {"args": ["d", "g"], "definition": "(d - 1)(g + 2)"}}}
GAUSS = {"variables": {"\\mu_1": {"range": [-1, 1]}, "\\mu_2": {"range": [-1, 1]},
                       "\\sigma_1": {"range": [0.5, 1.5]}, "\\sigma_2": {"range": [0.5, 1.5]}}}
VECTORS = {"variables": {"K": {"value": 5}, "x": {"shape": [5], "range": [-1, 1]}, "\\hat{x}": {"shape": [5]},
                         "\\Sigma": {"shape": [3, 3]}},
           "functions": {"f": {"args": ["t"]}}}
GAUSS_KL = r"\log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac12"


def component(context, key, target="y", mistakes=(), **settings) -> Component:
    return Component.model_validate({"kind": "expression", "points": 4, "key": {"literal": key},
                                     "settings": {"target": target, "context": context, **settings},
                                     "mistakes": list(mistakes)})


def grade(comp: Component, answer: str, text: bool = False):
    fragment = Fragment("x", answer, "test", 1.0) if text else Fragment("x", "", "test", 1.0, structured=answer)
    read = KIND.extract(fragment, comp)
    assert read.readable, read.problem
    return KIND.grade(read, KIND.prepare(comp.key.literal, comp.settings), comp)


# ---------------------------------------------------------------- the grammar

@pytest.mark.parametrize("latex, plain", [
    (r"\begin{pmatrix} 1 & -\alpha \\ \alpha & 1 \end{pmatrix}", "[1, −α; α, 1]"),
    (r"\begin{bmatrix} a & b \end{bmatrix}", "[a, b]"),
    (r"\left(\begin{array}{cc} a & b \\ c & d \end{array}\right)", "[a, b; c, d]"),
    (r"\begin{vmatrix} a & b \\ c & d \end{vmatrix}", "det([a, b; c, d])"),
    (r"(d^*, g^*)", "(d*, g*)"),
    (r"\{1 + i\alpha, 1 - i\alpha\}", "{1 + i · α, 1 − i · α}"),
    (r"1 \pm i\alpha", "1 ± i · α"),
    (r"\mp x", "∓x"),
    (r"\sqrt{1 + \alpha^2} + \exp(-\beta) + \det A + \operatorname{tr}(A)", "sqrt(1 + α^2) + exp(−β) + det A + tr A"),
    (r"A^\top B^{-1} + A^{\mathsf{T}}", "Aᵀ · B^(−1) + A^T"),  # T: a transpose unless declared
    (r"\|x - \hat{x}\|_2^2 + |y| + \lVert z \rVert", "‖x − x̂‖_2^2 + |y| + ‖z‖"),
    (r"\sum_{j=1}^{k} w_j x_j + \prod_{i=1}^{n} a_i", "Σ_{j=1}^k wj · xj + Π_{i=1}^n ai"),
    (r"\mathbb{E}_{x\sim p}\left[\log \frac{p(x)}{q(x)}\right]", "E_p[log(p(x)/q(x))]"),
    (r"\mathbb{E}_{z \sim \mathcal{N}(0, 1)}[z^2]", "E_{z~𝒩(0, 1)}[z^2]"),
    (r"\int_0^1 x^2 \, dx", "∫_0^1 x^2 dx"),
    (r"x' + D^{*} + \hat{\theta}_1 + \tilde{y} + \bar{z}", "x' + D* + θ\u03021 + y\u0303 + z\u0304"),
    (r"\operatorname{ELBO}(q) + \mathrm{KL}[q \| p]", "ELBO(q) + KL(q ‖ p)"),
    (r"\lambda_{1,2} = 1", None),
])
def test_the_grammar_reads_course_mathematics(latex, plain):
    if plain is None:
        with pytest.raises(ParseError):  # one side of an equation at a time
            parse(latex)
        return
    assert to_plain(parse(latex)) == plain


def test_a_sum_without_bounds_or_a_conditional_bar_is_reported_not_misread():
    with pytest.raises(ParseError, match="bounds"):
        parse(r"\sum_i x_i")
    with pytest.raises(ParseError, match="'\\|'"):
        parse(r"p(x|z)")


# ---------------------------------------------------------------- equivalence on declared domains

@pytest.mark.parametrize("answer, status", [
    (r"\begin{bmatrix} 1 & -\alpha \\ \alpha & 1 \end{bmatrix}", "correct"),
    (r"I + \alpha \begin{pmatrix} 0 & -1 \\ 1 & 0 \end{pmatrix}", "correct"),
    (r"\left[\begin{array}{cc} 1 & \alpha \\ -\alpha & 1 \end{array}\right]^\top", "correct"),
    (r"\begin{pmatrix} 1 & \alpha \\ -\alpha & 1 \end{pmatrix}", "partial"),  # the declared mistake
    (r"\begin{pmatrix} 1 & 2\alpha \\ \alpha & 1 \end{pmatrix}", "incorrect"),
    (r"(1, \alpha)", "incorrect"),
])
def test_a_matrix_with_a_symbol(answer, status):
    comp = component(GAME, r"\begin{pmatrix} 1 & -\alpha \\ \alpha & 1 \end{pmatrix}", "M", [
        {"id": "transposed", "credit": 0.5, "message": "swapped", "when": {"expression": r"\begin{pmatrix} 1 & \alpha \\ -\alpha & 1 \end{pmatrix}"}}])
    outcome = grade(comp, answer)
    assert outcome.status == status, outcome.feedback
    if answer == "(1, \\alpha)":
        assert "a vector of 2 where a 2×2 matrix is expected" in outcome.feedback


@pytest.mark.parametrize("answer, status, words", [
    (r"1 \pm i\alpha", "correct", ""),
    (r"\{1 - i\alpha, 1 + \alpha i\}", "correct", ""),  # a set: any order
    (r"\lambda = 1 \mp \alpha i", "correct", ""),
    (r"1 + i\alpha", "incorrect", "only some of the values"),
    (r"1 \pm \alpha", "incorrect", "hedge"),  # the declared mistake, whatever was written before it
    (r"\sqrt{1 + \alpha^2}", "incorrect", "not λ"),
])
def test_complex_eigenvalues_as_a_set(answer, status, words):
    comp = component(GAME, r"1 \pm i\alpha", r"\lambda", [
        {"id": "real", "credit": 0, "message": "a hedge or a sign: not real", "when": {"expression": r"1 \pm \alpha"}}])
    outcome = grade(comp, answer)
    assert outcome.status == status and words in outcome.feedback, outcome.feedback


def test_values_given_one_by_one_make_the_set():
    comp = component(GAME, r"1 \pm i\alpha", r"\lambda")
    text = r"The roots are $\lambda_1 = 1 + i\alpha$ and $\lambda_2 = 1 - i\alpha$."
    outcome = grade(comp, text, text=True)
    assert outcome.status == "correct"


def test_a_function_given_by_a_definition():
    comp = component(GAME, "(d - 1)(g + 2)", "V(d, g)")
    assert grade(comp, "dg + 2d - g - 2").status == "correct"
    assert grade(comp, "V(d, g)").status == "correct"
    assert grade(comp, "dg").status == "incorrect"


@pytest.mark.parametrize("answer, status", [
    (r"\mathrm{KL}(\mathcal{N}(\mu_1, \sigma_1^2) \| \mathcal{N}(\mu_2, \sigma_2^2))", "correct"),
    (r"\ln \sigma_2 - \ln \sigma_1 + \frac{\sigma_1^2}{2\sigma_2^2} + \frac{(\mu_2-\mu_1)^2}{2 \sigma_2^2} - 0.5", "correct"),
    (r"\mathbb{E}_{x \sim \mathcal{N}(\mu_1, \sigma_1^2)}\left[\log \frac{\mathcal{N}(\mu_1, \sigma_1^2)}{\mathcal{N}(\mu_2, \sigma_2^2)}\right]", "correct"),
    (r"\log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2}", "incorrect"),
])
def test_the_kl_between_two_gaussians(answer, status):
    outcome = grade(component(GAUSS, GAUSS_KL, r"\mathrm{KL}"), answer)
    assert outcome.status == status, outcome.feedback


@pytest.mark.parametrize("answer, status", [
    (r"\frac15 \sum_{j=1}^{5} f(x_j)", "correct"),
    (r"\frac{f(x_1)+f(x_2)+f(x_3)+f(x_4)+f(x_5)}{5}", "correct"),
    (r"\sum_{k=1}^{K} f(x_k)", "incorrect"),
    (r"\frac{1}{K}\sum_{k=1}^{K-1} f(x_k)", "incorrect"),
])
def test_a_monte_carlo_estimate_with_an_arbitrary_function(answer, status):
    outcome = grade(component(VECTORS, r"\frac{1}{K}\sum_{k=1}^{K} f(x_k)", r"\hat{\mu}"), answer)
    assert outcome.status == status, outcome.feedback


def test_norms_transposes_and_determinants():
    loss = component(VECTORS, r"\|x - \hat{x}\|^2", "L")
    assert grade(loss, r"(x - \hat x)^\top (x - \hat x)").status == "correct"
    assert grade(loss, r"\sum_{j=1}^{5} (x_j - \hat{x}_j)^2").status == "correct"
    assert grade(loss, r"\|x - \hat{x}\|").status == "incorrect"
    det = component(VECTORS, r"\det(\Sigma^\top \Sigma)", "L")
    assert grade(det, r"\det(\Sigma)^2").status == "correct"
    assert grade(det, r"|\Sigma|^2").status == "correct"  # |Σ| of a square matrix: its determinant


def test_the_same_answer_is_the_same_in_any_context_that_declares_its_names():
    ctx = compile_context(ContextDecl.model_validate(GAME))
    a, b = parse(r"(1 + i\alpha)(1 - i\alpha)", ctx.lexicon), parse(r"1 + \alpha^2", ctx.lexicon)
    assert check(a, b, (), ctx).kind == "equivalent"


# ---------------------------------------------------------------- contexts as rubric data

def test_context_errors_name_the_cause():
    with pytest.raises(ValueError, match="as many test distributions"):
        ContextDecl.model_validate({"densities": {"p": {"test": ["normal(0, 1)"]},
                                                  "q": {"test": ["normal(0, 1)", "normal(1, 1)"]}}})
    with pytest.raises(ValueError, match="must look like normal"):
        ContextDecl.model_validate({"densities": {"p": {"test": ["gamma(1, 2)"]}}})
    with pytest.raises(ValueError, match="definition of 'f'"):
        ContextDecl.model_validate({"functions": {"f": {"args": ["x"], "definition": "\\frac{x}{"}}})
    with pytest.raises(ValueError, match="spells both"):
        ContextDecl.model_validate({"variables": {"a": {}, "b": {"spellings": ["a"]}}})
    with pytest.raises(ValueError, match="unknown context 'nope'"):
        component("nope", "1")


def test_the_students_bundle_gets_names_never_definitions():
    public = public_decl(ContextDecl.model_validate(GAME))
    assert "definition" not in public["functions"]["V"] and public["functions"]["V"]["args"] == ["d", "g"]
    settings = component(GAME, "(d - 1)(g + 2)", "V(d, g)").settings
    assert "definition" not in str(KIND.public_settings(settings))
    # without its definition, V is an arbitrary function: answers still read and evaluate
    comp = Component.model_validate({"kind": "expression", "points": 1, "key": {"literal": "V(d, g)"},
                                     "settings": KIND.public_settings(settings)})
    assert KIND.extract(Fragment("x", "", "t", 1.0, structured="V(d, g) + 1"), comp).readable


def test_accented_and_primed_names():
    ctx = compile_context(ContextDecl.model_validate({"variables": {"x": {}, "\\hat{x}": {}}, "functions": {"f": {}}}))
    assert ctx.resolve(t.sym("x", accent="hat")) == "\\hat{x}"  # declared: its own name
    assert ctx.resolve(t.sym("f", accent="hat")) == "f"  # not declared: the plain name
    assert ctx.resolve(t.sym("f", accent="prime")) is None  # f' is not f


# ---------------------------------------------------------------- quantities named by gradients and words

LOGISTIC = {"variables": {"w": {"shape": [3], "range": [-1, 1]}, "x": {"shape": [3], "range": [-1, 1]},
                          "y": {"range": [-1, 1]}},
            "functions": {"\\sigma": {"args": ["t"], "definition": "\\frac{1}{1 + e^{-t}}"}}}
LOGISTIC_GRADIENT = r"-y\,\sigma(-y\, w^\top x)\, x"


@pytest.mark.parametrize("written", [
    r"$$\nabla_w \ell(w) = -y\,\sigma(-y\,w^\top x)\,x$$",
    r"$\nabla_{\mathbf{w}} \ell = -\frac{y\,x}{1 + e^{y w^\top x}}$",
    r"$$\frac{\partial \ell}{\partial w} = -\frac{y\,x\,e^{-y w^\top x}}{1 + e^{-y w^\top x}}$$",
    r"$\frac{\partial}{\partial w} \ell(w) = -y\,\sigma(-y\,w^\top x)\,x$",
    r"$\partial_w \ell = -y \sigma(-y w^\top x) x$",
    r"$\nabla \ell(w) = -y \sigma(-y w^\top x) x$",  # the variable left implicit
])
def test_a_gradient_is_the_name_of_the_quantity_asked(written):
    comp = component(LOGISTIC, LOGISTIC_GRADIENT, r"\nabla_w \ell")
    outcome = grade(comp, "With the chain rule:\n" + written, text=True)
    assert outcome.status == "correct", outcome.feedback


def test_a_gradient_with_respect_to_another_variable_is_another_quantity():
    comp = component(LOGISTIC, LOGISTIC_GRADIENT, r"\nabla_w \ell")
    read = KIND.extract(Fragment("x", r"$$\nabla_x \ell = -y\,\sigma(-y\,w^\top x)\,w$$", "test", 1.0), comp)
    assert not read.readable and "no equation giving ∇_w ℓ" in read.problem  # ∇_x ℓ is not ∇_w ℓ


@pytest.mark.parametrize("latex, plain", [
    (r"\nabla_w \ell", "∇_w ℓ"), (r"\frac{\partial \ell(w)}{\partial w}", "∇_w ℓ"), (r"\nabla_\theta \mathcal{L}", "∇_θ L"),
    (r"\nabla f(x)", "∇f(x)"), (r"\partial_{w_1} \ell_i", "∇_w_1 ℓi"),
])
def test_a_gradient_of_a_name_is_read_as_a_name_and_prints_back(latex, plain):
    node = parse(latex)
    assert to_plain(node) == plain
    assert parse(to_latex(node)) == node


@pytest.mark.parametrize("latex", [r"\nabla \log p(x)", r"\frac{\partial^2 f}{\partial x^2}", r"\nabla (f + g)"])
def test_a_derivative_of_anything_but_a_name_is_still_reported(latex):
    with pytest.raises(ParseError, match="not computed"):
        parse(latex)


def test_an_undeclared_gradient_is_never_its_function():
    ctx = compile_context(ContextDecl.model_validate({"functions": {"f": {"args": ["t"]}}}))
    assert ctx.resolve(t.sym("f", accent=t.gradient_accent("t"))) is None
    assert ctx.resolve(t.sym("f", accent="hat")) == "f"


def test_a_word_names_itself_whatever_its_arguments():
    comp = component(GAUSS, GAUSS_KL, r"\mathrm{KL}")
    text = (r"$$D_{KL}(\mathcal{N}(\mu_1,\sigma_1^2) \| \mathcal{N}(\mu_2,\sigma_2^2)) = "
            r"\ln\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2+(\mu_1-\mu_2)^2}{2\sigma_2^2} - \frac{1}{2}$$")
    assert grade(comp, text, text=True).status == "correct"
    # a letter applied to an expression stays a product, as before: D(1 - D) names nothing
    game = component(GAME, "(d - 1)(g + 2)", "V")
    assert not KIND.extract(Fragment("x", r"$V(1 - d) = 3$", "test", 1.0), game).readable
