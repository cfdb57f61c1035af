"""LaTeX source, read without ever running TeX.

1. `\\input`/`\\include`/`\\usepackage{<local .sty>}` are spliced in, for files inside the
   submission folder only (never `..` or absolute paths), with depth and size caps.
2. Comments are stripped and the student's own macros expanded (`\\newcommand`, `\\def`,
   `\\newenvironment`, ... with arguments), with caps against macros that never end.
3. A walker turns the body into text: headings at the start of their own lines, math kept as
   LaTeX, checkboxes and marked list items as "[x] (b)" / "[ ] (a)", hidden text (white,
   `\\phantom`, 1pt fonts) set aside, and every 5x5 grid (tabular with `\\cellcolor`,
   `\\rowcolor`, `\\columncolor`, `\\colorbox`, `tblr`, TikZ `\\fill`, `\\foreach`,
   `matrix of nodes`) read into a GridFinding anchored where it sits in the text.

pylatexenc's walker was measured at about 100 KB/s on these files (130 ms for a 13 KB source) and
raises RecursionError/IndexError on hostile input; the tokenizer here is a few regexes with
explicit caps. pylatexenc still turns accented names into Unicode (`Jos\\'e`).
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from grader.ingest.document import Document, GridFinding, HiddenText
from grader.ingest.grids import (CHECKED, RGB, UNCHECKED, Fill, Label, checkbox_options, heading_index,
                                 is_light, nearest_heading, parse_color, parse_color_spec, read_cells)
from grader.ingest.limits import Limits, RejectedFile
from grader.ingest.text import decode, students_from_text

MAX_INCLUDE_DEPTH = 8
MAX_INCLUDES = 200
MAX_EXPANSIONS = 50_000
MAX_EXPANSION_DEPTH = 60
MAX_NESTING = 120
MAX_TIKZ_STATEMENTS = 20_000

# Private-use characters: markers the walker leaves in the text and a last pass resolves. Student
# text cannot hold them (they are removed on reading).
_GRID_OPEN, _GRID_CLOSE, _HIDDEN_OPEN = "\ue000", "\ue001", "\ue002"
_CHECKED, _UNCHECKED = CHECKED, UNCHECKED
_PRIVATE = re.compile("[\ue000-\ue01f]")

# --- 1. comments ---------------------------------------------------------------------------------

_VERBATIM_ENVS = "verbatim|Verbatim|lstlisting|minted|comment|alltt"
# \verb|...| ends on its own line; bounded so that a line of unclosed \verb stays linear
_VERB = r"\\verb\*?(?P<d>[^a-zA-Z\s*])(?:(?!(?P=d))[^\n]){0,500}(?P=d)"
_VERB_START = re.compile(rf"{_VERB}|\\begin\s*\{{(?P<env>{_VERBATIM_ENVS})\*?\}}|\\[^\n]", re.S)


def _verbatim_end(src: str, m: re.Match) -> int:
    """Where the verbatim region opened by match `m` ends: the line's \\verb delimiter, or the
    environment's \\end (or the end of the text: TeX would read to the end too)."""
    if m.group("env") is None:
        return m.end()
    end = re.compile(r"\\end\s*\{" + re.escape(m.group("env")) + r"\*?\}").search(src, m.end())
    return end.end() if end else len(src)


def verbatim_regions(src: str) -> list[tuple[int, int]]:
    """(start, end) of every \\verb and verbatim environment, in one linear pass."""
    regions = []
    i = 0
    while True:
        m = _VERB_START.search(src, i)
        if m is None:
            return regions
        if m.group("d") is None and m.group("env") is None:  # an escaped character
            i = m.end()
            continue
        end = _verbatim_end(src, m)
        regions.append((m.start(), end))
        i = end


_COMMENT = re.compile(r"\\[^\n]|(?P<comment>%[^\n]*)", re.S)


def strip_comments(src: str) -> str:
    """Remove `% ...` comments (not `\\%`, not inside `\\verb` or verbatim environments).

    The newline after a comment is kept, so line structure (and idempotence) survives."""
    out = []
    last = 0
    for start, stop in verbatim_regions(src) + [(len(src), len(src))]:
        piece_start = last
        for m in _COMMENT.finditer(src, last, start):
            if m.group("comment") is not None:
                out.append(src[piece_start:m.start()])
                piece_start = m.end()
        out.append(src[piece_start:stop])
        last = stop
    return "".join(out)


# --- 2. includes ---------------------------------------------------------------------------------

_INCLUDE = re.compile(
    r"\\(?P<cmd>input|include|subfile|InputIfFileExists)\s*\{(?P<arg>[^{}\n]*)\}"
    r"|\\(?P<pkg>usepackage|RequirePackage)\s*(?:\[[^\]]*\])?\s*\{(?P<pkgs>[^{}]*)\}"
    r"|\\input\s+(?P<bare>[^\s{}\\]+)")


@dataclass
class _IncludeState:
    root: Path
    base: Path
    limits: Limits
    problems: list[str]
    count: int = 0
    size: int = 0


def _safe_file(name: str, st: _IncludeState, suffixes: tuple[str, ...]) -> Path | None:
    """The file `name` refers to, if it lies inside the submission; otherwise None (noted)."""
    name = name.strip().strip('"')
    if not name:
        return None
    if name.startswith(("/", "\\", "~")) or re.match(r"^[a-zA-Z]:", name) or ".." in Path(name).parts:
        st.problems.append(f"\\input{{{name}}} points outside the submission folder; it was not read")
        return None
    root = st.root.resolve()
    for suffix in suffixes:
        candidate = st.base / (name + suffix)
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if not resolved.is_relative_to(root):
            st.problems.append(f"{name} points outside the submission folder; it was not read")
            return None
        if resolved.is_file():
            return resolved
    return None


def resolve_includes(src: str, st: _IncludeState, depth: int = 0, stack: tuple[Path, ...] = ()) -> str:
    """Splice \\input/\\include files and local packages into the (comment-stripped) source."""

    def splice(m: re.Match) -> str:
        if m.group("pkg"):
            kept = []
            spliced = []
            for pkg in (p.strip() for p in m.group("pkgs").split(",")):
                if not pkg:
                    continue
                path = _safe_file(pkg, st, (".sty",)) if re.fullmatch(r"[\w\-./]+", pkg) else None
                if path is None:
                    kept.append(pkg)
                else:
                    spliced.append(load(path, f"\\usepackage{{{pkg}}}"))
            head = f"\\{m.group('pkg')}{{{','.join(kept)}}}" if kept else ""
            return head + "\n".join(spliced)
        name = m.group("arg") if m.group("cmd") else m.group("bare")
        path = _safe_file(name, st, ("", ".tex"))
        if path is None:
            if not any(name.strip() in p for p in st.problems):
                st.problems.append(f"\\input{{{name.strip()}}}: no such file in the submission")
            return ""
        return load(path, f"\\input{{{name.strip()}}}")

    def load(path: Path, what: str) -> str:
        if depth + 1 > MAX_INCLUDE_DEPTH or path in stack:
            st.problems.append(f"{what} is nested too deeply (or includes itself); it was not read")
            return ""
        st.count += 1
        if st.count > MAX_INCLUDES:
            raise RejectedFile(f"more than {MAX_INCLUDES} files are \\input")
        raw = path.read_bytes()
        st.size += len(raw)
        if st.size > st.limits.max_text_chars:
            raise RejectedFile(f"the LaTeX sources together are larger than {st.limits.max_text_chars:,} characters")
        text, problems = decode(raw, path.name)
        st.problems.extend(problems)
        text = strip_comments(_PRIVATE.sub("", text))
        return resolve_includes(text, st, depth + 1, stack + (path,)) + "\n"

    return _outside_verbatim(src, _INCLUDE, splice)


def _outside_verbatim(src: str, pattern: re.Pattern, repl) -> str:
    out = []
    last = 0
    for start, stop in verbatim_regions(src) + [(len(src), len(src))]:
        out.append(pattern.sub(repl, src[last:start]))
        out.append(src[start:stop])
        last = stop
    return "".join(out)


# --- 3. macros -----------------------------------------------------------------------------------

@dataclass
class Macro:
    nargs: int
    body: str
    default: str | None = None  # the first argument is optional with this default


@dataclass
class Env:
    nargs: int
    begin: str
    end: str
    default: str | None = None


