"""The walker: the expanded source -> text, with markers for grids, checkboxes and hidden text.

Headings start their own lines, math is kept as LaTeX, checkboxes and marked list items become
"[x] (b)" / "[ ] (a)" (lists.py), tables and TikZ pictures that are grids are read into grid
findings (tables.py, tikz.py), hidden text (white, `\\phantom`, 1pt fonts) is set aside.
"""

from __future__ import annotations

import re
import time
import unicodedata

from grader.ingest.document import HiddenText
from grader.ingest.grids import CHECKED, RGB, UNCHECKED, is_light, parse_color, parse_color_spec
from grader.ingest.limits import Limits, RejectedFile
from grader.ingest.tex import lists, tables, tikz
from grader.ingest.tex.source import (CS, HIDDEN_OPEN, MARK_CLOSE, PRIVATE, VERB, brace_table,
                                      find_dollar, read_bracketed, skip_blanks, skip_spaces)

MAX_NESTING = 120

TOKEN = re.compile(
    rf"(?P<verb>{VERB})"
    r"|\\(?P<cs>[a-zA-Z@]+\*?|.)"
    r"|(?P<dd>\$\$)|(?P<d1>\$)|(?P<ch>[{}&~])"
    r"|(?P<text>[^\\{}$&~]+)",
    re.S)

_SECTIONS = {"part": 0, "chapter": 0, "section": 1, "subsection": 2, "subsubsection": 3,
             "paragraph": 4, "subparagraph": 5}
# checkbox symbols (amssymb, wasysym, bbding, pifont via \ding, todonotes-style lists)
_CHECKED_CS = {"checkmark", "boxtimes", "blacksquare", "CheckedBox", "Checkedbox", "XBox", "checkedbox",
               "ballotcheck", "cmark", "done", "Checkmark", "CheckmarkBold", "boxcheckmark", "CrossedBox"}
_UNCHECKED_CS = {"square", "Box", "Square", "ballotbox", "openbox", "uncheckedbox", "checkbox", "wontfix",
                 "boxempty"}
_DROP = {  # macros dropped with their arguments (spec: "[" optional, "{" mandatory)
    "vspace": "{", "hspace": "{", "label": "{", "cite": "[{", "citep": "[{", "citet": "[{", "nocite": "{",
    "setlength": "{{", "addtolength": "{{", "addtocounter": "{{", "stepcounter": "{", "usepackage": "[{",
    "RequirePackage": "[{", "documentclass": "[{", "usetikzlibrary": "{", "tikzset": "{",
    "pgfplotsset": "{", "pagestyle": "{", "thispagestyle": "{", "geometry": "{", "hypersetup": "{",
    "bibliographystyle": "{", "bibliography": "{", "rowcolors": "[{{{", "arrayrulecolor": "[{",
    "captionsetup": "[{", "newtheorem": "{[{[", "theoremstyle": "{", "setlist": "[{", "linespread": "{",
    "graphicspath": "{", "input": "{", "include": "{", "date": "{", "title": "[{", "author": "[{",
    "newcolumntype": "{[{", "definecolor": "{{{", "colorlet": "{{", "pagecolor": "[{", "enlargethispage": "{",
    "ProvidesPackage": "{[", "ProvidesFile": "{[", "setcounter": "{{", "numberwithin": "{{", "hhline": "{",
    "cline": "{", "cmidrule": "[{", "newlength": "{", "settowidth": "{{", "renewcommand": "{{",
    "selectcolormodel": "{", "includegraphics": "[{", "color": "[{", "sethlcolor": "{", "tcbset": "{",
    "pgfmathsetmacro": "{{", "pgfmathtruncatemacro": "{{", "newcounter": "{[", "crefname": "{{{",
    "affiliation": "{", "email": "{", "thanks": "{", "SetCell": "[{", "SetRow": "[{", "SetCells": "[{",
    "hypertarget": "{", "phantomsection": "", "addcontentsline": "{{{", "fontsize": "{{",
    "rowcolor": "[{", "cellcolor": "[{", "columncolor": "[{[[", "vskip": "", "hskip": "",
}
_CONTENT = {  # macros whose last argument is shown as text
    "textbf": "{", "textit": "{", "emph": "{", "underline": "{", "uline": "{", "texttt": "{",
    "textsf": "{", "textrm": "{", "textsc": "{", "textup": "{", "textnormal": "{", "textmd": "{",
    "textsl": "{", "mbox": "{", "hbox": "{", "makebox": "[[{", "framebox": "[[{", "fbox": "{",
    "text": "{", "boxed": "{", "centerline": "{", "url": "{", "caption": "[{", "footnote": "[{",
    "textsuperscript": "{", "textsubscript": "{", "hl": "{", "highlight": "{", "ul": "{", "st": "{",
    "parbox": "[[[{{", "raisebox": "{[[{", "rotatebox": "[{{", "href": "{{", "colorbox": "[{{",
    "fcolorbox": "[{{{", "textcolor": "[{{", "resizebox": "{{{", "scalebox": "{[{", "multirow": "[{[{[{",
    "underbrace": "{", "noindent": "", "subcaption": "{", "cancel": "{", "sout": "{", "xout": "{",
    "answer": "{", "ans": "{", "solution": "{", "marginpar": "[{", "footnotetext": "[{", "enquote": "{",
    "tcbox": "[{", "adjustbox": "{{", "smash": "[{", "llap": "{", "clap": "{",
}
_SPACE = {",", ";", ":", "!", " ", "quad", "qquad", "enspace", "thinspace", "hfill", "hfil", "newline",
          "linebreak", "break", "space", "enskip", "nobreakspace"}
