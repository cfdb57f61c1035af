"""Lists: labels as the PDF prints them, and options of a choice marked as chosen ("[x] (b)")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from grader.ingest.grids import CHECKED, UNCHECKED

if TYPE_CHECKING:
    from grader.ingest.tex.walker import Walker

_OPTION_TOKEN = re.compile(r"(?<![\w\\])[(\[][a-hA-H][)\]](?!\w)")


# lists: options become "[x] (b)" / "[ ] (a)" when some items are marked as chosen


def listing(walker: Walker, env: str, start: int, stop: int) -> None:
    opt = walker.opt(start, stop)
    style = walker.text_of((opt[0], opt[1])) if opt else ""
    j = opt[2] if opt else start
    enumerated = env not in {"itemize", "itemize*", "description", "todolist", "checklist", "compactitem",
                             "checkboxes"}
    try:
        items = split_items(walker, j, stop)
        if enumerated:
            walker.enum_depth += 1
        labels = [_auto_label(style, n, walker.enum_depth, env) if enumerated else "-" for n in range(len(items))]
        # a letter counter: the first two labels differ by "a" -> "b" ("(a)", "(b)")
        first, second = (_auto_label(style, 0, walker.enum_depth, env), _auto_label(style, 1, walker.enum_depth, env))
        letters = enumerated and any(x in "aA" and y in "bB" for x, y in zip(first, second))
        rendered = []
        for n, (label_span, body_start, body_end) in enumerate(items):
            label = walker.capture(*label_span).strip() if label_span else None
            body = walker.capture(body_start, body_end).strip()
            raw = walker.src[body_start:body_end].strip()
            rendered.append((n, label, body, raw))
        render_items(walker, rendered, letters, labels)
    finally:
        if enumerated:
            walker.enum_depth -= 1


def split_items(walker: Walker, start: int, stop: int) -> list[tuple[tuple[int, int] | None, int, int]]:
    cuts = [(pos, after) for pos, after, tok in walker.split_top(start, stop, {"item"})]
    items = []
    for k, (pos, after) in enumerate(cuts):
        body_end = cuts[k + 1][0] if k + 1 < len(cuts) else stop
        opt = walker.opt(after, body_end)
        if opt and walker.src[after:opt[0] - 1].strip() == "":
            items.append(((opt[0], opt[1]), opt[2], body_end))
        else:
            items.append((None, after, body_end))
    return items


def render_items(walker: Walker, items, letters: bool, auto_labels: list[str]) -> None:
    """Items that are options of a choice, some marked as chosen (a check mark in the label or
    after the text, the whole item in bold), become "[x] (b) ..." and "[ ] (a) ..."."""
    marks = []
    for n, label, body, raw in items:
        plain_label = (label or "").replace(CHECKED, "").replace(UNCHECKED, "").strip()
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
        checked = CHECKED in (label or "") or CHECKED in body
        bold = bool(re.fullmatch(r"\\(?:textbf|underline|uline|hl|colorbox\{[^{}]*\}|fbox|framebox)\s*\{.*\}\s*"
                                 r"(?:\\checkmark)?\s*\.?", raw, re.S)) or raw.startswith("\\bfseries")
        marks.append((letter, checked, bold))
    options = [m for m in marks if m[0]]
    bolds = sum(1 for m in options if m[2])
    chosen_by_bold = 0 < bolds < len(options) and len(options) >= 2
    any_marked = len(options) >= 2 and (any(m[1] for m in options) or chosen_by_bold)
    for (n, label, body, raw), (letter, checked, bold) in zip(items, marks):
        walker.newline()
        if any_marked and letter:
            on = checked or (chosen_by_bold and bold)
            rest = body.replace(CHECKED, "").replace(UNCHECKED, "").strip()
            rest = re.sub(r"^[(\[]?[a-hA-H][)\]]\s*", "", rest)
            walker.put(f"[{'x' if on else ' '}] ({letter}) {rest}\n")
            continue
        if label is None:
            label = auto_labels[n]  # as the PDF prints it: "(a)", "1.", "Q1.2)"
        walker.put(f"{label} {body}\n")


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
