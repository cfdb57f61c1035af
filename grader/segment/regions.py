"""Headings and copied statements -> one region (Fragment) per part, with how it was found.

1. The outline (grader/segment/__init__.py) gives the text with the question text blanked and the
   headings: written ones, enumerations, and where each part's statement was copied.
2. Each part heading's span runs to the next heading of any kind (a question marker, another
   part, a part the rubric does not grade). When "Answer N" markers exist, only headings inside
   answers count. A span holding nothing but blanked question text is dropped (a template's
   statement left unanswered, or statements copied as a block before one "Answer N.").
3. A part without its own heading gets its question's whole answer: with confidence when the
   question is that one part, with low confidence otherwise.
4. Grids found by a reader go to the part whose span holds them (the choice among several is
   grader/segment/answer_grid.py's), and a grid outside every span by the heading its reader saw.
   So do the passages a reader could not judge (HiddenText.unsure): the part holding one goes to a TA.
"""

from __future__ import annotations

import re
from dataclasses import replace

from grader.ingest.document import Document, GridFinding, HiddenText
from grader.kinds.base import Fragment, get_kind
from grader.rubric import Part, Rubric
from grader.segment.headings import Heading, find_headings, part_index

_BLANK_LINE = re.compile(r"^[ \t]+$", re.M)


def piece(text: str, start: int, end: int) -> str:
    """A span's text without the runs of spaces blanked question text leaves (kinds scan it with
    many regexes; offsets are no longer needed once grids are attached)."""
    return _BLANK_LINE.sub("", text[start:end].rstrip())


# What blanking keeps of a copied statement, a number and punctuation ("2.", "(5.4"), is never an
# answer; anything else is (a lone "(b)" may well be one: a choice).
_CONTENT = re.compile(r"[^\s\d().\[\]:,;\-–—*#]")


def _has_content(text: str) -> bool:
    # numbers alone are content when there are many: a grid's labels written as text, a list of cells
    return _CONTENT.search(text) is not None or len(re.findall(r"\d+", text)) >= 4


def answer_zones(text: str, headings: list[Heading]) -> dict[int, list[tuple[int, int]]] | None:
    markers = [h for h in headings if h.part_id is None and h.group is None]
    if not any(h.is_answer_marker for h in markers):
        return None
    zones: dict[int, list[tuple[int, int]]] = {}
    for i, h in enumerate(markers):
        if h.is_answer_marker:
            end = next((n.start for n in markers[i + 1:] if n.start > h.start), len(text))
            zones.setdefault(h.question, []).append((h.start, end))
    return zones


def inside(offset: int, zones: list[tuple[int, int]]) -> bool:
    return any(s <= offset < e for s, e in zones)


def hidden_in(doc: Document, zones: list[tuple[int, int]]) -> tuple[HiddenText, ...]:
    """The passages the reader left out whose place lies in these spans. A passage left out at a
    span's very end (just before the next heading) is the span's own."""
    return tuple(h for h in doc.hidden if h.offset is not None and any(s <= h.offset <= e for s, e in zones))


def unsure_in(doc: Document, zones: list[tuple[int, int]]) -> tuple[HiddenText, ...]:
    """The passages in these spans the reader could not judge."""
    return tuple(h for h in hidden_in(doc, zones) if h.unsure)


def _describe(text: str, h: Heading, source: str) -> str:
    line = text.count("\n", 0, h.start) + 1
    if h.kind == "statement":
        return f"the question's statement of {h.part_id}, copied at line {line} of {source}"
    if h.kind == "enumeration":
        return f"item '{h.text[:12]}' at line {line} of {source}, numbering question {h.question}'s parts"
    return f"heading '{h.text[:30]}' at line {line} of {source}"


