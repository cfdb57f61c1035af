"""Text TeX does not show is never an answer (issue 10, item 1, LaTeX half).

Each fixture in fixtures/hidden_tex/ writes the correct answer to 3.1 where TeX does not show it and
a correct 4.1 where it does. The reader must leave the hidden answer out of the text and report it
(with its reason; "unsure" when it cannot decide), grading must give it nothing, and the committed
PDFs (built by pdflatex, build.sh) must confirm that TeX really hides it. Conditionals are checked
against what pdflatex printed (conditionals.pdf) and, as properties, against reference evaluators.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pymupdf
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.ingest.limits import DEFAULT_LIMITS
from grader.ingest.submission import discover
from grader.ingest.tex import MacroExpander, read_tex, read_tex_source
from grader.ingest.tex.conditionals import ifthen
from grader.pipeline import grade_submission

FIXTURES = Path(__file__).parent / "fixtures" / "hidden_tex"
EXPECTED = yaml.safe_load((FIXTURES / "expected.yaml").read_text(encoding="utf-8"))
HIDDEN_WORD, VISIBLE_WORD = "Zebra", "Visible"


def read(name: str):
    [doc] = read_tex(FIXTURES / f"{name}.tex", DEFAULT_LIMITS, FIXTURES)
    return doc


def tex(body: str, preamble: str = ""):
    src = f"\\documentclass{{article}}\n{preamble}\n\\begin{{document}}\n{body}\n\\end{{document}}\n"
    return read_tex_source(src, "t.tex", DEFAULT_LIMITS)


def test_every_fixture_is_listed():
    names = {p.stem for p in FIXTURES.glob("*.tex")} - {"conditionals"}
    assert names == set(EXPECTED) and len(names) >= 40
    assert all((FIXTURES / f"{name}.pdf").exists() for name in names)


# --- the reader -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hidden_answer_is_reported_never_read(name):
    want = EXPECTED[name]
    doc = read(name)
    assert HIDDEN_WORD not in doc.text
    found = [h for h in doc.hidden if HIDDEN_WORD in h.text]
    assert found, doc.hidden
    assert any(want["reason"] in h.reason and h.unsure == want["unsure"] for h in found), found
    assert all(h.offset is not None and 0 <= h.offset <= len(doc.text) for h in found)
    if want.get("after") == "unsure":  # what follows on the page may be cut away: not read either
        assert VISIBLE_WORD not in doc.text and any(VISIBLE_WORD in h.text and h.unsure for h in doc.hidden)
    else:
        assert "4.1 Answer: (b) Visible." in doc.text
    assert any("cannot see" in p or "cannot tell" in p or "struck-out" in p for p in doc.problems)


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e["rendered"] == "branch"))
def test_an_undecided_conditional_is_anchored_in_its_part(name):
    doc = read(name)
    start, end = doc.text.index("3.1 Answer:"), doc.text.index("Question 4")
    unsure = [h for h in doc.hidden if h.unsure]
    assert len(unsure) == 2 and all(start <= h.offset <= end for h in unsure)  # both branches, in 3.1


# --- grading ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_point_from_hidden_text(name, rubric, key, tmp_path):
    shutil.copy(FIXTURES / f"{name}.tex", tmp_path / f"{name}.tex")  # the .tex alone: nothing to fall back on
    [sub] = discover([tmp_path / f"{name}.tex"])
    parts = {p.id: p for p in grade_submission(sub, rubric, key).parts}
    assert parts["3.1"].score == 0 and parts["3.1"].status != "correct"
    if EXPECTED[name].get("after") != "unsure":
        assert parts["4.1"].score == parts["4.1"].max_score  # the visible answer still counts


# --- what pdflatex did --------------------------------------------------------------------------------

def _seen(pdf: pymupdf.Document, word: str) -> tuple[bool, bool]:
    """(in the text layer, seen): seen when a box of the word lies on the page, is not tiny, and
    its pixels are not all of one colour."""
    found = seen = False
    for page in pdf:
        for rect in page.search_for(word):
            found = True
            clip = rect & page.rect
            if clip.is_empty or clip.width < 1 or clip.height < 2:
                continue
            samples = page.get_pixmap(clip=clip, dpi=150, colorspace=pymupdf.csGRAY).samples
            seen = seen or max(samples) - min(samples) > 40
    return found, seen


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e["rendered"] in ("absent", "invisible")))
def test_tex_really_hides_the_answer(name):
    with pymupdf.open(FIXTURES / f"{name}.pdf") as pdf:
        found, seen = _seen(pdf, HIDDEN_WORD)
        assert not seen
        if EXPECTED[name]["rendered"] == "absent":
            assert not found
        if EXPECTED[name].get("after") != "unsure":
            assert _seen(pdf, VISIBLE_WORD)[1]


def _struck(page: pymupdf.Page, word: str) -> bool:
    """A line through the word: a rule drawn across its middle (ulem, soul), or glyphs of the line
    font (the cancel package) or slashes (ulem's \\xout) printed over it."""
    [box] = page.search_for(word)
    middle = (box.y0 + box.height / 4, box.y1 - box.height / 4)
    for drawing in page.get_drawings():
        r = drawing["rect"]
        if r.x0 < box.x1 and r.x1 > box.x0 and r.y0 <= middle[1] and r.y1 >= middle[0]:
            return True
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                marks = span["font"].upper().startswith("LINE") or "///" in span["text"]
                if marks and pymupdf.Rect(span["bbox"]).intersects(box):
                    return True
    return False


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e["rendered"] == "struck"))
def test_tex_really_strikes_the_answer(name):
    with pymupdf.open(FIXTURES / f"{name}.pdf") as pdf:
        assert _seen(pdf, HIDDEN_WORD)[1] and _struck(pdf[0], HIDDEN_WORD)
        assert not _struck(pdf[0], VISIBLE_WORD)


