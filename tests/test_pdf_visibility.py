"""What a TA does not see in a PDF is no answer (issue 10, item 2); text struck through in a PDF is
none either (item 3, its PDF half); an answer read from a .tex or a .md counts only if its PDF shows
it (item 1). The PDFs are drawn with PyMuPDF (tests/pdf_tricks.py); those LaTeX prints are committed
with their build scripts (fixtures/hidden_tex, fixtures/strikes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from grader.ingest.grids import Fill
from grader.ingest.limits import DEFAULT_LIMITS
from grader.ingest.pdf import read_pdf_bytes
from grader.ingest.pdf.paint import SEEN, WHITE, apart, unseen
from grader.ingest.submission import discover
from grader.kinds.base import LOW_CONFIDENCE
from grader.pipeline import grade_submission

from .pdf_tricks import (GRID_TRICKS, SIZE, STRIKES, TEXT_TRICKS, grid_pdf, hide_text, new_page, struck_pdf,
                         text_pdf)

FIXTURES = Path(__file__).parent / "fixtures"
HIDDEN_TEX = yaml.safe_load((FIXTURES / "hidden_tex" / "expected.yaml").read_text(encoding="utf-8"))
REASON = {"render mode 3": "invisible render mode", "render mode 7": "invisible render mode",
          "opacity 0": "opacity 0", "clipped away": "clipped away",
          "covered by a box": "covered by a shape", "covered by a disc": "covered by a shape",
          "hidden layer": "in a hidden layer", "background colour": "the colour of its background",
          "black on black": "the colour of its background", "3 pt": "tiny text",
          "off the page": "outside the page", "white": "white text"}
CHOICE = "3.1"


def read(data: bytes):
    return read_pdf_bytes(data, "answers.pdf", DEFAULT_LIMITS)


# --- the reader: hidden text ------------------------------------------------------------------

@pytest.mark.parametrize("trick", TEXT_TRICKS)
def test_hidden_text_is_left_out_and_reported(trick):
    doc = read(text_pdf("3.1)", "Answer: (a).", "Answer: (b).", trick))
    assert "(b)" not in doc.text and "3.1) Answer: (a)." in doc.text
    [found] = [h for h in doc.hidden if "(b)" in h.text]
    assert found.text == "3.1) Answer: (b)." and REASON[trick] in found.reason
    assert found.page == 1 and found.offset is not None and found.offset <= doc.text.index("(a)")
    assert any("cannot see" in p for p in doc.problems)


@pytest.mark.parametrize("name", sorted(n for n, e in HIDDEN_TEX.items() if e["rendered"] == "invisible"))
def test_what_pdflatex_hid_is_hidden_in_its_pdf_too(name):
    doc = read((FIXTURES / "hidden_tex" / f"{name}.pdf").read_bytes())
    assert "Zebra" not in doc.text and any("Zebra" in h.text for h in doc.hidden)
    if HIDDEN_TEX[name].get("after") == "unsure":  # the clipping path cuts the rest of the page away
        assert "Visible" not in doc.text and any("Visible" in h.text and h.reason == "clipped away" for h in doc.hidden)
    else:
        assert "4.1 Answer: (b) Visible." in doc.text


def _page(draw) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    draw(doc, page)
    return doc.tobytes()


def test_text_seen_on_or_under_what_is_drawn_stays():
    def draw(doc, page):
        page.draw_rect(pymupdf.Rect(70, 60, 260, 76), color=None, fill=(1, 1, 0))  # a highlight under it
        page.insert_text((72, 72), "yellow under Alpha", fontsize=11)
        page.insert_text((72, 100), "translucent over Bravo", fontsize=11)
        page.draw_rect(pymupdf.Rect(70, 88, 260, 104), color=None, fill=(1, 1, 0), fill_opacity=0.3)
        page.draw_rect(pymupdf.Rect(60, 112, 300, 160), color=None, fill=(0, 0, 0))  # white on a black box
        page.insert_text((72, 130), "white on black Charlie", fontsize=11, color=(1, 1, 1))
        page.insert_text((72, 150), "blue text Delta", fontsize=11, color=(0, 0, 1))
        page.insert_text((72, 180), "grey text Echo", fontsize=11, color=(0.6, 0.6, 0.6))
        page.insert_text((72, 200), "annotated Foxtrot", fontsize=11)
        page.add_highlight_annot(page.search_for("annotated Foxtrot")[0])
        page.insert_text((72, 220), "framed Golf", fontsize=11)
        page.draw_rect(pymupdf.Rect(70, 208, 160, 224), color=(0, 0, 0), width=0.6)
    doc = read(_page(draw))
    for word in ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf"):
        assert word in doc.text
    assert doc.hidden == []


def test_a_box_over_the_end_of_a_line_hides_only_what_it_covers():
    def draw(doc, page):
        page.insert_text((72, 72), "3.1) Answer: (a) and then (b) Hotel", fontsize=11)
        start = page.search_for("(b) Hotel")[0]
        page.draw_rect(pymupdf.Rect(start.x0 - 1, 60, 300, 78), color=None, fill=(1, 1, 1))
    doc = read(_page(draw))
    assert "3.1) Answer: (a) and then" in doc.text and "Hotel" not in doc.text
    assert [h.text for h in doc.hidden] == ["(b) Hotel"]


def test_an_image_over_text_covers_it():
    def draw(doc, page):
        page.insert_text((72, 72), "under the picture India", fontsize=11)
        white = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), 0)
        white.set_rect(white.irect, (255, 255, 255))
        page.insert_image(pymupdf.Rect(70, 60, 240, 78), pixmap=white)
        page.insert_text((72, 100), "over the picture Juliet", fontsize=11)
        page.insert_image(pymupdf.Rect(70, 88, 240, 106), pixmap=white, overlay=False)
    doc = read(_page(draw))
    assert "India" not in doc.text and "Juliet" in doc.text
    assert [h.reason for h in doc.hidden] == ["covered by a shape or an image drawn over it"]


# --- the reader: struck-out text ----------------------------------------------------------------

@pytest.mark.parametrize("mark", STRIKES)
def test_a_line_drawn_through_a_word_strikes_that_word(mark):
    doc = read(struck_pdf("3.1)", "(b)", "(d)", mark))
    assert "(b)" not in doc.text and "3.1) Answer:" in doc.text and "(d)." in doc.text
    assert [(h.text, h.reason) for h in doc.hidden] == [("(b)", "struck out")]
    assert any("struck-out text" in p for p in doc.problems) and not any("cannot see" in p for p in doc.problems)


def test_latex_strikeouts_are_struck_and_their_look_alikes_are_not():
    """\\sout, \\st, \\xout, \\cancel, \\xcancel, \\bcancel strike; underlines, fractions, roots,
    overlines, accents, frames, highlights, table rules and sums do not."""
    source = (FIXTURES / "strikes" / "strikes.tex").read_text()
    body = source[source.index("\\begin{document}"):]
    doc = read((FIXTURES / "strikes" / "strikes.pdf").read_bytes())
    assert "Zebra" not in doc.text
    assert doc.text.count("Keep") == body.count("Keep")
    struck = [h for h in doc.hidden if h.reason == "struck out"]
    assert len(doc.hidden) == len(struck) and sum(h.text.count("Zebra") for h in struck) == body.count("Zebra")
    for part in ("3.1", "3.2", "3.3", "3.4", "3.5", "3.6"):  # each keeps its visible option
        line = doc.text[doc.text.index(part):doc.text.index("Keep", doc.text.index(part))]
        assert len(re.findall(r"\([a-d]\)", line)) == 1, line


# --- the reader: grids --------------------------------------------------------------------------

@pytest.mark.parametrize("trick", [t for t in GRID_TRICKS if t != "faint"])
def test_an_unseen_fill_highlights_nothing(trick):
    [grid] = read(grid_pdf("1.1)", {"11", "12"}, {"33", "34"}, trick)).grids
    assert grid.cells == {"11", "12"} and grid.confidence >= LOW_CONFIDENCE
    [alone] = read(grid_pdf("1.1)", set(), {"33", "34"}, trick)).grids
    assert alone.cells is None  # nothing seen highlighted: unreadable, never an empty answer


def test_a_fill_too_faint_for_paper_sends_the_grid_to_review():
    [grid] = read(grid_pdf("1.1)", {"11", "12"}, {"33", "34"}, "faint")).grids
    assert grid.cells == {"11", "12", "33", "34"} and grid.confidence < LOW_CONFIDENCE
    assert "33, 34" in grid.note and "faintly" in grid.note


# --- the paint model ------------------------------------------------------------------------------

channel = st.floats(0, 1)
colour = st.tuples(channel, channel, channel)
BOX = (100.0, 100.0, 160.0, 112.0)


def _fill(rgb, order, opacity=1.0):
    return Fill(90, 95, 170, 118, rgb, order, opacity)


@given(colour, colour)
def test_text_in_the_colour_under_it_is_never_seen(under, text):
    fills = [_fill(under, 1)]
    assert unseen(fills, 2, under, 1.0, BOX) == "background"
    if apart(text, under) >= SEEN + 1e-9:
        assert unseen(fills, 2, text, 1.0, BOX) is None


@given(colour, colour, st.floats(0.95, 1.0))
def test_an_opaque_shape_painted_over_text_hides_it(text, cover, opacity):
    if apart(text, WHITE) >= SEEN + 1e-9:
        assert unseen([_fill(cover, 3, opacity)], 2, text, 1.0, BOX) == "covered"
        assert unseen([_fill(cover, 1, 0.0)], 2, text, 1.0, BOX) is None  # opacity 0 paints nothing


# --- grading: what the TA does not see earns nothing and costs nothing ---------------------------

def _grade(tmp_path: Path, files: dict[str, bytes], part: str = CHOICE):
    folder = tmp_path / "student"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    [sub] = discover([folder], as_one=True)
    result = grade_submission(sub, _grade.rubric, _grade.key)
    return next(p for p in result.parts if p.id == part)


@pytest.fixture(autouse=True)
def _rubric_for_grading(rubric, key):
    _grade.rubric, _grade.key = rubric, key


def _options(key) -> tuple[str, str]:
    right = key.value(CHOICE, "answer")["choices"][0]
    return right, next(o for o in "abcd" if o != right)


@pytest.mark.parametrize("trick", TEXT_TRICKS)
def test_a_hidden_answer_earns_nothing_and_costs_a_seen_one_nothing(trick, key, tmp_path):
    right, wrong = _options(key)
    part = _grade(tmp_path / "wrong", {"answers.pdf": text_pdf("3.1)", f"Answer: ({wrong}).", f"Answer: ({right}).", trick)})
    assert part.score == 0 and part.status != "correct"
    part = _grade(tmp_path / "right", {"answers.pdf": text_pdf("3.1)", f"Answer: ({right}).", f"Answer: ({wrong}).", trick)})
    assert part.status == "correct" and part.score == part.max_score


@pytest.mark.parametrize("mark", STRIKES)
def test_a_struck_answer_earns_nothing_and_costs_a_kept_one_nothing(mark, key, tmp_path):
    right, wrong = _options(key)
    part = _grade(tmp_path / "wrong", {"answers.pdf": struck_pdf("3.1)", f"({right})", f"({wrong})", mark)})
    assert part.score == 0 and part.status != "correct"
    part = _grade(tmp_path / "right", {"answers.pdf": struck_pdf("3.1)", f"({wrong})", f"({right})", mark)})
    assert part.status == "correct" and part.score == part.max_score


@pytest.mark.parametrize("trick", [t for t in GRID_TRICKS if t != "faint"])
def test_an_unseen_highlight_earns_nothing(trick, key, tmp_path):
    cells = set(key.value("1.1", "answer")["cells"])
    part = _grade(tmp_path / "wrong", {"answers.pdf": grid_pdf("1.1)", set(), cells, trick)}, "1.1")
    assert part.score == 0 and part.status == "needs_review"  # nothing seen highlighted: a TA looks
    others = {f"{r}{c}" for r in range(1, 6) for c in range(1, 6)} - cells
    part = _grade(tmp_path / "right", {"answers.pdf": grid_pdf("1.1)", cells, set(sorted(others)[:3]), trick)}, "1.1")
    assert part.status == "correct" and part.score == part.max_score


# --- grading: the PDF is the record ---------------------------------------------------------------

def _tex(answer: str, extra: str = "") -> bytes:
    return (f"\\documentclass{{article}}\n\\begin{{document}}\n\\section*{{Question 3}}\n"
            f"3.1) Answer: {answer}{extra}\n\n\\section*{{Question 4}}\n\\end{{document}}\n").encode()


def test_a_tex_and_its_pdf_that_agree_are_graded_automatically(key, tmp_path):
    right, _ = _options(key)
    part = _grade(tmp_path, {"main.tex": _tex(f"({right})."), "main.pdf": text_pdf("3.1)", f"Answer: ({right}).")})
    assert part.status == "correct" and part.score == part.max_score


def test_a_tex_that_says_what_its_pdf_does_not_show_goes_to_review(key, tmp_path):
    right, wrong = _options(key)
    part = _grade(tmp_path, {"main.tex": _tex(f"({right})."), "main.pdf": text_pdf("3.1)", f"Answer: ({wrong}).")})
    assert part.status == "needs_review" and part.score == 0
    assert f"main.tex says ({right}), main.pdf shows ({wrong})" in part.feedback


def test_an_answer_hidden_in_the_pdf_is_named_to_the_ta(key, tmp_path):
    right, _ = _options(key)
    pdf = text_pdf("3.1)", "Answer: see above.", f"Answer: ({right}).", "white")
    part = _grade(tmp_path, {"main.tex": _tex(f"({right})."), "main.pdf": pdf})
    assert part.status == "needs_review" and part.score == 0
    assert "Hidden in main.pdf" in part.feedback and "white text" in part.feedback


def test_what_the_tex_reader_cannot_decide_the_pdf_decides(key, tmp_path):
    right, wrong = _options(key)
    undecided = f" \\ifnum\\value{{page}}>1 ({wrong})\\fi"
    alone = _grade(tmp_path / "alone", {"main.tex": _tex(f"({right}).", undecided)})
    assert alone.status == "needs_review" and "cannot decide" in alone.feedback
    printed = _grade(tmp_path / "printed", {"main.tex": _tex(f"({right}).", undecided),
                                            "main.pdf": text_pdf("3.1)", f"Answer: ({right}).")})
    assert printed.status == "correct" and printed.score == printed.max_score


def test_a_scanned_pdf_confirms_nothing_its_tex_says(key, tmp_path):
    right, _ = _options(key)
    doc = pymupdf.open()
    page = doc.new_page()
    scan = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), 0)
    scan.set_rect(scan.irect, (250, 250, 250))
    page.insert_image(page.rect, pixmap=scan)
    part = _grade(tmp_path, {"main.tex": _tex(f"({right})."), "main.pdf": doc.tobytes()})
    assert part.status == "needs_review" and part.score == 0


def test_the_self_check_says_when_the_pdf_does_not_show_the_source(key, rubric, tmp_path):
    from grader.check import checked_report

    right, wrong = _options(key)
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "main.tex").write_bytes(_tex(f"({right})."))
    (folder / "main.pdf").write_bytes(text_pdf("3.1)", f"Answer: ({wrong})."))
    [sub] = discover([folder], as_one=True)
    assert "main.pdf does not show the answer read from main.tex" in checked_report(sub, rubric)
    (folder / "main.pdf").write_bytes(text_pdf("3.1)", f"Answer: ({right})."))
    assert "does not show the answer" not in checked_report(sub, rubric)


@pytest.mark.parametrize("trick", ["covered by a box", "background colour", "covered by a disc"])
def test_a_hidden_list_of_cells_is_no_answer_even_as_a_suggestion(trick, key, tmp_path):
    """Cell labels are let be on a grid's page only: a bare list of cells elsewhere is judged as text."""
    doc, page = new_page("Question 1")
    page.insert_text((72, 100), "1.1) The receptive field is:", fontsize=SIZE, fontname="helv")
    hide_text(doc, page, (72, 124), " ".join(key.value("1.1", "answer")["cells"]), trick)
    page.insert_text((72, 170), "Question 2", fontsize=13, fontname="helv")
    part = _grade(tmp_path, {"answers.pdf": doc.tobytes()}, "1.1")
    assert part.score == 0 and part.status != "correct"
