"""Choices stated inside prose: 2.2's two scenarios (forward or reverse KL) and 4.4's (A)/(B),
read from the real rubric through segmentation, component splitting and grading."""

from __future__ import annotations

import pytest

from grader.ingest.document import Document
from grader.pipeline import fragments_for, grade_component, split_components


def grade_part(rubric, key, part_id: str, body: str) -> dict:
    question = part_id.split(".")[0]
    doc = Document(source="answers.md", kind="text", text=f"Answer {question}.\n{part_id}) {body}\n")
    fragment = fragments_for([doc], rubric)[part_id]
    part = rubric.part(part_id)
    pieces = split_components(part, fragment)
    return {c.id: grade_component(part, c, pieces.get(c.id), key, None, True) for c in part.components}


def chosen(result) -> str | None:
    return result.answer["choices"][0] if result.answer else None


# ---------------------------------------------------------------- 2.2: forward or reverse KL

KL_RIGHT = [
    # headed scenarios, words
    "Scenario 1: reverse KL, because we can evaluate p_X but have no samples.\n"
    "Scenario 2: forward KL, because we only have samples (maximum likelihood).",
    # numbered lines with formulas only, LaTeX \| and \parallel
    "1) We minimise $D_{KL}[P_{F(U)} \\| P_X]$ since the expectation is over the flow's samples.\n"
    "2) We minimise $D_{KL}[P_X \\parallel P_{F(U)}]$, i.e. we maximise the likelihood of the data.",
    # inline, answers before their markers
    "I would use the reverse KL for scenario 1 and the forward KL for scenario 2.",
    # ordinal names of the objectives, as the question lists them
    "In the first scenario I would pick the second one, and in the second scenario the first one, "
    "since only the forward KL can be estimated from samples.",
    # negations and the wrong option inside the justification
    "Scenario 1: we would not use the forward KL because it is an expectation over p_X and we have no "
    "samples from it. Instead we use the reverse KL.\n"
    "Scenario 2: the reverse KL is infeasible since we cannot evaluate p_X, so the forward KL it is.",
    # mode-seeking / maximum likelihood vocabulary, bullets
    "- Scenario 1 (density available, no samples): the mode-seeking objective, D_KL(p_F || p_X).\n"
    "- Scenario 2 (samples only): maximum likelihood, which is the forward KL.",
    # a Markdown table
    "| Scenario | Objective |\n|---|---|\n| 1 | reverse KL |\n| 2 | forward KL |",
    # a LaTeX tabular
    "\\begin{tabular}{ll}\nScenario & KL \\\\\n1 & Reverse: $D_{KL}(P_{F(U)}||P_X)$ \\\\\n"
    "2 & Forward: $D_{KL}(P_X||P_{F(U)})$ \\\\\n\\end{tabular}",
    # "we minimise KL(p_X||p_F)" style, case words
    "Case 1: since we can evaluate the density, we minimise KL(q || p_X) with q the flow. "
    "Case 2: we minimise KL(p_X || q), which only needs samples from p_X.",
    # "scenario 1: reverse" with rather-than
    "2.2.1) Reverse KL rather than forward KL: the forward KL needs samples we do not have.\n"
    "2.2.2) Forward KL rather than reverse KL, because the reverse KL requires p_X, which cannot be evaluated.",
    # the wrong option mentioned first in the justification of each scenario
    "(1) The forward KL would require samples from p_X, which we don't have, so I choose the reverse KL.\n"
    "(2) The reverse KL requires evaluating p_X, which we cannot do; hence I use the forward KL.",
    # "the reverse KL is the right objective" after-verdicts, with the mention in a subordinate clause
    "For scenario 1, the reverse KL is the appropriate objective: it only needs log p_X at the flow's samples. "
    "For scenario 2, the forward KL is the appropriate objective because it is maximum likelihood.",
]


@pytest.mark.parametrize("body", KL_RIGHT, ids=[f"right-{i}" for i in range(len(KL_RIGHT))])
def test_kl_choices_read_right(rubric, key, body):
    results = grade_part(rubric, key, "2.2", body)
    s1, s2 = results["scenario_1"], results["scenario_2"]
    assert (chosen(s1), chosen(s2)) == ("reverse", "forward"), (s1.how, s1.feedback, s2.how, s2.feedback)
    assert s1.score == 1.5 and s2.score == 1.5
    assert s1.status == "correct" and s2.status == "correct", (s1.feedback, s2.feedback)


KL_SWAPPED = [
    "Scenario 1: forward KL. Scenario 2: reverse KL.",
    "I would use the forward KL for scenario 1 and the reverse KL for scenario 2.",
    "1) We would not use the reverse KL here; the forward KL is the objective.\n"
    "2) The forward KL is not feasible without evaluating p_X, so we minimise the reverse KL.",
    "Case 1: maximum likelihood. Case 2: mode-seeking reverse KL.",
]