_CS = re.compile(r"\\([a-zA-Z@]+|[^a-zA-Z@])")
_DEFINERS = {"newcommand", "renewcommand", "providecommand", "DeclareRobustCommand",
             "DeclareMathOperator", "newenvironment", "renewenvironment", "def", "gdef",
             "edef", "xdef", "let", "NewDocumentCommand", "RenewDocumentCommand",
             "DeclareDocumentCommand", "ProvideDocumentCommand"}


class MacroExpander:
    """Expands user-defined macros and environments, TeX-style: definitions are read in order,
    uses are replaced by their bodies with arguments substituted, and the result is expanded again."""

    def __init__(self, limits: Limits | None = None):
        self.macros: dict[str, Macro] = {}
        self.envs: dict[str, Env] = {}
        self.expansions = 0
        self.max_chars = (limits.max_text_chars if limits else 2_000_000)

    def expand(self, src: str, depth: int = 0) -> str:
        if depth > MAX_EXPANSION_DEPTH:
            raise RejectedFile(f"a macro expands into itself more than {MAX_EXPANSION_DEPTH} times")
        out: list[str] = []
        size = 0
        i = 0
        n = len(src)
        while i < n:
            j = src.find("\\", i)
            if j < 0:
                out.append(src[i:])
                break
            out.append(src[i:j])
            m = _CS.match(src, j)
            if m is None:  # a backslash at the very end
                out.append(src[j:])
                break
            name = m.group(1)
            k = m.end()
            if name in ("verb", "begin"):
                v = _VERB_START.match(src, j)
                if v and (v.group("d") or v.group("env")):
                    stop = _verbatim_end(src, v)
                    out.append(src[j:stop])
                    i = stop
                    continue
                env = _read_braced(src, k)
                if env and env[0].strip() in self.envs:
                    piece, i = self._use_env(src, env[0].strip(), env[1])
                    out.append(self.expand(piece, depth + 1))
                    continue
            elif name == "end":
                env = _read_braced(src, k)
                if env and env[0].strip() in self.envs:
                    out.append(self.expand(self.envs[env[0].strip()].end, depth + 1))
                    i = env[1]
                    continue
            if name in _DEFINERS:
                i = self._define(src, name, k)
                if i > k or name in {"def", "gdef", "edef", "xdef", "let"}:
                    continue
                out.append(src[j:k])
                i = k
                continue
            macro = self.macros.get(name)
            if macro is None:
                out.append(src[j:k])
                i = k
                continue
            args, i = self._read_args(src, k, macro)
            if args is None:  # the arguments are missing (end of text): leave it as written
                out.append(src[j:k])
                i = k
                continue
            self.expansions += 1
            if self.expansions > MAX_EXPANSIONS:
                raise RejectedFile(f"macros expand more than {MAX_EXPANSIONS:,} times")
            piece = self.expand(_substitute(macro.body, args), depth + 1)
            out.append(piece)
            if i < n and src[i].isalpha() and _ENDS_IN_WORD.search(piece[-40:]):
                out.append(" ")  # a control word must stay apart from the letters after it
            size += len(piece)
            if size > self.max_chars:
                raise RejectedFile(f"macros expand to more than {self.max_chars:,} characters")
        return "".join(out)

    def _read_args(self, src: str, i: int, macro: Macro | Env) -> tuple[list[str] | None, int]:
        args: list[str] = []
        count = macro.nargs
        if macro.default is not None and count:
            opt = _read_bracketed(src, _skip_spaces(src, i))
            if opt is not None:
                args.append(opt[0])
                i = opt[1]
            else:
                args.append(macro.default)
            count -= 1
        for _ in range(count):
            i = _skip_spaces(src, i)
            if i >= len(src):
                return None, i
            if src[i] == "{":
                got = _read_braced(src, i)
                if got is None:
                    return None, i
                args.append(got[0])
                i = got[1]
            elif src[i] == "\\":
                m = _CS.match(src, i)
                if m is None:  # a backslash at the very end
                    return None, i
                args.append(m.group(0))
                i = m.end()
            elif src[i] in "}":
                return None, i
            else:
                args.append(src[i])
                i += 1
        return args, i

    def _use_env(self, src: str, name: str, after: int) -> tuple[str, int]:
        env = self.envs[name]
        args, i = self._read_args(src, after, env)
        if args is None:
            args, i = [], after
        return _substitute(env.begin, args), i

    def _define(self, src: str, name: str, k: int) -> int:
        """Record a definition starting after `\\name` at k; return where it ends (k if unreadable)."""
        i = k
        if name in {"def", "gdef", "edef", "xdef"}:
            m = _CS.match(src, _skip_spaces(src, i))
            if not m:
                return k
            target = m.group(1)
            params = re.match(r"(?:#\d)*", src[m.end():])
            after = m.end() + params.end()
            if after >= len(src) or src[after] != "{":
                # delimited parameters (\def\x#1.{...}) are not expanded: skip the definition
                got = _find_braced_after(src, after)
                return got if got is not None else k
            body = _read_braced(src, after)
            if body is None:
                return k
            self.macros[target] = Macro(len(params.group(0)) // 2, body[0])
            return body[1]
        if name == "let":
            m = re.compile(r"\s*\\([a-zA-Z@]+|.)\s*=?\s*\\([a-zA-Z@]+|.)").match(src, i)
            if not m:
                return k
            if m.group(2) in self.macros:
                self.macros[m.group(1)] = self.macros[m.group(2)]
            return m.end()
        star = src.startswith("*", i)
        if star:
            i += 1
        i = _skip_spaces(src, i)
        if name in {"newenvironment", "renewenvironment"}:
            target = _read_braced(src, i)
            if target is None:
                return k
            i = target[1]
            nargs, default, i = _read_arg_count(src, i)
            begin = _read_braced(src, _skip_spaces(src, i))
            if begin is None:
                return k
            end = _read_braced(src, _skip_spaces(src, begin[1]))
            if end is None:
                return k
            self.envs[target[0].strip()] = Env(nargs, begin[0], end[0], default)
            return end[1]
        # \newcommand{\name} or \newcommand\name
        if src.startswith("{", i):
            target = _read_braced(src, i)
            if target is None:
                return k
            cs = _CS.match(target[0].strip())
            if not cs:
                return k
            tname, i = cs.group(1), target[1]
        else:
            cs = _CS.match(src, i)
            if not cs:
                return k
            tname, i = cs.group(1), cs.end()
        if name == "DeclareMathOperator":
            body = _read_braced(src, _skip_spaces(src, i))
            if body is None:
                return k
            self.macros[tname] = Macro(0, f"\\operatorname{{{body[0]}}}")
            return body[1]
        if name.endswith("DocumentCommand"):
            spec = _read_braced(src, _skip_spaces(src, i))
            if spec is None:
                return k
            kinds = re.findall(r"[mo]|O\{[^}]*\}", spec[0])
            body = _read_braced(src, _skip_spaces(src, spec[1]))
            if body is None:
                return k
            default = None
            if kinds and kinds[0] != "m":
                default = kinds[0][2:-1] if kinds[0].startswith("O") else ""
            if name != "ProvideDocumentCommand" or tname not in self.macros:
                self.macros[tname] = Macro(len(kinds), body[0], default)
            return body[1]
        nargs, default, i = _read_arg_count(src, i)
        body = _read_braced(src, _skip_spaces(src, i))
        if body is None:
            return k
        if name != "providecommand" or tname not in self.macros:
            self.macros[tname] = Macro(nargs, body[0], default)
        return body[1]


def _read_arg_count(src: str, i: int) -> tuple[int, str | None, int]:
    nargs = 0
    default = None
    opt = _read_bracketed(src, _skip_spaces(src, i))
    if opt is not None and opt[0].strip().isdigit():
        nargs = min(9, int(opt[0].strip()))
        i = opt[1]
        opt2 = _read_bracketed(src, _skip_spaces(src, i))
        if opt2 is not None:
            default = opt2[0]
            i = opt2[1]
    return nargs, default, i


_ENDS_IN_WORD = re.compile(r"\\[a-zA-Z@]+$")


def _substitute(body: str, args: list[str]) -> str:
    """#1..#9 -> arguments, ## -> #. TeX tokenizes before substituting, so a control word before
    an argument that starts with a letter must stay apart from it: a space keeps them apart."""
    out: list[str] = []
    last = 0
    for m in re.finditer(r"##|#([1-9])", body):
        out.append(body[last:m.start()])
        if m.group(0) == "##":
            out.append("#")
        else:
            index = int(m.group(1)) - 1
            value = args[index] if index < len(args) else ""
            if value[:1].isalpha() and _ENDS_IN_WORD.search(body[max(0, m.start() - 40):m.start()]):
                out.append(" ")
            out.append(value)
        last = m.end()
    out.append(body[last:])
    return "".join(out)


def _skip_blanks(src: str, i: int) -> int:
    n = len(src)
    while i < n and src[i] in " \t":
        i += 1
    return i


def _skip_spaces(src: str, i: int) -> int:
    n = len(src)
    while i < n and src[i] in " \t\r\n":
        i += 1
    return i


def _read_braced(src: str, i: int) -> tuple[str, int] | None:
    """`{...}` starting at i (after optional spaces): its content and the index after it.

    Matching braces come from a table built once per text: an unclosed `{` repeated many times
    must not make reading quadratic."""
    i = _skip_spaces(src, i)
    if i >= len(src) or src[i] != "{":
        return None
    close = _brace_table(src).get(i)
    if close is None:
        return None
    return src[i + 1:close], close + 1


MAX_OPTION = 800  # an optional argument longer than this is not one (and scanning stays cheap)
_BRACKET_SCAN = re.compile(r"\\.|[{}\]]|\n\s*\n", re.S)


def _read_bracketed(src: str, i: int, end: int | None = None) -> tuple[str, int] | None:
    """`[...]` at i, with brackets inside braces allowed; never across a blank line."""
    n = min(len(src) if end is None else end, i + MAX_OPTION)
    if i >= n or src[i] != "[":
        return None
    close = src.find("]", i + 1, n)
    if close < 0:
        return None
    inside = src[i + 1:close]
    if "{" not in inside and "\\" not in inside:  # the common case, at C speed
        return None if re.search(r"\n\s*\n", inside) else (inside, close + 1)
    depth = 0
    for m in _BRACKET_SCAN.finditer(src, i + 1, n):
        c = m.group(0)
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif c == "]" and depth <= 0:
            return src[i + 1:m.start()], m.end()
        elif c[0] == "\n":
            return None
    return None


def _find_braced_after(src: str, i: int) -> int | None:
    """Index after the first brace group following i (skipping a delimited parameter text)."""
    j = src.find("{", i)
    if j < 0 or j - i > 200:
        return None
    got = _read_braced(src, j)
    return got[1] if got else None


def expand_macros(src: str, limits: Limits | None = None) -> str:
    return MacroExpander(limits).expand(src)


# --- 4. the walker ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    rf"(?P<verb>{_VERB})"
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
_TABULARS = {"tabular": "[{", "tabular*": "{[{", "tabularx": "{[{", "tabulary": "{[{", "array": "[{",
             "longtable": "[{", "tblr": "[{", "longtblr": "[[{", "talltblr": "[[{", "NiceTabular": "[{[",
             "NiceArray": "{[", "tabu": "{", "supertabular": "{", "xltabular": "{[{", "matrix": "",
             "bmatrix": "", "pmatrix": ""}
_LISTS = {"enumerate", "itemize", "description", "compactenum", "compactitem", "asparaenum",
          "inparaenum", "enumerate*", "itemize*", "todolist", "checklist", "choices", "oneparchoices",
          "checkboxes", "tasks"}
_ENV_ARGS = {"minipage": "[[[{", "multicols": "{", "multicols*": "{", "wrapfigure": "[{[{",
             "subfigure": "[{", "tcolorbox": "[", "mdframed": "[", "figure": "[", "figure*": "[",
             "table": "[", "table*": "[", "adjustbox": "{", "framed": "", "center": "", "proof": "[",
             "thebibliography": "{", "minted": "[{", "scope": "[", "spacing": "{", "resizebox": "{{"}
_HEADING_TEXT = re.compile(r"^\s*(?:(?:Q(?:uestion)?|Problem|Exercise|Part|Answer|Solution)\s*\d|\d+\s*\.\s*\d)", re.I)
_OPTION_TOKEN = re.compile(r"(?<![\w\\])[(\[][a-hA-H][)\]](?!\w)")
_LABEL_TOKEN = re.compile(r"(?<![\d.])([1-9][1-9])(?![\d.])")


class _Walker:
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
        self.braces = _brace_table(src)

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
        i = _skip_spaces(self.src, i)
        if i >= end:
            return None
        c = self.src[i]
        if c == "{":
            close = self.close_of(i, end)
            return i + 1, close, min(close + 1, end)
        if c == "\\":
            m = _CS.match(self.src, i)
            if m is None:  # a lone backslash at the very end of the source
                return i, i + 1, i + 1
            return i, m.end(), m.end()
        if c in "}&":
            return None
        return i, i + 1, i + 1

    def opt(self, i: int, end: int) -> tuple[int, int, int] | None:
        j = _skip_spaces(self.src, i)
        if j < end and self.src[j] == "[":
            got = _read_bracketed(self.src, j, end)
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
        text = _PRIVATE.sub("", self.capture(start, end)).strip()
        if text:
            # a marker where the text was left out; its offset in the final text is found later
            self.out.append(f"{_HIDDEN_OPEN}{len(self.hidden)}{_GRID_CLOSE}")
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
                m = _TOKEN.match(src, i, end)
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
                    close = _find_dollar(src, m.end(), end)
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
            self.out.append(_CHECKED)
            return
        if cs and cs.group(1) in _UNCHECKED_CS:
            self.out.append(_UNCHECKED)
            return
        m = re.search(r"\\begin\s*\{array\}", body)
        if m:
            a_start = start + m.end()
            stop, after = self.env_end("array", a_start, end)
            mark = len(self.out)
            if self.tabular("array", a_start, stop, only_grid=True):
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
            if opt and _LENGTH.fullmatch(self.src[opt[0]:opt[1]]):
                return opt[2]
            return j
        if name in _SPACE:
            self.out.append(" ")
            return i
        if name in _LITERAL:
            self.out.append(_LITERAL[name])
            # TeX drops the spaces after a control word ("\\textbackslash rowcolors")
            return _skip_blanks(src, i) if name[0].isalpha() else i
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
            self.out.append(_CHECKED)
            return i
        if name in _UNCHECKED_CS:
            self.out.append(_UNCHECKED)
            return i
        if name == "ding":
            got = self.arg(i, end)
            code = self.text_of((got[0], got[1])).strip() if got else ""
            self.out.append(_CHECKED if code in {"51", "52", "53", "54", "55", "56"} else
                            _UNCHECKED if code in {"113", "114", "111", "112", "109"} else "")
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
            pt = _to_pt(self.text_of(size))
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
        elif env in _TABULARS:
            self.newline()
            self.tabular(env, start, stop)
            self.newline()
        elif env == "tikzpicture":
            self.newline()
            self.tikz(start, stop)
            self.newline()
        elif env in _LISTS:
            self.listing(env, start, stop)
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

    # lists: options become "[x] (b)" / "[ ] (a)" when some items are marked as chosen
    def listing(self, env: str, start: int, stop: int) -> None:
        opt = self.opt(start, stop)
        style = self.text_of((opt[0], opt[1])) if opt else ""
        j = opt[2] if opt else start
        self.list_depth += 1
        try:
            items = self.split_items(j, stop)
            enumerated = env not in {"itemize", "itemize*", "description", "todolist", "checklist",
                                     "compactitem", "checkboxes"}
            if enumerated:
                self.enum_depth += 1
            labels = [_auto_label(style, n, self.enum_depth, env) if enumerated else "-" for n in range(len(items))]
            # a letter counter: the first two labels differ by "a" -> "b" ("(a)", "(b)")
            first, second = (_auto_label(style, 0, self.enum_depth, env), _auto_label(style, 1, self.enum_depth, env))
            letters = enumerated and any(x in "aA" and y in "bB" for x, y in zip(first, second))
            rendered = []
            for n, (label_span, body_start, body_end) in enumerate(items):
                label = self.capture(*label_span).strip() if label_span else None
                body = self.capture(body_start, body_end).strip()
                raw = self.src[body_start:body_end].strip()
                rendered.append((n, label, body, raw))
            self.render_items(rendered, letters, labels)
        finally:
            self.list_depth -= 1
            if enumerated:
                self.enum_depth -= 1

    def split_items(self, start: int, stop: int) -> list[tuple[tuple[int, int] | None, int, int]]:
        cuts = [(pos, after) for pos, after, tok in self.split_top(start, stop, {"item"})]
        items = []
        for k, (pos, after) in enumerate(cuts):
            body_end = cuts[k + 1][0] if k + 1 < len(cuts) else stop
            opt = self.opt(after, body_end)
            if opt and self.src[after:opt[0] - 1].strip() == "":
                items.append(((opt[0], opt[1]), opt[2], body_end))
            else:
                items.append((None, after, body_end))
        return items

    def render_items(self, items, letters: bool, auto_labels: list[str]) -> None:
        """Items that are options of a choice, some marked as chosen (a check mark in the label or
        after the text, the whole item in bold), become "[x] (b) ..." and "[ ] (a) ..."."""
        marks = []
        for n, label, body, raw in items:
            plain_label = (label or "").replace(_CHECKED, "").replace(_UNCHECKED, "").strip()
            options_in_body = len(_OPTION_TOKEN.findall(body))
            letter = None
            explicit = re.match(r"^\(?([a-hA-H])[).]?$", plain_label)
            if explicit:
                letter = explicit.group(1).lower()
            elif plain_label:
                letter = None  # "3.1", "True": the item is not an option
            elif options_in_body == 1 and re.match(r"^\s*[(\[]([a-hA-H])[)\]]", body):
                letter = re.match(r"^\s*[(\[]([a-hA-H])[)\]]", body).group(1).lower()
            elif options_in_body == 0 and letters and n < 8:
                letter = "abcdefgh"[n]
            checked = _CHECKED in (label or "") or _CHECKED in body
            bold = bool(re.fullmatch(r"\\(?:textbf|underline|uline|hl|colorbox\{[^{}]*\}|fbox|framebox)\s*\{.*\}\s*"
                                     r"(?:\\checkmark)?\s*\.?", raw, re.S)) or raw.startswith("\\bfseries")
            marks.append((letter, checked, bold))
        options = [m for m in marks if m[0]]
        bolds = sum(1 for m in options if m[2])
        chosen_by_bold = 0 < bolds < len(options) and len(options) >= 2
        any_marked = len(options) >= 2 and (any(m[1] for m in options) or chosen_by_bold)
        for (n, label, body, raw), (letter, checked, bold) in zip(items, marks):
            self.newline()
            if any_marked and letter:
                on = checked or (chosen_by_bold and bold)
                rest = body.replace(_CHECKED, "").replace(_UNCHECKED, "").strip()
                rest = re.sub(r"^[(\[]?[a-hA-H][)\]]\s*", "", rest)
                self.out.append(f"[{'x' if on else ' '}] ({letter}) {rest}\n")
                continue
            if label is None:
                label = auto_labels[n]  # as the PDF prints it: "(a)", "1.", "Q1.2)"
            self.out.append(f"{label} {body}\n")

    def split_top(self, start: int, stop: int, names: set[str]) -> list[tuple[int, int, str]]:
        """Positions of the control sequences `names` (or "&") at the top level of [start, stop):
        not inside braces or nested environments."""
        src = self.src
        found = []
        i = start
        while i < stop:
            self.tick()
            m = _TOKEN.match(src, i, stop)
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
                i = _find_dollar(src, m.end(), stop)
                continue
            elif m.group("dd") is not None:
                close = src.find("$$", m.end(), stop)
                i = stop if close < 0 else close + 2
                continue
            i = m.end()
        return found

    # -- tabulars -----------------------------------------------------------------------------------

    def tabular(self, env: str, start: int, stop: int, only_grid: bool = False) -> bool:
        spec_kinds = _TABULARS.get(env, "[{")
        spans, j = self.args(start, stop, spec_kinds)
        colspec = self.text_of(spans[-1]) if spans and spec_kinds.endswith("{") else ""
        if env == "NiceTabular":
            colspec = self.text_of(spans[1])
        tblr = env in {"tblr", "longtblr", "talltblr"}
        columns = [] if tblr else _column_colors(colspec, self)
        rows = self.table_rows(j, stop)
        grid = self.table_grid(rows, columns, colspec if tblr else "")
        if grid is None:
            if only_grid:
                return False
            for row in rows:
                texts = [t for t in (c["text"] for c in row) if t]
                if texts:
                    self.out.append("  ".join(texts) + "\n")
            return True
        self.out.append(grid)
        return True

    def table_rows(self, start: int, stop: int) -> list[list[dict]]:
        cuts = self.split_top(start, stop, {"&", "\\", "tabularnewline", "cr"})
        rows: list[list[dict]] = []
        row: list[tuple[int, int]] = []
        i = start
        for pos, after, tok in cuts + [(stop, stop, "\\")]:
            row.append((i, pos))
            if tok == "&":
                i = after
                continue
            rows.append([self.cell(a, b) for a, b in row])
            row = []
            i = after
            if tok == "\\":  # \\[2pt], \\*
                if self.src.startswith("*", i):
                    i += 1
                opt = self.opt(i, stop)
                if opt:
                    i = opt[2]
        # drop rows that hold nothing (after the last \\, or only rules)
        return [r for r in rows if any(c["text"] or c["colors"] for c in r)]

    def cell(self, start: int, stop: int) -> dict:
        """One cell: its text, its span, its colours by layer, how its label is printed."""
        src = self.src
        raw = src[start:stop]
        info: dict = {"span": 1, "colors": {}, "style": (), "text": ""}
        content = (start, stop)
        mc = re.match(r"\s*(?:\\(?:hline|toprule|midrule|bottomrule|cline\s*\{[^}]*\}|hhline\s*\{[^}]*\}|"
                      r"cmidrule\s*(?:\([^)]*\))?\s*\{[^}]*\})\s*)*\\multicolumn\b", raw)
        if mc:
            (n, spec, body), _ = self.args(start + mc.end(), stop, "{{{")
            try:
                info["span"] = max(1, min(9, int(self.text_of(n).strip())))
            except ValueError:
                info["span"] = 1
            cols = _column_colors(self.text_of(spec), self)
            if cols and cols[0] is not None:
                info["colors"]["column"] = cols[0]
            if body:
                content = body
        body_src = src[content[0]:content[1]]
        for m in re.finditer(r"\\(rowcolor|cellcolor|colorbox|fcolorbox|hl|highlight|SetCell|SetRow)\b", body_src):
            kind = m.group(1)
            at = content[0] + m.end()
            if kind in {"rowcolor", "cellcolor"}:
                (model, spec), _ = self.args(at, content[1], "[{")
                info["colors"]["row" if kind == "rowcolor" else "cell"] = (self.color(model, spec),)
            elif kind == "colorbox":
                (model, spec, _), _ = self.args(at, content[1], "[{{")
                info["colors"]["box"] = (self.color(model, spec),)
            elif kind == "fcolorbox":
                (model, _, spec, _), _ = self.args(at, content[1], "[{{{")
                info["colors"]["box"] = (self.color(model, spec),)
            elif kind in {"hl", "highlight"}:
                info["colors"]["box"] = ((1.0, 1.0, 0.0),)
            else:  # tabularray \SetCell[..]{bg=...}
                (_, keys), _ = self.args(at, content[1], "[{")
                bg = re.search(r"bg\s*=\s*([^,}]+)", self.text_of(keys))
                if bg:
                    info["colors"]["tblr" if kind == "SetCell" else "row"] = (parse_color(bg.group(1), self.colors),)
        bold = bool(re.search(r"\\(?:textbf|bfseries|bf|mathbf|boldsymbol)\b", body_src))
        tc = re.search(r"\\(?:textcolor|color)\s*(?:\[([^\]]*)\])?\s*\{([^}]*)\}", body_src)
        text_color = None
        if tc:
            rgb = parse_color_spec(tc.group(1), tc.group(2)) if tc.group(1) else parse_color(tc.group(2), self.colors)
            if rgb is None or max(rgb) - min(rgb) > 0.1 or max(rgb) > 0.2:
                text_color = tc.group(2)
        info["style"] = (text_color, bold)
        text = self.capture(*content)
        # "$11$" reads as 11, as in the PDF
        info["text"] = " ".join(re.sub(r"\$\s*(\d+)\s*\$", r"\1", _PRIVATE.sub("", text)).split())
        return info

    def table_grid(self, rows: list[list[dict]], columns: list[tuple | None], tblr_spec: str) -> str | None:
        size = len(rows)
        if not 2 <= size <= 9:
            return None
        if any(sum(c["span"] for c in row) != size for row in rows):
            return None
        tblr = _tblr_colors(tblr_spec, size, self.colors) if tblr_spec else {}
        labels: list[Label] = []
        fills: list[Fill] = []
        matched = empty = 0
        unit = 10.0
        for r, row in enumerate(rows, start=1):
            c = 1
            for cell in row:
                found = {m.group(1) for m in _LABEL_TOKEN.finditer(cell["text"])}
                span_labels = [f"{r}{c + k}" for k in range(cell["span"])]
                matched += sum(1 for lab in span_labels if lab in found)
                empty += not cell["text"].strip()
                for k, lab in enumerate(span_labels):
                    col = c + k
                    labels.append(Label(lab, col * unit, r * unit, 1.0, 1.0, cell["style"], 0))
                    layers = [("column", columns[col - 1] if col - 1 < len(columns) else None),
                              ("tblr", tblr.get((r, col))),
                              ("row", cell["colors"].get("row") or _row_color(row)),
                              ("column", cell["colors"].get("column")),
                              ("cell", cell["colors"].get("cell")),
                              ("tblr", cell["colors"].get("tblr")),
                              ("box", cell["colors"].get("box"))]
                    for order, (layer, value) in enumerate(layers):
                        if value is None:
                            continue
                        rgb = value[0] if isinstance(value, tuple) else value
                        x, y = col * unit, r * unit
                        fills.append(Fill(x - unit / 2, y - unit / 2, x + unit / 2, y + unit / 2, rgb, order))
                c += cell["span"]
        total = size * size
        if not (matched >= 0.6 * total or (empty == sum(len(r) for r in rows) and size == 5)):
            return None
        grid = {lab.text: lab for lab in labels}
        method = "tex-colorbox" if any(f.order == 6 for f in fills) else "tex-cellcolor"
        reading = read_cells(grid, fills, method, "tex-text-mark")
        index = len(self.grids)
        self.grids.append({"cells": reading.cells, "method": reading.method,
                           "confidence": reading.confidence, "note": reading.note,
                           "labels": tuple(sorted(grid, key=lambda t: (int(t[0]), int(t[1:]))))})
        lines = []
        for row in rows:
            lines.append(" ".join(c["text"] for c in row))
        return f"{_GRID_OPEN}{index}{_GRID_CLOSE}" + "\n".join(lines) + "\n"

    # -- TikZ ---------------------------------------------------------------------------------------

    def tikz(self, start: int, stop: int) -> None:
        opt = self.opt(start, stop)
        body = self.src[opt[2] if opt else start:stop]
        statements = _tikz_statements(body, [0])
        labels: list[Label] = []
        fills: list[Fill] = []
        grids_drawn: list[tuple[float, float, float, float, float]] = []
        texts: list[str] = []
        matrix_done = False
        for order, st in enumerate(statements):
            self.tick()
            if re.match(r"\s*\\matrix\b", st) and "matrix of" in st:
                if self.tikz_matrix(st):
                    matrix_done = True
                continue
            _tikz_statement(st, order, labels, fills, grids_drawn, texts, self.colors)
        if matrix_done:
            return
        by_text: dict[str, Label] = {}
        for lab in labels:
            by_text.setdefault(lab.text, lab)
        size = _tikz_size(by_text)
        grid = None
        if size:
            grid = {f"{r}{c}": by_text[f"{r}{c}"] for r in range(1, size + 1) for c in range(1, size + 1)}
        elif grids_drawn and fills:
            grid = _labels_from_grid(grids_drawn[0])
        if grid is None:
            if texts:
                self.out.append(" ".join(texts) + "\n")
            return
        reading = read_cells(grid, fills, "tex-tikz", "tex-text-mark", confidence=0.9)
        index = len(self.grids)
        ordered = sorted(grid, key=lambda t: (int(t[0]), int(t[1:])))
        self.grids.append({"cells": reading.cells, "method": reading.method, "confidence": reading.confidence,
                           "note": reading.note, "labels": tuple(ordered)})
        n = int(ordered[-1][0])
        rows = [" ".join(t for t in ordered if t[0] == str(r)) for r in range(1, n + 1)]
        self.out.append(f"{_GRID_OPEN}{index}{_GRID_CLOSE}" + "\n".join(rows) + "\n")

    def tikz_matrix(self, statement: str) -> bool:
        """`\\matrix[matrix of nodes] {11 & |[fill=blue!30]| 12 & ... \\\\ ...};` read like a table."""
        opts = statement.find("[")
        got_opts = _read_bracketed(statement, opts) if opts >= 0 else None
        brace = statement.find("{", got_opts[1] if got_opts else 0)
        got = _read_braced(statement, brace) if brace >= 0 else None
        if got is None:
            return False
        rows = [r for r in re.split(r"\\\\", got[0]) if r.strip()]
        size = len(rows)
        labels: list[Label] = []
        fills: list[Fill] = []
        matched = 0
        for r, row in enumerate(rows, start=1):
            cells = row.split("&")
            if len(cells) != size:
                return False
            for c, cell in enumerate(cells, start=1):
                opts = re.match(r"\s*\|\s*\[([^\]]*)\]\s*\|", cell)
                text = re.sub(r"\\[a-zA-Z]+|[{}$\s]", "", cell[opts.end():] if opts else cell)
                matched += text == f"{r}{c}"
                labels.append(Label(f"{r}{c}", c * 10.0, r * 10.0, 1.0, 1.0, (), 0))
                if opts:
                    fill = _tikz_fill_color(opts.group(1), "node", self.colors)
                    if fill is not False:
                        fills.append(Fill(c * 10 - 5, r * 10 - 5, c * 10 + 5, r * 10 + 5, fill, r * size + c))
        if not 2 <= size <= 9 or matched < 0.6 * size * size:
            return False
        grid = {lab.text: lab for lab in labels}
        reading = read_cells(grid, fills, "tex-tikz", "tex-text-mark", confidence=0.9)
        index = len(self.grids)
        self.grids.append({"cells": reading.cells, "method": reading.method, "confidence": reading.confidence,
                           "note": reading.note, "labels": tuple(grid)})
        text = "\n".join(" ".join(f"{r}{c}" for c in range(1, size + 1)) for r in range(1, size + 1))
        self.out.append(f"{_GRID_OPEN}{index}{_GRID_CLOSE}{text}\n")
        return True


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += numeral
            n -= value
    return out


def _auto_label(style: str, n: int, depth: int, env: str) -> str:
    """The label LaTeX prints for the n-th (0-based) item of an enumerate: enumitem's
    `label=...` with \\arabic* / \\alph* / \\roman*, the enumerate package's short form
    ("(a)", "i."), or the default for the nesting depth (1. / (a) / i. / A.)."""
    counters = {"arabic": str(n + 1), "alph": "abcdefghijklmnopqrstuvwxyz"[n % 26],
                "Alph": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n % 26], "roman": _roman(n + 1), "Roman": _roman(n + 1).upper()}
    m = re.search(r"label\s*=\s*(\{(?:[^{}]|\{[^{}]*\})*\}|[^,]+)", style)
    if m:
        template = m.group(1).strip()
        if template.startswith("{") and template.endswith("}"):
            template = template[1:-1]
        label = re.sub(r"\\(arabic|alph|Alph|roman|Roman)\*", lambda c: counters[c.group(1)], template)
        label = re.sub(r"\\[a-zA-Z@]+\*?|[{}$]", "", label).strip()
        if label:
            return label
    short = style.strip()
    if short and "=" not in short:
        for token, value in (("1", counters["arabic"]), ("a", counters["alph"]), ("A", counters["Alph"]),
                             ("i", counters["roman"]), ("I", counters["Roman"])):
            if re.search(rf"(?<![\\\w]){token}(?!\w)", short):
                return re.sub(rf"(?<![\\\w]){token}(?!\w)", value, short, count=1)
    if env in {"choices", "oneparchoices"}:
        return f"({counters['alph']})"
    return {1: f"{n + 1}.", 2: f"({counters['alph']})", 3: f"{counters['roman']}.",
            4: f"{counters['Alph']}."}.get(depth, f"{n + 1}.")


