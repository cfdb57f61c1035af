"""Which grid answers a grid part, when a part's region holds several.

Students draw intermediate grids before the final one (the kernel's footprint, the field of each
first-layer pixel), or put the final grids of all cases side by side in one figure, unlabeled, in
case order. A TA reads:

1. a row of grids side by side in one part's region, as many as the question has grid parts, while
   the question's other grid parts hold no grid of their own: the cases in order, left to right;
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


def _side_by_side(fragments: dict[str, Fragment], parts: list[str]) -> dict[str, tuple[GridFinding, str, float]]:
    """Rule 1: the question's final grids in one row, in case order."""
    with_grids = [p for p in parts if p in fragments and fragments[p].grids]
    if len(parts) < 2 or len(with_grids) != 1:
        return {}
    holder = fragments[with_grids[0]]
    rows = [row for row in _rows(holder.grids) if len(row) == len(parts)]
    if not rows:
        return {}
    row = rows[-1]  # the last such figure: intermediates come first
    cases = [_caption_case(g) for g in row]
    confidence, note = CLEAR, ""
    if any(c is not None for c in cases) and cases != list(range(1, len(parts) + 1)):
        confidence, note = UNSURE, "; their captions number the cases in another order, so the order is uncertain"
    out = {}
    for k, (part_id, grid) in enumerate(zip(parts, row), 1):
        how = (f"grid {k} of {len(row)} side by side (page {grid.page}), read as the cases in order, "
               f"left to right{note}")
        out[part_id] = (grid, how, confidence)
    return out


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


def choose_answer_grids(fragments: dict[str, Fragment], rubric: Rubric) -> dict[str, Fragment]:
    out = dict(fragments)
    for parts in _grid_parts(rubric).values():
        chosen = _side_by_side(fragments, parts)
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
        for part_id, (grid, _, _) in chosen.items():  # the row's grids are answers, not evidence elsewhere
            if part_id not in fragments:
                holder = next(f for f in fragments.values() if grid in f.grids)
                out[part_id] = replace(holder, part_id=part_id, text="", grids=(grid,), answer_grids=(grid,),
                                       grid_how=chosen[part_id][1], grid_confidence=chosen[part_id][2],
                                       how=f"{holder.how}; its figure holds every case's grid")
    return out
