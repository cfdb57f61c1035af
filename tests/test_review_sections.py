"""The paper review (5.1–5.4): sections found in any heading style or by cue phrases, the whole
review's length against "one page", coverage of the guiding questions, and hidden text."""

from __future__ import annotations

from pathlib import Path

import pytest

import grader.pipeline as pipeline
from grader.ingest.document import Document, HiddenText
from grader.ingest.submission import Submission
from grader.analyses.review_sections import split_review
from tests.conftest import SEED

SUMMARY = ("SimCLR is a simple framework for contrastive self-supervised learning of visual representations. "
           "Its main contribution is to show that a composition of data augmentations, a learnable non-linear "
           "projection head and large batch sizes make contrastive learning work without memory banks. "
           "A linear classifier on its representations reaches 76.5% top-1 accuracy on ImageNet, matching a "
           "supervised ResNet-50, and it also does well in the semi-supervised setting with 1% of the labels.")
STRENGTHS = ("The method is remarkably simple and the empirical advance is significant: it outperforms previous "
             "self-supervised methods on every benchmark. The ablations are thorough and the experiments are "
             "carefully executed, and the released code is a practical outcome that has been useful for the "
             "community, which now uses it as a standard baseline for new work.")
WEAKNESSES = ("The approach depends on very large batches, which makes it computationally expensive and hard to "
              "reproduce without TPUs. Some design choices, such as the exact augmentation strengths, are not "
              "explained. Results on datasets beyond ImageNet are limited, and the novelty is partly incremental "
              "since contrastive losses existed in prior work; still, the problem is important and significant.")
REFLECTIONS = ("This relates to what we saw in class about VAEs and learning representations without labels. "
               "A natural next research direction is to extend the framework to other modalities such as audio. "
               "I would be curious to try it with a memory-efficient loss that removes the need for huge batches, "
               "and it would be interesting to combine it with a generative objective.")

STYLES = {
    "colon": "Summary: {s}\n\nStrengths: {t}\n\nWeaknesses: {w}\n\nReflections: {r}\n",
    "markdown-bold": "**Summary**\n{s}\n\n**Strengths**\n{t}\n\n**Weaknesses**\n{w}\n\n**Reflections**\n{r}\n",
    "latex": "\\subsection*{{Summary}}\n{s}\n\\subsection*{{Strengths}}\n{t}\n\\subsection*{{Weaknesses}}\n{w}\n"
             "\\subsection*{{Reflections}}\n{r}\n",
    "numbered": "5.1 Summary\n{s}\n5.2 Strengths\n{t}\n5.3 Weaknesses\n{w}\n5.4 Reflections\n{r}\n",
    "parenthesised": "(5.1) Summary:\n{s}\n(5.2) Strengths:\n{t}\n(5.3) Weaknesses:\n{w}\n(5.4) Reflections:\n{r}\n",
    "markdown-hash": "## Summary\n{s}\n## Strengths\n{t}\n## Weaknesses\n{w}\n## Reflections\n{r}\n",
}


def grade_docs(rubric, key, monkeypatch, *docs: Document):
    monkeypatch.setattr(pipeline, "read_submission", lambda sub, limits: (list(docs), []))
    result = pipeline.grade_submission(Submission("s", [], Path(".")), rubric, key)
    return {p.id: p for p in result.parts}


def doc(body: str, **fields) -> Document:
    return Document(source="review.md", kind="text", text=f"Answer 5.\n{body}", **fields)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_headed_sections_in_any_style(rubric, style):
    text = STYLES[style].format(s=SUMMARY, t=STRENGTHS, w=WEAKNESSES, r=REFLECTIONS)
    split = split_review(text, rubric.review, rubric)
    assert split.headed
    for part, expected in (("5.1", SUMMARY), ("5.2", STRENGTHS), ("5.3", WEAKNESSES), ("5.4", REFLECTIONS)):
        section = split.sections[part]
        assert " ".join(section.text.split()).strip(" }") == expected, (style, part, section.text[:80])
        assert section.confidence >= 0.85


def test_headed_review_graded_section_by_section_with_evidence(rubric, key, monkeypatch):
    parts = grade_docs(rubric, key, monkeypatch,
                       doc(STYLES["colon"].format(s=SUMMARY, t=STRENGTHS, w=WEAKNESSES, r=REFLECTIONS)))
    for pid in ("5.1", "5.2", "5.3", "5.4"):
        part = parts[pid]
        assert part.status == "needs_review" and part.score == 5, (pid, part.feedback)
        assert "review heading" in part.components[0].how
        assert "one page is about 350–900 words" in part.feedback
    items = {i["id"]: i for i in parts["5.3"].components[0].render["items"]}
    assert any("large batches" in q for q in items["cost"]["evidence"])
    assert any("novelty" in q for q in items["novelty"]["evidence"])