def _find_dollar(src: str, i: int, end: int) -> int:
    """Index after the $ closing inline math opened before i."""
    j = i
    while j < end:
        k = src.find("$", j, end)
        if k < 0:
            return end
        if src[k - 1] == "\\" and (k < 2 or src[k - 2] != "\\"):
            j = k + 1
            continue
        return k + 1
    return end


_BRACE_SCAN = re.compile(rf"{_VERB}|\\.|(?P<b>[{{}}])", re.S)


@lru_cache(maxsize=64)
def _brace_table(src: str) -> dict[int, int]:
    """Every `{` -> its matching `}`, in one pass (escaped braces and \\verb skipped)."""
    table: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE_SCAN.finditer(src):
        b = m.group("b")
        if b == "{":
            stack.append(m.start())
        elif b == "}" and stack:
            table[stack.pop()] = m.start()
    return table


_LENGTH = re.compile(r"\s*[-+]?(?:\d*\.?\d+\s*(?:pt|bp|mm|cm|in|em|ex|px|sp|dd|pc)?\s*)?(?:\\[a-zA-Z@]+)?\s*")


def _to_pt(value: str) -> float | None:
    m = re.match(r"\s*(-?\d*\.?\d+)\s*(pt|bp|mm|cm|in|em|ex|px)?", value)
    if not m:
        return None
    number = float(m.group(1))
    return number * {"pt": 1, "bp": 1.0037, "mm": 2.845, "cm": 28.45, "in": 72.27, "em": 10, "ex": 4.3,
                     "px": 1, None: 1}[m.group(2)]


