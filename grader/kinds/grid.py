"""Grid answers: a set of highlighted cells of an n x n map, labelled "rc" (row, column, 1-based;
row 1 at the top, or at the bottom with `origin: bottom-left` for maps numbered bottom-up).

Per-cell policy by default: each missing or extra cell costs `penalty_per_cell` points, floor 0.
Declared mistakes (e.g. the blind spot) add their message when their condition holds.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from grader.kinds.base import (LOW_CONFIDENCE, Extracted, Fragment, Kind, Outcome, Status,
                               StrictModel, register)


class GridSettings(StrictModel):
    size: int = Field(5, ge=2, le=9)
    policy: Literal["per_cell", "all_or_nothing"] = "per_cell"
    penalty_per_cell: float = Field(1.0, gt=0)
    # Where row 1 is: a matrix written top to bottom (in a sheet, or as marks in a text) and the
    # pictures in the feedback follow the question's numbering.
    origin: Literal["top-left", "bottom-left"] = "top-left"


def _row(index_from_top: int, size: int, origin: str) -> int:
    """The row number (1-based) of the index_from_top-th row of a picture (0-based)."""
    return size - index_from_top if origin == "bottom-left" else index_from_top + 1


class GridWhen(StrictModel):
    extra_includes: list[str] = Field(default_factory=list)  # all these cells were added
    missing_includes: list[str] = Field(default_factory=list)  # all these cells were left out
    equals: list[str] | None = None  # the answer is exactly this set


def labels(size: int) -> list[str]:
    return [f"{r}{c}" for r in range(1, size + 1) for c in range(1, size + 1)]


def _cells_from_value(value: Any, size: int, origin: str = "top-left") -> frozenset[str] | str:
    """Normalise a structured answer to a set of labels, or return what is wrong with it."""
    if isinstance(value, dict):
        if "cells" not in value:
            return "a grid answer needs a 'cells' list"
        value = value["cells"]
    if isinstance(value, str):
        if not re.search(r"\d", value):
            return "no cells are listed"
        value = re.findall(r"\d+", value)
    if not isinstance(value, (list, tuple, set, frozenset)):
        return f"expected a list of cells such as [11, 12], got {type(value).__name__}"
    if value and all(isinstance(row, (list, tuple)) for row in value):  # a 0/1 matrix
        if len(value) != size or any(len(row) != size for row in value):
            return f"a grid matrix must be {size}x{size}"
        return frozenset(f"{_row(r, size, origin)}{c + 1}" for r, row in enumerate(value) for c, v in enumerate(row)
                         if v in (1, True, "1", "x", "X"))
    valid = set(labels(size))
    cells = {str(item).strip() for item in value}
    bad = sorted(cells - valid)
    if bad:
        return f"not cells of a {size}x{size} grid: {', '.join(bad)}"
    return frozenset(cells)


# Marks students use in plain text or Markdown to highlight a cell label.
_MARKED = re.compile(r"(\*\*|__|==|\[|\(|<mark>|\*)\s*([1-9][1-9])\s*(\*\*|__|==|\]|\)|</mark>|\*)")
_LABEL = re.compile(r"(?<![\d.])([1-9][1-9])(?!\d|\.\d)")  # "43." ends a sentence; "43.5" is a number
_MATRIX_ROW = re.compile(r"^[\s|]*((?:[01xX.#■□-][\s|,]+){4,8}[01xX.#■□-])[\s|]*$", re.M)
_LIST_CUE = re.compile(r"(receptive field|cells?|highlight|pixels?|\{)", re.I)


def _read_text_grid(text: str, size: int, origin: str = "top-left") -> Extracted | None:
    all_labels = labels(size)
    # 1. a matrix of marks, one row per line
    rows = _MATRIX_ROW.findall(text)
    if len(rows) >= size:
        rows = rows[-size:]
        tokens = [re.findall(r"[01xX.#■□-]", row) for row in rows]
        if all(len(t) == size for t in tokens):
            cells = frozenset(f"{_row(r, size, origin)}{c + 1}" for r, row in enumerate(tokens) for c, v in enumerate(row)
                              if v in "1xX#■")
            return Extracted({"cells": sorted(cells)}, "a matrix of marks in the text", 0.85)
    found = _LABEL.findall(text)
    seq = [label for label in found if label in all_labels]
    # 2. all labels laid out as a grid: highlights survive only as marks around some labels
    if len(set(seq)) == size * size:
        marked = {m.group(2) for m in _MARKED.finditer(text) if m.group(2) in all_labels}
        if marked and len(marked) < size * size:
            return Extracted({"cells": sorted(marked)}, "labels marked with **, [ ] or == in a text grid", 0.8)
        return Extracted(None, "a full grid of labels in the text", 0.0,
                         problem=f"the grid's highlights were lost: all {size * size} cells appear as plain "
                                 "text (a PDF's text layer drops cell colours)")
    # 3. a list of cells written as the answer; cells named in a sentence are no answer
    if seq:
        written = _ANSWER_LIST.search(text)
        if written:
            cells = sorted({label for label in _LABEL.findall(_answer_cells(written)) if label in all_labels})
            if cells:
                return Extracted({"cells": cells}, "a list of cells written as the answer in the text", 0.7,
                                 evidence=(f"read from: {' '.join(written.group(0).split())[:120]}",))
        sentence = next((line.strip() for line in text.splitlines() if _LABEL.search(line)), "")
        return Extracted(None, "cell numbers mentioned in the text, not written as an answer", 0.0,
                         problem=f"no grid was found, and the cells named in the text ({', '.join(sorted(set(seq)))}) "
                                 f"are mentioned in a sentence, not given as the answer",
                         evidence=(f"mentioned in: {sentence[:120]}",))
    return None


# A list of cells given as the answer: braces ({11, 12}), after "Answer:", or after "the receptive
# field (of 33) is / are / =", or a line holding nothing but the list. A sentence that names cells
# on the way ("we combine the fields of pixels 22, 23 and 32") is none of these.
_CELL_RUN = r"[1-9][1-9](?:\s*(?:,|;|and|et|&)?\s*[1-9][1-9])*"
_ANSWER_LIST = re.compile(
    rf"\\?\{{\s*(?P<c1>{_CELL_RUN})\s*\\?\}}"
    rf"|\b(?:answer|r[ée]ponse|final)\s*[:=]\s*(?:pixels?|cells?)?\s*(?P<c2>{_CELL_RUN})"
    rf"|\b(?:receptive\s+field|champ\s+r[ée]cept(?:eur|if))(?:\s+(?:of|for|de|du)\s+(?:the\s+)?(?:output\s+)?(?:pixel\s+)?\d+)?"
    rf"\s*(?:is|are|=|:|est|contains|consists\s+of)\s*(?:the\s+)?(?:pixels?|cells?)?\s*:?\s*(?P<c3>{_CELL_RUN})"
    rf"|^[ \t]*[-*•]?[ \t]*(?P<c4>{_CELL_RUN})[ \t.]*$",
    re.I | re.M)


def _answer_cells(m: re.Match) -> str:
    return next(g for g in (m["c1"], m["c2"], m["c3"], m["c4"]) if g)


@register
class GridKind(Kind):
    name = "grid"
    Settings = GridSettings
    When = GridWhen
    TEMPLATE = """