def segment_text(doc: Document, rubric: Rubric, text: str, headings: list[Heading]) -> dict[str, Fragment]:
    zones = answer_zones(text, headings)
    spans: dict[str, list[tuple[int, int, Heading]]] = {}
    for i, h in enumerate(headings):
        if h.part_id is None:
            continue
        if zones is not None and h.question in zones and not inside(h.start, zones[h.question]):
            continue  # the question has "Answer N" markers: its copied statement is no answer
        end = next((n.start for n in headings[i + 1:] if n.start >= h.end
                    and not (n.part_id == h.part_id and n.start < h.end)), len(text))
        end = max(end, h.end)
        if (not _has_content(text[h.end:end]) and not any(h.start <= g.offset < end for g in doc.grids)
                and not unsure_in(doc, [(h.end, end)])):
            continue  # only the heading is left: an unanswered template question, or a bare number
        # an item's own label ("(c)") is no part of its answer: a choice reader would take it for one
        spans.setdefault(h.part_id, []).append((h.end if h.kind == "enumeration" else h.start, end, h))
    fragments: dict[str, Fragment] = {}
    for part in rubric.parts:
        found = spans.get(part.id)
        if not found:
            continue
        body = "\n".join(piece(text, s, e) for s, e, _ in found)
        grids = tuple(g for g in doc.grids if any(s <= g.offset < e for s, e, _ in found))
        math = tuple(m for m in doc.math if any(s <= m.offset < e for s, e, _ in found))
        hidden = hidden_in(doc, [(s, e) for s, e, _ in found])
        first = found[0][2]
        how = _describe(text, first, doc.source)
        if len(found) > 1:
            how += f" (+{len(found) - 1} more heading{'s' if len(found) > 2 else ''})"
        notes = sorted({h.note for _, _, h in found if h.note})
        if notes:
            how += "; " + "; ".join(notes)
        fragments[part.id] = Fragment(part.id, body, how, min(h.confidence for _, _, h in found),
                                      grids=grids, source=doc.source, math=math,
                                      unsure=unsure_in(doc, [(s, e) for s, e, _ in found]), hidden=hidden)
    _attach_stray_grids(doc, rubric, fragments)
    _fallback_to_question_zone(text, doc, rubric, zones, fragments)
    _reconcile_numbering(text, doc, rubric, headings, fragments)
    _flag_disagreements(text, rubric, headings, fragments)
    _attach_stray_unsure(doc, rubric, headings, fragments)
    return fragments


def _attach_stray_unsure(doc: Document, rubric: Rubric, headings: list[Heading], fragments: dict[str, Fragment]) -> None:
    """A passage the reader could not judge outside every part's region (it may hold a part's
    heading with its answer: "\\ifnum... 3.1 Answer: (b) \\fi"): the parts of its question that have
    no region go to a TA with it, rather than to a silent 0."""
    held = {id(h) for f in fragments.values() for h in f.unsure}
    for passage in doc.hidden:
        if not passage.unsure or passage.offset is None or id(passage) in held:
            continue
        before = [h for h in headings if h.start <= passage.offset and h.question is not None]
        if not before:
            continue
        question = before[-1].question
        for part in rubric.parts:
            if part.question != question:
                continue
            old = fragments.get(part.id)
            if old is None:
                fragments[part.id] = Fragment(part.id, "", f"a passage under question {question} that the reader "
                                              f"cannot evaluate, in {doc.source}", 0.5, source=doc.source,
                                              unsure=(passage,))
            elif old.source == doc.source and not old.text.strip() and not old.grids:
                fragments[part.id] = replace(old, unsure=old.unsure + (passage,))


def _flag_disagreements(text: str, rubric: Rubric, headings: list[Heading], fragments: dict[str, Fragment]) -> None:
    """A number written right above the copied statement of another part ("3.1" over the statement
    of 3.2): the student's numbering and the question text disagree. The copied statement decides
    where each answer is, but every part of that question goes to a TA, with the reason."""
    written = [h for h in headings if h.kind == "heading" and (h.part_id or h.group)]
    notes: dict[int, str] = {}
    for h in written:
        after = next((n for n in headings if n.start >= h.end and n is not h), None)
        if after is None or after.kind != "statement" or _has_content(text[h.end:after.start]):
            continue
        named = h.part_id or h.group
        stated = after.part_id or after.group
        if not stated or stated == named or stated.startswith(named) or named.startswith(stated):
            continue
        line = text.count("\n", 0, h.start) + 1
        notes.setdefault(h.question, f"the numbering disagrees with the question text: '{h.text[:12]}' (line {line}) "
                                     f"heads the statement of {stated}; the copied statements were followed")
    for part in rubric.parts:
        old = fragments.get(part.id)
        if part.question in notes and old is not None:
            fragments[part.id] = replace(old, how=f"{old.how}; {notes[part.question]}", confidence=min(old.confidence, 0.6))


