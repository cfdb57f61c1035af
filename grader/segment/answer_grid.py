"""Which grid answers a grid part, when a part's region holds several.

Students draw intermediate grids before the final one (the kernel's footprint, the field of each
first-layer pixel), or put the final grids of all cases side by side in one figure, unlabeled, in
case order. A TA reads:

1. a row of grids side by side in one part's region, as many as the question has grid parts, while
   the question's other grid parts hold no grid of their own: the cases in order, left to right;
   likewise one grid per part in the question's own text when no part has a heading; a caption
   naming another case ("case 1" under the third grid, copied and pasted) makes it a suggestion;
2. in a part's region, the grid framed or captioned as the answer;
3. else the last grid. It is clear-cut when it is the only one, or when it holds every cell of the
   grids before it (a receptive field is the union of the fields that make it up); otherwise it is
   only a suggestion, and the part goes to review with every candidate shown.

The other grids stay on the fragment as evidence; `grid_how` says how the answer was chosen.
"""

from __future__ import annotations

import re
from dataclasses import replace

from grader.ingest.document import GridFinding
from grader.kinds.base import Fragment
from grader.rubric import Rubric

CLEAR = 0.85  # a choice a TA would make without a second look
UNSURE = 0.6  # a suggestion: the part goes to review with the candidates shown
_ANSWER_CAPTION = re.compile(r"\b(?:final|answer|r[ée]ponse|solution|result|receptive\s+field\s+(?:of|for)\s+(?:the\s+)?output)\b",
                             re.I)
_CASE_NUMBER = re.compile(r"\b(?:case|cas|part|question|q)\s*\.?\s*(?:\d+\.)?(\d+)\b|\((\d)\)|\b(\d)\)", re.I)


def _grid_parts(rubric: Rubric) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for part in rubric.parts:
        if any(c.kind == "grid" for c in part.components):
            out.setdefault(part.question, []).append(part.id)
    return out


def _rows(grids: tuple[GridFinding, ...]) -> list[list[GridFinding]]:
    """Grids side by side: on one page, overlapping vertically, left to right."""
    rows: list[list[GridFinding]] = []
    for grid in grids:
        if grid.bbox is None:
            continue
        for row in rows:
            other = row[0]
            if other.page != grid.page or other.bbox is None:
                continue
            top, bottom = max(other.bbox[1], grid.bbox[1]), min(other.bbox[3], grid.bbox[3])
            height = min(other.bbox[3] - other.bbox[1], grid.bbox[3] - grid.bbox[1])
            if bottom - top > 0.5 * height and all(g.bbox[2] <= grid.bbox[0] + 1 or grid.bbox[2] <= g.bbox[0] + 1
                                                 for g in row):
                row.append(grid)
                break
        else:
            rows.append([grid])
    return [sorted(row, key=lambda g: g.bbox[0]) for row in rows if len(row) > 1]


def _caption_case(grid: GridFinding) -> int | None:
    if not grid.caption:
        return None
    m = _CASE_NUMBER.search(grid.caption)
    return int(next(g for g in m.groups() if g)) if m else None


def _in_order(parts: list[str], grids: list[GridFinding], what: str) -> dict[str, tuple[GridFinding, str, float]]:
    """The cases' grids in order; a part whose grid's caption names another case, or whose case
    another grid's caption names, is only a suggestion (captions are copied and pasted)."""
    cases = [_caption_case(g) for g in grids]
    out = {}
    for k, (part_id, grid) in enumerate(zip(parts, grids), 1):
        disputed = (cases[k - 1] is not None and cases[k - 1] != k) or any(
            c == k for j, c in enumerate(cases, 1) if j != k)
        how = f"grid {k} of {len(grids)} {what}, read as the cases in order"
        if disputed:
            how += f"; its caption says otherwise ('{(grid.caption or '')[:40]}'), so a TA confirms"
        out[part_id] = (grid, how, UNSURE if disputed else CLEAR)
    return out