def test_conditionals_decide_as_tex_did():
    doc = read("conditionals")
    ours = re.findall(r"c\d\d=\w?", doc.text)
    with pymupdf.open(FIXTURES / "conditionals.pdf") as pdf:
        printed = re.findall(r"c\d\d=\w", pdf[0].get_text())
    assert len(printed) == 26 and ours == printed
    assert not any(h.unsure for h in doc.hidden)


# --- more constructs ----------------------------------------------------------------------------------

def test_a_macro_defined_in_an_undecided_branch_makes_its_uses_unsure():
    doc = tex(r"\ans{3.1 Answer: (b)} done",
              r"\newcommand{\ans}[1]{#1}\ifnum\value{page}>1 \renewcommand{\ans}[1]{}\fi")
    assert "Answer" not in doc.text and "done" in doc.text
    assert [h.unsure for h in doc.hidden if "Answer" in h.text] == [True]


def test_definitions_and_flags_are_local_to_their_group():
    doc = tex(r"{\renewcommand{\show}[1]{#1}} \show{3.1 Answer: (b)} {\answerstrue} \ifanswers (c) \fi",
              r"\newcommand{\show}[1]{}\newif\ifanswers")
    assert "Answer" not in doc.text and "(c)" not in doc.text
    global_ = tex(r"{\global\answerstrue} \ifanswers (c) \fi", r"\newif\ifanswers")
    assert "(c)" in global_.text


def test_a_dark_page_with_light_ink_is_read():
    doc = tex(r"\pagecolor{black}\color{white} 3.1 Answer: (b) \textcolor{black}{gone}", r"\usepackage{xcolor}")
    assert "3.1 Answer: (b)" in doc.text and "gone" not in doc.text


def test_a_box_used_later_is_shown_where_it_is_used():
    doc = tex(r"\sbox{\b}{3.1 Answer: (b)} before \usebox{\b} after", r"\newsavebox{\b}")
    assert "before 3.1 Answer: (b) after" in " ".join(doc.text.split()) and doc.hidden == []


