"""Derivation and proof checklists on the real rubric: a correct, a partial and a known-false answer
per part, in realistic LaTeX (and the seed's PDF-extracted math); suggested scores must order
correct > partial > false, and the evidence must quote the sentences that carry each step."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.kinds import get_kind
from grader.kinds.base import Fragment
from grader.kinds.prose import DEFAULT_GOALS, _Sentences, normalise_math, units


def prose_component(rubric, part_id: str):
    return next(c for c in rubric.part(part_id).components if c.kind == "prose")


def grade(rubric, part_id: str, text: str):
    component = prose_component(rubric, part_id)
    kind = get_kind("prose")
    answer = kind.extract(Fragment(part_id, text, "test", 1.0), component)
    return kind.grade(answer, None, component)


def found(outcome) -> set[str]:
    return {i["id"] for i in outcome.extra["items"] if i["found"]}


def quotes(outcome, item_id: str) -> list[str]:
    return next(i["evidence"] for i in outcome.extra["items"] if i["id"] == item_id)


CASES = {
    "2.1": {
        "correct": r"""
Let $u = F^{-1}(x)$. By the change of variables formula,
$p_{F(U)}(x) = p_U(F^{-1}(x)) \left| \det J_{F^{-1}}(x) \right|$ and likewise
$p_{F^{-1}(X)}(u) = p_X(F(u)) \left| \det J_F(u) \right|$.
Then
\begin{align*}
D_{KL}[P_X \| P_{F(U)}] &= \int p_X(x) \log \frac{p_X(x)}{p_U(F^{-1}(x)) |\det J_{F^{-1}}(x)|} dx \\
&= \int p_X(F(u)) |\det J_F(u)| \log \frac{p_X(F(u)) |\det J_F(u)|}{p_U(u)} du ,
\end{align*}
where we substituted $x = F(u)$, $dx = |\det J_F(u)| du$, and used $|\det J_{F^{-1}}(F(u))| = |\det J_F(u)|^{-1}$.
The Jacobian terms cancel inside the log-ratio, so the integrand is that of $D_{KL}[P_{F^{-1}(X)} \| P_U]$.
Hence $D_{KL}[P_X \| P_{F(U)}] = D_{KL}[P_{F^{-1}(X)} \| P_U]$.""",
        "partial": r"""
By the change of variables formula, $p_{F(U)}(x) = p_U(F^{-1}(x)) |\det J_{F^{-1}}(x)|$.
Writing both divergences as integrals, they look alike, so the two KL divergences are equal.""",
        "false": r"""
We want to show that $D_{KL}[P_X \| P_{F(U)}] = D_{KL}[P_{F^{-1}(X)} \| P_U]$.
Since the KL divergence is symmetric, we can swap the arguments, and applying $F^{-1}$ to both
distributions gives the result.""",
    },
    "3.2a": {
        "correct": r"""
Using Bayes' rule, $p(z|x) = \frac{p(x,z)}{p(x)}$, so
$$D_{KL}(q(z|x) \| p(z|x)) = \mathbb{E}_{q(z|x)}[\log q(z|x) - \log p(x,z)] + \log p(x),$$
since $\log p(x)$ does not depend on z. Rearranging,
$$\log p(x) = \mathcal{L}(q) + D_{KL}(q(z|x) \| p(z|x)), \quad \mathcal{L}(q) = \mathbb{E}_{q(z|x)}[\log p(x,z) - \log q(z|x)].$$
Since the KL divergence is non-negative, $\log p(x) \geq \mathcal{L}(q)$: the ELBO is a lower bound.""",
        "partial": r"""
We can write $$\log p(x) = \mathcal{L}(q) + D_{KL}(q(z|x) \| p(z|x))$$ where $\mathcal{L}$ is the ELBO.""",
        "false": r"""
The ELBO is the evidence lower bound. We want to show that it is obtained from the KL divergence
$D_{KL}(q(z|x)||p(z|x))$, which measures how different the posteriors are.""",
    },
    "3.2b": {
        "correct": r"""
