"""How a macro's arguments are read from the text, as TeX reads them: braced groups or single tokens,
optional arguments with their defaults, xparse's types (a star, a token, -NoValue-), arguments
delimited by the text the definition names (`\\def\\hide#1\\endhide`), an environment's body up to
its \\end, and the substitution of #1..#9 into a body."""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from grader.ingest.tex.definitions import Env, Macro
from grader.ingest.tex.source import CS, MARKER, brace_table, read_braced, read_bracketed, skip_spaces

ENDS_IN_WORD = re.compile(r"\\[a-zA-Z@]+$")


def read_args(src: str, i: int, macro: Macro | Env) -> tuple[list[str] | None, int]:
    """The arguments of a use of `macro` at i, or None when they are not all there."""
    if isinstance(macro, Macro) and (macro.delimiters or macro.prefix):
        return _read_delimited(src, i, macro)
    if isinstance(macro, Macro) and macro.xparse:
        return read_xparse(src, i, macro.xparse)
    args: list[str] = []
    count = macro.nargs
    if macro.default is not None and count:
        opt = read_bracketed(src, skip_spaces(src, i))
        if opt is not None:
            args.append(opt[0])
            i = opt[1]
        else:
            args.append(macro.default)
        count -= 1
    rest, i = read_xparse(src, i, ("m",) * count)
    return (None if rest is None else args + rest), i


def _read_delimited(src: str, i: int, macro: Macro) -> tuple[list[str] | None, int]:
    """\\def\\x.#1\\end{...}: the prefix, then each argument up to its delimiter (outside braces)."""
    if macro.prefix:
        i = skip_spaces(src, i)
        if not src.startswith(macro.prefix, i):
            return None, i
        i += len(macro.prefix)
    args: list[str] = []
    for delimiter in macro.delimiters:
        if not delimiter:
            got = read_arg(src, i)
        else:
            stop = find_outside_braces(src, i, delimiter)
            got = None if stop is None else (unbrace(src[i:stop]), stop + len(delimiter))
        if got is None:
            return None, i
        args.append(got[0])
        i = got[1]
    return args, i


def braced_next(src: str, i: int) -> bool:
    j = skip_spaces(src, i)
    return src[j:j + 1] == "{"


def read_xparse(src: str, i: int, kinds: tuple[str, ...]) -> tuple[list[str] | None, int]:
    """xparse's arguments: a star or a token is \\BooleanTrue or \\BooleanFalse, a missing optional
    argument -NoValue- (or its default)."""
    args: list[str] = []
    for kind in kinds:
        j = skip_spaces(src, i)
        if kind == "s" or kind[0] == "t":
            token = "*" if kind == "s" else kind[1]
            found = src.startswith(token, j)
            args.append("\\BooleanTrue" if found else "\\BooleanFalse")
            i = j + len(token) if found else i
        elif kind == "o" or kind[0] == "O":
            got = read_bracketed(src, j)
            args.append(got[0] if got else ("-NoValue-" if kind == "o" else kind[2:-1]))
            i = got[1] if got else i
        elif kind[0] in "rd":  # delimited by two tokens: r() required, d() optional
            stop = src.find(kind[2], j + 1) if src.startswith(kind[1], j) else -1
            if stop < 0 and kind[0] == "r":
                return None, i
            args.append(src[j + 1:stop] if stop >= 0 else "-NoValue-")
            i = stop + 1 if stop >= 0 else i
        else:
            got = read_arg(src, i)
            if got is None:
                return None, i
            args.append(got[0])
            i = got[1]
    return args, i


def after_word(src: str, i: int) -> int:
    """After a control word TeX skips blanks, and one line end."""
    n = len(src)
    while i < n and src[i] in " \t":
        i += 1
    if i < n and src[i] == "\n":
        i += 1
        while i < n and src[i] in " \t":
            i += 1
    return i


def read_arg(src: str, i: int) -> tuple[str, int] | None:
    """One undelimited argument at i: a braced group, a control sequence, or a character."""
    i = skip_spaces(src, i)
    if i >= len(src):
        return None
    if src[i] == "{":
        return read_braced(src, i)
    if src[i] == "[":  # an optional argument of an unknown macro, for the greedy readers
        got = read_bracketed(src, i)
        if got is not None:
            return got
    if src[i] == "\\":
        m = CS.match(src, i)
        return (m.group(0), m.end()) if m else None
    if src[i] == "}":
        return None
    marked = MARKER.match(src, i)  # a marker is one token
    return (marked.group(0), marked.end()) if marked else (src[i], i + 1)


@lru_cache(maxsize=64)
def _delimiter_scan(delimiter: str) -> re.Pattern:
    word = delimiter.startswith("\\") and delimiter[-1].isalpha()
    return re.compile(f"(?P<d>{re.escape(delimiter)}{'(?![a-zA-Z@])' if word else ''})|\\\\.|[{{}}]", re.S)


@lru_cache(maxsize=64)
def _occurrences(src: str, delimiter: str) -> list[int]:
    return [m.start() for m in _delimiter_scan(delimiter).finditer(src) if m.group("d") is not None]


def find_outside_braces(src: str, i: int, delimiter: str) -> int | None:
    """Where `delimiter` first stands outside braces, from i (TeX's delimited arguments). A use with
    no delimiter after it is found at once: many of them must not make reading quadratic."""
    found = _occurrences(src, delimiter)
    if bisect.bisect_left(found, i) == len(found):
        return None
    depth = 0
    for m in _delimiter_scan(delimiter).finditer(src, i):
        if m.group("d") is not None and depth == 0:
            return m.start()
        if m.group(0) == "{":
            depth += 1
        elif m.group(0) == "}":
            depth -= 1
            if depth < 0:
                return None
    return None


def unbrace(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("{") and brace_table(stripped).get(0) == len(stripped) - 1:
        return stripped[1:-1]
    return text


def env_end(src: str, name: str, i: int, end: int | None = None) -> tuple[int, int]:
    """(start of the matching \\end{name}, index after it), searching src[i:end]; (end, end) if none."""
    end = len(src) if end is None else end
    pattern = re.compile(r"\\(begin|end)\s*\{" + re.escape(name) + r"\}")
    depth = 1
    for m in pattern.finditer(src, i, end):
        depth += 1 if m.group(1) == "begin" else -1
        if depth == 0:
            return m.start(), m.end()
    return end, end


def substitute(body: str, args: list[str]) -> tuple[str, set[int]]:
    """#1..#9 -> arguments, ## -> #; and which arguments the body uses. TeX tokenizes before
    substituting, so a control word before an argument that starts with a letter must stay apart
    from it: a space keeps them apart."""
    out: list[str] = []
    used: set[int] = set()
    last = 0
    for m in re.finditer(r"##|#([1-9])", body):
        out.append(body[last:m.start()])
        if m.group(0) == "##":
            out.append("#")
        else:
            index = int(m.group(1)) - 1
            used.add(index + 1)
            value = args[index] if index < len(args) else ""
            if value[:1].isalpha() and ENDS_IN_WORD.search(body[max(0, m.start() - 40):m.start()]):
                out.append(" ")
            out.append(value)
        last = m.end()
    out.append(body[last:])
    return "".join(out), used
