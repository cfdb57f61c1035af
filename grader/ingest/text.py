"""Plain text and Markdown: the text as it is, decoded carefully, less what its writer struck out
(`~~text~~`, `<del>`, `<s>`, `<strike>`): reported as hidden text, never an answer."""

from __future__ import annotations

import re
from pathlib import Path

from grader.ingest.document import STRUCK_OUT, Document, HiddenText
from grader.ingest.limits import Limits, RejectedFile


def decode(raw: bytes, name: str) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM); otherwise Windows-1252 with a note, never a crash."""
    problems = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        problems.append(f"{name} is not UTF-8; it was read as Windows-1252 (save it as UTF-8 to be sure)")
    if "\x00" in text:
        raise RejectedFile(f"{name} looks like a binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), problems


_NAME = re.compile(r"^\s*(?:\*\*)?(?:Name|Nom|Student|[ÉE]tudiant(?:e)?)\s*(?:\*\*)?\s*[:=]\s*(?P<v>[^\n,;(]{2,80})"
                   r"(?:\(\s*(?P<sid>\d{6,10})\s*\))?", re.I | re.M)
_SID = re.compile(r"(?:Student\s*ID|Matricule|SID|Student\s*number)\s*(?:\*\*)?\s*[:=#]?\s*(?P<v>\d{6,10})", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PERSON = re.compile(r"(?:[A-ZÀ-Ý][\w'’-]+\s+){1,3}[A-ZÀ-Ý][\w'’-]+")  # two to four capitalised words


def students_from_text(text: str) -> list[dict[str, str]]:
    """The student named at the top: "Name: ..." (also "Étudiant : Ada Lovelace (20231001)", the id
    in brackets), the student id and e-mail; failing a "Name:" line, a line of two to four
    capitalised words right above the line opening with the student id, as a title page prints
    \\author{Name \\\\ Student ID: ...}."""
    head = text[:3000]
    name, sid, email = _NAME.search(head), _SID.search(head), _EMAIL.search(head)
    if not (name or sid):
        return []
    found_name = name["v"].strip() if name else ""
    found_sid = sid["v"] if sid else (name["sid"] or "") if name else ""
    if not found_name and sid:
        line_start = head.rfind("\n", 0, sid.start()) + 1
        above = head[:line_start].rstrip().rsplit("\n", 1)[-1].strip()
        if not head[line_start:sid.start()].strip() and _PERSON.fullmatch(above):
            found_name = above
    return [{"name": found_name, "sid": found_sid, "email": email.group(0) if email else ""}]


# Code is shown as written (a fence of ``` or ~~~, to the end when it is never closed; an inline
# `span`): its tildes strike nothing.
# A struck span stays within its paragraph and holds no "~~"; each start scans to the next "~~"
# at most, so the whole pass is linear.
_CODE_OR_STRUCK = re.compile(
    r"(?P<fence>^[ \t]{0,3}(?P<mark>`{3,}|~{3,})[^\n]*(?:.*?\n[ \t]{0,3}(?P=mark)[ \t]*$|.*\Z))"
    r"|(?P<code>(?<!`)(?P<ticks>`{1,3})(?!`)[^`]+(?P=ticks)(?!`))"
    r"|(?<!~)~~(?=[^\s~])(?P<tilde>(?:[^~\n]|~(?!~)|\n(?![ \t]*\n))+?)(?<=[^\s~])~~(?!~)"
    r"|<(?P<tag>del|s|strike)>(?P<html>(?:[^<\n]|<(?!/(?P=tag)>)|\n(?![ \t]*\n))+?)</(?P=tag)>",
    re.M | re.S | re.I)


def without_struck_out(text: str) -> tuple[str, list[HiddenText]]:
    """The text less its struck-out spans, and each span as hidden text at the offset it was at."""
    pieces: list[str] = []
    hidden: list[HiddenText] = []
    length = last = 0
    for m in _CODE_OR_STRUCK.finditer(text):
        struck = m["tilde"] if m["tilde"] is not None else m["html"]
        if struck is None or not struck.strip():
            continue
        pieces.append(text[last:m.start()])
        length += m.start() - last
        hidden.append(HiddenText(" ".join(struck.split())[:300], STRUCK_OUT, offset=length))
        last = m.end()
    if not hidden:
        return text, []
    pieces.append(text[last:])
    return "".join(pieces), hidden


def read_text(path: Path, limits: Limits) -> Document:
    raw = path.read_bytes()
    text, problems = decode(raw, path.name)
    if len(text) > limits.max_text_chars:
        raise RejectedFile(f"{path.name} has {len(text):,} characters, more than the {limits.max_text_chars:,} allowed")
    if not text.strip():
        raise RejectedFile(f"{path.name} is empty")
    text, hidden = without_struck_out(text)
    if hidden:
        problems.append(f"{path.name} has struck-out text; what is struck out is not an answer, and was not graded")
    return Document(source=path.name, kind="text", text=text, problems=problems,
                    students=students_from_text(text), hidden=hidden)