Multiply and divide by $q(z|x)$:
$$\log p(x) = \log \int p(x,z) dz = \log \mathbb{E}_{q(z|x)}\left[\frac{p(x,z)}{q(z|x)}\right].$$
Since $\log$ is concave, Jensen's inequality gives
$$\log p(x) \geq \mathbb{E}_{q(z|x)}\left[\log \frac{p(x,z)}{q(z|x)}\right] = \text{ELBO}.$$""",
        "partial": r"""
$$\log p(x) = \log \mathbb{E}_{q(z|x)}\left[\frac{p(x,z)}{q(z|x)}\right]$$ and this is bounded below by the ELBO.""",
        "false": r"""
$$\log p(x) = \log \mathbb{E}_{q}\left[\frac{p(x,z)}{q(z|x)}\right]$$
By Jensen's inequality, $\log \mathbb{E}_q[X] \leq \mathbb{E}_q[\log X]$, so the log likelihood is below the expectation.""",
    },
    "3.4a": {
        "correct": r"""
Let $w_j = \frac{p(x, z_j)}{q(z_j|x)}$ with $z_j \sim q(z|x)$ i.i.d. Each weight satisfies
$\mathbb{E}_q[w_j] = \int p(x,z) dz = p(x)$, so the average is an unbiased estimate:
$$\mathbb{E}\left[\frac{1}{k}\sum_{j=1}^k w_j\right] = p(x).$$
Since $\log$ is concave, Jensen's inequality gives, for any $k$,
$$\mathcal{L}_k = \mathbb{E}\left[\log \frac{1}{k}\sum_{j=1}^k w_j\right] \leq \log \mathbb{E}\left[\frac{1}{k}\sum_{j=1}^k w_j\right] = \log p(x).$$
Therefore $\mathcal{L}_k \leq \log p(x)$ for every k.""",
        "partial": r"""
Since $\log$ is concave, by Jensen's inequality
$$\mathcal{L}_k = \mathbb{E}\left[\log \frac{1}{k}\sum_{j=1}^k w_j\right] \leq \log \mathbb{E}\left[\frac{1}{k}\sum_{j=1}^k w_j\right].$$""",
        # the seed's own answer: the bound for one sample, then "IWLB generalizes this"
        "false": r"""
We aim to demonstrate that this serves as a lower bound for $\log p(x)$. Given that $p(x) = \int p(x, z) dz$, we can express:
$$\log p(x) = \log \int \frac{p(x, z)}{q(z|x)} q(z|x) dz$$
Now, we apply Jensen's Inequality to the convex function $f = -\log$:
$$\log p(x) \geq E_{q(z|x)} \left[\log \left(\frac{p(x, z)}{q(z|x)} \right) \right]$$
This is the ELBO for a single sample. IWLB generalizes this by taking the average over k samples instead of just one.""",
    },
    "3.4b": {
        "correct": r"""
Write $w_j = p(x,z_j)/q(z_j|x)$, so $\mathcal{L}_2 = \mathbb{E}\left[\log \frac{w_1 + w_2}{2}\right]$.
By concavity of the logarithm, pointwise
$$\log\left(\frac{w_1+w_2}{2}\right) \geq \frac{1}{2}\left(\log w_1 + \log w_2\right).$$
Taking expectations, and since $z_1, z_2$ are i.i.d., $\mathbb{E}[\log w_1] = \mathbb{E}[\log w_2] = \mathcal{L}_1$.
Hence $\mathcal{L}_2 \geq \mathcal{L}_1$.""",
        "partial": r"""
$$\mathcal{L}_2 = \mathbb{E}\left[\log \frac{w_1 + w_2}{2}\right]$$ and since $z_1, z_2$ are i.i.d. both terms have the same distribution,
so $\mathcal{L}_2 \geq \mathcal{L}_1$.""",
        "false": r"""
$$\mathcal{L}_2 = \mathbb{E}\left[\log \frac{w_1 + w_2}{2}\right]$$
The average of two independent and identically distributed weights has a lower variance than a single
weight. A lower variance inside the logarithm gives a higher expectation of the logarithm because the
log is concave. Therefore $\mathcal{L}_2 \geq \mathcal{L}_1$.""",
    },
    "4.5": {
        "correct": "The two losses are relative: each network is scored against an opponent that keeps improving "
                   "in a min-max game, so equal losses at epochs 1 and 100 only mean the balance is similar. "
                   "The loss is not an absolute measure of image quality.",
        "partial": "Both networks improve over training, so the losses stay about the same.",
        "false": "The learning rate was too small, so the images did not change between epochs.",
    },
    "4.6b": {
        "correct": r"""
For each fixed $x$ we maximise $f_1(x) \log D(x) + f_0(x) \log(1 - D(x))$ over $D(x) \in (0,1)$.
Setting the derivative to zero, $\frac{f_1(x)}{D(x)} - \frac{f_0(x)}{1 - D(x)} = 0$, so
$$D^*(x) = \frac{f_1(x)}{f_0(x) + f_1(x)}.$$
Then $D^*(x) f_0(x) = f_1(x)(1 - D^*(x))$, that is $$f_1(x) = \frac{f_0(x) D^*(x)}{1 - D^*(x)}.$$""",
        "partial": r"""
The optimal discriminator is $$D^*(x) = \frac{f_1(x)}{f_0(x) + f_1(x)}.$$ Rearranging gives the result.""",
        "false": r"""
We want to show that $f_1(x) = f_0(x)D^*(x)/(1 - D^*(x))$. The discriminator outputs a probability, so
it is close to one half when the two densities are similar, which shows the identity.""",
    },
}