_LITERAL = {"%": "%", "&": "&", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", "textbackslash": "\\",
            "ldots": "...", "dots": "...", "textellipsis": "...", "LaTeX": "LaTeX", "TeX": "TeX",
            "S": "§", "textendash": "–", "textemdash": "—", "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ",
            "AE": "Æ", "oe": "œ", "i": "ı", "l": "ł", "aa": "å", "textasciitilde": "~", "textbar": "|",
            "textless": "<", "textgreater": ">", "textquotedbl": '"', "textdegree": "°", "times": "×",
            "euro": "€", "copyright": "©", "textunderscore": "_", "lq": "`", "rq": "'", "@": "", "-": "", "/": "",
            "slash": "/", "textbullet": "•", "ttfamily": "", "bfseries": "", "itshape": "", "em": "",
            "rmfamily": "", "sffamily": "", "scshape": "", "normalfont": "", "mdseries": "", "upshape": ""}
_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
            ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
            "r": "\u030a"}
_MATH_ENVS = {"equation", "equation*", "align", "align*", "alignat", "alignat*", "gather", "gather*",
              "multline", "multline*", "flalign", "flalign*", "eqnarray", "eqnarray*", "math",
              "displaymath", "dmath", "dmath*", "subequations", "split"}
_LISTS = {"enumerate", "itemize", "description", "compactenum", "compactitem", "asparaenum",
          "inparaenum", "enumerate*", "itemize*", "todolist", "checklist", "choices", "oneparchoices",
          "checkboxes", "tasks"}
_ENV_ARGS = {"minipage": "[[[{", "multicols": "{", "multicols*": "{", "wrapfigure": "[{[{",
             "subfigure": "[{", "tcolorbox": "[", "mdframed": "[", "figure": "[", "figure*": "[",
             "table": "[", "table*": "[", "adjustbox": "{", "framed": "", "center": "", "proof": "[",
             "thebibliography": "{", "minted": "[{", "scope": "[", "spacing": "{", "resizebox": "{{"}
_HEADING_TEXT = re.compile(r"^\s*(?:(?:Q(?:uestion)?|Problem|Exercise|Part|Answer|Solution)\s*\d|\d+\s*\.\s*\d)", re.I)


