"""AI-use disclosures: the class of each (polishing / content use / unspecified / no use) on a table
of sentences in the styles students write, English and French; the student's own words quoted, as
written; per question; the rubric's policy; an optional penalty is a visible deduction."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grader.pipeline as pipeline
from grader.analyses.disclosure import classify, find_disclosures
from grader.ingest.document import Document
from grader.ingest.submission import Submission
from grader.pipeline import question_lines
from grader.rubric import AiPolicy
from tests.conftest import SEED

TABLE = yaml.safe_load((Path(__file__).parent / "fixtures" / "disclosures.yaml").read_text(encoding="utf-8"))
CLASSES = {"writing", "content", "writing and content", "unspecified", "none", "not a disclosure"}


def test_the_table_is_broad():
    assert len(TABLE) >= 30 and {row["class"] for row in TABLE} == CLASSES
    french = [row for row in TABLE if any(w in row["sentence"] for w in ("J'ai", "é", "à", "Aucun", "Je "))]
    assert len(french) >= 10


@pytest.mark.parametrize("row", TABLE, ids=[row["sentence"][:60] for row in TABLE])
def test_disclosure_table(row):
    disclosure = classify(row["sentence"])
    got = "not a disclosure" if disclosure is None else disclosure.purpose
    assert got == row["class"], disclosure
    if disclosure is not None:
        assert disclosure.quotes == (row["sentence"].strip(),)  # the student's words, as written
        if "tools" in row:
            assert list(disclosure.tools) == row["tools"]
        assert disclosure.allowed == {"writing": True, "content": False, "writing and content": False}.get(got)


def test_summary_gives_the_class_the_verdict_and_the_quote():
    assert classify("Grammarly to check spelling").summary() == (
        "polishing the writing (Grammarly), allowed: “Grammarly to check spelling”")
    assert classify("I asked GPT-4 to check my proof.").summary() == (
        "content use (finding or checking answers) (ChatGPT), not allowed by the course policy: "
        "“I asked GPT-4 to check my proof.”")
    assert classify("No AI tools were used.").summary() == "no AI use (stated): “No AI tools were used.”"


def test_a_disclosure_wrapped_over_lines_is_one_sentence_quoted_as_written(rubric):
    text = "Answer 2.\n2.1) The flow is invertible.\nNote: I used ChatGPT to improve the\nquality of my writing.\n"
    found = find_disclosures([Document(source="a.pdf", kind="pdf", text=text)], rubric)
    assert found["2"].purpose == "writing" and found["2"].allowed is True
    assert found["2"].quotes == ("Note: I used ChatGPT to improve the\nquality of my writing.",)


def test_seed_disclosures_per_question(rubric):
    doc = Document(source=SEED.name, kind="text", text=SEED.read_text(encoding="utf-8"))
    found = find_disclosures([doc], rubric, question_lines(rubric))
    assert set(found) == {"2", "3", "4", "5"}  # the policy at the top is not a disclosure
    for disclosure in found.values():
        assert disclosure.used and disclosure.purpose == "writing" and disclosure.allowed is True
        assert disclosure.tools == ("Grammarly", "ChatGPT")
        assert disclosure.quote.startswith("Note: I used Gramm")
        assert all(q in doc.text for q in disclosure.quotes)
        assert disclosure.scope == "this question's answer"


def test_a_general_note_covers_every_question_and_a_named_one_adds_to_those(rubric):
    text = ("I used Grammarly to fix the grammar in all questions.\n\nAnswer 2.\n2.1) proof...\n\n"
            "Answer 3.\n3.1) (b)\n\nAnswer 4.\n4.2) (b)\nI asked ChatGPT to derive 4.6 for questions 4 and 5.\n")
    found = find_disclosures([Document(source="a.md", kind="text", text=text)], rubric)
    assert set(found) == {"1", "2", "3", "4", "5"}
    assert found["2"].scope == "the whole submission" and found["2"].purpose == "writing"
    assert found["4"].purpose == "writing and content" and found["4"].allowed is False
    assert found["4"].quotes == ("I asked ChatGPT to derive 4.6 for questions 4 and 5.",
                                 "I used Grammarly to fix the grammar in all questions.")
    assert found["5"].tools == ("ChatGPT", "Grammarly")


def test_answer_sheet_notes_are_quoted_as_given(rubric):
    doc = Document(source="s.yaml", kind="sheet", answers={},
                   ai_use={"2.1": "Grammarly to check spelling", "3.2a": "none", "4.1": "spelling only"})
    found = find_disclosures([doc], rubric)
    assert found["2"].purpose == "writing" and found["2"].allowed is True
    assert found["2"].quotes == ("Grammarly to check spelling",)  # never "Note: I used Grammarly ..."
    assert not found["3"].used and found["3"].quotes == ("none",)
    assert found["4"].purpose == "writing" and found["4"].tools == ()


def test_every_quote_is_a_span_of_the_students_text(rubric):
    long_sentence = ("Throughout this assignment, which took me many evenings and several attempts at the "
                     "derivations of the flows and of the GAN objectives, and after reading the lecture notes "
                     "twice and discussing the ideas with classmates in the study group we formed in October, "
                     "I finally used ChatGPT, only to correct the spelling of my English, which is not my first "
                     "language, in the answers to questions 2 and 3.")
    text = f"Answer 2.\n2.1) proof.\n{long_sentence}\n"
    found = find_disclosures([Document(source="a.md", kind="text", text=text)], rubric)
    for disclosure in found.values():
        assert disclosure.purpose == "writing"
        for quote in disclosure.quotes:
            assert quote in text and len(quote) <= 300


def test_the_rubric_decides_what_is_allowed_and_adds_its_own_wording():
    strict = AiPolicy(allowed=[])
    assert classify("I used Grammarly to check spelling.", strict).allowed is False
    course = AiPolicy(content_purposes=[r"\bpseudo-?code\b"], writing_purposes=[r"\bbibliograph\w*"])
    assert classify("I used ChatGPT for the pseudocode.", course).purpose == "content"
    assert classify("I used ChatGPT for the bibliography.", course).purpose == "writing"
    assert classify("I used ChatGPT for the bibliography.").purpose == "unspecified"  # without the rubric's words


def test_old_ai_policies_load_with_the_same_meaning(rubric):
    old = AiPolicy.model_validate({"penalty": 0})
    assert old.allowed == ["writing"] and old.penalty_for == ["content"] and old.patterns == AiPolicy().patterns
    assert AiPolicy.model_validate({"penalty": 2, "penalty_for": ["content", "unspecified"]}).penalty == 2
    with pytest.raises(ValueError):
        AiPolicy.model_validate({"content_purposes": ["(unclosed"]})


def grade_text(rubric, key, monkeypatch, text: str):
    doc = Document(source="a.md", kind="text", text=text)
    monkeypatch.setattr(pipeline, "read_submission", lambda sub, limits: ([doc], []))
    return pipeline.grade_submission(Submission("s", [], Path(".")), rubric, key)


CONTENT_USE = ("Answer 4.\n4.4) I would choose (B), the non-saturating cost, since it gives strong gradients early.\n"
               "4.5) The losses are relative to a moving opponent in a min-max game, not an absolute measure of quality.\n"
               "Note: I used ChatGPT to find the answer to 4.5.\n")


def test_no_penalty_by_default_but_shown_everywhere(rubric, key, monkeypatch):
    result = grade_text(rubric, key, monkeypatch, CONTENT_USE)
    assert result.ai_use["4"] == ("content use (finding or checking answers) (ChatGPT), not allowed by the course "
                                  "policy: “Note: I used ChatGPT to find the answer to 4.5.”")
    detail = result.to_json()["ai_use_detail"]["4"]
    assert detail["purpose"] == "content" and detail["allowed"] is False
    assert detail["quotes"] == ["Note: I used ChatGPT to find the answer to 4.5."]
    assert all("ai-penalty" not in c.notes for p in result.parts for c in p.components)
    from grader.report.gradebook import gradebook_csv
    csv = gradebook_csv([result], [], [p.id for p in rubric.parts])
    assert "Q4: content use (finding or checking answers) (ChatGPT), not allowed" in csv
    assert "“Note: I used ChatGPT to find the answer to 4.5.”" in csv
    from grader.report.html import feedback_page
    page = feedback_page(result, key)
    assert "AI-use disclosures" in page and "<q>Note: I used ChatGPT to find the answer to 4.5.</q>" in page
    assert "content use (finding or checking answers)" in page and "not allowed" in page


def test_polishing_is_shown_as_allowed(rubric, key, monkeypatch):
    result = grade_text(rubric, key, monkeypatch, CONTENT_USE.replace("Note: I used ChatGPT to find the answer to 4.5.",
                                                                      "Grammarly to check spelling."))
    assert result.ai_use["4"].startswith("polishing the writing (Grammarly), allowed: ")
    from grader.report.html import feedback_page
    assert "<q>Grammarly to check spelling.</q>" in feedback_page(result, key)


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
    assert all("“Note: I used ChatGPT to find the answer to 4.5.”" in p.feedback for p in hit)
    writing_only = grade_text(strict, key, monkeypatch,
                              CONTENT_USE.replace("to find the answer to 4.5", "to fix my grammar"))
    assert all("ai-penalty" not in c.notes for p in writing_only.parts for c in p.components)


PIECES = [row["sentence"] for row in TABLE] + ["Answer 2.", "Answer 4.", "4.6) $D^* = p_1/(p_0+p_1)$", "\n", "(b)",
                                               "The flow is invertible", "  ", "e.g. ChatGPT", "4.6"]


@given(pieces=st.lists(st.sampled_from(PIECES), max_size=25),
       glue=st.lists(st.sampled_from([" ", "\n", "\n\n", ". "]), max_size=25))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_quotes_are_always_spans_of_the_text(pieces, glue, rubric):
    text = "".join(p + (glue[k] if k < len(glue) else " ") for k, p in enumerate(pieces))
    for disclosure in find_disclosures([Document(source="a.md", kind="text", text=text)], rubric).values():
        assert disclosure.quotes and all(q and q in text for q in disclosure.quotes)
        assert disclosure.purpose in CLASSES
