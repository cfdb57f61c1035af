"""AI-use disclosures: what was used, for what, attributed per question; statements of no use;
the policy text itself is no disclosure; an optional rubric penalty is a visible deduction."""

from __future__ import annotations

from pathlib import Path

import pytest

import grader.pipeline as pipeline
from grader.analyses.disclosure import classify, find_disclosures
from grader.ingest.document import Document
from grader.ingest.submission import Submission
from grader.pipeline import question_lines
from tests.conftest import SEED


@pytest.mark.parametrize("sentence,tools,purpose", [
    ("Note: I used Grammarly and ChatGPT to improve the quality of my writing.", ("Grammarly", "ChatGPT"), "writing"),
    ("Note: I used Grammerly and ChatGPT to improve the quality of my writing.", ("Grammarly", "ChatGPT"), "writing"),
    ("I used ChatGPT to fix the grammar of this answer.", ("ChatGPT",), "writing"),
    ("ChatGPT was used to rephrase some sentences.", ("ChatGPT",), "writing"),
    ("I asked GPT-4 to help me derive the expression for the JSD.", ("ChatGPT",), "content"),
    ("We used Copilot to find the solution of 3.4.", ("Copilot",), "content"),
    ("I used Claude to check my answers and DeepL to translate my text.", ("Claude", "DeepL"), "writing and content"),
    ("J'ai utilisé ChatGPT pour reformuler mes phrases.", ("ChatGPT",), "writing"),
    ("J'ai utilisé ChatGPT pour trouver la réponse.", ("ChatGPT",), "content"),
    ("AI use: I used an LLM.", ("an AI tool",), "unspecified"),
    ("I did not use ChatGPT for the answers, only Grammarly for grammar.", ("Grammarly",), "writing"),
])
def test_disclosures_are_classified(sentence, tools, purpose):
    disclosure = classify(sentence)
    assert disclosure is not None and disclosure.used
    assert disclosure.tools == tools and disclosure.purpose == purpose, disclosure


@pytest.mark.parametrize("sentence", [
    "No AI tools were used for this assignment.",
    "I did not use any AI tools.",
    "I didn't use ChatGPT or any other AI.",
    "Aucun outil d'IA n'a été utilisé.",
    "Je n'ai pas utilisé ChatGPT.",
])
def test_statements_of_no_use_are_recorded(sentence):
    disclosure = classify(sentence)
    assert disclosure is not None and not disclosure.used and disclosure.purpose == "none"
    assert disclosure.summary() == "no AI use (stated)"


@pytest.mark.parametrize("sentence", [
    # the course policy, as the template prints it (not first person)
    "The use of AI tools like Chat-GPT to find answers or parts of answers for any question in this assignment is not allowed.",
    "If you do use these tools, you must clearly explain how you used them.",
    # a review that talks about AI
    "Automated learning of visual representations is crucial for the advancement of AI technologies.",
    "I used the change of variables formula.",
])
def test_other_sentences_are_not_disclosures(sentence):
    assert classify(sentence) is None


def test_seed_disclosures_per_question(rubric):
    doc = Document(source=SEED.name, kind="text", text=SEED.read_text(encoding="utf-8"))
    found = find_disclosures([doc], rubric, question_lines(rubric))
    assert set(found) == {"2", "3", "4", "5"}  # the policy at the top is not a disclosure
    for disclosure in found.values():
        assert disclosure.used and disclosure.purpose == "writing"
        assert disclosure.tools == ("Grammarly", "ChatGPT")
        assert disclosure.quote.startswith("Note: I used Gramm")
        assert disclosure.scope == "this question's answer"


def test_a_general_note_covers_every_question_and_a_named_one_only_those(rubric):
    text = ("I used Grammarly to fix the grammar in all questions.\n\nAnswer 2.\n2.1) proof...\n\n"
            "Answer 3.\n3.1) (b)\n\nAnswer 4.\n4.2) (b)\nI asked ChatGPT to derive 4.6 for questions 4 and 5.\n")
    found = find_disclosures([Document(source="a.md", kind="text", text=text)], rubric)
    assert set(found) == {"1", "2", "3", "4", "5"}
    assert found["2"].scope == "the whole submission" and found["2"].purpose == "writing"
    assert found["4"].purpose == "content" and found["4"].scope == "named in the note"
    assert found["5"].tools == ("ChatGPT",)


def test_answer_sheet_notes_per_part(rubric):
    doc = Document(source="s.yaml", kind="sheet", answers={}, ai_use={"2.1": "Grammarly for spelling", "3.2a": "none"})
    found = find_disclosures([doc], rubric)
    assert found["2"].used and found["2"].tools == ("Grammarly",) and found["2"].purpose == "writing"


def grade_text(rubric, key, monkeypatch, text: str):
    doc = Document(source="a.md", kind="text", text=text)
    monkeypatch.setattr(pipeline, "read_submission", lambda sub, limits: ([doc], []))
    return pipeline.grade_submission(Submission("s", [], Path(".")), rubric, key)


CONTENT_USE = ("Answer 4.\n4.4) I would choose (B), the non-saturating cost, since it gives strong gradients early.\n"
               "4.5) The losses are relative to a moving opponent in a min-max game, not an absolute measure of quality.\n"
               "Note: I used ChatGPT to find the answer to 4.5.\n")


def test_no_penalty_by_default_but_shown_everywhere(rubric, key, monkeypatch):
    result = grade_text(rubric, key, monkeypatch, CONTENT_USE)
    assert result.ai_use["4"].startswith("to find or check answers (ChatGPT)")
    assert result.to_json()["ai_use_detail"]["4"]["purpose"] == "content"
    assert all("ai-penalty" not in c.notes for p in result.parts for c in p.components)
    from grader.report.gradebook import gradebook_csv
    assert "Q4: to find or check answers (ChatGPT)" in gradebook_csv([result], [], [p.id for p in rubric.parts])
    from grader.report.html import feedback_page
    page = feedback_page(result, key)
    assert "AI-use disclosures" in page and "I used ChatGPT to find the answer to 4.5." in page


def test_rubric_penalty_is_a_visible_deduction(rubric, key, monkeypatch):
    strict = rubric.model_copy(update={"ai_policy": rubric.ai_policy.model_copy(update={"penalty": 2.0})})
    plain = {p.id: p for p in grade_text(rubric, key, monkeypatch, CONTENT_USE).parts}
    result = grade_text(strict, key, monkeypatch, CONTENT_USE)
    parts = {p.id: p for p in result.parts}
    deducted = sum(plain[i].score - parts[i].score for i in parts)
    assert deducted == pytest.approx(2.0)
    hit = [p for p in result.parts if any("ai-penalty" in c.notes for c in p.components)]
    assert hit and all("AI-use policy: −" in p.feedback and p.status == "needs_review" for p in hit)
    assert all(p.id.startswith("4.") for p in hit)
    writing_only = grade_text(strict, key, monkeypatch, CONTENT_USE.replace("to find the answer to 4.5", "to fix my grammar"))
    assert all("ai-penalty" not in c.notes for p in writing_only.parts for c in p.components)
