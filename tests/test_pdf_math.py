"""The formula reader's parts: glyph meanings, the 2-D layout read back (property-tested against a
small typesetter that places glyphs as TeX does), the answer's choice among equations, boxes, and
formula offsets through the document's tidying and segmentation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.ingest.document import Document, MathSpan, tidied
from grader.ingest.limits import DEFAULT_LIMITS
from grader.ingest.pdf import read_pdf
from grader.ingest.pdf.formula import read
from grader.ingest.pdf.glyphs import ASCENT, DESCENT, Glyph, Rule
from grader.ingest.pdf.mathtree import Frac, Scripted, Sym, latex
from grader.ingest.pdf.symbols import family, meaning
from grader.mathexpr.answer import choose
from grader.mathexpr.equations import find_equations, unbox

FORMULAS = Path(__file__).parent / "fixtures" / "formulas"

# ------------------------------------------------------------------------------ glyph meanings


def test_extension_font_codes_are_read_by_font():
    assert meaning("X", "ABCDEF+CMEX10") == (r"\sum", "op")  # display sum
    assert meaning("P", "CMEX10") == (r"\sum", "op")  # text sum
    assert meaning("Z", "CMEX10") == (r"\int", "int")
    assert meaning("\x12", "CMEX10") == ("(", "open")  # \bigg(
    assert meaning("\x15", "CMEX10") == ("]", "close")
    assert meaning("r", "CMEX10") == (r"\sqrt", "radical")
    assert meaning("X", "CMR10") == ("X", "ord")  # the same code in a text font is a letter


def test_delimiters_built_from_pieces_are_read_as_one_delimiter():
    # pdflatex sets a \left\{ taller than \Bigg from pieces the text layer names by private-use codes
    assert meaning("\uf8f1", "CMEX10") == (r"\{", "piece")
    assert meaning("\uf8fb", "ABCDEF+CMEX10") == ("]", "piece")
    doc = read_pdf(FORMULAS / "extensible.pdf", DEFAULT_LIMITS)[0]
    read = [m.latex for m in doc.math]
    assert read[0].startswith(r"\mathcal{L}_k &= \mathbb{E}_{z_{1:k} \sim q(z|x)}\left\{\log\frac{1}{k}\sum_{j = 1}^k")
    assert r"\frac{p(x, z_j)}{q(z_j|x)}\right\} \\" in read[0]
    assert r"&\le \log\mathbb{E}\left(\frac{1}{k}" in read[0] and read[0].endswith(r"\prod_{i = 1}^nb_i}\right]")
    # two braces one above the other at one x are two delimiters, and their rows stay apart
    assert read[1:] == [r"A = \left\{\frac{\sum_{j = 1}^ka_j}{\sum_{i = 1}^nb_i}\right\}",
                        r"B = \left\{\frac{\sum_{j = 1}^kc_j}{\sum_{i = 1}^nd_i}\right\}"]


def test_long_arrows_drawn_as_two_glyphs_are_one_relation():
    doc = read_pdf(FORMULAS / "arrows.pdf", DEFAULT_LIMITS)[0]
    assert [m.latex for m in doc.math] == [
        r"\mathcal{L}_K \le \log p(x) \implies \mathcal{L}_K",
        "a = b \\iff c \\impliedby d \\\\\nx \\longrightarrow y, u \\implies v, s \\longleftarrow t",
        r"a = b \implies c = d", r"p \Rightarrow q",
        r"x = \Rightarrow"]  # side by side, not drawn into each other: two relations


def test_a_radical_is_read_with_its_own_bar_whatever_surrounds_it():
    doc = read_pdf(FORMULAS / "radicals.pdf", DEFAULT_LIMITS)[0]
    # its bar takes no numerator from the line above
    assert doc.text.splitlines()[:2] == [
        "2.3 Setting both partial derivatives to zero gives $(d^*, g^*) = (1, - 2)$.",
        r"2.4 $\rho(M) = \sqrt{1 + 0.1^2}$."]
    # in a numerator or a denominator, with its fraction; taller than cmex's largest, from its pieces
    assert [m.latex for m in doc.math][2:] == [
        r"\frac{\sqrt{a}}{b} = \sqrt{\frac{a}{b^2}}", "b > 0", r"\lambda = \frac{3 \pm \sqrt{5}}{2}",
        r"x = \frac{1}{\sqrt{2}}", r"y = \frac{- b \pm \sqrt{b^2 - 4ac}}{2a}.",
        r"\sigma = \sqrt{\frac{1}{n}\sum_{i = 1}^n(x_i - \mu)^2}"]


def test_fonts_give_letters_their_alphabet():
    assert meaning("L", "CMSY10")[0] == r"\mathcal{L}"
    assert meaning("E", "MSBM10")[0] == r"\mathbb{E}"
    assert meaning("𝔼", "LatinModernMath-Regular")[0] == r"\mathbb{E}"
    assert meaning("𝜎", "LatinModernMath-Regular")[0] == r"\sigma"
    assert meaning("𝑥", "LatinModernMath-Regular")[0] == "x"
    assert meaning("𝐖", "LatinModernMath-Regular")[0] == r"\mathbf{W}"
    assert meaning("\x02", "MSAM10")[0] == r"\boxtimes"
    assert meaning("\ufffd", "CMSY10") == ("?", "unknown")
    assert family("XYZABC+LatinModernMath-Regular") == "umath" and family("CMMI7") == "mi"
    assert family("NimbusRomNo9L-Regu") == "text"


# ------------------------------------------------------------------------------ a small typesetter

@dataclass
class _Box:
    glyphs: list
    rules: list
    width: float
    height: float  # above the baseline
    depth: float  # below it


def _glyph(c: str, tex: str, role: str, fam: str, x: float, base: float, size: float) -> Glyph:
    width = (0.78 if role in ("bin", "rel") else 0.5) * size
    font = {"mi": "CMMI10", "text": "CMR10", "sy": "CMSY10"}[fam]
    return Glyph(c, tex, role, x, x + width, base - ASCENT * size, base + DESCENT * size, base, size, fam, font)


def _set(node, x: float, base: float, size: float) -> _Box:
    """Glyphs and rules for a node, as TeX would place them (roughly: the reader must not care)."""
    if isinstance(node, Sym):
        fam = "mi" if node.tex.isalpha() else ("sy" if node.tex == "-" else "text")
        g = _glyph(node.tex, node.tex, node.role, fam, x, base, size)
        return _Box([g], [], g.x1 - g.x0, ASCENT * size, DESCENT * size)
    if isinstance(node, tuple):
        glyphs, rules, cursor, height, depth = [], [], x, 0.0, 0.0
        for item in node:
            pad = 0.22 * size if isinstance(item, Sym) and item.role in ("bin", "rel") else 0.02 * size
            box = _set(item, cursor + pad, base, size)
            glyphs += box.glyphs
            rules += box.rules
            cursor += box.width + 2 * pad
            height, depth = max(height, box.height), max(depth, box.depth)
        return _Box(glyphs, rules, cursor - x, height, depth)
    if isinstance(node, Frac):
        small = max(size * 0.7, 5.0) if size > 8 else size
        axis = base - 0.25 * size
        num = _set(node.num, 0, 0, small)
        den = _set(node.den, 0, 0, small)
        width = max(num.width, den.width) + 0.2 * size
        num = _set(node.num, x + (width - num.width) / 2, axis - 0.15 * size - num.depth, small)
        den = _set(node.den, x + (width - den.width) / 2, axis + 0.15 * size + den.height, small)
        bar = Rule(x, x + width, axis, 0.04 * size)
        return _Box(num.glyphs + den.glyphs, num.rules + den.rules + [bar], width,
                    base - (axis - 0.15 * size - num.depth - num.height), den.height + den.depth + 0.15 * size - 0.25 * size)
    if isinstance(node, Scripted):
        core = _set(node.base, x, base, size)
        small = max(size * 0.7, 5.0)
        glyphs, rules, width = core.glyphs[:], core.rules[:], core.width
        height, depth = core.height, core.depth
        scripts = []
        if node.sup:
            shift = max(0.42 * size, core.height - 0.3 * size)
            scripts.append((node.sup, base - shift))
        if node.sub:
            shift = max(0.22 * size if not node.sup else 0.3 * size, core.depth + 0.05 * size)
            scripts.append((node.sub, base + shift))
        extra = 0.0
        for content, at in scripts:
            box = _set(content, x + core.width + 0.02 * size, at, small)
            glyphs += box.glyphs
            rules += box.rules
            extra = max(extra, box.width)
            height, depth = max(height, base - at + box.height), max(depth, at - base + box.depth)
        return _Box(glyphs, rules, width + extra + 0.05 * size, height, depth)
    raise TypeError(node)


_LETTER = st.sampled_from("abcxyzpq").map(lambda c: Sym(c))
_DIGIT = st.sampled_from("0123456789").map(lambda c: Sym(c))
_ATOM = st.one_of(_LETTER, _DIGIT)
_OP = st.sampled_from([Sym("+", "bin"), Sym("-", "bin"), Sym("=", "rel")])


def _seq(inner):
    """Terms joined by operators: a + b, x^2 - \\frac{a}{b} ..."""
    return st.lists(inner, min_size=1, max_size=3).flatmap(
        lambda terms: st.lists(_OP, min_size=len(terms) - 1, max_size=len(terms) - 1).map(
            lambda ops: tuple(item for pair in zip(terms, (*ops, None)) for item in pair if item is not None)))


def _term(depth: int):
    if depth == 0:
        return _ATOM
    inner = _seq(_term(depth - 1))
    return st.one_of(
        _ATOM,
        st.builds(lambda a, b: Frac(a, b), inner, inner),
        st.builds(lambda b, s: Scripted(b, None, s), _LETTER, _seq(_ATOM)),
        st.builds(lambda b, s: Scripted(b, s, None), _LETTER, _seq(_ATOM)),
        st.builds(lambda b, s, t: Scripted(b, s, t), _LETTER, _seq(_ATOM), _seq(_ATOM)),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_seq(_term(2)))
def test_a_typeset_formula_is_read_back_as_written(formula):
    box = _set(formula, 100.0, 400.0, 10.0)
    reading = read(box.glyphs, box.rules)
    assert reading.latex == latex(formula), (reading.latex, latex(formula))
    assert reading.confidence == 1.0


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab+=(1∑∫\x12X/"), st.floats(0, 300), st.floats(0, 300),
                          st.sampled_from([5.0, 7.0, 10.0]), st.sampled_from(["CMMI10", "CMEX10", "CMR10", "CMSY7"])),
                max_size=40),
       st.lists(st.tuples(st.floats(0, 300), st.floats(0, 60), st.floats(0, 300)), max_size=5))
def test_any_soup_of_glyphs_reads_without_failing(chars, bars):
    glyphs = []
    for c, x, y, size, font in chars:
        tex, role = meaning(c, font)
        glyphs.append(Glyph(c, tex, role, x, x + 0.5 * size, y - ASCENT * size, y + DESCENT * size, y, size,
                            family(font), font))
    rules = [Rule(x, x + w, y, 0.4) for x, w, y in bars]
    reading = read(glyphs, rules)
    assert 0.0 <= reading.confidence <= 1.0 and isinstance(reading.latex, str)


def _soup(chars, allocate_backwards: bool) -> list[Glyph]:
    """The glyphs of `chars`, each printed twice at one place (a PDF's fake bold), the objects
    made first to last or last to first (so that their memory addresses run the other way)."""
    order = list(range(len(chars)))
    made = {}
    for i in (reversed(order) if allocate_backwards else order):
        c, x, y, size, font = chars[i]
        tex, role = meaning(c, font)
        made[i] = [Glyph(c, tex, role, x, x + 0.5 * size, y - ASCENT * size, y + DESCENT * size, y, size,
                         family(font), font) for _ in range(2)]
    return [g for i in order for g in made[i]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ab+=(1∑/"), st.sampled_from([0.0, 3.0, 6.0]), st.sampled_from([20.0, 24.0]),
                          st.sampled_from([7.0, 10.0]), st.sampled_from(["CMMI10", "CMEX10", "CMR10"])),
                min_size=2, max_size=12))
def test_the_same_glyphs_read_the_same_whatever_their_memory_addresses(chars):
    forwards = read(_soup(chars, False), [])
    backwards = read(_soup(chars, True), [])
    assert (forwards.latex, forwards.confidence) == (backwards.latex, backwards.confidence)


# ------------------------------------------------------------------------------ boxes and equations

@given(st.lists(st.sampled_from(["a = b", r"\frac{1}{2}", "x", r"\boxed{", "}", "{", " "]), max_size=20))
def test_unboxing_never_leaves_a_box_and_keeps_what_it_held(pieces):
    body = "".join(pieces)
    out, held = unbox(body)
    assert r"\boxed" not in out
    for inner in held:
        assert "".join(inner.split()) in "".join(out.split()) or r"\boxed" in inner


def test_a_boxed_equation_is_marked():
    found = find_equations(r"so \[ \boxed{D^*(x) = \frac{f_1}{f_0 + f_1}} \] and $x = 2$")
    assert [e.boxed for e in found] == [True, False]
    assert found[0].sides == ("D^*(x)", r"\frac{f_1}{f_0 + f_1}")


# ------------------------------------------------------------------------------ the answer's choice

def _choose(text: str, readings=()):
    names = lambda side: side.strip() == "Q"  # noqa: E731
    value = {"1": 1, "2": 2, "1+1": 2, "3": 3}
    same = lambda a, b: value.get(a.strip()) == value.get(b.strip()) if a.strip() in value and b.strip() in value else None  # noqa: E731
    return choose(text, names, lambda side: 2, same, readings, what="Q")


def test_the_last_equation_is_the_answer_and_earlier_steps_may_differ():
    choice = _choose("$Q = 1$ then $Q = 1+1$ then $Q = 2$")
    assert choice.latex == "2" and choice.review is None and "the last of 3" in choice.how
    assert choice.earlier == ("1", "1+1")


def test_a_boxed_answer_wins_over_a_later_one():
    choice = _choose(r"\[ \boxed{Q = 2} \] and later $Q = 1+1$")
    assert choice.latex == "2" and choice.review is None and "boxed" in choice.how


def test_an_answer_after_a_word_of_conclusion_wins_and_a_later_different_one_goes_to_review():
    choice = _choose("We find $Q = 1$. Thus $Q = 2$. Also $Q = 3$.")
    assert choice.latex == "2"
    assert choice.review and "3" in choice.review and choice.confidence < 0.75


def test_two_different_conclusions_go_to_review():
    choice = _choose("Hence $Q = 1$. Therefore $Q = 2$.")
    assert choice.latex == "2" and choice.review


def test_a_chain_whose_sides_differ_goes_to_review():
    choice = _choose("$Q = 1 = 2$")
    assert choice.latex == "2" and "two different values" in choice.review


def test_a_formula_read_with_low_confidence_lowers_the_choice():
    span = MathSpan(0, 9, "Q = 2", "Q = 2", 0.4, False, 1, ("an unknown glyph",))
    choice = _choose("$Q = 2$", (span,))
    assert choice.confidence == 0.4 and "0.40" in choice.how and "unknown glyph" in choice.how


def test_no_equation_for_the_quantity_says_so():
    assert _choose("nothing here").problem == "no equation giving Q was found"


# ------------------------------------------------------------------------------ offsets

def test_formula_offsets_follow_the_tidied_text():
    text = "intro" + " " * 10 + "$x$ and\n\n\n\n\\[ y \\]"
    start = text.index("$")
    display = text.index("\\[")
    doc = Document("a.pdf", "pdf", text, math=[MathSpan(start, start + 3, "x", "x", 1.0, False),
                                                MathSpan(display, len(text), "y", "y", 1.0, True)])
    tidy = tidied(doc)
    assert [tidy.text[m.offset:m.end] for m in tidy.math] == ["$x$", "\\[ y \\]"]