@pytest.mark.parametrize("part_id", sorted(CASES))
def test_suggested_scores_order_correct_partial_false(rubric, part_id):
    outcomes = {name: grade(rubric, part_id, text) for name, text in CASES[part_id].items()}
    correct, partial, false = (outcomes[n].fraction for n in ("correct", "partial", "false"))
    assert correct > partial > false, {n: (o.fraction, sorted(found(o)), o.notes) for n, o in outcomes.items()}
    assert correct >= 0.9, (part_id, found(outcomes["correct"]))
    for outcome in outcomes.values():
        assert outcome.status == "needs_review" and outcome.suggested
        assert "Suggested score" in outcome.feedback


@pytest.mark.parametrize("part_id,item,expected", [
    ("3.4a", "unbiased-estimate", "unbiased estimate"),
    ("3.4a", "jensen-concave-log", "Jensen's inequality gives, for any"),
    ("3.4b", "concavity-pointwise", r"\log\left(\frac{w_1+w_2}{2}\right) \geq"),
    ("3.4b", "expectations", "i.i.d."),
    ("2.1", "determinants-cancel", "The Jacobian terms cancel inside the log-ratio"),
    ("3.2a", "bayes-rule", "Using Bayes' rule"),
    ("4.6b", "pointwise-maximisation", "For each fixed $x$ we maximise"),
])
def test_evidence_quotes_the_sentence_that_carries_the_step(rubric, part_id, item, expected):
    outcome = grade(rubric, part_id, CASES[part_id]["correct"])
    assert any(expected in q for q in quotes(outcome, item)), quotes(outcome, item)