def _attach_stray_grids(doc: Document, rubric: Rubric, fragments: dict[str, Fragment]) -> None:
    """A grid outside every span is attached by the heading its reader saw above it."""
    placed = {g for f in fragments.values() for g in f.grids}
    for grid in doc.grids:
        if grid in placed or not grid.heading:
            continue
        headings = find_headings(grid.heading.strip(), rubric)
        part_id = next((h.part_id for h in headings if h.part_id), None)
        if part_id is None:
            continue
        old = fragments.get(part_id)
        if old is None:
            fragments[part_id] = Fragment(part_id, "", f"grid under heading '{grid.heading[:30]}'", 0.85,
                                          grids=(grid,), source=doc.source)
        else:
            fragments[part_id] = replace(old, grids=old.grids + (grid,))


def _fallback_to_question_zone(text: str, doc: Document, rubric: Rubric,
                               zones: dict[int, list[tuple[int, int]]] | None,
                               fragments: dict[str, Fragment]) -> None:
    """A part without its own heading gets its question's whole answer: with confidence when the
    part is the whole question, with low confidence otherwise."""
    if not zones:
        return
    index = part_index(rubric)
    headed = set(fragments)
    for part in rubric.parts:
        if part.id in fragments or part.question not in zones:
            continue
        siblings = [p for p in rubric.parts if p.question == part.question]
        if any(p.id in headed for p in siblings) and len(siblings) > 1:
            continue  # other parts of this question have headings: this one is really missing
        body = "\n".join(piece(text, s, e) for s, e in zones[part.question])
        grids = tuple(g for g in doc.grids if inside(g.offset, zones[part.question]))
        math = tuple(m for m in doc.math if inside(m.offset, zones[part.question]))
        if index.single_part(part.question) == part.id:
            how, confidence = f"the answer to question {part.question} in {doc.source}", 0.9
        else:
            how, confidence = (f"no heading for {part.id}: the whole answer to question {part.question} "
                               f"in {doc.source}"), 0.5
        fragments[part.id] = Fragment(part.id, body, how, confidence, grids=grids, source=doc.source, math=math,
                                      unsure=unsure_in(doc, zones[part.question]),
                                      hidden=hidden_in(doc, zones[part.question]))


def from_sheet(doc: Document, rubric: Rubric) -> dict[str, Fragment]:
    fragments = {}
    assert doc.answers is not None
    for part in rubric.parts:
        if part.id in doc.answers and doc.answers[part.id] is not None:
            fragments[part.id] = Fragment(part.id, "", f"answer sheet {doc.source}", 1.0,
                                          structured=doc.answers[part.id], source=doc.source)
    return fragments


def _part_affinity(part: Part, fragment: Fragment) -> float:
    """How much a region looks like an answer to a part: its components' affinities, by points."""
    total = sum(c.points for c in part.components)
    return sum(c.points * get_kind(c.kind).affinity(fragment, c) for c in part.components) / total


_MIN_ZONE_WORDS = 15  # less under a question's heading is a title or an introduction, not an answer
_SHIFT_MARGIN = 0.5  # how much better a shifted reading must fit to be believed


