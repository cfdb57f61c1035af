"""Struck-out text is seen and withdrawn: never an answer (issue 10, item 3).

The LaTeX reader's fixtures (fixtures/hidden_tex/struck_*.tex, with the PDFs pdflatex made of them)
are checked in test_hidden_tex.py; here: strikeouts inside formulas, and Markdown's `~~text~~` and
HTML tags, as properties over the text around them.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.ingest.document import STRUCK_OUT
from grader.ingest.limits import DEFAULT_LIMITS
from grader.ingest.submission import discover
from grader.ingest.tex import read_tex_source
from grader.ingest.text import without_struck_out
from grader.pipeline import grade_submission


def tex(body: str, preamble: str = "\\usepackage{ulem,soul,cancel}"):
    src = f"\\documentclass{{article}}\n{preamble}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    return read_tex_source(src, "t.tex", DEFAULT_LIMITS)


@pytest.mark.parametrize("macro", ["sout", "xout", "st", "strike", "cancel", "bcancel", "xcancel", "strikeThrough"])
def test_every_strikeout_macro_leaves_its_argument_out(macro):
    doc = tex(f"Answer: \\{macro}{{(b) Zebra}} (c).")
    assert "Zebra" not in doc.text and "(c)" in doc.text
    [record] = doc.hidden
    assert record.reason == STRUCK_OUT and not record.unsure and record.text == "(b) Zebra"
    assert doc.text[record.offset:].startswith(" (c)")
    assert any("struck-out" in p for p in doc.problems)


def test_struck_terms_leave_a_formula_and_cancelto_keeps_its_value():
    doc = tex(r"$$J = \frac{\cancel{a} b}{\cancel{a} c} + \cancelto{0}{\log Z} + \bcancel{e}$$")
    assert "\\frac{ b}{ c} + 0 + $$" in doc.text
    assert [h.text[-1] for h in doc.hidden] == ["a", "a", "Z", "e"]  # reports show formulas as text
    assert all(h.reason == STRUCK_OUT for h in doc.hidden)


def test_a_strikeout_hidden_in_a_macro_of_ones_own_is_still_struck():
    doc = tex("\\newcommand{\\nope}[1]{\\sout{#1}}\\let\\gone\\cancel Answer: \\nope{(a)} \\gone{(b)} (d).")
    assert "(a)" not in doc.text and "(b)" not in doc.text and "(d)" in doc.text
    assert {h.text for h in doc.hidden} == {"(a)", "(b)"}
    doc = tex("\\let\\gone\\cancel $x = \\gone{y} + 1$")
    assert "y" not in doc.text and [h.text for h in doc.hidden] == ["y"]


def test_underlining_and_highlighting_are_not_strikeouts():
    doc = tex("Answer: \\ul{(b)} \\uline{really} \\hl{(b)}.")
    assert doc.text.count("(b)") == 2 and not doc.hidden


# --- Markdown ------------------------------------------------------------------------------------------

_WORDS = st.text(alphabet=string.ascii_letters + " ().,:", min_size=0, max_size=30)
_STRUCK = st.text(alphabet=string.ascii_letters + "().", min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@given(_WORDS, _STRUCK, _WORDS, st.sampled_from(["~~{}~~", "<del>{}</del>", "<s>{}</s>", "<strike>{}</strike>"]))
def test_markdown_strikeouts_are_left_out_at_their_place(before, struck, after, form):
    text = f"{before} {form.format(struck)} {after}"
    kept, hidden = without_struck_out(text)
    assert kept == f"{before}  {after}"
    [record] = hidden
    assert record.text == struck and record.reason == STRUCK_OUT and record.offset == len(before) + 1


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="~`ab \n()", max_size=80))
def test_markdown_strikeouts_only_ever_remove_text(text):
    kept, hidden = without_struck_out(text)
    assert len(kept) + sum(len(h.text) for h in hidden) <= len(text)
    assert all(0 <= h.offset <= len(kept) for h in hidden)
    assert [h.offset for h in hidden] == sorted(h.offset for h in hidden)


@pytest.mark.parametrize("text", [
    "```\nAnswer ~~(b)~~\n```\n", "~~~\n~~(b)~~\n~~~\n", "Use `~~(b)~~` in Markdown.", "x ~~ y ~~ z",
    "~~(b)\n\n(c)~~", "~~~(b)~~~"])
def test_code_and_loose_tildes_strike_nothing(text):
    assert without_struck_out(text) == (text, [])


def test_a_struck_markdown_answer_earns_nothing(rubric, key, tmp_path):
    wrong = next(o for o in rubric.part("3.1").components[0].settings.options if o not in key.value("3.1", "answer")["choices"])
    right = key.value("3.1", "answer")["choices"][0]
    (tmp_path / "answers.md").write_text(f"# A3\n\n### 3.1)\n\nAnswer: ~~({right})~~ ({wrong})\n")
    [sub] = discover([tmp_path], as_one=True)
    result = grade_submission(sub, rubric, key)
    part = next(p for p in result.parts if p.id == "3.1")
    assert part.score == 0
    assert any("struck out" in h for h in result.hidden_text)
