"""Document -> one Fragment per part id, with how each was found.

Students number parts in many ways: "Q1.1)", "1.1", "3.1.b):", "4.6.a)", "Question 1 (a)",
"\\section*{Question 3}" followed by "\\textbf{3.2 (a)}", "Answer 2. 2.1)". The segmenter:

1. blanks the assignment's own question text (lines of the rubric's question-text file), so the
   template's "2.1 Show that ..." is not taken for an answer;
2. finds question markers ("Question 3", "Answer 3") and part headings at the start of lines;
3. maps each heading to a rubric part: "3.2 (a)" -> 3.2a if that part exists, else 3.2 (so
   "3.1.b)" is option b inside part 3.1);
4. gives each part the text from its heading(s) to the next heading; when "Answer N" markers exist,
   only headings inside answers count;
5. attaches grids found by a reader to the part whose text holds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.ingest.document import Document, GridFinding
from grader.kinds.base import Fragment
from grader.rubric import Rubric

# Decorations that may precede a heading at the start of a line (Markdown, LaTeX, list bullets).
_LEAD = r"(?:[ \t]*(?:#{1,6}|[-*+>]|\*\*|__|\\(?:textbf|textit|emph|paragraph|subsection\*?|subsubsection\*?|section\*?|item)\s*(?:\[[^\]\n]*\])?\s*\{?|\{)[ \t]*)*"
_QUESTION = re.compile(rf"^{_LEAD}(?P<word>Question|Answer|Solution|Problem|Exercise|R[ée]ponse)\s*(?P<q>\d+)\b", re.I | re.M)
_PART = re.compile(
    rf"^{_LEAD}(?:(?:Answer|Question|Solution|R[ée]ponse)\s*\d+\s*[.:)]?\s*)?"  # "Answer 2. 2.1)"
    r"\(?(?:Q(?:uestion)?|Part|Problem|Ex(?:ercise)?)?\s*(?P<q>\d)\s*\.\s*(?P<p>\d)"
    r"(?:\s*\.?\s*\(?(?P<sub>[a-h]|\d)\b\)?)?"  # optional sub-part: "a", "(a)", ".a", "1"
    r"\s*(?:[):.\-–—}]|\*\*|\s(?=[A-Z(\\$])|$)",
    re.M)
_SUB_ONLY = re.compile(rf"^{_LEAD}\(?(?P<sub>[a-h])\)\s*", re.M)
_QUESTION_SUB = re.compile(rf"^{_LEAD}(?:Question|Q)\s*(?P<q>\d+)\s*\(?(?P<sub>[a-h])\)", re.I | re.M)


@dataclass(frozen=True)
class Heading:
    start: int
    end: int
    part_id: str | None  # None: a question or answer marker, which only ends the previous span
    text: str
    confidence: float
    question: int | None = None
    is_answer_marker: bool = False


def blank_question_text(text: str, question_lines: set[str]) -> str:
    """Replace lines copied from the assignment's question text by spaces (offsets stay valid)."""
    if not question_lines:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        key = normalise_line(line)
        out.append(" " * len(line.rstrip("\n")) + ("\n" if line.endswith("\n") else "")
                   if key in question_lines else line)
    return "".join(out)


