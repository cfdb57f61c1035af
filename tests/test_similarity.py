"""Similarity between students' free-text answers: near-duplicates and light paraphrases are
flagged with their overlapping passages; independent answers, the question text and boilerplate
shared by many submissions are not."""

from __future__ import annotations

import random

from grader.similarity import (CONTAINMENT_FLAG, JACCARD_FLAG, find_similar, find_similar_texts, question_shingles,
                               shingles)

ORIGINAL = (
    "Each importance weight w_j = p(x, z_j) / q(z_j | x) has expectation p(x) under q, so the average "
    "of the k weights is an unbiased estimator of the marginal likelihood. The logarithm is concave, "
    "therefore Jensen's inequality moves the expectation outside the log and gives "
    "E[log (1/k) sum_j w_j] <= log E[(1/k) sum_j w_j] = log p(x). This holds for every k, which proves "
    "that L_k is a lower bound on log p(x) and that the ELBO is the special case k = 1."
)

NEAR_DUPLICATE = (
    "Every importance weight w_j = p(x, z_j) / q(z_j | x) has expectation p(x) under q, hence the mean "
    "of the k weights is an unbiased estimator of the marginal likelihood. The logarithm is concave, "
    "therefore Jensen's inequality moves the expectation outside the log and yields "
    "E[log (1/k) sum_j w_j] <= log E[(1/k) sum_j w_j] = log p(x). This is true for every k, which shows "
    "that L_k is a lower bound on log p(x) and the ELBO is the special case k = 1."
)

# synonyms swapped, tenses changed, a sentence moved to the front
PARAPHRASE = (
    "Since the log function is concave, Jensen's inequality moved the expectation outside of the log, "
    "giving E[log (1/k) sum_j w_j] <= log E[(1/k) sum_j w_j] = log p(x). "
    "Note that each importance weight w_j = p(x, z_j) / q(z_j | x) had expectation p(x) under q, so the "
    "average over the k weights gives an unbiased estimator of the marginal likelihood. As this held for "
    "all k, L_k is a lower bound on log p(x); the ELBO being the particular case k = 1."
)

INDEPENDENT = [
    "We start from log p(x) = log E_q[p(x,z)/q(z|x)]. Drawing k samples and averaging the ratios does not "
    "change the mean, which is still the evidence. Applying Jensen to the concave logarithm bounds the "
    "expected log of the sample mean by the log of the evidence, so the importance weighted bound never "
    "exceeds log p(x), whatever the number of samples.",
    "The IWAE objective averages several density ratios inside the logarithm. Because the average of the "
    "ratios is unbiased for p(x), and because log is a concave map, the expected log-average is below the "
    "log-evidence by Jensen. Hence every L_k is a valid lower bound; for one sample we recover the usual "
    "variational lower bound used to train VAEs.",
    "Let R = (1/k) sum of p(x, z_i)/q(z_i|x) with the z_i drawn independently from the encoder. Its mean "
    "equals the marginal density of x. Concavity of the natural logarithm together with Jensen gives "
    "E[log R] at most log E[R], and the right side is exactly log p(x). So the bound holds for any "
    "sample size, including a single sample.",
    "Intuitively the importance weights correct for the mismatch between the approximate posterior and the "
    "true posterior. Their empirical mean estimates the likelihood without bias, and pushing the log "
    "inside the expectation can only decrease the value since the log curve bends downward. Therefore the "
    "bound L_k is never larger than the true log likelihood.",
    "Write the bound as an expectation of the log of a Monte Carlo estimate of p(x). Monte Carlo estimates "
    "of this kind are unbiased when the proposal covers the target. By concavity, the mean of a log is "
    "less than or equal to the log of the mean, which is log p(x) here; this gives the inequality for "
    "each k as required by the question.",
]

TEMPLATE = ("In this answer we use the notation of the course template, where x denotes an observation and "
            "z denotes the latent variable of the model throughout. ")


def _flagged(pairs):
    return {frozenset((p.a, p.b)) for p in pairs}