def test_known_false_proofs_get_their_own_message(rubric):
    k1 = grade(rubric, "3.4a", CASES["3.4a"]["false"])
    assert "k1-only" in k1.notes and "k = 1" in k1.feedback and k1.fraction <= 0.35
    assert any("single sample" in q for q in k1.evidence)  # the quoted sentence that gives it away
    variance = grade(rubric, "3.4b", CASES["3.4b"]["false"])
    assert "lower-variance" in variance.notes and "Lower variance" in variance.feedback and variance.fraction <= 0.3
    symmetric = grade(rubric, "2.1", CASES["2.1"]["false"])
    assert "kl-symmetric" in symmetric.notes
    # the correct proofs may mention what the false ones rely on without being flagged
    assert "k1-only" not in grade(rubric, "3.4a", CASES["3.4a"]["correct"]).notes
    aside = CASES["3.4b"]["correct"] + " Intuitively, averaging also lowers the variance."
    assert "lower-variance" not in grade(rubric, "3.4b", aside).notes


@pytest.mark.parametrize("part_id,paraphrase", [
    ("3.4a", "We want to show that the IWLB $\\mathcal{L}_k$ is a lower bound on the log likelihood $\\log p(x)$."),
    ("3.4b", "We need to prove that $\\mathcal{L}_2$ is a tighter bound than the ELBO, i.e. $\\mathcal{L}_2 \\geq \\mathcal{L}_1$."),
    ("4.6b", "Show that $f_1(x) = \\frac{f_0(x) D^*(x)}{1 - D^*(x)}$ by finding the closed form of $D^*$?"),
    ("3.2b", "Our task is to derive the ELBO by using the Jensen inequality, so that log p(x) >= ELBO."),
])
def test_a_restated_question_earns_nothing(rubric, part_id, paraphrase):
    outcome = grade(rubric, part_id, paraphrase)
    assert outcome.fraction == 0, found(outcome)


def test_pdf_extracted_math_reads_like_latex(rubric):
    # the seed's PDF text spells math as loose LaTeX; a Unicode-math PDF spells it with symbols
    latex = grade(rubric, "3.4b", r"$$\log\left(\frac{w_1 + w_2}{2}\right) \geq \frac{1}{2}(\log w_1 + \log w_2)$$")
    unicode = grade(rubric, "3.4b", "log((w_1 + w_2)/2) ≥ (log w_1 + log w_2)/2 by concavity.")
    assert "concavity-pointwise" in found(latex) and "concavity-pointwise" in found(unicode)


def test_normalise_math_spellings():
    assert normalise_math(r"\mathcal{L}_k \leq \log p(\mathbf{x})") == "L_k ≤ log p(x)"
    assert normalise_math(r"D^{*}(x) = \frac{f_1(x)}{f_0(x)+f_1(x)}") == "D*(x) = (f_1(x))/(f_0(x)+f_1(x))"
    assert normalise_math(r"\mathbb{E}_{z \sim q}[\ln w] >= 0") == "E_z ∼ q[log w] ≥ 0"
    assert normalise_math(r"\frac{1}{") == "1"  # an unbalanced fraction is dropped, not a crash


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("ab xyz{}\\$^_.!?\n()[]|AB") + ["\\frac", "\\log", "$$", "\\[", "\\]", "i.e. "]),
               max_size=80).map("".join))
def test_units_keep_every_character_and_normalise_never_fails(text):
    pieces = units(text)
    assert "".join("".join(pieces).split()) == "".join(text.split())
    normal = normalise_math(text)
    assert "$" not in normal and "{" not in normal and "}" not in normal


# ---------------------------------------------------------------- formulas in prose answers

def test_a_chain_is_read_for_what_it_proves():
    from grader.kinds.prose_text import derived_relations

    chain = normalise_math(r"\mathcal{L}_k = \mathbb{E}[\log \frac1k \sum_j w_j] \le \log \mathbb{E}[\frac1k\sum_j w_j] = \log p(x)")
    assert derived_relations(chain)[0] == "L_k ≤ log p(x)"
    assert derived_relations(normalise_math(r"a \le b \ge c")) == []  # mixed directions prove nothing
    assert derived_relations(normalise_math(r"\mathcal{L}_2 &= A \\ &\overset{(b)}{\ge} B \\ &= C")) == ["L_2 ≥ C"]