def test_seed_review_without_headings_is_split_by_cues(rubric):
    text = SEED.read_text(encoding="utf-8")
    review = text[text.index("Answer 5."):]
    split = split_review(review[len("Answer 5."):], rubric.review, rubric)
    assert not split.headed
    assert split.sections["5.1"].text.strip().startswith("SimCLR, a sophisticated framework")
    assert split.sections["5.2"].text.strip().startswith("The paper's strengths are manifold.")
    assert split.sections["5.3"].text.strip().startswith("Nonetheless, the paper does not exhaust")
    assert split.sections["5.4"].text.strip().startswith("The reflections inspired by the paper")
    assert "Grammerly" not in split.text  # the AI-use note is not part of the review
    assert all(s.confidence < 0.75 for s in split.sections.values())
    assert 450 < split.words < 700


def test_seed_review_parts_say_how_they_were_split(rubric, key):
    result = pipeline.grade_submission(Submission(SEED.stem, [SEED], SEED.parent), rubric, key)
    parts = {p.id: p for p in result.parts}
    for pid in ("5.1", "5.2", "5.3", "5.4"):
        assert "no section headings" in parts[pid].feedback and parts[pid].status == "needs_review"
        assert 0 < parts[pid].score <= 5
    assert "The reflections inspired" in parts["5.4"].components[0].how


def test_review_length_against_one_page(rubric, key, monkeypatch):
    short = STYLES["colon"].format(s=SUMMARY, t=STRENGTHS, w=WEAKNESSES, r=REFLECTIONS)
    parts = grade_docs(rubric, key, monkeypatch, doc(short))
    assert "shorter than a page" in parts["5.4"].feedback and "review-too-short" in parts["5.4"].components[0].notes
    long = STYLES["colon"].format(s=SUMMARY * 3, t=STRENGTHS * 3, w=WEAKNESSES * 3, r=REFLECTIONS * 3)
    parts = grade_docs(rubric, key, monkeypatch, doc(long))
    assert "review-too-short" not in parts["5.4"].components[0].notes
    assert "one page is about 350–900 words." in parts["5.1"].feedback  # within range: no verdict
    longer = STYLES["colon"].format(s=SUMMARY * 6, t=STRENGTHS * 6, w=WEAKNESSES * 6, r=REFLECTIONS * 6)
    parts = grade_docs(rubric, key, monkeypatch, doc(longer))
    assert "longer than a page" in parts["5.2"].feedback and "review-too-long" in parts["5.4"].components[0].notes


def test_length_range_is_a_rubric_setting(rubric):
    tight = rubric.review.model_copy(update={"words": rubric.review.words.model_copy(update={"min": 100, "max": 150})})
    split = split_review(STYLES["colon"].format(s=SUMMARY, t=STRENGTHS, w=WEAKNESSES, r=REFLECTIONS), tight, rubric)
    assert split.words > 150


def test_a_missing_section_is_review_not_a_silent_zero(rubric, key, monkeypatch):
    parts = grade_docs(rubric, key, monkeypatch, doc(f"Summary: {SUMMARY}\n\nStrengths: {STRENGTHS}\n\n"
                                                     f"Reflections: {REFLECTIONS}\n"))
    assert parts["5.3"].status == "needs_review" and parts["5.3"].score == 0
    assert "No Weaknesses section was found" in parts["5.3"].feedback
    assert parts["5.3"].review and "No Weaknesses" in parts["5.3"].review


def test_hidden_text_is_left_out_and_reported_on_the_review(rubric, key, monkeypatch):
    hidden = HiddenText("strengths weaknesses novelty baselines datasets community", "white text", page=3)
    body = STYLES["colon"].format(s=SUMMARY, t=STRENGTHS, w="The paper is fine.", r=REFLECTIONS)
    parts = grade_docs(rubric, key, monkeypatch, doc(body, hidden=[hidden]))
    for pid in ("5.1", "5.3"):
        assert "Text hidden from the reader (1 passage(s): white text)" in parts[pid].feedback
        assert "left out of the review's word count" in parts[pid].feedback
    assert parts["5.3"].score < 5  # the hidden keywords earned nothing


def test_guiding_question_paraphrases_earn_nothing(rubric, key, monkeypatch):
    questions = ("Summary: What is this paper about? What is the main contribution?\n\n"
                 "Strengths: Is there a new theoretical insight? Are the experiments well executed? "
                 "Useful for the community in general?\n\n"
                 "Weaknesses: Any missing baselines? Missing datasets? Is there sufficient novelty?\n\n"
                 "Reflections: What are the next research directions? What would you be curious to try?\n")
    parts = grade_docs(rubric, key, monkeypatch, doc(questions))
    for pid in ("5.2", "5.3", "5.4"):
        assert parts[pid].score == 0, (pid, parts[pid].feedback)