def _cases_in_order(fragments: dict[str, Fragment], parts: list[str],
                    unplaced: tuple[GridFinding, ...]) -> dict[str, tuple[GridFinding, str, float]]:
    """Rule 1: the question's final grids together, in case order: a row of them side by side in
    one part's region, or, no part having a grid of its own, exactly one grid per part in the
    question's own text."""
    if len(parts) < 2:
        return {}
    with_grids = [p for p in parts if p in fragments and fragments[p].grids]
    if len(with_grids) == 1:
        rows = [row for row in _rows(fragments[with_grids[0]].grids) if len(row) == len(parts)]
        if rows:  # the last such figure: intermediates come first
            return _in_order(parts, rows[-1], f"side by side (page {rows[-1][0].page}), left to right")
    if not with_grids and len(unplaced) == len(parts):
        return _in_order(parts, list(unplaced), "under the question, in reading order")
    return {}


def _within_part(grids: tuple[GridFinding, ...]) -> tuple[GridFinding, str, float] | None:
    """Rules 2 and 3: the framed or captioned grid, else the last one."""
    if not grids:
        return None
    readable = [g for g in grids if g.cells is not None]
    if len(grids) == 1 or len({g.cells for g in grids}) == 1:
        return grids[-1], "", 1.0
    marked = [g for g in grids if g.framed or (g.caption and _ANSWER_CAPTION.search(g.caption))]
    if len(marked) == 1:
        why = "framed" if marked[0].framed else f"captioned '{marked[0].caption[:40]}'"
        return marked[0], f"the grid {why}, among {len(grids)} grids in the answer", 0.9
    last = grids[-1]
    if last.cells is None:
        return last, f"the last of {len(grids)} grids, whose highlights could not be read", UNSURE
    earlier = set().union(*(g.cells for g in readable[:-1])) if len(readable) > 1 else set()
    if earlier <= last.cells:
        return last, (f"the last of {len(grids)} grids, which holds every cell of the grids before it "
                      f"(those are its intermediate steps)"), CLEAR
    return last, (f"the last of {len(grids)} grids; the grids before it are not parts of it, so which one "
                  f"is the answer is uncertain"), UNSURE


def choose_answer_grids(fragments: dict[str, Fragment], rubric: Rubric,
                        unplaced: dict[int, tuple[GridFinding, ...]] | None = None) -> dict[str, Fragment]:
    """Each grid part's answer grid among its region's grids; `unplaced` holds, per question, the
    grids of its text that no part's region holds."""
    out = dict(fragments)
    for question, parts in _grid_parts(rubric).items():
        chosen = _cases_in_order(fragments, parts, (unplaced or {}).get(question, ()))
        taken = {id(g) for g, _, _ in chosen.values()}
        for part_id in parts:
            fragment = fragments.get(part_id)
            if fragment is None:
                continue
            if part_id in chosen:
                grid, how, confidence = chosen[part_id]
            else:
                own = tuple(g for g in fragment.grids if id(g) not in taken)
                picked = _within_part(own)
                if picked is None:
                    continue
                grid, how, confidence = picked
            out[part_id] = replace(fragment, answer_grids=(grid,), grid_how=how, grid_confidence=confidence)
        for part_id, (grid, how, confidence) in chosen.items():  # grids of a part with no region of its own
            if part_id in fragments:
                continue
            holder = next((f for f in fragments.values() if grid in f.grids), None)
            if holder is not None:
                out[part_id] = replace(holder, part_id=part_id, text="", grids=(grid,), answer_grids=(grid,),
                                       grid_how=how, grid_confidence=confidence,
                                       how=f"{holder.how}; its figure holds every case's grid")
            else:
                out[part_id] = Fragment(part_id, "", f"a grid under question {question}, no heading for {part_id}",
                                        CLEAR, grids=(grid,), answer_grids=(grid,), grid_how=how,
                                        grid_confidence=confidence)
    return out