def test_near_duplicates_and_paraphrases_are_flagged_independent_answers_are_not():
    texts = {f"indep{i}": t for i, t in enumerate(INDEPENDENT)}
    texts |= {"alice": ORIGINAL, "bob": NEAR_DUPLICATE, "carol": PARAPHRASE}
    pairs = find_similar_texts(texts, "3.4a")
    flagged = _flagged(pairs)
    assert frozenset({"alice", "bob"}) in flagged
    assert frozenset({"alice", "carol"}) in flagged
    assert not any(a.startswith("indep") and b.startswith("indep") for a, b in map(sorted, flagged)), pairs
    assert not any(any(s.startswith("indep") for s in pair) for pair in flagged), pairs
    dup = next(p for p in pairs if {p.a, p.b} == {"alice", "bob"})
    para = next(p for p in pairs if {p.a, p.b} == {"alice", "carol"})
    assert dup.jaccard > para.jaccard > 0.3 and dup.part == "3.4a"
    # the overlapping passages are quoted from both texts
    assert any("unbiased estimator of the marginal likelihood" in q["a"] and
               "unbiased estimator of the marginal likelihood" in q["b"] for q in dup.passages)
    assert all(q["a"] and q["b"] for q in para.passages)


def test_a_sentence_copied_into_an_otherwise_different_answer_is_flagged():
    long_answer = INDEPENDENT[1] + " " + ORIGINAL.split(". The logarithm")[0] + ". " + INDEPENDENT[3]
    pairs = find_similar_texts({"alice": ORIGINAL, "dave": long_answer, "x": INDEPENDENT[0], "y": INDEPENDENT[2]})
    pair = next(p for p in pairs if {p.a, p.b} == {"alice", "dave"})
    assert pair.jaccard < JACCARD_FLAG and pair.containment < CONTAINMENT_FLAG  # flagged by the shared passage
    assert "unbiased estimator of the marginal likelihood" in pair.passages[0]["b"]
    # the same sentence shared by two independent writers would be rare; a few common words are not enough
    assert find_similar_texts({"alice": ORIGINAL, "x": INDEPENDENT[0], "y": INDEPENDENT[2], "z": INDEPENDENT[4]}) == []


def test_boilerplate_shared_by_many_submissions_is_ignored():
    rng = random.Random(0)
    texts = {}
    for i in range(12):  # every student opens with the template's paragraph
        words = INDEPENDENT[i % 5].split()
        rng.shuffle(words)  # unrelated bodies
        texts[f"s{i}"] = TEMPLATE + " ".join(words)
    assert find_similar_texts(texts) == []
    # with the template sentence alone shared by two of them it would have been flagged
    assert find_similar_texts({"a": TEMPLATE * 2, "b": TEMPLATE * 2, "c": INDEPENDENT[0]})


def test_question_text_is_ignored(rubric):
    text = (rubric.path.parent / rubric.question_text).read_text()
    start = text.index("importance")
    copied = " ".join(text[start:start + 900].split()[:-1])  # whole words of the question, as a student pastes them
    assert len(copied.split()) > 60
    ignore = question_shingles(rubric)
    assert shingles(copied) <= ignore
    texts = {"a": copied + " " + INDEPENDENT[0], "b": copied + " " + INDEPENDENT[2], "c": INDEPENDENT[4]}
    assert find_similar_texts(texts, ignore=ignore) == []
    assert find_similar_texts(texts)  # the same texts without the question filter would be flagged


def test_results_of_a_batch_deterministic(rubric, key, tmp_path):
    from grader.batch import grade_all
    from grader.ingest.submission import discover

    for name, body in {"alice": ORIGINAL, "bob": NEAR_DUPLICATE, "eve": INDEPENDENT[0]}.items():
        (tmp_path / f"{name}.md").write_text(f"## Question 3\n### 3.4 (a)\n{body}\n### 3.4 (b)\nSee above.\n")
    results = grade_all(discover([tmp_path]), rubric, key).results
    first = find_similar(results, rubric)
    assert [(p.part, p.a, p.b) for p in first] == [("3.4a", "alice", "bob")]
    assert [vars(p) for p in find_similar(results, rubric)] == [vars(p) for p in first]