<div class="grids">
  {% for g in ctx["grids"] %}
  <figure class="grid-fig"><table class="grid">
    {% for row in g["rows"] %}<tr>{% for cell in row %}<td class="{{ cell["css"] }}" title="{{ cell["title"] }}">{{ cell["label"] }}</td>{% endfor %}</tr>{% endfor %}
  </table><figcaption>{{ g["caption"] }}</figcaption></figure>
  {% endfor %}
  {% if not ctx["grids"] %}<p class="muted">No grid could be read.</p>{% endif %}
</div>"""

    def prepare(self, key: Any, settings: GridSettings) -> dict:
        cells = _cells_from_value(key, settings.size, settings.origin)
        if isinstance(cells, str):
            raise ValueError(f"grid key: {cells}")
        return {"cells": sorted(cells)}

    def check_reference(self, args: dict[str, Any], settings: GridSettings) -> None:
        """The reference must compute the map graded: its `size` and `origin`, when given, are the
        settings'; and a map numbered from the bottom needs `origin` said, or the reference (top-left
        by default) answers the mirrored question."""
        for name, graded in (("size", settings.size), ("origin", settings.origin)):
            if name in args and args[name] != graded:
                raise ValueError(f"the reference's args give {name} {args[name]!r}, but the grid's settings "
                                 f"give {graded!r}: the key would answer another question")
        if settings.origin != "top-left" and "origin" not in args:
            raise ValueError(f"the grid is numbered from {settings.origin} (settings.origin), but the "
                             f"reference's args give no origin: add 'origin: {settings.origin}' to args, "
                             "or the key is the field of the mirrored pixel")

    def extract(self, fragment: Fragment, component) -> Extracted:
        size, origin = component.settings.size, component.settings.origin
        if fragment.structured is not None:
            cells = _cells_from_value(fragment.structured, size, origin)
            if isinstance(cells, str):
                return Extracted(None, "answer sheet", 0.0, problem=cells)
            return Extracted({"cells": sorted(cells)}, "answer sheet", 1.0)
        if fragment.answer_grids:
            return _chosen_grid(fragment)
        readings = [g for g in fragment.grids]
        if readings:
            sets = {g.cells for g in readings if g.cells is not None}
            if len(sets) > 1:
                shown = "; ".join(f"{g.method}: {sorted(g.cells)}" for g in readings if g.cells is not None)
                return Extracted(None, "several grids", 0.0,
                                 problem=f"several different grids were found for this part ({shown})")
            best = max(readings, key=lambda g: (g.cells is not None, g.confidence))
            if best.cells is None:
                return Extracted(None, best.method, 0.0, problem=best.note or "the grid's highlights could not be read")
            how = best.method + (f" (page {best.page})" if best.page else "")
            note = (best.note,) if best.note else ()
            return Extracted({"cells": sorted(best.cells)}, how, best.confidence, evidence=note)
        found = _read_text_grid(fragment.text, size, origin)
        if found is None:
            return Extracted(None, "text", 0.0, problem="no grid or list of cells was found")
        return found

    def grade(self, answer: Extracted, key: dict, component) -> Outcome:
        settings: GridSettings = component.settings
        given = set(answer.value["cells"])
        wanted = set(key["cells"])
        missing, extra = sorted(wanted - given), sorted(given - wanted)
        errors = len(missing) + len(extra)
        if settings.policy == "all_or_nothing":
            fraction = 1.0 if errors == 0 else 0.0
        else:
            fraction = max(0.0, component.points - settings.penalty_per_cell * errors) / component.points
        messages, notes = [], []
        if missing:
            messages.append(f"Missing cell{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
                            f"{'they are' if len(missing) > 1 else 'it is'} in the receptive field.")
        if extra:
            messages.append(f"Extra cell{'s' if len(extra) > 1 else ''} {', '.join(extra)}: "
                            f"{'they are' if len(extra) > 1 else 'it is'} not in the receptive field.")
        credit = None
        for mistake in component.mistakes:
            when: GridWhen = component.when(mistake)
            if when.equals is not None and set(when.equals) != given:
                continue
            if not set(when.extra_includes) <= set(extra) or not set(when.missing_includes) <= set(missing):
                continue
            messages.append(mistake.message)
            notes.append(mistake.id)
            if mistake.credit is not None and errors:
                credit = mistake.credit if credit is None else max(credit, mistake.credit)
        if credit is not None:
            fraction = credit
        status: Status = "correct" if errors == 0 else ("partial" if fraction > 0 else "incorrect")
        if errors == 0:
            messages.insert(0, "Correct: every cell of the receptive field, and no other.")
        if answer.confidence < LOW_CONFIDENCE:
            status = "needs_review"
            messages.append(f"Read with low confidence ({answer.how}); a TA will check this grid.")
        return Outcome(fraction, status, " ".join(messages), tuple(notes),
                       suggested=status == "needs_review",
                       extra={"missing": missing, "extra": extra})

    def group_label(self, value: Any) -> str | None:
        return "{" + ", ".join(value["cells"]) + "}"

    def describe(self, answer: Extracted) -> str:
        if not answer.readable:
            return f"not read: {answer.problem}"
        cells = set(answer.value["cells"])
        size = max([5, *(int(c[0]) for c in cells), *(int(c[1]) for c in cells)])
        return text_grid(cells, size)

    def describe_in(self, answer: Extracted, component) -> str:
        if not answer.readable:
            return self.describe(answer)
        settings: GridSettings = component.settings
        return text_grid(set(answer.value["cells"]), settings.size, settings.origin)

    def render_context(self, answer, key, outcome, component) -> dict:
        size, origin = component.settings.size, component.settings.origin
        given = set(answer.value["cells"]) if answer and answer.readable else None
        wanted = set(key["cells"]) if key else None
        grids = []
        if given is not None:
            grids.append({"caption": "Your grid (as read)", "rows": _rows(size, given, wanted, origin=origin)})
        if wanted is not None:
            grids.append({"caption": "Key", "rows": _rows(size, wanted, None, is_key=True, origin=origin)})
        return {"grids": grids}

    def self_test(self, component, key) -> list[tuple[Any, Status]]:
        cells = list(key["cells"])
        size = component.settings.size
        outside = next(label for label in labels(size) if label not in cells)
        return [
            ({"cells": cells}, "correct"),
            ({"cells": cells[1:] + [outside]}, "partial" if component.points > 2 * component.settings.penalty_per_cell else "incorrect"),
            ({"cells": [label for label in labels(size) if label not in cells]}, "incorrect"),
            ({"cells": ["99x"]}, "needs_review"),
        ]

    def public_key(self, key: Any) -> Any:
        return {"cells": list(key["cells"])}

    def summary_feedback(self, answer, key, status, component) -> str:
        if not isinstance(answer, dict) or status in ("missing", "needs_review") or not key:
            return super().summary_feedback(answer, key, status, component)
        differ = len(set(answer["cells"]) ^ set(key["cells"]))
        if not differ:
            return "Correct."
        return f"{differ} cell{'s differ' if differ > 1 else ' differs'} from the expected field."


def _rows(size: int, shown: set[str], compare: set[str] | None, is_key: bool = False,
          origin: str = "top-left") -> list[list[dict]]:
    rows = []
    for r in (_row(i, size, origin) for i in range(size)):
        row = []
        for c in range(1, size + 1):
            label = f"{r}{c}"
            on = label in shown
            if is_key:
                css, title = ("key" if on else "off"), ("in the key" if on else "")
            elif compare is None:
                css, title = ("on" if on else "off"), ("highlighted" if on else "")
            elif on and label in compare:
                css, title = "hit", "highlighted, correct"
            elif on:
                css, title = "extra", "highlighted, not in the receptive field"
            elif label in compare:
                css, title = "missing", "in the receptive field, not highlighted"
            else:
                css, title = "off", ""
            row.append({"label": label, "css": css, "title": title})
        rows.append(row)
    return rows


def text_grid(cells: set[str], size: int, origin: str = "top-left") -> str:
    """A small text picture of a grid: highlighted cells show their label, others a dot; the top
    row first (row 1 for a map numbered from the top, row `size` for one numbered from the bottom)."""
    lines = []
    for r in (_row(i, size, origin) for i in range(size)):
        lines.append(" ".join(f"[{r}{c}]" if f"{r}{c}" in cells else " .. " for c in range(1, size + 1)))
    return "\n".join(lines)


def _shown(grid) -> str:
    where = f"page {grid.page}, " if grid.page else ""
    cells = ", ".join(sorted(grid.cells)) if grid.cells is not None else "highlights unreadable"
    return f"{where}{grid.method}: {cells}"


def _chosen_grid(fragment: Fragment) -> Extracted:
    """The grid segmentation chose as the answer (one per document read), the others as evidence."""
    chosen = fragment.answer_grids
    others = tuple(f"another grid in the answer ({_shown(g)})" for g in fragment.grids if g not in chosen)
    readable = {g.cells for g in chosen if g.cells is not None}
    if len(readable) > 1:
        shown = "; ".join(_shown(g) for g in chosen)
        return Extracted(None, "several grids", 0.0, evidence=others,
                         problem=f"several different grids were found for this part: the files of this submission disagree ({shown})")
    best = max(chosen, key=lambda g: (g.cells is not None, g.confidence))
    how = best.method + (f" (page {best.page})" if best.page else "")
    if fragment.grid_how:
        how += f"; {fragment.grid_how}"
    if best.cells is None:
        return Extracted(None, how, 0.0, evidence=others,
                         problem=best.note or "the grid's highlights could not be read")
    note = (best.note,) if best.note else ()
    return Extracted({"cells": sorted(best.cells)}, how, min(best.confidence, fragment.grid_confidence),
                     evidence=note + others)