def _row_color(row: list[dict]) -> tuple | None:
    return row[0]["colors"].get("row") if row else None


def _column_colors(spec: str, walker: _Walker) -> list[tuple | None]:
    """Per column, the \\columncolor given in the column spec (`>{\\columncolor{yellow}}c`)."""
    spec = _expand_star_spec(spec)
    cols: list[tuple | None] = []
    pending = None
    i = 0
    n = len(spec)
    while i < n:
        c = spec[i]
        if c in "><!@":
            got = _read_braced(spec, i + 1)
            if got is None:
                i += 1
                continue
            if c == ">":
                m = re.search(r"\\columncolor\s*(?:\[([^\]]*)\])?\s*\{([^}]*)\}", got[0])
                if m:
                    rgb = (parse_color_spec(m.group(1), m.group(2)) if m.group(1)
                           else parse_color(m.group(2), walker.colors))
                    pending = (rgb,)
            i = got[1]
            continue
        if c in "pmbwW" and _skip_spaces(spec, i + 1) < n and spec[_skip_spaces(spec, i + 1)] == "{":
            got = _read_braced(spec, i + 1)
            cols.append(pending)
            pending = None
            i = got[1] if got else i + 1
            continue
        if c.isalpha():
            cols.append(pending)
            pending = None
        elif c == "{":  # an argument we do not know: skip it
            got = _read_braced(spec, i)
            i = got[1] if got else i + 1
            continue
        i += 1
    return cols


