"""The walker: the expanded source -> text, with markers for grids, checkboxes and hidden text.

Headings start their own lines, math is kept as LaTeX, checkboxes and marked list items become
"[x] (b)" / "[ ] (a)" (lists.py), tables and TikZ pictures that are grids are read into grid
findings (tables.py, tikz.py). Every piece of text goes through `put`, which sends what a reader
of the PDF would not see (visibility.py: white text, black on black, opacity 0, \\phantom, text
moved off the page or scaled to nothing, an invisible PDF render mode, a box never used) to the
hidden-text log instead of the text.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from grader.ingest.grids import CHECKED, RGB, UNCHECKED, parse_color, parse_color_spec
from grader.ingest.limits import Limits, RejectedFile
from grader.ingest.tex import lists, tables, tikz, visibility
from grader.ingest.tex.arguments import env_end
from grader.ingest.tex.hidden import HiddenLog, HiddenRecord
from grader.ingest.tex.source import (CS, HIDDEN_OPEN, MARKER, PRIVATE, VERB, brace_table, find_dollar,
                                      read_bracketed, skip_blanks, skip_spaces)
from grader.ingest.tex.visibility import BLACK, WHITE, Veil, colour_veil
from grader.ingest.tex.vocabulary import (ACCENTS, CHECKED_CS, CONTENT, DROP, ENV_ARGS, HEADING_TEXT, LISTS, LITERAL,
                                          MATH_ENVS, SECTIONS, SPACE, UNCHECKED_CS)

MAX_NESTING = 120
# "\\[2pt]" is a line break with extra space; a checkbox "\\ [x]" stays text
LENGTH = re.compile(r"\s*[-+]?(?:\d*\.?\d+\s*(?:pt|bp|mm|cm|in|em|ex|px|sp|dd|pc)?\s*)?(?:\\[a-zA-Z@]+)?\s*")

TOKEN = re.compile(
    rf"(?P<verb>{VERB})"
    r"|\\(?P<cs>[a-zA-Z@]+\*?|.)"
    r"|(?P<dd>\$\$)|(?P<d1>\$)|(?P<ch>[{}&~])"
    r"|(?P<text>[^\\{}$&~]+)",
    re.S)


class Walker:
    """Turns the expanded source into text, with markers for grids, checkboxes and hidden text.

    It walks [start, end) ranges of one string with a regex tokenizer; every construct it reads
    (a macro's arguments, a group, an environment) is a sub-range, so nothing is copied and
    positions stay those of the expanded source. Nesting and time are capped."""

    def __init__(self, src: str, colors: dict[str, RGB], started: float, limits: Limits,
                 log: HiddenLog | None = None):
        self.src = src
        self.colors = colors
        self.out: list[str] = []
        self.log = log if log is not None else HiddenLog()
        # what decides whether text is seen (visibility.py)
        self.ink: RGB = BLACK
        self.paper: RGB | None = None  # a box's background; None: the page's
        self.page: RGB = WHITE
        self.veils: list[Veil] = []
        self.literal_veil: Veil | None = None  # set by PDF literals, until another changes it
        self.clip_veil: Veil | None = None  # a clipping path a literal set: until the graphics state is restored
        self.literal_stack: list[tuple[Veil | None, Veil | None, RGB]] = []
        self.ink_stack: list[RGB] = []
        self.colour_hides: Veil | None = None
        self.run: HiddenRecord | None = None  # the hidden text being written
        self.run_veil: Veil | None = None
        self.boxes: dict[str, tuple[str, HiddenRecord | None]] = {}
        self.unit_length = 1.0  # pt, for \put
        self.grids: list[dict] = []  # GridFinding fields except offset/heading, by marker index
        self.grid_source = 0  # where in the source the grid being read starts (its frame, its caption)
        self.counters = {k: 0 for k in SECTIONS}
        self.enum_depth = 0
        self.depth = 0
        self.started = started
        self.limits = limits
        self.steps = 0
        self.title: str | None = None
        self.author: str | None = None
        self.braces = brace_table(src)

    # -- plumbing ----------------------------------------------------------------------------------

    def capture(self, start: int, end: int) -> str:
        mark = len(self.out)
        self.run = None  # hidden runs do not cross a capture: their markers stay in it
        self.emit(start, end)
        self.run = None
        text = "".join(self.out[mark:])
        del self.out[mark:]
        return text

    # -- what is seen ----------------------------------------------------------------------------------

    def put(self, text: str) -> None:
        """Text as TeX sets it: into the text if a reader sees it, into the hidden-text log if not."""
        if not text:
            return
        veil = self.veils[0] if self.veils else (self.literal_veil or self.clip_veil or self.colour_hides)
        if veil is None:
            self.run = None
            self.out.append(text)
            return
        if not text.strip():
            self.out.append(text)
            self.log.extend(self.run, text)
            return
        for m in MARKER.finditer(text):  # hidden text found earlier keeps its place
            if m.group(1) == HIDDEN_OPEN:
                self.out.append(m.group(0))
        clean = PRIVATE.sub("", text)
        if not clean.strip():
            return
        if self.run is None or self.run_veil != veil:
            self.run, mark = self.log.open(*veil)
            self.run_veil = veil
            self.out.append(mark)
        self.log.extend(self.run, clean)

    def veiled(self, start: int, end: int, veil: Veil | None) -> None:
        """Walk [start, end) behind a veil (None: as it is)."""
        if veil is None:
            self.emit(start, end)
            return
        self.veils.append(veil)
        try:
            self.emit(start, end)
        finally:
            self.veils.pop()

    def paper_now(self) -> RGB:
        return self.paper if self.paper is not None else self.page

    def recolour(self) -> None:
        self.colour_hides = colour_veil(self.ink, self.paper_now())

    def inked(self, ink: RGB | None) -> AbstractContextManager[None]:
        return self._coloured("ink", ink)

    def papered(self, paper: RGB | None) -> AbstractContextManager[None]:
        return self._coloured("paper", paper)

    @contextmanager
    def _coloured(self, attribute: str, colour: RGB | None) -> Iterator[None]:
        """The ink or the paper set to `colour` (None: unchanged) while the block runs."""
        old = getattr(self, attribute)
        setattr(self, attribute, colour or old)
        self.recolour()
        try:
            yield
        finally:
            setattr(self, attribute, old)
            self.recolour()

    def save_box(self, register: str, start: int, end: int, reason: str) -> None:
        text = self.capture(start, end)
        self.boxes[register] = (text, visibility.saved_box_record(self, register, text, reason))

    def use_box(self, register: str, keep: bool) -> None:
        text, record = self.boxes.get(register, ("", None))
        if record is not None:
            record.cancelled = True
        self.put(text)
        if not keep:
            self.boxes.pop(register, None)

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
        marked = MARKER.match(self.src, i, end)  # a marker is one token
        stop = marked.end() if marked else i + 1
        return i, stop, stop

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
        """(start of the matching \\end{name}, index after it), searching from i up to end."""
        return env_end(self.src, name, i, end)

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
                    self.put(src[i])
                    i += 1
                    continue
                if m.group("text") is not None:
                    self.put(m.group("text"))
                    i = m.end()
                elif m.group("verb") is not None:
                    self.put(m.group("verb")[len("\\verb"):].lstrip("*")[1:-1])
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
                        self.put(" ")
                        i += 1
                    elif ch == "&":
                        self.put("  ")
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
        if cs and cs.group(1) in CHECKED_CS:
            self.put(CHECKED)
            return
        if cs and cs.group(1) in UNCHECKED_CS:
            self.put(UNCHECKED)
            return
        m = re.search(r"\\begin\s*\{array\}", body)
        if m:
            a_start = start + m.end()
            stop, after = self.env_end("array", a_start, end)
            mark = len(self.out)
            if tables.tabular(self, "array", a_start, stop, only_grid=True):
                return
            del self.out[mark:]
        self.put(visibility.visible_math(self, start, end))

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
            self.put("\n")
            star = src.startswith("*", i)
            j = i + 1 if star else i
            opt = self.opt(j, end)
            # "\\[2pt]" takes a length; "\\ [x] (b)" keeps the student's checkbox
            if opt and LENGTH.fullmatch(self.src[opt[0]:opt[1]]):
                return opt[2]
            return j
        if name in SPACE:
            self.put(" ")
            return i
        if name in LITERAL:
            self.put(LITERAL[name])
            # TeX drops the spaces after a control word ("\\textbackslash rowcolors")
            return skip_blanks(src, i) if name[0].isalpha() else i
        if name in ACCENTS:
            got = self.arg(i, end)
            if got is None:
                return i
            base = self.capture(got[0], got[1])
            self.put(unicodedata.normalize("NFC", base[:1] + ACCENTS[name] + base[1:]) if base else "")
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
        handler = visibility.HANDLERS.get(name.rstrip("*"))
        if handler is not None:  # \hspace* is \hspace that also holds at a line break
            return handler(self, name.rstrip("*"), i, end)
        if name == "tikz":  # \tikz[options]{...} or \tikz[options] \node...;
            return tikz.inline(self, i, end)
        base = name.rstrip("*")
        if base in SECTIONS:
            return self.section(base, name.endswith("*"), i, end)
        if name in CHECKED_CS:
            self.put(CHECKED)
            return i
        if name in UNCHECKED_CS:
            self.put(UNCHECKED)
            return i
        if name == "ding":
            got = self.arg(i, end)
            code = self.text_of((got[0], got[1])).strip() if got else ""
            self.put(CHECKED if code in {"51", "52", "53", "54", "55", "56"} else
                     UNCHECKED if code in {"113", "114", "111", "112", "109"} else "")
            return got[2] if got else i
        if name == "item":  # outside a list
            self.newline()
            opt = self.opt(i, end)
            if opt:
                self.put(self.capture(opt[0], opt[1]) + " ")
                return opt[2]
            self.put("- ")
            return i
        if name == "maketitle":
            for part in (self.title, self.author):
                if part:
                    self.newline()
                    self.put(part + "\n")
            return i
        if name in {"textbf", "textit", "emph", "underline", "textsc", "uline"}:
            got = self.arg(i, end)
            if got is None:
                return i
            if HEADING_TEXT.match(src[got[0]:got[1]]) and not self.at_line_start():
                self.put("\n")
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
            self.put("[image]")
            return j
        if name == "href":
            (_, text), j = self.args(i, end, "{{")
            if text:
                self.emit(*text)
            return j
        if name in DROP:
            _, j = self.args(i, end, DROP[name])
            return j
        if name in CONTENT:
            spans, j = self.args(i, end, CONTENT[name])
            if spans and spans[-1]:
                self.emit(*spans[-1])
            return j
        # any other macro: its name goes, braced arguments after it are read as text
        return i

    def section(self, name: str, starred: bool, i: int, end: int) -> int:
        (short, title), j = self.args(i, end, "[{")
        if title is None:
            return j
        text = " ".join(self.capture(*title).split())
        number = ""
        if not starred:
            level = SECTIONS[name]
            self.counters[name] += 1
            for other, lv in SECTIONS.items():
                if lv > level:
                    self.counters[other] = 0
            # the PDF shows "1.2 Title"; a title that is itself a heading ("Question 1") keeps its own
            if level in (1, 2, 3) and not HEADING_TEXT.match(text):
                chain = [n for n, lv in SECTIONS.items() if 1 <= lv <= level]
                number = ".".join(str(self.counters[n]) for n in chain) + " "
        self.put("\n\n" + number + text + "\n")
        return j

    # -- environments --------------------------------------------------------------------------------

    def environment(self, env: str, start: int, stop: int) -> None:
        if env == "document":
            self.emit(start, stop)
        elif env in MATH_ENVS:
            self.newline()
            whole_start = self.src.rfind("\\begin", 0, start)
            self.math(whole_start, min(stop + len(f"\\end{{{env}}}"), len(self.src)))
            self.put("\n")
        elif env in tables.TABULARS:
            self.newline()
            tables.tabular(self, env, start, stop)
            self.newline()
        elif env == "tikzpicture":
            self.newline()
            tikz.picture(self, start, stop)
            self.newline()
        elif env in LISTS:
            lists.listing(self, env, start, stop)
        elif env in {"verbatim", "Verbatim", "lstlisting", "alltt"}:
            opt = self.opt(start, stop)
            self.put(self.src[opt[2] if opt else start:stop])
        elif env == "minted":
            _, j = self.args(start, stop, "[{")
            self.put(self.src[j:stop])
        elif env in visibility.ENV_HANDLERS:
            visibility.ENV_HANDLERS[env](self, env, start, stop)
        elif env == "comment":  # the expander logs it; kept out here all the same
            return
        else:
            _, j = self.args(start, stop, ENV_ARGS.get(env, "["))
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