def test_the_bounds_of_a_sum_are_no_relation_of_the_chain():
    from grader.kinds.prose_text import derived_relations

    chain = normalise_math(r"L = \frac{1}{k}\sum_{j=1}^{k} a_j \le \frac{1}{k}\sum_{j = 1}^{k} b_j = B")
    assert derived_relations(chain)[0] == "L ≤ B"


def test_a_step_taken_inside_a_kept_context_is_read_as_shown():
    # the student rewrites E[w_j] into p(x) under "log (1/k) Σ": the chain shows E[w_j] = p(x)
    from grader.kinds.prose_text import derived_relations

    chain = normalise_math(r"\log\frac{1}{k}\sum_{j=1}^k \mathbb{E}_{z_j}\left[\frac{p(x,z_j)}{q(z_j|x)}\right]"
                           r" = \log\frac{1}{k}\sum_{j=1}^k \int p(x, z_j) dz_j = \log\frac{1}{k}\sum_{j=1}^k p(x) = \log p(x)")
    found = derived_relations(chain)
    assert "E_z_j[(p(x,z_j))/(q(z_j|x))] = p(x)" in found
    # sides that share no context give no inner step; a bare "a = b" is no chain
    assert derived_relations(normalise_math(r"A = B + C = D")) == ["A = D"]
    assert derived_relations("x = 1") == []
    # a kept suffix is set aside only when it closes what the context opened
    assert "E[a] = b" in derived_relations("log(E[a]) = log(b) = c")
    assert derived_relations("f(E[a]) = f(b) = c") == ["f(E[a]) = c"]  # a context of one letter is too little


def test_an_item_is_found_where_the_answer_writes_the_formula_it_states():
    from grader.kinds.prose_text import canonical, stated_formulas

    assert stated_formulas("solved for f1 = f0 D*/(1 − D*)") == ["f1 = f0 D*/(1 − D*)"]
    assert stated_formulas("the conclusion L_k ≤ log p(x)") == ["L_k ≤ log p(x)"]
    typeset = normalise_math(r"f_1(x) &= f_0(x)\frac{D^*(x)}{1 - D^*(x)}")
    assert canonical("f1 = f0 D*/(1 − D*)") in canonical(typeset)
    assert canonical("f1 = f0 (1 − D*)/D*") not in canonical(typeset)


def test_formulas_are_shown_in_plain_words():
    from grader.kinds.prose_text import readable

    shown = readable(r"Hence \[ D^* = \arg\max_D \mathbb{E}_{x\sim p_1}[\log D(x)] \] and $\frac{1}{K}\sum_j w_j$.")
    assert "arg max" in shown and "(1)/(K)" in shown and "\\" not in shown and "$" not in shown


# A hint is first looked for in all the answer's forms at once (grader/kinds/prose.py): it must be
# found exactly where looking sentence by sentence finds it, anchors and lookarounds included.
_HINT_ATOMS = ["jacobian", "cancel", r"\bKL\b", "not", r"log\s*p", r"\(a\)/\(b\)", "≤", r"^we", r"use\.$", r"[^.]{0,9}s",
               r"(?<=the )\w+", r"(?!x)e", r"[^a-z]", "x = y", r"\w+ \w+", r"\d", r"E\[", r"[\]^]", r"\AOn", r"as\.\Z"]
_ANSWER_WORDS = ["jacobian", "cancel", "KL", "not", "without", "is", "the", "$x = y$", r"\frac{a}{b}", "≤", "log p",
                 "E[x]", ",", ";", "Keywords:", "we", "use", "\n\n", "-", "(a)", "unbiased", "on", "n'est", "pas", "as"]
_SENTENCE = st.tuples(st.sampled_from(["We", "On", "The", "x", "$x$"]),
                      st.lists(st.sampled_from(_ANSWER_WORDS), max_size=6)).map(lambda s: " ".join([s[0], *s[1]]) + ".")


