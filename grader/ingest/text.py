"""Plain text and Markdown: the text as it is, decoded carefully."""

from __future__ import annotations

import re
from pathlib import Path

from grader.ingest.document import Document
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


def read_text(path: Path, limits: Limits) -> Document:
    raw = path.read_bytes()
    text, problems = decode(raw, path.name)
    if len(text) > limits.max_text_chars:
        raise RejectedFile(f"{path.name} has {len(text):,} characters, more than the {limits.max_text_chars:,} allowed")
    if not text.strip():
        raise RejectedFile(f"{path.name} is empty")
    return Document(source=path.name, kind="text", text=text, problems=problems,
                    students=students_from_text(text))
