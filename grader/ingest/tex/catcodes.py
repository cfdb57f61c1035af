"""`\\catcode` changes, followed where the reader can, and kept out where it cannot.

TeX reads characters by their category codes, and a student can change them: `\\catcode`\\Z=14`
makes Z a comment sign, so what follows a Z on its line is never read (hidden text); `=9` makes a
character ignored; `=13` makes it active, a macro of one character (`\\def|#1|{}` then swallows
what is between bars): it is rewritten as a control word the expander then reads like any macro.
Letters and "other" characters (11, 12) change nothing the reader needs. Any other change (a new
escape, group or math character...) means the reader cannot tell what TeX reads from there to the
end of the group: that text is kept out of the answer, as unsure.

A change holds until the group it was made in ends, or until the same character is changed again.
"""

from __future__ import annotations

import re

from grader.ingest.tex.hidden import HiddenLog
from grader.ingest.tex.source import brace_table

MAX_CHANGES = 100
_CATCODE = re.compile(r"\\catcode\s*(?:`\\?(?P<char>[^\n])|(?P<dec>\d+)|\"(?P<hex>[0-9A-Fa-f]+)|'(?P<oct>[0-7]+))"
                      r"\s*=?\s*(?:(?P<code>\d+)|\\(?P<named>active|other|letter))\s?")
_NAMED = {"active": 13, "other": 12, "letter": 11}
_HARMLESS = {11, 12}


def active_name(char: str) -> str:
    """The control word an active character is read as (letters only, so that it is one word)."""
    return "@active" + "".join("abcdefghijklmnop"[int(h, 16)] for h in f"{ord(char):x}")


def follow_catcodes(src: str, log: HiddenLog, body_start: int = 0) -> str:
    """The source as TeX would read it after its \\catcode changes (see the module's docstring)."""
    pos = 0
    for _ in range(MAX_CHANGES):
        m = _CATCODE.search(src, pos)
        if m is None:
            return src
        char = _char(m)
        code = int(m.group("code")) if m.group("code") else _NAMED[m.group("named")]
        src = src[:m.start()] + " " * (m.end() - m.start()) + src[m.end():]  # the change prints nothing
        pos = m.end()
        if char is None or code in _HARMLESS or (char == "~" and code == 13) or (char == "@" and code in (11, 12)):
            continue
        start, stop = m.end(), _scope_end(src, m.start(), char)
        region = src[start:stop]
        if code == 14:
            region = _comment_out(region, char, log, body_start - start)
        elif code == 9:
            region = re.sub(rf"(?<!\\){re.escape(char)}", "", region)
        elif code == 13:
            name = active_name(char)
            region = re.sub(rf"(?<!\\){re.escape(char)}", lambda _m: f"\\{name} ", region)
        else:
            text_from = max(start, body_start) if body_start < stop else start
            keeping, log.keeping = log.keeping, True
            region = src[start:text_from] + log.add(src[text_from:stop], f"after \\catcode made {char!r} a "
                                                    f"character of category {code}: the reader cannot follow it",
                                                    unsure=True, latex=True)
            log.keeping = keeping
        src = src[:start] + region + src[stop:]
        body_start = body_start + len(region) - (stop - start) if body_start >= stop else body_start
    return src


def _char(m: re.Match) -> str | None:
    if m.group("char") is not None:
        return m.group("char")
    number = int(m.group("dec") or m.group("hex") or m.group("oct"),
                 10 if m.group("dec") else 16 if m.group("hex") else 8)
    return chr(number) if 0 < number < 0x110000 else None


def _scope_end(src: str, at: int, char: str) -> int:
    """Where a change made at `at` stops: the end of its group, or the next change of that character."""
    enclosing = [close for open_, close in brace_table(src).items() if open_ < at < close]
    stop = min(enclosing, default=len(src))
    for m in _CATCODE.finditer(src, at + 1, stop):
        if _char(m) == char:
            return m.start()
    return stop


def _comment_out(region: str, char: str, log: HiddenLog, body_start: int) -> str:
    """Each line from an (unescaped) `char` to its end is a comment: logged (in the document's body)
    with its marker. `body_start` is where the body starts, relative to the region."""
    keeping = log.keeping

    def comment(m: re.Match) -> str:
        log.keeping = keeping or m.start() >= body_start
        return log.add(m.group(1), f"after {char!r}, made a comment sign by \\catcode", latex=True)

    try:
        return re.compile(rf"(?<!\\){re.escape(char)}([^\n]*)").sub(comment, region)
    finally:
        log.keeping = keeping