def _reconcile_numbering(text: str, doc: Document, rubric: Rubric, headings: list[Heading],
                         fragments: dict[str, Fragment]) -> None:
    """Text under a question's heading before its first part's, and a last part never headed: the
    student may have numbered one behind ("3" holds the answer to 3.1, "3.1" the answer to 3.2).
    When the parts' contents say so (each region reads as the next part's answer far better),
    the regions are shifted, with a note and low confidence; otherwise the unheaded parts get that
    text with low confidence. Either way a TA confirms: never a silent 0, never a confident guess."""
    for question in sorted(part_index(rubric).questions):
        parts = [p for p in rubric.parts if p.question == question]
        if len(parts) < 2 or parts[-1].id in fragments or parts[0].id not in fragments:
            continue
        headed = [p for p in parts if p.id in fragments]
        if [p.id for p in headed] != [p.id for p in parts[:len(headed)]]:
            continue
        firsts = [h for h in headings if h.part_id == parts[0].id and h.kind != "statement"]
        if not firsts:
            continue
        first = firsts[0]
        markers = [h for h in headings if h.start < first.start and h.part_id is None and h.group is None
                   and not h.other and len(h.path) == 1]
        if not markers or markers[-1].path != (question,):
            continue  # the last question heading before the first part's is another question's
        marker = markers[-1]
        zone = piece(text, marker.end, first.start)
        zone_grids = any(marker.end <= g.offset < first.start for g in doc.grids)
        if len(zone.split()) < _MIN_ZONE_WORDS and not zone_grids:
            continue
        line = text.count("\n", 0, marker.start) + 1
        zone_fragment = Fragment(parts[0].id, zone, f"the text under '{marker.text[:20]}' at line {line} of "
                                 f"{doc.source}", 0.6, source=doc.source,
                                 grids=tuple(g for g in doc.grids if marker.end <= g.offset < first.start),
                                 math=tuple(m for m in doc.math if marker.end <= m.offset < first.start),
                                 unsure=unsure_in(doc, [(marker.end, first.start)]),
                                 hidden=hidden_in(doc, [(marker.end, first.start)]))
        as_numbered = sum(_part_affinity(p, fragments[p.id]) for p in headed)
        shifted = _part_affinity(parts[0], zone_fragment) + sum(
            _part_affinity(parts[k + 1], fragments[p.id]) for k, p in enumerate(headed))
        if shifted > as_numbered + _SHIFT_MARGIN:
            moved = {parts[0].id: zone_fragment}
            for k, p in enumerate(headed):
                old = fragments[p.id]
                moved[parts[k + 1].id] = replace(
                    old, part_id=parts[k + 1].id, confidence=min(old.confidence, 0.6),
                    how=f"{old.how}; the numbering looks one behind: this text answers {parts[k + 1].id}")
            moved[parts[0].id] = replace(zone_fragment, how=f"{zone_fragment.how}; the numbering looks one behind: "
                                         f"this text answers {parts[0].id}")
            fragments.update(moved)
        else:
            for p in parts[len(headed):]:
                fragments[p.id] = replace(zone_fragment, part_id=p.id, confidence=0.5,
                                          how=f"no heading for {p.id}: {zone_fragment.how}, before "
                                              f"{parts[0].id}'s heading")


def unplaced_grids(doc: Document, headings: list[Heading], fragments: dict[str, Fragment]
                   ) -> dict[int, tuple[GridFinding, ...]]:
    """Per question, the grids in its text (from its heading to the next question's) that no part's
    region holds: the cases' grids of a student who headed only the question."""
    placed = {id(g) for f in fragments.values() for g in f.grids}
    markers = sorted((h for h in headings if h.part_id is None and h.group is None and len(h.path) == 1),
                     key=lambda h: h.start)
    out: dict[int, list[GridFinding]] = {}
    for k, marker in enumerate(markers):
        end = next((m.start for m in markers[k + 1:] if m.path != marker.path), len(doc.text))
        for grid in doc.grids:
            if marker.start <= grid.offset < end and id(grid) not in placed and grid not in out.get(marker.path[0], []):
                out.setdefault(marker.path[0], []).append(grid)
    return {q: tuple(sorted(gs, key=lambda g: g.offset)) for q, gs in out.items()}

