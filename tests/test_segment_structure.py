"""Segmentation's new signals, one at a time: part ids as paths, the question text's structure,
the alignment of copied statements, enumerations, relative component markers, the French gloss."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.analyses.language import fold, gloss, language
from grader.ingest.document import Document, GridFinding
from grader.part_ids import part_path, question_of
from grader.rubric import load_rubric
from grader.segment import outline_of, question_text_of, segment
from grader.segment.anchors import align
from grader.segment.components import split_components
from grader.segment.question_text import build_question_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def model(rubric):
    return question_text_of(rubric)


def doc(text: str, grids=()) -> Document:
    return Document(source="answers.txt", kind="text", text=text, grids=list(grids))


# ------------------------------------------------------------------------------------ part ids

@pytest.mark.parametrize("part_id, path", [
    ("1.1", (1, 1)), ("3.2a", (3, 2, 1)), ("4.6b", (4, 6, 2)), ("2", (2,)), ("2a", (2, 1)),
    ("2.1.b", (2, 1, 2)), ("1.10", (1, 10)), ("Q3.4.ii", (3, 4, 2)), ("part2", (2,)),
])
def test_part_ids_are_paths_of_ordinals(part_id, path):
    assert part_path(part_id) == path and question_of(part_id) == path[0]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_part_path_never_fails(part_id):
    path = part_path(part_id)
    assert all(isinstance(n, int) and n >= 0 for n in path)


# ------------------------------------------------------------------------------------ the question text

def test_the_question_text_is_cut_into_each_parts_statement(model):
    labels = [b.label for b in model.blocks]
    for part in ("1.1", "1.4", "2.1", "3.1", "3.2a", "3.2b", "3.3", "3.4a", "4.1", "4.5", "4.6a", "4.6b", "5.1", "5.4"):
        assert part in labels, part
    assert "G3.2" in labels and "G4.6" in labels  # the text 3.2a and 3.2b share
    # Question 4 numbers its parts with bullets: the list as long as its parts
    first = next(b for b in model.blocks if b.label == "4.1")
    assert " ".join(model.words[first.first:first.first + 4]) == "consider generative adversarial network"
    assert model.titles[1] == ("Autoregressive Models",)


def test_a_handout_without_question_words_is_numbered_by_its_outer_list(rubric):
    text = textwrap.dedent("""\
        1. (10 points) Reparameterization of the encoder
        Consider a model with a latent variable.
        (a) Show that the mean is preserved by the transformation.
        (b) Derive the covariance of the transformed variable.
        2. (10 points) Importance weighted bounds
        (a) Show that the bound holds for every number of samples.
        """)
    model = build_question_text(text, rubric)
    assert [b.label for b in model.blocks][:4] == ["intro", "other", "Q2", "other"] or "Q2" in [b.label for b in model.blocks]
    assert model.titles[2] == ("Importance weighted bounds",)


# ------------------------------------------------------------------------------------ alignment

STATEMENT_21 = ("Show that the forward KL divergence between the data distribution and its approximation "
                "can be expressed as the reverse KL divergence between the base distribution and its approximation.")


def test_a_copied_statement_starts_its_part_whatever_the_numbering(rubric, model):
    text = (f"Answers\n{STATEMENT_21}\nMy answer: by the change of variables x = F(u) tok21 the Jacobians cancel.\n"
            "Question 3\n3.1) (b) tok31\n")
    fragments = segment(doc(text), rubric, model)
    assert "tok21" in fragments["2.1"].text and "statement of 2.1" in fragments["2.1"].how
    assert "forward KL divergence between the data" not in fragments["2.1"].text  # blanked: not an answer


def test_a_students_sentence_reusing_the_questions_words_is_not_blanked(rubric, model):
    sentence = "I would use the forward KL for scenario 1 and the reverse KL for scenario 2."
    found = outline_of(f"Answer 2.\n2.2) {sentence}\n", rubric, model)
    assert sentence in found.text and not found.runs


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([STATEMENT_21, "tok", "2.1)", "\n", " ", "Question 2", "x = F(u)", "é", "-\n"]),
                max_size=30))
def test_alignment_runs_lie_in_the_text_and_blanking_keeps_offsets(rubric, model, pieces):
    text = "".join(pieces)
    runs = align(text, model)
    assert all(0 <= r.start < r.end <= len(text) for r in runs)
    blanked = outline_of(text, rubric, model).text
    assert len(blanked) == len(text)
    assert [i for i, c in enumerate(text) if c == "\n"] == [i for i, c in enumerate(blanked) if c == "\n"]


# ------------------------------------------------------------------------------------ enumerations

def test_items_under_answer_n_number_the_questions_parts(rubric, model):
    text = ("Answer 4.\n1.\nThe discriminator does not classify apples: (b) tok41\n2.\n(b) tok42\n3.\n(b) tok43\n"
            "4.\nThe non-saturating cost (B) tok44\n5.\nThe losses are relative tok45\n6.\n(a) tok46a\n(b) tok46b\n")
    fragments = segment(doc(text), rubric, model)
    for part in ("4.1", "4.2", "4.3", "4.4", "4.5", "4.6a", "4.6b"):
        assert f"tok{part.replace('.', '')}" in fragments[part].text, part


def test_a_list_of_the_students_own_inside_an_answer_is_not_taken_for_parts(rubric, model):
    text = ("Answer 3.\n1.\n(b) tok31, because:\n1. the decoder is a network\n2. z has many dimensions\n"
            "3. so the integral has no closed form\n")
    fragments = segment(doc(text), rubric, model)
    assert "z has many dimensions" in fragments["3.1"].text
    assert "3.2a" not in fragments and "3.3" not in fragments


def test_a_heading_the_rubric_does_not_grade_ends_the_span_above(rubric, model):
    text = "Q2.2) tok22 forward and reverse\n2.3) An extra question the rubric skips: not 2.2's answer\n"
    fragments = segment(doc(text), rubric, model)
    assert "extra question" not in fragments["2.2"].text


def test_numbering_one_behind_is_recognised_and_sent_to_review(tmp_path):
    rubric_file = tmp_path / "r.yaml"
    rubric_file.write_text(textwrap.dedent("""\
        id: t
        title: t
        total: 6
        parts:
          - {id: "1.1", title: a grid, points: 3, kind: grid, key: {literal: ["11", "12"]}}
          - {id: "1.2", title: words, points: 3, kind: prose, automatic: false,
             settings: {items: [{id: jensen, points: 1, description: Jensen, hints: ['jensen'], }]}}
        """), encoding="utf-8")
    rubric = load_rubric(rubric_file)
    text = ("Question 1\nThe field is shaded in the figure below, as computed from both masks.\n(grid)\n"
            "1.1\nBy Jensen's inequality on the concave logarithm the bound follows for every sample size.\n")
    grid = GridFinding(text.index("(grid)"), frozenset({"11", "12"}), "pdf-fill", 0.95)
    fragments = segment(doc(text, [grid]), rubric, question_text_of(rubric))
    assert fragments["1.1"].answer_grids == (grid,)
    assert "one behind" in fragments["1.2"].how and fragments["1.2"].confidence < 0.75
    assert "Jensen" in fragments["1.2"].text


# ------------------------------------------------------------------------------------ component markers

@pytest.mark.parametrize("text", [
    "Scenario 1: reverse KL, no samples.\nScenario 2: forward KL.",
    "Scénario n°1 : la KL inverse.\nScénario n°2 : la KL directe.",
    "(a) reverse KL\n(b) forward KL",
    "In the first scenario the reverse KL. In the second scenario the forward KL.",
    "2.2.1 reverse KL\n2.2.2 forward KL",
])
def test_ordinal_markers_split_a_part_into_its_sub_questions(rubric, text):
    from grader.kinds.base import Fragment

    part = rubric.part("2.2")
    pieces = split_components(part, Fragment("2.2", text, "test", 0.95))
    assert "rever" in pieces["scenario_1"].text.lower() or "inverse" in pieces["scenario_1"].text
    assert "forward" in pieces["scenario_2"].text.lower() or "directe" in pieces["scenario_2"].text
    assert "forward" not in pieces["scenario_1"].text.lower() and "directe" not in pieces["scenario_1"].text


# ------------------------------------------------------------------------------------ French

def test_french_is_recognised_and_glossed():
    text = "Le papier ne présente pas de nouveauté technique. Les expériences sont rigoureuses; la KL inverse."
    assert language(text) == "fr" and language("The paper is novel and the experiments are thorough.") == "en"
    glossed = gloss(text)
    for word in ("novelty", "experiments", "rigorous", "reverse kl"):
        assert word in glossed


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_folding_keeps_every_offset(text):
    assert len(fold(text)) == len(text)


def test_an_item_alone_on_its_line_then_one_with_its_text_are_one_list(rubric, model):
    text = "Answer 3.\n1.\n(b) tok31 since the decoder is a network\n2. (a) tok32a by the KL. (b) tok32b by Jensen.\n"
    fragments = segment(doc(text), rubric, model)
    assert "tok31" in fragments["3.1"].text and "tok32a" not in fragments["3.1"].text
    assert "tok32a" in fragments["3.2a"].text or "tok32a" in fragments.get("3.2b", fragments["3.2a"]).text


def test_the_seed_is_segmented_by_its_own_headings(rubric, model):
    seed = ROOT / "submissions_example" / "000_af16c1991d1beaae.txt"
    fragments = segment(doc(seed.read_text(encoding="utf-8")), rubric, model)
    for part in ("1.1", "1.2", "1.3", "1.4"):  # a grid's labels written as text are an answer's content
        assert fragments[part].how.startswith(f"heading 'Q{part})'"), fragments[part].how
    assert fragments["2.1"].how.startswith("heading 'Answer 2. 2.1)'")


def _whole_question_rubric(tmp_path):
    """Part 1.1, and part "5" that is the whole of question 5."""
    rubric_file = tmp_path / "r.yaml"
    rubric_file.write_text(textwrap.dedent("""\
        id: t
        title: t
        total: 4
        parts:
          - {id: "1.1", title: a, points: 2, kind: choice, key: {literal: b}, settings: {options: {a: A, b: B}}}
          - {id: "5", title: whole, points: 2, kind: choice, key: {literal: a}, settings: {options: {a: A, b: B}}}
        """), encoding="utf-8")
    return load_rubric(rubric_file)


@pytest.mark.parametrize("heading", ["## Question 5", "Question 5", "\\section*{Question 5}", "**Question 5**"])
def test_a_part_that_is_a_whole_question_opens_at_its_questions_heading(tmp_path, heading):
    rubric = _whole_question_rubric(tmp_path)
    text = f"Answer 1.1\nAnswer: (b) tok11\n\n{heading}\nAnswer: (a) tok5\n"
    fragments = segment(doc(text), rubric, question_text_of(rubric))
    assert "tok5" in fragments["5"].text and "tok11" not in fragments["5"].text
    assert "tok11" in fragments["1.1"].text


def test_answer_markers_of_one_question_do_not_hide_another_questions_headings(tmp_path):
    rubric = _whole_question_rubric(tmp_path)
    text = "Réponse 1.1 : (b) tok11\n\nRéponse 5 : (a) tok5\n"
    fragments = segment(doc(text), rubric, question_text_of(rubric))
    assert "tok11" in fragments["1.1"].text and "tok5" in fragments["5"].text


STATEMENT_46B = ("For the second part, we want to demonstrate that a optimal GAN Discriminator (i.e. one which is able "
                 "to distinguish between examples from p_0 and p_1 with minimal NLL loss) can be used to express the "
                 "probability density of a datapoint x under f_1, f_1(x) in terms of f_0(x). Assume f_0 and f_1 have "
                 "the same support. Show that f_1(x) can be estimated by f_0(x)D(x)/(1 - D(x)) by establishing the identity")


@pytest.mark.parametrize("copied", [
    "\n$$f_1(x) = f_0(x) D^*(x)/(1 - D^*(x))$$\n",  # displayed on its own line
    " $f_1(x) = f_0(x)D^*(x)/(1 - D^*(x))$.\n",  # inline, as the question text has it
    "\n\n   f1(x) = f0(x)D∗(x)/(1 −D∗(x))\n",  # as a PDF's text layer gives it
])
def test_the_equation_a_copied_statement_displays_is_copied_too(rubric, model, copied):
    conclusion = r"Therefore $f_1(x) = f_0(x)D^*(x)/(1 - D^*(x))$."
    text = f"Question 4\n4.6b) {STATEMENT_46B}{copied}Answer: D* maximises the integrand pointwise tok46b. {conclusion}\n"
    found = outline_of(text, rubric, model)
    assert "establishing the identity" not in found.text and "tok46b" in found.text
    assert "f_1(x) = f_0(x)" not in found.text.split("Answer:")[0]  # the copy: blanked
    assert conclusion in found.text  # the student's own conclusion, after the derivation: kept
    assert len(found.text) == len(text)


def test_an_equation_the_question_text_does_not_display_is_the_students():
    from grader.segment.question_text import formula_key

    assert formula_key(r"$f_1(\mathbf{x}) = f_0(\mathbf{x})D^*(\mathbf{x})/(1 - D^*(\mathbf{x}))$") == \
        formula_key("f1(x) = f0(x)D∗(x)/(1 −D∗(x))") == "f1=f0d*/1-d*"
    assert formula_key("x = 1") == ""  # too short to recognise safely
    assert formula_key("the identity") == ""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["f_1(x)", " = ", "D^*", "∗", "−", "\\frac{a}{b}", "$", "(", ")", "{", "}", "\\mathbf{x}",
                                 "identity", " the ", "x", "1", "\\left(", "."]), max_size=30).map("".join))
def test_an_equations_key_is_read_from_any_line_without_failing(line):
    from grader.segment.question_text import _equation_keys, formula_key

    key = formula_key(line)
    assert key == "" or ("=" in key and len(key) >= 6 and set(key) <= set("abcdefghijklmnopqrstuvwxyz0123456789=+-*/<>≤≥"))
    assert all(k and "=" in k for k in _equation_keys(line))