@pytest.mark.parametrize("body", KL_SWAPPED, ids=[f"swapped-{i}" for i in range(len(KL_SWAPPED))])
def test_kl_choices_swapped_get_no_credit_and_the_message(rubric, key, body):
    results = grade_part(rubric, key, "2.2", body)
    s1, s2 = results["scenario_1"], results["scenario_2"]
    assert (chosen(s1), chosen(s2)) == ("forward", "reverse"), (s1.how, s2.how)
    assert s1.score == 0 and s2.score == 0
    assert "Without samples from p_X" in s1.feedback and "cannot evaluate here" in s2.feedback


def test_kl_both_named_without_a_decision_goes_to_review(rubric, key):
    results = grade_part(rubric, key, "2.2", "Scenario 1: forward KL or reverse KL, both have merits.\n"
                                              "Scenario 2: forward KL.")
    assert results["scenario_1"].status == "needs_review" and results["scenario_1"].score == 0
    assert "several options" in results["scenario_1"].feedback
    assert chosen(results["scenario_2"]) == "forward"


def test_kl_words_and_formula_disagree_goes_to_review_with_the_reason(rubric, key):
    # the seed's 2.2.1: "reverse KL" in words, D_KL(P_{F^{-1}(x)} || P_U) as formula (the forward KL by 2.1)
    results = grade_part(rubric, key, "2.2", "2.2.1) In this scenario, our optimization objective will be the "
                                              "reverse Kullback-Leibler divergence,\n\n$$D_{KL}(P_{F^{-1}(x)} \\parallel P_U)$$\n\n"
                                              "2.2.2) the forward KL: $$D_{KL}(P_X \\parallel P_{F(U)})$$")
    s1 = results["scenario_1"]
    assert chosen(s1) == "reverse" and s1.status == "needs_review" and s1.score == 1.5
    assert "formula" in s1.feedback and "(forward)" in s1.feedback
    assert results["scenario_2"].status == "correct"


def test_kl_without_scenario_markers_is_review_not_zero(rubric, key):
    results = grade_part(rubric, key, "2.2", "I think the KL direction matters: reverse KL and forward KL differ.")
    for cid in ("scenario_1", "scenario_2"):
        assert results[cid].status == "needs_review", results[cid].feedback


def test_kl_justification_is_a_suggestion_with_evidence(rubric, key):
    results = grade_part(rubric, key, "2.2", KL_RIGHT[0])
    justification = results["justification"]
    assert justification.status == "needs_review" and justification.score > 0
    assert justification.evidence


# ---------------------------------------------------------------- 4.4: (A) or (B)

GAN_RIGHT = [
    "I would choose (B), the non-saturating cost, because it gives strong gradients early in training.",
    "Option B. When D confidently rejects fakes, log(1 - D(G(z))) saturates and its gradient vanishes.",
    "(B) because the saturating cost (A) has vanishing gradients when D(G(z)) is close to 0.",
    "The second cost: the first one saturates early in training when the discriminator rejects the samples.",
    "We minimise $-\\log D(G(z))$ instead of $\\log(1 - D(G(z)))$, which gives larger gradients early on.",
    "I would not use the saturating cost, since its gradients vanish when D(G(z)) is near 0; the non-saturating one is better.",
    "Non-saturating. The saturating cost stalls at the beginning of training.",
    "B, since the generator gets a strong gradient even when the discriminator wins early in training.",
    "Between (A) saturating and (B) non-saturating, I'd go with (B): it avoids vanishing gradients.",
    "The non-saturating cost is the better choice rather than (A), as it provides stronger gradients early.",
    "Answer: (B). The saturating loss log(1 − D(G(z))) has a flat gradient where D(G(z)) ≈ 0.",
]


@pytest.mark.parametrize("body", GAN_RIGHT, ids=[f"right-{i}" for i in range(len(GAN_RIGHT))])
def test_gan_cost_choice_read_right(rubric, key, body):
    result = grade_part(rubric, key, "4.4", body)["choice"]
    assert chosen(result) == "b", (result.how, result.feedback)
    assert result.status == "correct" and result.score == 1


GAN_WRONG = [
    "I would choose (A), the saturating cost, because it is the original minimax objective.",
    "The saturating cost, since it is the true minimax game; the non-saturating cost is only a heuristic and is worse.",
    "I would not choose (B); (A) is the right cost.",
]


@pytest.mark.parametrize("body", GAN_WRONG, ids=[f"wrong-{i}" for i in range(len(GAN_WRONG))])
def test_gan_cost_wrong_choice(rubric, key, body):
    result = grade_part(rubric, key, "4.4", body)["choice"]
    assert chosen(result) == "a", (result.how, result.feedback)
    assert result.score == 0


def test_gan_reason_is_a_suggestion_that_orders_by_content(rubric, key):
    good = grade_part(rubric, key, "4.4", GAN_RIGHT[0] + " When D rejects fakes early, D(G(z)) ≈ 0.")["reason"]
    bare = grade_part(rubric, key, "4.4", "(B).")["reason"]
    assert good.status == bare.status == "needs_review"
    assert good.score > bare.score