class Walker:
    """Turns the expanded source into text, with markers for grids, checkboxes and hidden text.

    It walks [start, end) ranges of one string with a regex tokenizer; every construct it reads
    (a macro's arguments, a group, an environment) is a sub-range, so nothing is copied and
    positions stay those of the expanded source. Nesting and time are capped."""

    def __init__(self, src: str, colors: dict[str, RGB], started: float, limits: Limits):
        self.src = src
        self.colors = colors
        self.out: list[str] = []
        self.hidden: list[HiddenText] = []
        self.grids: list[dict] = []  # GridFinding fields except offset/heading, by marker index
        self.counters = {k: 0 for k in _SECTIONS}
        self.list_depth = 0
        self.enum_depth = 0
        self.depth = 0
        self.dark_bg = 0
        self.started = started
        self.limits = limits
        self.steps = 0
        self.title: str | None = None
        self.author: str | None = None
        self.braces = brace_table(src)

    # -- plumbing ----------------------------------------------------------------------------------

    def capture(self, start: int, end: int) -> str:
        mark = len(self.out)
        self.emit(start, end)
        text = "".join(self.out[mark:])
        del self.out[mark:]
        return text

    def at_line_start(self) -> bool:
        for piece in self.out[:-200:-1]:  # bounded: a run of blank pieces must not make this quadratic
            if "\n" in piece:
                return not piece.rsplit("\n", 1)[1].strip()
            if piece.strip():
                return False
        return True

    def newline(self) -> None:
        if not self.at_line_start():
            self.out.append("\n")

    def arg(self, i: int, end: int) -> tuple[int, int, int] | None:
        """A mandatory argument at i: (content start, content end, next index); a single token
        when there are no braces."""
        i = skip_spaces(self.src, i)
        if i >= end:
            return None
        c = self.src[i]
        if c == "{":
            close = self.close_of(i, end)
            return i + 1, close, min(close + 1, end)
        if c == "\\":
            m = CS.match(self.src, i)
            if m is None:  # a lone backslash at the very end of the source
                return i, i + 1, i + 1
            return i, m.end(), m.end()
        if c in "}&":
            return None
        return i, i + 1, i + 1

    def opt(self, i: int, end: int) -> tuple[int, int, int] | None:
        j = skip_spaces(self.src, i)
        if j < end and self.src[j] == "[":
            got = read_bracketed(self.src, j, end)
            if got is not None:
                return j + 1, got[1] - 1, got[1]
        return None

    def args(self, i: int, end: int, spec: str) -> tuple[list[tuple[int, int] | None], int]:
        out: list[tuple[int, int] | None] = []
        for kind in spec:
            got = self.opt(i, end) if kind == "[" else self.arg(i, end)
            if got is None:
                out.append(None)
                continue
            out.append((got[0], got[1]))
            i = got[2]
        return out, i

    def close_of(self, i: int, end: int) -> int:
        got = self.braces.get(i)
        return got if got is not None and got < end else end

    def env_end(self, name: str, i: int, end: int) -> tuple[int, int]:
        """(start of the matching \\end{name}, index after it), searching from i."""
        pattern = re.compile(r"\\(begin|end)\s*\{" + re.escape(name) + r"\}")
        depth = 1
        for m in pattern.finditer(self.src, i, end):
            depth += 1 if m.group(1) == "begin" else -1
            if depth == 0:
                return m.start(), m.end()
        return end, end

    def text_of(self, span: tuple[int, int] | None) -> str:
        if span is None:
            return ""
        return self.src[span[0]:span[1]]

    def color(self, model: tuple[int, int] | None, spec: tuple[int, int] | None) -> RGB | None:
        if spec is None:
            return None
        if model is not None:
            return parse_color_spec(self.text_of(model), self.text_of(spec))
        return parse_color(self.text_of(spec), self.colors)

    def tick(self) -> None:
        self.steps += 1
        if self.steps % 2000 == 0 and time.monotonic() - self.started > self.limits.parse_seconds:
            raise RejectedFile(f"reading this LaTeX file took longer than {self.limits.parse_seconds:g} s")

    def hide(self, start: int, end: int, reason: str) -> None:
        text = PRIVATE.sub("", self.capture(start, end)).strip()
        if text:
            # a marker where the text was left out; its offset in the final text is found later
            self.out.append(f"{HIDDEN_OPEN}{len(self.hidden)}{MARK_CLOSE}")
            self.hidden.append(HiddenText(" ".join(text.split())[:300], reason))

    # -- the walk ------------------------------------------------------------------------------------

    def emit(self, start: int, end: int) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise RejectedFile(f"groups or environments are nested more than {MAX_NESTING} levels deep")
        try:
            i = start
            src = self.src
            while i < end:
                self.tick()
                m = TOKEN.match(src, i, end)
                if m is None:
                    self.out.append(src[i])
                    i += 1
                    continue
                if m.group("text") is not None:
                    self.out.append(m.group("text"))
                    i = m.end()
                elif m.group("verb") is not None:
                    self.out.append(m.group("verb")[len("\\verb"):].lstrip("*")[1:-1])
                    i = m.end()
                elif m.group("cs") is not None:
                    i = self.control(m.group("cs"), m.end(), end)
                elif m.group("dd") is not None:
                    close = src.find("$$", m.end(), end)
                    close = end if close < 0 else close + 2
                    self.math(i, close)
                    i = close
                elif m.group("d1") is not None:
                    close = find_dollar(src, m.end(), end)
                    self.math(i, close)
                    i = close
                else:
                    ch = m.group("ch")
                    if ch == "{":
                        close = self.close_of(i, end)
                        self.emit(i + 1, close)
                        i = min(close + 1, end)
                    elif ch == "~":
                        self.out.append(" ")
                        i += 1
                    elif ch == "&":
                        self.out.append("  ")
                        i += 1
                    else:  # a stray }
                        i += 1
        finally:
            self.depth -= 1

    def math(self, start: int, end: int) -> None:
        """Math is kept as LaTeX; a checkbox alone in math mode is a checkbox; an array that is a
        grid is read as a grid."""
        body = self.src[start:end]
        inner = body.strip("$").strip()
        if inner.startswith("\\[") or inner.startswith("\\("):
            inner = inner[2:-2].strip()
        cs = re.fullmatch(r"\\([a-zA-Z]+)\s*(?:\{\s*\})?", inner)
        if cs and cs.group(1) in _CHECKED_CS:
            self.out.append(CHECKED)
            return
        if cs and cs.group(1) in _UNCHECKED_CS:
            self.out.append(UNCHECKED)
            return
        m = re.search(r"\\begin\s*\{array\}", body)
        if m:
            a_start = start + m.end()
            stop, after = self.env_end("array", a_start, end)
            mark = len(self.out)
            if tables.tabular(self, "array", a_start, stop, only_grid=True):
                return
            del self.out[mark:]
        self.out.append(body)

    def control(self, cs: str, i: int, end: int) -> int:
        src = self.src
        name = cs
        if name in ("[", "("):
            closer = "\\]" if name == "[" else "\\)"
            close = src.find(closer, i, end)
            close = end if close < 0 else close + 2
            self.math(i - 2, close)
            return close
        if name == "\\":
            self.out.append("\n")
            star = src.startswith("*", i)
            j = i + 1 if star else i
            opt = self.opt(j, end)
            # "\\[2pt]" takes a length; "\\ [x] (b)" keeps the student's checkbox
            if opt and LENGTH.fullmatch(self.src[opt[0]:opt[1]]):
                return opt[2]
            return j
        if name in _SPACE:
            self.out.append(" ")
            return i
        if name in _LITERAL:
            self.out.append(_LITERAL[name])
            # TeX drops the spaces after a control word ("\\textbackslash rowcolors")
            return skip_blanks(src, i) if name[0].isalpha() else i
        if name in _ACCENTS:
            got = self.arg(i, end)
            if got is None:
                return i
            base = self.capture(got[0], got[1])
            self.out.append(unicodedata.normalize("NFC", base[:1] + _ACCENTS[name] + base[1:]) if base else "")
            return got[2]
        if name == "begin":
            got = self.arg(i, end)
            if got is None:
                return i
            env = src[got[0]:got[1]].strip()
            body_start = got[2]
            stop, after = self.env_end(env, body_start, end)
            self.environment(env, body_start, stop)
            return after
        if name == "end":  # a stray \end{...}
            got = self.arg(i, end)
            return got[2] if got else i
        base = name.rstrip("*")
        if base in _SECTIONS:
            return self.section(base, name.endswith("*"), i, end)
        if name in _CHECKED_CS:
            self.out.append(CHECKED)
            return i
        if name in _UNCHECKED_CS:
            self.out.append(UNCHECKED)
            return i
        if name == "ding":
            got = self.arg(i, end)
            code = self.text_of((got[0], got[1])).strip() if got else ""
            self.out.append(CHECKED if code in {"51", "52", "53", "54", "55", "56"} else
                            UNCHECKED if code in {"113", "114", "111", "112", "109"} else "")
            return got[2] if got else i
        if name == "item":  # outside a list
            self.newline()
            opt = self.opt(i, end)
            if opt:
                self.out.append(self.capture(opt[0], opt[1]) + " ")
                return opt[2]
            self.out.append("- ")
            return i
        if name == "maketitle":
            for part in (self.title, self.author):
                if part:
                    self.newline()
                    self.out.append(part + "\n")
            return i
        if name in {"textcolor", "color"}:
            return self.text_color(name, i, end)
        if name in {"phantom", "hphantom", "vphantom"}:
            got = self.arg(i, end)
            if got:
                self.hide(got[0], got[1], "invisible (\\phantom)")
                return got[2]
            return i
        if name == "fontsize":
            (size, _), j = self.args(i, end, "{{")
            pt = to_pt(self.text_of(size))
            if pt is not None and pt < 2:
                self.hide(j, end, f"font of {pt:g}pt")
                return end
            return j
        if name == "scalebox":
            (factor, _, content), j = self.args(i, end, "{[{")
            try:
                f = float(self.text_of(factor))
            except ValueError:
                f = 1.0
            if content and abs(f) < 0.2:
                self.hide(content[0], content[1], f"scaled to {f:g}")
                return j
            if content:
                self.emit(*content)
            return j
        if name in {"colorbox", "fcolorbox"}:
            spec = "[{{" if name == "colorbox" else "[{{{"
            spans, j = self.args(i, end, spec)
            rgb = self.color(spans[0], spans[-2])
            dark = rgb is not None and sum(rgb) < 1.2
            self.dark_bg += dark
            if spans[-1]:
                self.emit(*spans[-1])
            self.dark_bg -= dark
            return j
        if name in {"textbf", "textit", "emph", "underline", "textsc", "uline"}:
            got = self.arg(i, end)
            if got is None:
                return i
            if _HEADING_TEXT.match(src[got[0]:got[1]]) and not self.at_line_start():
                self.out.append("\n")
            self.emit(got[0], got[1])
            return got[2]
        if name == "setcounter":
            (counter, value), j = self.args(i, end, "{{")
            key = self.text_of(counter).strip()
            if key in self.counters:
                try:
                    self.counters[key] = int(self.text_of(value).strip())
                except ValueError:
                    pass
            return j
        if name == "includegraphics":
            _, j = self.args(i, end, "[{")
            self.out.append("[image]")
            return j
        if name == "href":
            (_, text), j = self.args(i, end, "{{")
            if text:
                self.emit(*text)
            return j
        if name in _DROP:
            _, j = self.args(i, end, _DROP[name])
            return j
        if name in _CONTENT:
            spans, j = self.args(i, end, _CONTENT[name])
            if spans and spans[-1]:
                self.emit(*spans[-1])
            return j
        # any other macro: its name goes, braced arguments after it are read as text
        return i

    def text_color(self, name: str, i: int, end: int) -> int:
        if name == "textcolor":
            (model, spec, content), j = self.args(i, end, "[{{")
            rgb = self.color(model, spec)
            if content is None:
                return j
            if is_light(rgb) and not self.dark_bg:
                self.hide(content[0], content[1], "white text")
            else:
                self.emit(*content)
            return j
        (model, spec), j = self.args(i, end, "[{")
        rgb = self.color(model, spec)
        if is_light(rgb) and not self.dark_bg:
            self.hide(j, end, "white text")
            return end
        return j

    def section(self, name: str, starred: bool, i: int, end: int) -> int:
        (short, title), j = self.args(i, end, "[{")
        if title is None:
            return j
        text = " ".join(self.capture(*title).split())
        number = ""
        if not starred:
            level = _SECTIONS[name]
            self.counters[name] += 1
            for other, lv in _SECTIONS.items():
                if lv > level:
                    self.counters[other] = 0
            # the PDF shows "1.2 Title"; a title that is itself a heading ("Question 1") keeps its own
            if level in (1, 2, 3) and not _HEADING_TEXT.match(text):
                chain = [n for n, lv in _SECTIONS.items() if 1 <= lv <= level]
                number = ".".join(str(self.counters[n]) for n in chain) + " "
        self.out.append("\n\n" + number + text + "\n")
        return j

    # -- environments --------------------------------------------------------------------------------

    def environment(self, env: str, start: int, stop: int) -> None:
        if env == "document":
            self.emit(start, stop)
        elif env in _MATH_ENVS:
            self.newline()
            whole_start = self.src.rfind("\\begin", 0, start)
            self.math(whole_start, min(stop + len(f"\\end{{{env}}}"), len(self.src)))
            self.out.append("\n")
        elif env in tables.TABULARS:
            self.newline()
            tables.tabular(self, env, start, stop)
            self.newline()
        elif env == "tikzpicture":
            self.newline()
            tikz.picture(self, start, stop)
            self.newline()
        elif env in _LISTS:
            lists.listing(self, env, start, stop)
        elif env in {"verbatim", "Verbatim", "lstlisting", "alltt"}:
            opt = self.opt(start, stop)
            self.out.append(self.src[opt[2] if opt else start:stop])
        elif env == "minted":
            _, j = self.args(start, stop, "[{")
            self.out.append(self.src[j:stop])
        elif env in {"comment"}:
            return
        else:
            _, j = self.args(start, stop, _ENV_ARGS.get(env, "["))
            self.newline()
            self.emit(j, stop)
            self.newline()

    def split_top(self, start: int, stop: int, names: set[str]) -> list[tuple[int, int, str]]:
        """Positions of the control sequences `names` (or "&") at the top level of [start, stop):
        not inside braces or nested environments."""
        src = self.src
        found = []
        i = start
        while i < stop:
            self.tick()
            m = TOKEN.match(src, i, stop)
            if m is None:
                i += 1
                continue
            cs = m.group("cs")
            if m.group("ch") == "{":
                i = min(self.close_of(i, stop) + 1, stop)
                continue
            if m.group("ch") == "&" and "&" in names:
                found.append((i, m.end(), "&"))
            elif cs is not None:
                if cs == "begin":
                    got = self.arg(m.end(), stop)
                    if got:
                        env = src[got[0]:got[1]].strip()
                        _, after = self.env_end(env, got[2], stop)
                        i = after
                        continue
                elif cs in names:
                    found.append((i, m.end(), cs))
                elif cs == "[":
                    close = src.find("\\]", m.end(), stop)
                    i = stop if close < 0 else close + 2
                    continue
            elif m.group("d1") is not None:
                i = find_dollar(src, m.end(), stop)
                continue
            elif m.group("dd") is not None:
                close = src.find("$$", m.end(), stop)
                i = stop if close < 0 else close + 2
                continue
            i = m.end()
        return found


LENGTH = re.compile(r"\s*[-+]?(?:\d*\.?\d+\s*(?:pt|bp|mm|cm|in|em|ex|px|sp|dd|pc)?\s*)?(?:\\[a-zA-Z@]+)?\s*")


def to_pt(value: str) -> float | None:
    m = re.match(r"\s*(-?\d*\.?\d+)\s*(pt|bp|mm|cm|in|em|ex|px)?", value)
    if not m:
        return None
    number = float(m.group(1))
    return number * {"pt": 1, "bp": 1.0037, "mm": 2.845, "cm": 28.45, "in": 72.27, "em": 10, "ex": 4.3,
                     "px": 1, None: 1}[m.group(2)]