@settings(max_examples=300, deadline=None)
@given(st.lists(_SENTENCE, min_size=1, max_size=5), st.lists(st.sampled_from(_HINT_ATOMS), min_size=1, max_size=2),
       st.booleans())
def test_a_hint_is_found_where_each_sentence_shows_it(sentences, atoms, mentions_count):
    pattern = "|".join(atoms)
    sentences = _Sentences(" ".join(sentences), DEFAULT_GOALS, mentions_count)
    expected = [(i, f, m.span()) for i in range(len(sentences.units))
                for f, (form, _) in enumerate(sentences._forms(i)) for m in re.finditer(pattern, form, re.I)]
    assert [(i, f, m.span()) for i, f, m, _ in sentences.matches(pattern)] == expected


def test_an_identity_written_as_a_formula_names_it():
    # a checklist names the step ("linearity of expectation"); the student writes it
    from grader.kinds.prose_text import named_steps

    def named(latex: str) -> list[str]:
        return [name.split(" (")[0].split(":")[0] for name in named_steps(normalise_math(latex))]

    assert named(r"\because \mathbb{E}\left[\sum x\right] = \sum\mathbb{E}[x]") == ["linearity of expectation"]
    assert named(r"\sum_{i=1}^n \mathbb{E}[X_i] = \mathbb{E}[\sum_{i=1}^n X_i]") == ["linearity of expectation"]
    assert named(r"\mathbb{E}[X + Y] = \mathbb{E}[X] + \mathbb{E}[Y]") == ["linearity of expectation"]
    assert named(r"\log \mathbb{E}_q[w] \ge \mathbb{E}_q[\log w]") == ["Jensen's inequality"]
    assert named(r"\log \mathbb{E}_q[w] \le \mathbb{E}_q[\log w]") == []  # the wrong direction names nothing
    # nested expectations, a subscript holding brackets; and the plain words of it, for hints in words
    nested = normalise_math(r"\mathbb{E}_{z}\left[\log \mathbb{E}_{i \sim Unif([1, 2])}[w_i]\right] \ge "
                            r"\mathbb{E}_{z}\left[\mathbb{E}_{i \sim Unif([1, 2])}[\log w_i]\right]")
    assert re.search(r"log\s+of\s+the\s+mean[^.]{0,40}at least[^.]{0,40}mean\s+of\s+the\s+logs", named_steps(nested)[0])
    assert named(r"p(z|x) = \frac{p(x|z)p(z)}{p(x)}") == ["Bayes' rule"]
    assert named(r"p(z|x) = \frac{p(x,z)}{p(z)}") == []
    assert named(r"\mathbb{E}[X] = \mathbb{E}[Y]") == []


def test_a_step_named_by_its_formula_is_found_and_quoted():
    from grader.kinds.prose import ProseSettings

    settings = ProseSettings(items=[
        {"id": "linearity", "points": 1, "description": "the expectation of the average", "hints": [r"linearity\s+of\s+expectation"]},
        {"id": "jensen", "points": 1, "description": "Jensen", "hints": [r"jensen"]}])
    text = (r"Then $\mathbb{E}\left[\frac{1}{K}\sum_{j=1}^K a_j\right] = \frac{1}{K}\sum_{j=1}^K \mathbb{E}[a_j]$,"
            r" and $\log \mathbb{E}[w] \le \mathbb{E}[\log w]$.")
    items = {i["id"]: i for i in get_kind("prose").checklist(text, settings)}
    assert items["linearity"]["found"] and not items["jensen"]["found"]  # Jensen's direction is wrong here
    assert "\\sum_{j=1}^K \\mathbb{E}[a_j]" in items["linearity"]["evidence"][0]