def test_includeonly_and_input_if_file_exists(tmp_path):
    (tmp_path / "q3.tex").write_text("3.1 Answer: (b)")
    (tmp_path / "q4.tex").write_text("4.1 Answer: (b)")
    (tmp_path / "main.tex").write_text(
        "\\documentclass{article}\\includeonly{q4}\\begin{document}\\include{q3}\\include{q4}\n"
        "\\InputIfFileExists{q3}{found}{missing}\\InputIfFileExists{nowhere}{yes}{no}\\end{document}")
    [doc] = read_tex(tmp_path / "main.tex", DEFAULT_LIMITS, tmp_path)
    assert "4.1 Answer: (b)" in doc.text and "found" in doc.text
    assert doc.text.count("3.1 Answer: (b)") == 1  # only through \InputIfFileExists, which finds it
    assert {h.text for h in doc.hidden if not h.unsure} >= {"3.1 Answer: (b)", "missing"}
    assert {h.text for h in doc.hidden if h.unsure} == {"yes", "no"}  # nowhere.tex may be on their machine


def test_invisible_parts_of_a_formula_are_left_out():
    doc = tex(r"$x = \phantom{5} 3 + \textcolor{white}{7}$", r"\usepackage{xcolor}")
    assert "$x =  3 + $" in doc.text
    assert sorted(h.text for h in doc.hidden) == ["5", "7"]


# --- property tests: conditionals ------------------------------------------------------------------------