def _expand_star_spec(spec: str, depth: int = 0) -> str:
    m = re.search(r"\*\s*\{\s*(\d+)\s*\}", spec)
    if not m or depth > 5:
        return spec
    body = _read_braced(spec, m.end())
    if body is None:
        return spec
    count = min(int(m.group(1)), 30)
    return _expand_star_spec(spec[:m.start()] + body[0] * count + spec[body[1]:], depth + 1)


def _tblr_colors(spec: str, size: int, colors: dict[str, RGB]) -> dict[tuple[int, int], tuple]:
    """tabularray's `cell{2}{2-3}={bg=blue!30}`, `row{1}={bg=...}`, `column{3}={bg=...}`."""
    out: dict[tuple[int, int], tuple] = {}

    def select(text: str) -> list[int]:
        picked: list[int] = []
        for part in text.split(","):
            part = part.strip().replace("Z", str(size)).replace("Y", str(size - 1))
            if part in {"-", ""}:
                picked += range(1, size + 1)
            elif part == "odd":
                picked += range(1, size + 1, 2)
            elif part == "even":
                picked += range(2, size + 1, 2)
            elif re.fullmatch(r"\d+-\d+", part):
                a, b = (int(v) for v in part.split("-"))
                picked += range(a, min(b, size) + 1)
            elif part.isdigit():
                picked.append(int(part))
        return picked

    for m in re.finditer(r"\b(cell|row|column)\s*\{([^}]*)\}(?:\s*\{([^}]*)\})?\s*=\s*\{([^}]*)\}", spec):
        bg = re.search(r"bg\s*=\s*([^,}]+)", m.group(4))
        if not bg:
            continue
        rgb = (parse_color(bg.group(1).strip(), colors),)
        kind = m.group(1)
        if kind == "cell":
            for r in select(m.group(2)):
                for c in select(m.group(3) or "-"):
                    out[(r, c)] = rgb
        elif kind == "row":
            for r in select(m.group(2)):
                for c in range(1, size + 1):
                    out[(r, c)] = rgb
        else:
            for c in select(m.group(2)):
                for r in range(1, size + 1):
                    out[(r, c)] = rgb
    return out