def test_an_integral_against_a_density_reads_as_an_expectation():
    from grader.kinds.prose_text import as_expectations

    elbo = normalise_math(r"\int q(z|x) \log\frac{p(x,z)}{q(z|x)} dz")
    assert as_expectations(elbo) == "E_q(z|x)[log(p(x,z))/(q(z|x))]"
    bracketed = normalise_math(r"\int q(z|x)\left[\log p(x,z) - \log q(z|x)\right]dz")
    assert as_expectations(bracketed) == "E_q(z|x)[log p(x,z) - log q(z|x)]"
    assert as_expectations(normalise_math(r"\int p(x) dz")) is None  # dz against a density of x: no expectation
    assert as_expectations(normalise_math(r"\int f(x) dx")) is None  # f is no density here
    assert as_expectations("no integral") is None
    # a hint written for expectations finds the integral
    from grader.kinds.prose import ProseSettings

    settings = ProseSettings(items=[{"id": "elbo", "points": 1, "description": "the ELBO written out",
                                     "hints": [r"E_?q[^\n]{0,60}\[\s*log\s*\(?\s*p"]}])
    assert get_kind("prose").checklist(r"The ELBO is $\int q(z|x)\log\frac{p(x,z)}{q(z|x)}\,dz$.", settings)[0]["found"]


def test_a_line_that_rewrites_one_term_of_a_sum_shows_that_step():
    from grader.kinds.prose_text import derived_relations

    chain = normalise_math(r"\ln p(x) = \ln p(x) + \int q(z|x) A dz - \int q(z|x) A dz"
                           r" = \int q(z|x) A dz - \int q(z|x) A dz + \int q(z|x)\ln p(x) dz")
    assert "log p(x) = ∫ q(z|x)log p(x) dz" in derived_relations(chain)
    assert derived_relations("s = a + b = c + d") == ["s = c + d"]  # two terms changed: no one step
    assert derived_relations("s = a - b = a + b") == ["s = a + b"]  # a sign is no rewrite of a term
    # a side's end is cut at a comma outside brackets only: "p(x, z)" is one side
    assert derived_relations("L = A = p(x, z), hence B")[0] == "L = p(x, z)"


def test_a_word_a_pdf_hyphenated_at_a_line_end_is_found_whole():
    from grader.kinds.prose import ProseSettings
    from grader.kinds.prose_text import dehyphenated

    settings = ProseSettings(items=[{"id": "concave", "points": 1, "description": "concavity", "hints": ["concav"]},
                                    {"id": "unbiased", "points": 1, "description": "unbiased", "hints": [r"\bunbiased"]}])
    text = "By Jensen and the con-\ncavity of the log; the average is un-\n  biased."
    assert [i["found"] for i in get_kind("prose").checklist(text, settings)] == [True, True]
    # a compound keeps its hyphen: before a capital, or where the text writes it whole elsewhere
    assert dehyphenated("the Jensen-\nShannon divergence") == "the Jensen-Shannon divergence"
    assert dehyphenated("self-\nsupervised, as self-supervised") == "self-supervised, as self-supervised"
    assert dehyphenated("repré-\nsentation; a - \nb; 2-\n3") == "représentation; a - \nb; 2-\n3"


_FORMULA_PIECES = ["E", "log", "Σ_j = 1^k", "∫", "q(z|x)", "dz", "p(x)", " = ", " ≤ ", " ≥ ", " + ", " - ", "(", ")",
                   "[", "]", "w_j", "(1)/(k)", ", and ", ". ", "-\n", "\n", "a", "B", " "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FORMULA_PIECES), max_size=40).map("".join))
def test_what_formulas_show_is_read_from_any_text_without_failing(text):
    from grader.kinds.prose_text import as_expectations, dehyphenated, derived_relations, named_steps

    for found in (derived_relations(text), named_steps(text)):
        assert isinstance(found, list) and all(isinstance(f, str) and f.strip() for f in found)
    assert as_expectations(text) is None or "E_" in as_expectations(text)
    whole = dehyphenated(text)
    # only a hyphen and the line break after it go, between two letters: nothing else changes
    assert "".join(ch for ch in whole if ch not in "-\n \t") == "".join(ch for ch in text if ch not in "-\n \t")
