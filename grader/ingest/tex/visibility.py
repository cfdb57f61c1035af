"""What a reader of the PDF would not see, decided from the source without running TeX.

The walker keeps the state that decides it: the ink (`\\color`, `\\textcolor`), the paper under it
(`\\pagecolor`, `\\colorbox`, a tcolorbox's colback, a table cell's colour), veils (opacity 0 with
the transparent package, `\\phantom`, text scaled to nothing or moved off the page, a 1pt font), and
the PDF graphics state that literals set (`\\pdfliteral{3 Tr}`: the invisible render mode, a white
fill). Text written while it is unseen goes to the hidden-text log, never to Document.text; text the
reader cannot judge (a PDF literal it cannot follow, text raised 10 cm) is logged as unsure.

Boxes are saved (`\\sbox`, `\\savebox`, `\\setbox`, lrbox) and shown where they are used
(`\\usebox`, `\\box`, `\\copy`...); a box never used is hidden text.

Struck-out text (ulem's `\\sout`/`\\xout`, soul's `\\st`, the cancel package's `\\cancel`,
`\\bcancel`, `\\xcancel` and `\\cancelto`'s expression...) is seen, and withdrawn by its writer:
it is no answer either, and goes to the log with the reason STRUCK_OUT.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from grader.ingest.document import STRUCK_OUT
from grader.ingest.grids import RGB, parse_color, parse_color_spec
from grader.ingest.tex.hidden import HiddenRecord
from grader.ingest.tex.vocabulary import LET_SUFFIX, STRIKES

if TYPE_CHECKING:
    from grader.ingest.tex.walker import Walker

Veil = tuple[str, bool]  # (the reason, unsure)

WHITE: RGB = (1.0, 1.0, 1.0)
BLACK: RGB = (0.0, 0.0, 0.0)
HIDDEN_CONTRAST, UNSURE_CONTRAST = 1.25, 1.5  # contrast ratios (WCAG): 1 is ink the colour of the paper
HIDDEN_OPACITY, UNSURE_OPACITY = 0.15, 0.3
CM = 28.4528
# how far text can move before it leaves any page: across (A4 and letter are 21-21.6 cm wide) and down
FAR_ACROSS, NEAR_ACROSS = 20 * CM, 10 * CM
FAR_DOWN, NEAR_DOWN = 25 * CM, 8 * CM
TINY = 3.0  # pt: a box resized to this is nothing a reader sees

_UNITS = {"pt": 1.0, "bp": 1.00375, "mm": 2.84528, "cm": CM, "in": 72.27, "pc": 12.0, "dd": 1.07, "cc": 12.84,
          "sp": 1 / 65536, "em": 10.0, "ex": 4.3, "px": 1.0}
# LaTeX's lengths, at the article class's values: a multiple of one is still a length
_LENGTHS = {"textwidth": 345.0, "linewidth": 345.0, "columnwidth": 345.0, "hsize": 345.0, "paperwidth": 614.0,
            "textheight": 550.0, "vsize": 550.0, "paperheight": 795.0, "baselineskip": 12.0, "parindent": 15.0,
            "unitlength": 1.0, "fboxsep": 3.0}
_LENGTH = re.compile(r"\s*([-+]?)\s*(\d*\.?\d+)?\s*(?:(pt|bp|mm|cm|in|pc|dd|cc|sp|em|ex|px)\b|\\([a-zA-Z@]+))\s*")


def length_pt(text: str) -> float | None:
    """A length in pt ("-100cm", "2\\textwidth", "0pt"), or None when it is not one the reader knows."""
    m = _LENGTH.fullmatch(text.replace("*", "", 1) if text.startswith("*") else text)
    if m is None or (m.group(2) is None and m.group(3)):
        return None
    unit = _UNITS.get(m.group(3) or "") or _LENGTHS.get(m.group(4) or "")
    if unit is None:
        return None
    return (-1 if m.group(1) == "-" else 1) * float(m.group(2) or 1) * unit


def _luminance(rgb: RGB) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(ink: RGB, paper: RGB) -> float:
    a, b = _luminance(ink), _luminance(paper)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


@lru_cache(maxsize=256)
def colour_veil(ink: RGB, paper: RGB) -> Veil | None:
    ratio = contrast(ink, paper)
    if ratio >= UNSURE_CONTRAST:
        return None
    name = "white text" if min(ink) > 0.9 and min(paper) > 0.9 else "text in the colour of its background"
    if ratio < HIDDEN_CONTRAST:
        return name, False
    return f"{name} (hardly any contrast)", True


def opacity_veil(value: float, how: str) -> Veil | None:
    if value < HIDDEN_OPACITY:
        return f"opacity {value:g} ({how})", False
    if value < UNSURE_OPACITY:
        return f"opacity {value:g} ({how}): barely visible", True
    return None


def distance_veil(distance: float, far: float, near: float, how: str) -> Veil | None:
    if abs(distance) >= far:
        return f"moved off the page ({how})", False
    if abs(distance) >= near:
        return f"moved {abs(distance) / CM:.0f} cm ({how}): may be off the page", True
    return None


# --- the handlers: \name at i, inside [.., end); each returns where the walk goes on ------------------

def _text_color(walker: Walker, name: str, i: int, end: int) -> int:
    (model, spec, content), j = walker.args(i, end, "[{{")
    if content is not None:
        with walker.inked(walker.color(model, spec)):
            walker.emit(*content)
    return j


def _color(walker: Walker, name: str, i: int, end: int) -> int:
    """\\color{c}: the ink of the rest of the group."""
    (model, spec), j = walker.args(i, end, "[{")
    with walker.inked(walker.color(model, spec)):
        walker.emit(j, end)
    return end


def _page_color(walker: Walker, name: str, i: int, end: int) -> int:
    if name == "nopagecolor":
        walker.page = WHITE
        walker.recolour()
        return i
    (model, spec), j = walker.args(i, end, "[{")
    walker.page = walker.color(model, spec) or walker.page  # the whole page, from here on
    walker.recolour()
    return j


def _color_box(walker: Walker, name: str, i: int, end: int) -> int:
    spans, j = walker.args(i, end, "[{{" if name == "colorbox" else "[{{{")
    if spans[-1] is not None:
        with walker.papered(walker.color(spans[0], spans[-2])):
            walker.emit(*spans[-1])
    return j


def _transparent(walker: Walker, name: str, i: int, end: int) -> int:
    """\\transparent{0} (the rest of the group), \\texttransparent{0}{text}."""
    spans, j = walker.args(i, end, "{{" if name == "texttransparent" else "{")
    try:
        value = float(walker.text_of(spans[0]))
    except ValueError:
        value = 1.0
    start, stop = (spans[1] if name == "texttransparent" and spans[1] else (j, end))
    walker.veiled(start, stop, opacity_veil(value, f"\\{name}"))
    return j if name == "texttransparent" else end


def _phantom(walker: Walker, name: str, i: int, end: int) -> int:
    got = walker.arg(i, end)
    if got is None:
        return i
    walker.veiled(got[0], got[1], ("invisible (\\phantom)", False))
    return got[2]


def _scalebox(walker: Walker, name: str, i: int, end: int) -> int:
    (factor, vertical, content), j = walker.args(i, end, "{[{")
    if content is None:
        return j
    scales = []
    for span in (factor, vertical):
        try:
            scales.append(float(walker.text_of(span)) if span else 1.0)
        except ValueError:
            scales.append(1.0)
    small = min(scales, key=abs)
    walker.veiled(content[0], content[1], (f"scaled to {small:g}", False) if abs(small) < 0.2 else None)
    return j


def _resizebox(walker: Walker, name: str, i: int, end: int) -> int:
    (width, height, content), j = walker.args(i, end, "{{{")
    if content is None:
        return j
    sizes = [length_pt(walker.text_of(s)) for s in (width, height) if s and walker.text_of(s).strip() != "!"]
    small = [s for s in sizes if s is not None and abs(s) < TINY]
    walker.veiled(content[0], content[1], (f"resized to {small[0]:g}pt", False) if small else None)
    return j


def _raisebox(walker: Walker, name: str, i: int, end: int) -> int:
    """\\raisebox{60cm}[0pt][0pt]{text}: raised off the page. Without the declared height (or depth,
    when lowered) TeX makes room for the box and moves it to a page of its own: it is seen."""
    (lift, height, depth, content), j = walker.args(i, end, "{[[{")
    if content is None:
        return j
    distance = length_pt(walker.text_of(lift))
    if distance is None:
        walker.emit(*content)
        return j
    declared = height if distance > 0 else depth  # the room TeX makes for the box on that side
    room = length_pt(walker.text_of(declared)) if declared else None
    moved = room is not None and abs(room) < abs(distance) / 2
    walker.veiled(content[0], content[1], distance_veil(distance, FAR_DOWN, NEAR_DOWN, "\\raisebox") if moved else None)
    return j


_LINE_END = re.compile(r"\\\\|\\par(?![a-zA-Z@])|\\newline(?![a-zA-Z@])|\n[ \t]*\n|\\item(?![a-zA-Z@])|"
                       r"\\(?:begin|end)\s*\{")
_PAGE_END = re.compile(r"\\(?:newpage|clearpage|pagebreak|cleardoublepage)(?![a-zA-Z@])")
_TEX_DIMEN = re.compile(r"\s*=?\s*([-+]?\s*(?:\d*\.?\d+)?\s*(?:pt|bp|mm|cm|in|pc|dd|cc|sp|em|ex|px|\\[a-zA-Z@]+))")


def _skip(walker: Walker, name: str, i: int, end: int) -> int:
    """\\hspace{-100cm}, \\hskip, \\kern: what follows on the line leaves the page; \\vspace: what
    follows on the page."""
    if name in ("hspace", "vspace"):
        star = walker.src.startswith("*", i)
        got = walker.arg(i + star, end)
        if got is None:
            return i
        distance, j = length_pt(walker.text_of((got[0], got[1]))), got[2]
    else:
        m = _TEX_DIMEN.match(walker.src, i, end)
        if m is None:
            return i
        distance, j = length_pt(m.group(1)), m.end()
    if distance is None:
        return j
    across = name in ("hspace", "hskip", "kern", "moveleft", "moveright")
    veil = distance_veil(distance, FAR_ACROSS if across else FAR_DOWN, NEAR_ACROSS if across else NEAR_DOWN,
                         f"\\{name}")
    if veil is None:
        return j
    stop = (_LINE_END if across else _PAGE_END).search(walker.src, j, end)
    stop_at = stop.start() if stop else end
    walker.veiled(j, stop_at, veil)
    return stop_at


def _font_size(walker: Walker, name: str, i: int, end: int) -> int:
    (size, _), j = walker.args(i, end, "{{")
    pt = length_pt(walker.text_of(size)) if size else None
    if pt is None and size:
        try:
            pt = float(walker.text_of(size))
        except ValueError:
            pt = None
    if pt is not None and pt < 2:
        walker.veiled(j, end, (f"font of {pt:g}pt", False))
        return end
    return j


# --- struck out ----------------------------------------------------------------------------------------

def _struck(walker: Walker, name: str, i: int, end: int) -> int:
    """\\sout{text}: struck out. \\cancelto{value}{expression}: the expression struck out, the
    value it is cancelled to shown. (`\\let\\gone\\sout` makes `\\gone` expand to `\\sout@let`.)"""
    name = name.removesuffix(LET_SUFFIX)
    spans, j = walker.args(i, end, STRIKES[name])
    if name == "cancelto" and spans[0] is not None:
        walker.emit(*spans[0])
    if spans[-1] is not None:
        walker.veiled(spans[-1][0], spans[-1][1], (STRUCK_OUT, False))
    return j


# --- PDF literals ------------------------------------------------------------------------------------

_RENDER_MODES = {"fill": 0, "stroke": 1, "fillstroke": 2, "invisible": 3, "fillclip": 4, "strokeclip": 5,
                 "fillstrokeclip": 6, "clip": 7}
_HARMLESS_OPS = {"w", "J", "j", "M", "d", "ri", "i", "gs", "BT", "ET", "RG", "G", "K", "CS", "SC", "SCN", "cs",
                 "sc", "scn", "Tc", "Tw", "Tz", "TL", "Ts", "m", "l", "c", "v", "y", "h", "re", "S", "s", "f",
                 "F", "f*", "B", "B*", "b", "b*", "n"}


def _literal(walker: Walker, name: str, i: int, end: int) -> int:
    """\\pdfliteral{...}, \\special{pdf:literal ...}, \\pdfextension literal{...}, pdfrender: the
    render mode and the fill colour they set hold until another literal changes them."""
    src = walker.src
    j = i
    if name in ("pdfliteral", "pdfextension"):
        m = re.compile(r"\s*(?:literal\s*)?(?:direct|page|raw|shipout)?\s*").match(src, i, end)
        j = m.end() if m else i
    got = walker.arg(j, end)
    if got is None:
        return i
    code, j = walker.text_of((got[0], got[1])), got[2]
    if name == "textpdfrender":
        content = walker.arg(j, end)
        if content is None:
            return j
        walker.veiled(content[0], content[1], _pdfrender_veil(code))
        return content[2]
    if name == "pdfrender":
        walker.literal_veil = _pdfrender_veil(code) or (None if "TextRenderingMode" in code else walker.literal_veil)
        return j
    if name == "special":
        m = re.match(r"\s*(?:pdf:\s*(?:literal|code|content|direct)?|ps:|color\s+(push|pop))\s*(.*)", code, re.S)
        if m is None:
            return j
        if m.group(1):  # \special{color push gray 1}: the colour stack
            if m.group(1) == "push":
                walker.ink_stack.append(walker.ink)
                model, _, values = m.group(2).strip().partition(" ")
                walker.ink = parse_color_spec(model, values) or walker.ink
            elif walker.ink_stack:
                walker.ink = walker.ink_stack.pop()
            walker.recolour()
            return j
        code = m.group(2)
    _pdf_operators(walker, code)
    return j


def _pdfrender_veil(options: str) -> Veil | None:
    m = re.search(r"TextRenderingMode\s*=\s*([A-Za-z]+|\d)", options)
    if m is None:
        return None
    mode = int(m.group(1)) if m.group(1).isdigit() else _RENDER_MODES.get(m.group(1).lower())
    return ("invisible render mode (pdfrender)", False) if mode in (3, 7) else None


def _pdf_operators(walker: Walker, code: str) -> None:
    operands: list[float] = []
    for token in code.split():
        try:
            operands.append(float(token))
            continue
        except ValueError:
            pass
        if token == "Tr" and operands:
            mode = int(operands[-1])
            walker.literal_veil = (f"invisible render mode ({mode} Tr, a PDF literal)", False) if mode in (3, 7) else None
            if mode >= 4:  # the glyphs become a clipping path: what follows on the page may be cut away
                walker.clip_veil = (f"after text made a clipping path ({mode} Tr, a PDF literal): the rest of "
                                    "the page may be cut away", True)
        elif token in ("rg", "g", "k") and operands:
            values = operands[-{"rg": 3, "g": 1, "k": 4}[token]:]
            model = {"rg": "rgb", "g": "gray", "k": "cmyk"}[token]
            walker.ink = parse_color_spec(model, " ".join(map(str, values))) or walker.ink
            walker.recolour()
        elif token == "cm" and len(operands) >= 6:
            a, b, c, d = operands[-6:-2]
            if abs(a * d - b * c) < 1e-3:
                walker.literal_veil = ("scaled to nothing (a PDF literal)", False)
        elif token == "q":
            walker.literal_stack.append((walker.literal_veil, walker.clip_veil, walker.ink))
        elif token == "Q":
            if walker.literal_stack:
                walker.literal_veil, walker.clip_veil, walker.ink = walker.literal_stack.pop()
                walker.recolour()
        elif token in ("W", "W*"):
            walker.clip_veil = ("after a clipping path set by a PDF literal the reader cannot follow", True)
        elif token not in _HARMLESS_OPS:
            walker.clip_veil = ("after a PDF literal the reader cannot follow", True)
        operands = []


# --- boxes -------------------------------------------------------------------------------------------

_REGISTER = re.compile(r"\s*(\\[a-zA-Z@]+|\d+)\s*=?\s*")
_BOX = re.compile(r"\\(?:hbox|vbox|vtop)(?:\s*(?:to|spread)\s*[-+]?\s*[\d.]*\s*(?:[a-z]{2}|\\[a-zA-Z@]+))?\s*")


def _save_box(walker: Walker, name: str, i: int, end: int) -> int:
    """\\sbox{\\b}{text}, \\savebox{\\b}[w][pos]{text}, \\setbox0=\\hbox{text} (or \\bgroup...\\egroup)."""
    src = walker.src
    if name == "setbox":
        m = _REGISTER.match(src, i, end)
        box = _BOX.match(src, m.end(), end) if m else None
        if box is None:
            return i
        register, j = m.group(1), box.end()
        if src.startswith("\\bgroup", j):
            stop = _egroup(src, j + len("\\bgroup"), end)
            content, after = (j + len("\\bgroup"), stop), min(stop + len("\\egroup"), end)
        else:
            got = walker.arg(j, end)
            if got is None:
                return j
            content, after = (got[0], got[1]), got[2]
    else:
        spans, after = walker.args(i, end, "{{" if name == "sbox" else "{[[{")
        if spans[0] is None or spans[-1] is None:
            return after
        register, content = walker.text_of(spans[0]).strip(), spans[-1]
    walker.save_box(register, content[0], content[1], f"in a box never used (\\{name})")
    return after


def _egroup(src: str, i: int, end: int) -> int:
    depth = 1
    for m in re.compile(r"\\(bgroup|egroup)(?![a-zA-Z@])").finditer(src, i, end):
        depth += 1 if m.group(1) == "bgroup" else -1
        if depth == 0:
            return m.start()
    return end


def _use_box(walker: Walker, name: str, i: int, end: int) -> int:
    if name == "usebox":
        got = walker.arg(i, end)
        if got is None:
            return i
        register, j = walker.text_of((got[0], got[1])).strip(), got[2]
    else:
        m = _REGISTER.match(walker.src, i, end)
        if m is None:
            return i
        register, j = m.group(1), m.end()
    walker.use_box(register, keep=name not in ("box", "unhbox", "unvbox"))
    return j


def lrbox(walker: Walker, env: str, start: int, stop: int) -> None:
    got = walker.arg(start, stop)
    if got is not None:
        walker.save_box(walker.text_of((got[0], got[1])).strip(), got[2], stop, "in a box never used (lrbox)")


# --- placed text: \put, textpos, tcolorbox ---------------------------------------------------------------

_PAIR = re.compile(r"\s*\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)")


def _put(walker: Walker, name: str, i: int, end: int) -> int:
    m = _PAIR.match(walker.src, i, end)
    if m is None:
        return i
    j = m.end()
    if name == "multiput":
        step = _PAIR.match(walker.src, j, end)
        count = walker.arg(step.end(), end) if step else None
        if count is None:
            return j
        j = count[2]
    got = walker.arg(j, end)
    if got is None:
        return j
    veil = None
    try:
        x, y = (float(v) * walker.unit_length for v in m.groups())
        how = f"\\{name}"
        veil = distance_veil(x, FAR_ACROSS, FAR_ACROSS, how) or distance_veil(y, FAR_DOWN, FAR_DOWN, how)
    except ValueError:
        pass
    walker.veiled(got[0], got[1], veil)
    return got[2]


def _set_length(walker: Walker, name: str, i: int, end: int) -> int:
    (target, value), j = walker.args(i, end, "{{")
    if target and walker.text_of(target).strip() == "\\unitlength" and value:
        walker.unit_length = length_pt(walker.text_of(value)) or walker.unit_length
    return j


def textblock(walker: Walker, env: str, start: int, stop: int) -> None:
    """textpos: \\begin{textblock*}{width}(x,y), or textblock in sixteenths of the page width."""
    (_, _), j = walker.args(start, stop, "{[")
    m = _PAIR.match(walker.src, j, stop)
    veil = None
    if m:
        j = m.end()
        if env == "textblock*":
            x, y = length_pt(m.group(1)), length_pt(m.group(2))
        else:
            try:
                x, y = float(m.group(1)) * _LENGTHS["paperwidth"] / 16, float(m.group(2)) * _LENGTHS["paperwidth"] / 16
            except ValueError:
                x = y = None
        if x is not None and y is not None:
            veil = (distance_veil(x - _LENGTHS["paperwidth"] / 2, FAR_ACROSS, FAR_ACROSS, env)
                    or distance_veil(y - _LENGTHS["paperheight"] / 2, FAR_DOWN, FAR_DOWN, env))
    walker.newline()
    walker.veiled(j, stop, veil)
    walker.newline()


def picture(walker: Walker, env: str, start: int, stop: int) -> None:
    """\\begin{picture}(w,h)(x,y): the size and offset are no text; \\put places the rest."""
    j = start
    for _ in range(2):
        m = _PAIR.match(walker.src, j, stop)
        if m:
            j = m.end()
    walker.newline()
    walker.emit(j, stop)
    walker.newline()


def tcolorbox(walker: Walker, env: str, start: int, stop: int) -> None:
    opt = walker.opt(start, stop)
    options = walker.text_of((opt[0], opt[1])) if opt else ""
    j = opt[2] if opt else start
    values = dict(re.findall(r"(\w+)\s*=\s*([^,]+)", options))
    paper = parse_color(values["colback"].strip(), walker.colors) if "colback" in values else None
    ink = parse_color(values["coltext"].strip(), walker.colors) if "coltext" in values else None
    veil = None
    if "opacitytext" in values:
        try:
            veil = opacity_veil(float(values["opacitytext"]), "tcolorbox opacitytext")
        except ValueError:
            pass
    walker.newline()
    with walker.papered(paper or (0.95, 0.95, 0.95)), walker.inked(ink):
        walker.veiled(j, stop, veil)
    walker.newline()


# --- math: the parts of a formula no one sees ---------------------------------------------------------

_MATH_HIDERS = re.compile(r"\\(phantom|hphantom|vphantom|textcolor|mathcolor|color|scalebox|resizebox|"
                          r"texttransparent|" + "|".join(STRIKES) + rf")(?:{LET_SUFFIX})?(?![a-zA-Z@])")


def visible_math(walker: Walker, start: int, end: int) -> str:
    """The formula src[start:end] as LaTeX, without what is invisible in it (logged)."""
    src = walker.src
    out: list[str] = []
    last = start
    i = start
    while (m := _MATH_HIDERS.search(src, i, end)) is not None:
        name = m.group(1)
        spec = {"textcolor": "[{{", "mathcolor": "[{{", "color": "[{", "scalebox": "{[{", "resizebox": "{{{",
                "texttransparent": "{{", **STRIKES}.get(name, "{")
        spans, j = walker.args(m.end(), end, spec)
        veil: Veil | None = None
        hidden = spans[-1]
        shown = ""  # what stands in its place: \cancelto's value
        if name in STRIKES:
            veil = (STRUCK_OUT, False)
            shown = walker.text_of(spans[0]) if name == "cancelto" else ""
        elif name in ("phantom", "hphantom", "vphantom"):
            veil = ("invisible (\\phantom)", False)
        elif name in ("textcolor", "mathcolor", "color"):
            rgb = walker.color(spans[0], spans[1])
            veil = colour_veil(rgb, walker.paper_now()) if rgb is not None else None
            if name == "color":
                hidden, j = (j, end), end
        elif name == "scalebox":
            try:
                veil = ("scaled to nothing", False) if abs(float(walker.text_of(spans[0]))) < 0.2 else None
            except ValueError:
                veil = None
        elif name == "resizebox":
            sizes = [length_pt(walker.text_of(s)) for s in spans[:2] if s]
            veil = ("resized to nothing", False) if any(s is not None and abs(s) < TINY for s in sizes) else None
        else:
            try:
                veil = opacity_veil(float(walker.text_of(spans[0])), "\\texttransparent")
            except ValueError:
                veil = None
        if veil is None or hidden is None:
            i = m.end()
            continue
        out.append(src[last:m.start()])
        out.append(walker.log.add(src[hidden[0]:hidden[1]], veil[0], unsure=veil[1], latex=True) + shown)
        last = i = j
    out.append(src[last:end])
    return "".join(out)


HANDLERS: dict[str, Callable[[Walker, str, int, int], int]] = {
    "textcolor": _text_color, "color": _color, "pagecolor": _page_color, "nopagecolor": _page_color,
    "colorbox": _color_box, "fcolorbox": _color_box, "transparent": _transparent, "texttransparent": _transparent,
    "phantom": _phantom, "hphantom": _phantom, "vphantom": _phantom, "scalebox": _scalebox,
    "resizebox": _resizebox, "raisebox": _raisebox, "hspace": _skip, "vspace": _skip,
    "hskip": _skip, "vskip": _skip, "kern": _skip, "moveleft": _skip, "moveright": _skip, "fontsize": _font_size,
    "pdfliteral": _literal, "pdfextension": _literal, "special": _literal, "pdfrender": _literal,
    "textpdfrender": _literal, "sbox": _save_box, "savebox": _save_box, "setbox": _save_box, "usebox": _use_box,
    "box": _use_box, "copy": _use_box, "unhbox": _use_box, "unvbox": _use_box, "unhcopy": _use_box,
    "unvcopy": _use_box, "put": _put, "multiput": _put, "setlength": _set_length,
    **{name: _struck for name in STRIKES}, **{name + LET_SUFFIX: _struck for name in STRIKES},
}
ENV_HANDLERS: dict[str, Callable[[Walker, str, int, int], None]] = {
    "lrbox": lrbox, "textblock": textblock, "textblock*": textblock, "tcolorbox": tcolorbox, "picture": picture,
}


def saved_box_record(walker: Walker, register: str, text: str, reason: str) -> HiddenRecord | None:
    """The record of a saved box, to cancel if the box is used; its marker goes where it was saved."""
    record, mark = walker.log.open(reason)
    if record is not None and text.strip():
        walker.log.extend(record, text)
        walker.out.append(mark)
        return record
    if record is not None:
        record.cancelled = True
    return None