def normalise_line(line: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", line.lower()).split())


def question_lines_of(template: str) -> set[str]:
    """Lines of the question text long enough to be recognised safely (grid label rows are not)."""
    lines = set()
    for line in template.splitlines():
        key = normalise_line(line)
        if len(re.findall(r"[a-z]{2,}", key)) >= 4:
            lines.add(key)
    return lines


def find_headings(text: str, rubric: Rubric) -> list[Heading]:
    part_ids = {p.id for p in rubric.parts}
    headings: list[Heading] = []
    for m in _QUESTION.finditer(text):
        headings.append(Heading(m.start(), m.end(), None, m.group(0).strip(), 1.0, int(m["q"]),
                                is_answer_marker=m["word"].lower() in {"answer", "solution", "réponse", "reponse"}))
    for m in _QUESTION_SUB.finditer(text):
        part_id = f"{m['q']}.{ord(m['sub']) - ord('a') + 1}"
        if part_id in part_ids:
            headings.append(Heading(m.start(), m.end(), part_id, m.group(0).strip(), 0.8, int(m["q"])))
    for m in _PART.finditer(text):
        q, p, sub = m["q"], m["p"], m["sub"]
        part_id, confidence = None, 0.95
        if sub and f"{q}.{p}{sub}" in part_ids:
            part_id = f"{q}.{p}{sub}"
        elif f"{q}.{p}" in part_ids:
            part_id = f"{q}.{p}"
            confidence = 0.95 if not sub else 0.9
        if part_id is None:
            continue
        headings.append(Heading(m.start(), m.end(), part_id, m.group(0).strip(), confidence, int(q)))
    for pattern, part_id in ((h, p.id) for p in rubric.parts for h in p.headings):
        for m in re.finditer(rf"^{_LEAD}(?:{pattern})", text, re.I | re.M):
            headings.append(Heading(m.start(), m.end(), part_id, m.group(0).strip(), 0.85, int(part_id.split(".")[0])))
    headings.sort(key=lambda h: (h.start, h.part_id is None))
    # a part heading inside a question marker's line ("Answer 2. 2.1)") wins over nothing; drop
    # exact duplicates at the same offset
    unique: list[Heading] = []
    for h in headings:
        if unique and unique[-1].start == h.start and unique[-1].part_id == h.part_id:
            continue
        unique.append(h)
    return _sub_letter_headings(text, unique, part_ids)


def _sub_letter_headings(text: str, headings: list[Heading], part_ids: set[str]) -> list[Heading]:
    """"(a)" alone at a line start, inside part 3.2, starts part 3.2a when such a part exists."""
    extra = []
    ordered = sorted(headings, key=lambda h: h.start)
    for m in _SUB_ONLY.finditer(text):
        before = [h for h in ordered if h.start <= m.start() and h.part_id]
        if not before:
            continue
        base = re.sub(r"[a-h]$", "", before[-1].part_id)
        candidate = f"{base}{m['sub']}"
        if candidate in part_ids and candidate != before[-1].part_id:
            extra.append(Heading(m.start(), m.end(), candidate, m.group(0).strip(), 0.8, before[-1].question))
    return sorted(headings + extra, key=lambda h: h.start)


def segment(doc: Document, rubric: Rubric, question_lines: set[str] | None = None) -> dict[str, Fragment]:
    if doc.answers is not None:
        return _from_sheet(doc, rubric)
    text = blank_question_text(doc.text, question_lines or set())
    headings = find_headings(text, rubric)
    answer_zones = _answer_zones(text, headings)
    spans: dict[str, list[tuple[int, int, Heading]]] = {}
    for i, h in enumerate(headings):
        if h.part_id is None:
            continue
        if answer_zones is not None and not _inside(h.start, answer_zones.get(h.question, [])):
            continue
        end = next((n.start for n in headings[i + 1:] if n.start > h.start
                    and not (n.part_id == h.part_id and n.start < h.end)), len(text))
        spans.setdefault(h.part_id, []).append((h.start, end, h))
    fragments: dict[str, Fragment] = {}
    for part in rubric.parts:
        found = spans.get(part.id)
        if found:
            body = "\n".join(text[s:e] for s, e, _ in found)
            grids = tuple(g for g in doc.grids if any(s <= g.offset < e for s, e, _ in found))
            first = found[0][2]
            line = text.count("\n", 0, first.start) + 1
            how = f"heading '{first.text[:30]}' at line {line} of {doc.source}"
            if len(found) > 1:
                how += f" (+{len(found) - 1} more heading{'s' if len(found) > 2 else ''})"
            fragments[part.id] = Fragment(part.id, body, how, min(h.confidence for _, _, h in found),
                                          grids=grids, source=doc.source)
    _attach_stray_grids(doc, rubric, fragments, spans)
    _fallback_to_question_zone(text, doc, rubric, headings, answer_zones, fragments)
    return fragments


def _answer_zones(text: str, headings: list[Heading]) -> dict[int, list[tuple[int, int]]] | None:
    markers = [h for h in headings if h.part_id is None]
    if not any(h.is_answer_marker for h in markers):
        return None
    zones: dict[int, list[tuple[int, int]]] = {}
    for i, h in enumerate(markers):
        if h.is_answer_marker:
            end = markers[i + 1].start if i + 1 < len(markers) else len(text)
            zones.setdefault(h.question, []).append((h.start, end))
    return zones


def _inside(offset: int, zones: list[tuple[int, int]]) -> bool:
    return any(s <= offset < e for s, e in zones)


def _attach_stray_grids(doc: Document, rubric: Rubric, fragments: dict[str, Fragment],
                        spans: dict[str, list[tuple[int, int, Heading]]]) -> None:
    """A grid outside every span is attached by the heading its reader saw above it."""
    placed = {g for f in fragments.values() for g in f.grids}
    for grid in doc.grids:
        if grid in placed or not grid.heading:
            continue
        headings = find_headings(grid.heading, rubric)
        part_id = next((h.part_id for h in headings if h.part_id), None)
        if part_id is None:
            continue
        old = fragments.get(part_id)
        if old is None:
            fragments[part_id] = Fragment(part_id, "", f"grid under heading '{grid.heading[:30]}'", 0.85,
                                          grids=(grid,), source=doc.source)
        else:
            fragments[part_id] = Fragment(part_id, old.text, old.how, old.confidence, old.structured,
                                          old.grids + (grid,), old.source)


def _fallback_to_question_zone(text: str, doc: Document, rubric: Rubric, headings: list[Heading],
                               answer_zones: dict[int, list[tuple[int, int]]] | None,
                               fragments: dict[str, Fragment]) -> None:
    """A part without its own heading gets its question's whole answer, with low confidence."""
    if not answer_zones:
        return
    headed = set(fragments)
    for part in rubric.parts:
        if part.id in fragments or part.question not in answer_zones:
            continue
        siblings = [p for p in rubric.parts if p.question == part.question]
        if any(p.id in headed for p in siblings) and len(siblings) > 1:
            continue  # other parts of this question have headings: this one is really missing
        body = "\n".join(text[s:e] for s, e in answer_zones[part.question])
        grids = tuple(g for g in doc.grids if _inside(g.offset, answer_zones[part.question]))
        fragments[part.id] = Fragment(part.id, body, f"no heading for {part.id}: the whole answer to "
                                      f"question {part.question} in {doc.source}", 0.5,
                                      grids=grids, source=doc.source)


def _from_sheet(doc: Document, rubric: Rubric) -> dict[str, Fragment]:
    fragments = {}
    assert doc.answers is not None
    for part in rubric.parts:
        if part.id in doc.answers and doc.answers[part.id] is not None:
            fragments[part.id] = Fragment(part.id, "", f"answer sheet {doc.source}", 1.0,
                                          structured=doc.answers[part.id], source=doc.source)
    return fragments