WORDS = [f"w{a}{b}" for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz"]


@st.composite
def conditional_trees(draw, depth=0):
    """[("text", w) | ("if", test, value, then, else_or_None)] with unique words."""
    items = []
    for _ in range(draw(st.integers(0, 3))):
        if depth < 3 and draw(st.booleans()):
            test, value = draw(st.sampled_from([
                (r"\iftrue", True), (r"\iffalse", False), (r"\ifnum 1<2", True), (r"\ifnum 3<2", False),
                (r"\ifodd 3", True), (r"\ifshow", True), (r"\ifhide", False), (r"\unless\ifhide", True),
                (r"\ifx\aa\bb", False), (r"\ifx\aa\aa", True), (r"\ifdim 2pt>1pt", True)]))
            then = draw(conditional_trees(depth + 1))
            other = draw(st.none() | conditional_trees(depth + 1))
            items.append(("if", test, value, then, other))
        else:
            items.append(("text", None, None, None, None))
    return items


def _render(tree, words) -> tuple[str, list[str], list[str]]:
    """(source, words TeX shows, words it skips)."""
    src, shown, skipped = [], [], []
    for kind, test, value, then, other in tree:
        if kind == "text":
            word = words.pop()
            src.append(word)
            shown.append(word)
            continue
        a_src, a_shown, a_skipped = _render(then, words)
        src.append(f"{test} {a_src}")
        b_src, b_shown, b_skipped = ("", [], []) if other is None else _render(other, words)
        if other is not None:
            src.append(f"\\else {b_src}")
        src.append("\\fi")
        shown += a_shown if value else b_shown
        skipped += a_skipped + b_skipped + (b_shown if value else a_shown)
    return " ".join(src), shown, skipped


@given(conditional_trees())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_nested_conditionals_show_what_tex_shows(tree):
    body, shown, skipped = _render(tree, list(WORDS))
    doc = tex(body, r"\newif\ifshow \showtrue \newif\ifhide \newcommand\aa{a}\newcommand\bb{b}")
    assert re.findall(r"w[a-z]{2}", doc.text) == shown
    hidden = " ".join(h.text for h in doc.hidden)
    assert all(word in hidden for word in skipped)
    assert not any(h.unsure for h in doc.hidden)


ATOMS = [(r"\equal{a}{a}", True), (r"\equal{a}{b}", False), (r"\boolean{yes}", True), (r"\boolean{no}", False),
         ("1 < 2", True), ("2 < 1", False), (r"\isodd{3}", True), (r"\isodd{2}", False),
         (r"\equal{\thepage}{1}", None), (r"\value{page} > 1", None)]


@st.composite
def ifthen_conditions(draw, depth=0):
    """(condition text, value in ifthen's own reading: \\AND and \\OR left to right, no precedence)."""
    parts, value = [], None
    for n in range(draw(st.integers(1, 4))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            inner, v = draw(ifthen_conditions(depth + 1))
            text = f"\\( {inner} \\)"
        else:
            text, v = draw(st.sampled_from(ATOMS))
        for _ in range(draw(st.integers(0, 2))):
            text, v = f"\\NOT {text}", None if v is None else not v
        if n == 0:
            value = v
        else:
            op = draw(st.sampled_from(["\\AND", "\\OR"]))
            parts.append(op)
            value = _kleene(op, value, v)
        parts.append(text)
    return " ".join(parts), value


def _kleene(op, a, b):
    if op == "\\OR":
        return True if a is True or b is True else (None if None in (a, b) else False)
    return False if a is False or b is False else (None if None in (a, b) else True)


@given(ifthen_conditions())
@settings(max_examples=300, deadline=None)
def test_ifthen_conditions_evaluate_left_to_right_in_three_valued_logic(case):
    condition, value = case
    expander = MacroExpander()
    expander.expand(r"\newboolean{yes}\setboolean{yes}{true}\newboolean{no}")
    assert ifthen(condition, expander) is value


@given(st.integers(-99, 99), st.sampled_from("<=>"), st.integers(-99, 99))
@settings(max_examples=100, deadline=None)
def test_ifnum_compares_numbers(a, rel, b):
    doc = tex(rf"\ifnum {a}{rel}{b} yes\else no\fi")
    expected = {"<": a < b, "=": a == b, ">": a > b}[rel]
    assert ("yes" in doc.text, "no" in doc.text) == (expected, not expected)


HOSTILE = st.lists(st.sampled_from(list("ab {}[]\\$&#~^_\n0123()=<>`") + [
    r"\iffalse", r"\iftrue", r"\fi", r"\else", r"\or", r"\ifnum", r"\ifx", r"\ifcase", r"\newif\ifq", r"\qtrue",
    r"\ifq", r"\unless", r"\ifthenelse{\equal{a}{a}}", r"\catcode`\Z=14", "Z", r"\catcode`\|=13", "|",
    r"\catcode`\Q=1", r"\setbox0\vbox\bgroup", r"\egroup", r"\usebox", r"\sbox", r"\color{white}",
    r"\pagecolor{black}", r"\pdfliteral{3 Tr}", r"\pdfliteral{7 Tr}", r"\begin{comment}", r"\end{comment}",
    r"\let\a\@gobble", r"\a", r"\def\h#1\e{}", r"\h", r"\e", r"\NewEnviron{z}{}", r"\begin{z}", r"\end{z}",
    r"\begin{document}", r"\IfFileExists{a}", r"\phantom", r"\hspace*{-100cm}", r"\tikz", r"\node[opacity=0]",
    r"\begin{tabular}{c}", r"\end{tabular}", r"\cellcolor{black}", "#1", r"\newcommand", r"\def"]),
    max_size=60).map("".join)


@given(HOSTILE)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hostile_sources_leave_no_marker_and_anchor_every_record(src):
    from grader.ingest.limits import Limits, RejectedFile

    try:
        doc = read_tex_source(src, "fuzz.tex", Limits(max_text_chars=50_000))
    except RejectedFile:
        return
    assert not re.search("[\ue000-\ue002\U000F0000-\U000FFFFD]", doc.text)
    assert all(h.offset is None or 0 <= h.offset <= len(doc.text) for h in doc.hidden)
    assert all(h.text and "\ue002" not in h.text for h in doc.hidden)