# --- TikZ ----------------------------------------------------------------------------------------

_FOREACH = re.compile(r"\\foreach\s*((?:\\[a-zA-Z]+\s*/?\s*)+)\s*(?:\[[^\]]*\]\s*)?in\s*")


def _tikz_statements(body: str, count: list[int], depth: int = 0) -> list[str]:
    """Statements of a TikZ body with every \\foreach unrolled (variables substituted)."""
    if depth > 6:
        return []
    body = re.sub(r"\\(?:begin|end)\s*\{scope\}(?:\s*\[[^\]]*\])?", " ", body)
    out: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        i = _skip_spaces(body, i)
        if i >= n:
            break
        m = _FOREACH.match(body, i)
        if m:
            variables = re.findall(r"\\([a-zA-Z]+)", m.group(1))
            lst = _read_braced(body, m.end())
            if lst is None:
                break
            j = _skip_spaces(body, lst[1])
            if j < n and body[j] == "{":
                inner = _read_braced(body, j)
                if inner is None:
                    break
                loop_body, i = inner[0], inner[1]
            else:
                end = _statement_end(body, j)
                loop_body, i = body[j:end], end
            for item in _foreach_items(lst[0]):
                values = item.split("/")
                text = loop_body
                for k, var in enumerate(variables):
                    value = values[k].strip() if k < len(values) else values[-1].strip()
                    text = re.sub(r"\\" + var + r"(?![a-zA-Z])", lambda _m, v=value: v, text)
                out += _tikz_statements(text, count, depth + 1)
                if count[0] > MAX_TIKZ_STATEMENTS:
                    raise RejectedFile(f"a TikZ picture unrolls into more than {MAX_TIKZ_STATEMENTS:,} statements")
            continue
        end = _statement_end(body, i)
        statement = body[i:end].strip()
        if statement:
            out.append(statement)
            count[0] += 1
            if count[0] > MAX_TIKZ_STATEMENTS:
                raise RejectedFile(f"a TikZ picture unrolls into more than {MAX_TIKZ_STATEMENTS:,} statements")
        i = end
    return out


def _statement_end(body: str, i: int) -> int:
    depth = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c == "\\":
            i += 2
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
        elif c == ";" and depth <= 0:
            return i + 1
        i += 1
    return n


def _foreach_items(text: str) -> list[str]:
    items = [t.strip() for t in _split_commas(text) if t.strip()]
    out: list[str] = []
    for k, item in enumerate(items):
        if item in {"...", "\\ldots"} and 0 < k < len(items) - 1:
            try:
                a = float(items[k - 1])
                b = float(items[k + 1])
                step = a - float(items[k - 2]) if k >= 2 else (1.0 if b >= a else -1.0)
            except ValueError:
                continue
            if step == 0:
                continue
            value = a + step
            guard = 0
            while (value < b - 1e-9 if step > 0 else value > b + 1e-9) and guard < 1000:
                out.append(_number(value))
                value += step
                guard += 1
            continue
        out.append(item.strip("{}"))
    return out[:1000]


def _split_commas(text: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _number(v: float) -> str:
    return str(int(v)) if abs(v - round(v)) < 1e-9 else f"{v:g}"


_TIKZ_TOKEN = re.compile(
    r"\s*(?:(?P<rel>\+\+|\+)?\s*\((?P<coord>[^()]*(?:\([^()]*\)[^()]*)*)\)"
    r"|(?P<opt>\[)|(?P<brace>\{)|(?P<word>rectangle|grid|node|at|cycle|circle|--|to|coordinate|\|-|-\|)"
    r"|(?P<other>\S))")


def _tikz_statement(st: str, order: int, labels: list[Label], fills: list[Fill],
                    grids: list[tuple[float, float, float, float, float]], texts: list[str],
                    colors: dict[str, RGB]) -> None:
    m = re.match(r"\s*\\(fill|filldraw|draw|path|node|shade|shadedraw|coordinate|clip)\b\s*", st)
    if not m:
        return
    cmd = m.group(1)
    i = m.end()
    fill_rgb: RGB | None | bool = False
    options = _read_bracketed(st, i)
    if options is not None:
        fill_rgb = _tikz_fill_color(options[0], cmd, colors)
        i = options[1]
    elif cmd in {"fill", "filldraw", "shade", "shadedraw"}:
        fill_rgb = (0.0, 0.0, 0.0) if cmd.startswith("fill") else (0.5, 0.5, 0.5)
    if cmd == "clip":
        return
    current: tuple[float, float] | None = None
    pending: str | None = None
    polygon: list[tuple[float, float]] = []
    step = 1.0
    if options is not None:
        sm = re.search(r"step\s*=\s*([\d.]+)", options[0])
        if sm:
            step = float(sm.group(1))
    node_pending = cmd == "node"
    node_at: tuple[float, float] | None = None
    node_opts = options[0] if cmd == "node" and options else ""

    def close_polygon():
        if fill_rgb is not False and len(polygon) >= 3:
            xs = [p[0] for p in polygon]
            ys = [p[1] for p in polygon]
            fills.append(Fill(min(xs) * 28.45, -max(ys) * 28.45, max(xs) * 28.45, -min(ys) * 28.45,
                              fill_rgb or None, order))
        polygon.clear()

    n = len(st)
    while i < n:
        t = _TIKZ_TOKEN.match(st, i)
        if t is None:
            break
        i = t.end()
        if t.group("coord") is not None:
            point = _tikz_point(t.group("coord"))
            if point is None:
                if node_pending and pending == "at":
                    pending = None
                continue
            if t.group("rel") and current is not None:
                point = (current[0] + point[0], current[1] + point[1])
            if node_pending and pending == "at":
                node_at = point
                pending = None
                continue
            if pending == "rectangle" and current is not None:
                if fill_rgb is not False:
                    x0, x1 = sorted((current[0], point[0]))
                    y0, y1 = sorted((current[1], point[1]))
                    fills.append(Fill(x0 * 28.45, -y1 * 28.45, x1 * 28.45, -y0 * 28.45,
                                      fill_rgb or None, order))
            elif pending == "grid" and current is not None:
                grids.append((current[0], current[1], point[0], point[1], step))
            elif pending == "--" and current is not None:
                if not polygon:
                    polygon.append(current)
                polygon.append(point)
            elif not t.group("rel") or t.group("rel") == "++":
                close_polygon()
            if t.group("rel") != "+":
                current = point
            pending = None
        elif t.group("word") is not None:
            word = t.group("word")
            if word in {"node", "coordinate"}:
                node_pending = True
                node_at = None
                pending = None
            elif word == "at":
                pending = "at"
            elif word == "cycle":
                pending = None
            else:
                pending = word
        elif t.group("opt") is not None:
            got = _read_bracketed(st, t.start())
            if got is None:
                break
            if node_pending:
                node_opts = got[0]
            i = got[1]
        elif t.group("brace") is not None:
            got = _read_braced(st, t.start())
            if got is None:
                break
            i = got[1]
            if node_pending:
                where = node_at or current
                text = re.sub(r"\\[a-zA-Z]+\s*|[{}$\s]", "", got[0])
                if where is not None:
                    x, y = where[0] * 28.45, -where[1] * 28.45
                    bold = bool(re.search(r"\\(?:textbf|bfseries|bf|mathbf)\b", got[0]))
                    tc = re.search(r"\\(?:textcolor|color)\s*\{([^}]*)\}|(?:^|,)\s*(?:text\s*=\s*)?(red|blue|green)\b",
                                   got[0] + "," + node_opts)
                    style = (tc.group(1) or tc.group(2) if tc else None, bold)
                    if re.fullmatch(r"[1-9][1-9]", text):
                        labels.append(Label(text, x, y, 2.0, 2.0, style, order))
                    elif text:
                        texts.append(text)
                    node_fill = _tikz_fill_color(node_opts, "node", colors)
                    if node_fill is not False:
                        fills.append(Fill(x - 8, y - 8, x + 8, y + 8, node_fill or None, order))
                node_pending = False
                node_opts = ""
                node_at = None
        else:
            if t.group("other") == ";":
                break
    close_polygon()


def _tikz_fill_color(options: str, cmd: str, colors: dict[str, RGB]) -> RGB | None | bool:
    """The fill colour an option list gives (None: some colour we cannot evaluate), or False."""
    found: RGB | None | bool = False
    for part in _split_commas(options):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            key, _, value = part.partition("=")
            key = key.strip()
            if key in {"fill", "color"} and (key == "fill" or cmd in {"fill", "filldraw"}):
                value = value.strip().strip("{}")
                if value == "none":
                    found = False
                    continue
                found = parse_color(value, colors)
        elif cmd in {"fill", "filldraw", "shade", "shadedraw"}:
            rgb = parse_color(part, colors)
            if rgb is not None:
                found = rgb
    if found is False and cmd in {"fill", "filldraw"}:
        return (0.0, 0.0, 0.0)
    return found


def _tikz_point(text: str) -> tuple[float, float] | None:
    if ":" in text or "," not in text:
        return None
    parts = _split_commas(text)
    if len(parts) != 2:
        return None
    x, y = _arith(parts[0]), _arith(parts[1])
    if x is None or y is None:
        return None
    return x, y


_ARITH_TOKEN = re.compile(r"\s*(?:(\d*\.?\d+)\s*(cm|mm|pt|in|em|ex)?|([-+*/()]))")
_UNIT = {None: 1.0, "cm": 1.0, "mm": 0.1, "pt": 1 / 28.45, "in": 2.54, "em": 0.35, "ex": 0.15}


def _arith(text: str) -> float | None:
    """+ - * / and parentheses over numbers with units (TikZ coordinates after \\foreach
    substitution: "\\c-0.5" became "3-0.5"). Anything else: None."""
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _ARITH_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return None
        if m.group(1) is not None:
            tokens.append(float(m.group(1)) * _UNIT[m.group(2)])
        else:
            tokens.append(m.group(3))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if len(tokens) > 200:
        return None
    try:
        value, k = _expr(tokens, 0)
    except (IndexError, ZeroDivisionError, TypeError, RecursionError):
        return None
    return value if k == len(tokens) else None


def _expr(tokens: list, k: int) -> tuple[float, int]:
    value, k = _term(tokens, k)
    while k < len(tokens) and tokens[k] in ("+", "-"):
        op = tokens[k]
        rhs, k = _term(tokens, k + 1)
        value = value + rhs if op == "+" else value - rhs
    return value, k


def _term(tokens: list, k: int) -> tuple[float, int]:
    value, k = _unary(tokens, k)
    while k < len(tokens) and tokens[k] in ("*", "/"):
        op = tokens[k]
        rhs, k = _unary(tokens, k + 1)
        value = value * rhs if op == "*" else value / rhs
    return value, k


def _unary(tokens: list, k: int) -> tuple[float, int]:
    if tokens[k] == "-":
        value, k = _unary(tokens, k + 1)
        return -value, k
    if tokens[k] == "+":
        return _unary(tokens, k + 1)
    if tokens[k] == "(":
        value, k = _expr(tokens, k + 1)
        if tokens[k] != ")":
            raise TypeError("unbalanced")
        return value, k + 1
    if isinstance(tokens[k], float):
        return tokens[k], k + 1
    raise TypeError("not a number")


def _tikz_size(by_text: dict[str, Label]) -> int:
    for size in (5, 4, 6, 3, 7, 8, 9):
        if all(f"{r}{c}" in by_text for r in range(1, size + 1) for c in range(1, size + 1)):
            if size < 9 and f"{size + 1}{size + 1}" in by_text:
                continue
            return size
    return 0


def _labels_from_grid(g: tuple[float, float, float, float, float]) -> dict[str, Label] | None:
    """Cell labels of a `\\draw (x0,y0) grid (x1,y1);` when the picture prints none."""
    x0, y0, x1, y1, step = g
    xa, xb = sorted((x0, x1))
    ya, yb = sorted((y0, y1))
    cols = round((xb - xa) / step)
    rows = round((yb - ya) / step)
    if cols != rows or not 2 <= rows <= 9:
        return None
    grid = {}
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            x = (xa + (c - 0.5) * step) * 28.45
            y = -(yb - (r - 0.5) * step) * 28.45
            grid[f"{r}{c}"] = Label(f"{r}{c}", x, y, 2.0, 2.0, (), 0)
    return grid


# --- 5. text post-processing -------------------------------------------------------------------

def _finish_text(text: str) -> tuple[str, dict[int, int], dict[int, int]]:
    """Checkbox marks -> "[x] (b)", tidy whitespace, and grid and hidden-text anchors -> offsets."""
    text = checkbox_options(text)
    # LaTeX ignores indentation; a regex like [ \t]+\n would be quadratic on long runs of spaces
    text = "\n".join(line.strip(" \t") for line in text.split("\n"))
    # a line that only held hidden text joins the line before, so no blank lines are left behind
    text = re.sub(f"\n((?:{_HIDDEN_OPEN}\\d+{_GRID_CLOSE})+)(?=\n)", r"\1", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
    offsets: dict[int, int] = {}
    hidden: dict[int, int] = {}
    out = []
    last = 0
    removed = 0
    for m in re.finditer(f"([{_GRID_OPEN}{_HIDDEN_OPEN}])(\\d+){_GRID_CLOSE}", text):
        out.append(text[last:m.start()])
        (offsets if m.group(1) == _GRID_OPEN else hidden)[int(m.group(2))] = m.start() - removed
        removed += m.end() - m.start()
        last = m.end()
    out.append(text[last:])
    return "".join(out), offsets, hidden


# --- 6. the reader ---------------------------------------------------------------------------------

def _colors_defined(src: str) -> dict[str, RGB]:
    colors: dict[str, RGB] = {}
    for m in re.finditer(r"\\(definecolor|colorlet)\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}\s*(?:\{([^}]*)\}\s*)?(?:\{([^}]*)\})?", src):
        name = m.group(2).strip()
        if m.group(1) == "definecolor" and m.group(3) is not None and m.group(4) is not None:
            rgb = parse_color_spec(m.group(3).strip(), m.group(4))
        else:
            rgb = parse_color(m.group(3) or "", colors)
        if rgb is not None:
            colors[name] = rgb
    return colors


def _students(walker: _Walker, preamble_end: int, text: str) -> list[dict[str, str]]:
    """Students from \\author (one per \\and: name, student id, e-mail), else "Name:" lines."""
    src = walker.src
    m = re.search(r"\\author\s*(?:\[[^\]]*\])?\s*\{", src[:preamble_end]) if preamble_end else None
    m = m or re.search(r"\\author\s*(?:\[[^\]]*\])?\s*\{", src)
    found = []
    if m:
        close = walker.close_of(m.end() - 1, len(src))
        raw = src[m.end():close]
        for part in re.split(r"\\and\b|\\AND\b", raw):
            plain = _to_unicode(part)
            plain = re.sub(r"\\[a-zA-Z@]+\*?|[{}]", " ", plain)
            sid = re.search(r"\b\d{6,10}\b", plain)
            email = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", plain)
            # the name is what remains of the first line once ids, e-mails and labels are removed
            rest = plain
            for found_text in (sid.group(0) if sid else None, email.group(0) if email else None):
                if found_text:
                    rest = rest.replace(found_text, " ")
            rest = re.sub(r"(?i)\b(?:student\s*(?:id|number)|matricule|id|e-?mail|name|nom)\s*[:#]?", " ", rest)
            lines = [re.sub(r"[\s()\[\],;:]+", " ", ln).strip() for ln in rest.split("\n")]
            name = next((ln for ln in lines if re.search(r"[^\W\d_]", ln)), "")
            if name or sid:
                found.append({"name": name, "sid": sid.group(0) if sid else "",
                              "email": email.group(0) if email else ""})
    return found or students_from_text(text)


def _to_unicode(latex: str) -> str:
    """Accents in names (`Jos\\'e`) -> Unicode, with pylatexenc; the markup is left to the caller."""
    try:
        from pylatexenc.latex2text import LatexNodes2Text

        return LatexNodes2Text(keep_braced_groups=True).latex_to_text(latex.replace("\\\\", "\n"))
    except Exception:  # pylatexenc gives up on odd input; the raw text is still usable
        return latex


def _included_by_main(path: Path, root: Path) -> str | None:
    """The main file (with \\documentclass) in the submission that \\input's `path`, if any."""
    try:
        candidates = sorted(p for p in root.rglob("*.tex") if p != path)[:50]
    except OSError:
        return None
    pattern = re.compile(r"\\(?:input|include|subfile)\s*\{\s*(?:[^{}]*/)?" + re.escape(path.stem)
                         + r"(?:\.tex)?\s*\}")
    for other in candidates:
        try:
            head = other.read_bytes()[:200_000].decode("utf-8", "replace")
        except OSError:
            continue
        if "\\documentclass" in head and pattern.search(head):
            return other.name
    return None


def read_tex(path: Path, limits: Limits, root: Path | None = None) -> list[Document]:
    root = root or path.parent
    raw = path.read_bytes()
    if len(raw) > limits.max_file_bytes:
        raise RejectedFile(f"{path.name} is {len(raw) / 1e6:.1f} MB, more than the "
                           f"{limits.max_file_bytes / 1e6:.0f} MB allowed")
    src, problems = decode(raw, path.name)
    if "\\documentclass" not in src and _included_by_main(path, root):
        return []  # read as part of the main file that \input's it
    return [read_tex_source(src, path.name, limits, root=root, base=path.parent, problems=problems)]


def read_tex_source(src: str, name: str, limits: Limits, root: Path | None = None,
                    base: Path | None = None, problems: list[str] | None = None) -> Document:
    started = time.monotonic()
    problems = list(problems or [])
    if len(src) > limits.max_text_chars:
        raise RejectedFile(f"{name} has {len(src):,} characters, more than the {limits.max_text_chars:,} allowed")
    if not src.strip():
        raise RejectedFile(f"{name} is empty")
    src = strip_comments(_PRIVATE.sub("", src))
    if root is not None:
        st = _IncludeState(root, base or root, limits, problems)
        src = resolve_includes(src, st)
    expanded = MacroExpander(limits).expand(src)
    colors = _colors_defined(expanded)
    walker = _Walker(expanded, colors, started, limits)
    begin = re.search(r"\\begin\s*\{document\}", expanded)
    if begin:
        end = re.search(r"\\end\s*\{document\}", expanded[begin.end():])
        body_start, body_end = begin.end(), begin.end() + end.start() if end else len(expanded)
        preamble = (0, begin.start())
    else:
        body_start, body_end = 0, len(expanded)
        preamble = (0, 0)
    walker.title, walker.author = _title_author(walker, preamble)
    walker.emit(body_start, body_end)
    text, offsets, hidden_at = _finish_text("".join(walker.out))
    if len(text) > limits.max_text_chars:
        raise RejectedFile(f"{name} expands to more than {limits.max_text_chars:,} characters")
    grids = []
    headings = heading_index(text)
    for index, g in enumerate(walker.grids):
        if index not in offsets:
            continue  # the grid sat in hidden text
        offset = offsets[index]
        grids.append(GridFinding(offset, g["cells"], g["method"], g["confidence"], g["note"],
                                 nearest_heading(text, offset, headings), None, g["labels"]))
    hidden = [HiddenText(h.text, h.reason, None, hidden_at.get(k)) for k, h in enumerate(walker.hidden)]
    if hidden:
        problems.append(f"{name} holds text a reader cannot see (white, \\phantom or tiny); it was not graded")
    return Document(source=name, kind="tex", text=text, grids=grids, hidden=hidden, problems=problems,
                    students=_students(walker, preamble[1], text))


def _title_author(walker: _Walker, preamble: tuple[int, int]) -> tuple[str | None, str | None]:
    out = []
    for macro in ("title", "author"):
        m = None
        for m in re.finditer(r"\\" + macro + r"\s*(?:\[[^\]]*\])?\s*\{", walker.src[:preamble[1]] if preamble[1] else ""):
            pass
        if m is None:
            out.append(None)
            continue
        open_at = m.end() - 1
        close = walker.close_of(open_at, len(walker.src))
        text = walker.capture(open_at + 1, close)
        text = re.sub(r"\\and\b", ",", text)
        out.append(" ".join(_PRIVATE.sub("", text).split()) or None)
    return out[0], out[1]
