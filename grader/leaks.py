"""Finding the answer key in files meant for students (the self-check bundle, anything shipped).

`find_leaks(files, rubric, key)` names every place from which a key value or hidden feedback can
be read, in every form a person or a program might have written it:

- a grid key: its cells in any order and with any separators, as labels ("11, 12", `["11", ...]`,
  `{11; 12}`, `<td>11</td>`), as (row, col) pairs 1- or 0-based in any brackets, as `r1c2`, or as
  a 5x5 matrix of marks (0/1, x/., #/., ■/□), give or take one cell;
- a choice key: its options named near the part's id (3.1, 3_1, Q3.1) or its component's id, in
  any of the forms "(b)", "b)", "[b]", "option b", "answer: b", `"b"`, with a word that says it
  is the answer (answer, key, correct, solution, expected, `:` or `=`);
- an expression key, in LaTeX and in Unicode or plain text: both are reduced to one skeleton
  (HTML tags and entities gone, Unicode folded: ½ -> 1/2, subscripts, 𝔼 -> E, − -> -; \\frac{a}{b}
  -> a/b; formatting commands, spacing, braces, subscript marks and "(x)" arguments dropped), so
  `½(E<sub>p0</sub>[log(1−D*)] + …) + log 2` in a template is the key written in LaTeX;
- a mistake message, checklist item or hint, false-proof message, reference-number caption or
  value (whitespace and case aside); a key file, or reference code.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata

GRID_SIZE = 5


# ---------------------------------------------------------------- text forms

def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


_FOLD = str.maketrans({"⁄": "/", "−": "-", "–": "-", "—": "-", "∗": "*", "⋆": "*", "★": "*", "·": "", "⋅": "",
                       "×": "", "∼": "~", "‖": "||", "⟨": "<", "⟩": ">", "∣": "|", "\u00a0": ""})
_FORMATTING = re.compile(r"\\(?:left|right|[bB]igg?[lr]?|displaystyle|textstyle|limits|nolimits|[,;:! ]|q?quad"
                         r"|cdot|times|mathrm|mathbb|mathcal|mathbf|mathit|mathsf|operatorname|textrm|text|rm|bf)"
                         r"(?![A-Za-z])")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_FRAC_DIGITS = re.compile(r"\\[dt]?frac\s*(\d)\s*(\d)")
_ATOM_IN_PARENS = re.compile(r"\(([A-Za-z0-9]+\*?)\)")


def skeleton(text: str) -> str:
    """One spelling of a formula, whatever wrote it (LaTeX, HTML, Unicode, plain text, code)."""
    text = html.unescape(re.sub(r"<[^<>]{0,200}>", "", text))
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    text = text.replace("\\\\", "\\")  # a backslash escaped in code or JSON
    text = _FRAC_DIGITS.sub(r"\1/\2", text)
    previous = None
    while previous != text:  # innermost fractions first
        previous, text = text, _FRAC.sub(r"(\1)/(\2)", text)
    text = _FORMATTING.sub("", text)
    text = re.sub(r"\\sim(?![A-Za-z])", "~", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    text = re.sub(r"[\s{}_^$'\"`\\]", "", text)
    text = re.sub(r"[a-z]~", "", text)  # E_{x~p0} and E_{p0} are one expectation
    text = text.replace("(x)", "")
    previous = None
    while previous != text:
        previous, text = text, _ATOM_IN_PARENS.sub(r"\1", text)
    return text


def expression_forms(value) -> set[str]:
    """Skeletons of an expression key: as written, and as the grader prints it in plain text."""
    latex = value.get("expression") if isinstance(value, dict) else value
    if not isinstance(latex, str):
        return set()
    forms = {skeleton(latex)}
    try:
        from grader.mathexpr.parser import parse
        from grader.mathexpr.printer import to_plain

        forms.add(skeleton(to_plain(parse(latex))))
    except Exception:  # a key the parser cannot read is still looked for as written
        pass
    return {f for f in forms if len(f) >= 8}


def _text_forms(value) -> set[str]:
    """Every string inside a key value that is not a grid or a choice."""
    if isinstance(value, dict) and "expression" in value:
        return expression_forms(value)
    if isinstance(value, dict):
        return set().union(*(_text_forms(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(_text_forms(v) for v in value)) if value else set()
    if isinstance(value, str):
        return expression_forms(value)
    return set()


# ---------------------------------------------------------------- grids

_LABEL = re.compile(r"(?<!\d)([1-9][1-9])(?!\d)")
_PAIR = re.compile(r"[(\[{<]\s*(\d)\s*[,;:\s]\s*(\d)\s*[)\]}>]")
_RC = re.compile(r"\b[rR](?:ow)?\s*(\d)\s*[,;_\s]?\s*[cC](?:ol(?:umn)?)?\s*(\d)\b")
_INDEXED = re.compile(r"\[(\d)\]\s*\[(\d)\]")
_MARKS = (("x", "."), ("X", "."), ("#", "."), ("■", "□"), ("*", "."), ("x", "o"))


def _runs_of(pattern: re.Pattern, text: str, cell, gap: int = 40) -> list[set[str]]:
    """Cells matched close together (no digit and at most `gap` characters between two)."""
    runs, current, last_end = [], [], None
    for m in pattern.finditer(text):
        between = text[last_end:m.start()] if last_end is not None else ""
        if last_end is not None and (len(between) > gap or re.search(r"\d", between)):
            runs.append(set(current))
            current = []
        current.append(cell(m))
        last_end = m.end()
    if current:
        runs.append(set(current))
    return runs


_BIT = r"(?<![\w.])[01](?![\w.])"
_BITS = re.compile(rf"(?:{_BIT}[^\w]{{1,8}}){{{GRID_SIZE * GRID_SIZE - 1}}}{_BIT}")
_MARK_LINE = re.compile(r"^[ \t,;|\[\](){}&\\xXo.#*■□]*[xXo.#*■□][ \t,;|\[\](){}&\\xXo.#*■□]*$", re.M)


def _mark_matrices(text: str) -> list[set[str]]:
    """5x5 matrices of marks: 25 bits in a row (a 0/1 matrix, in one line or five), or five
    lines made of marks alone (x and ., # and ., ■ and □...)."""
    cells = GRID_SIZE * GRID_SIZE
    out = [{f"{i // GRID_SIZE + 1}{i % GRID_SIZE + 1}" for i, b in enumerate(re.findall(_BIT, m.group(0))) if b == "1"}
           for m in _BITS.finditer(text)]
    block: list[str] = []
    last_end = -2
    lines = [(m.start(), m.end(), m.group(0)) for m in _MARK_LINE.finditer(text)]
    for start, end, line in [*lines, (-1, -1, "")]:
        if start != last_end + 1 or not line:  # a block of consecutive mark lines ends
            for on, off in _MARKS:
                token = re.compile(rf"(?<![\w.]){re.escape(on)}(?![\w.])|(?<![\w.]){re.escape(off)}(?![\w.])")
                marks = [t for row in block for t in token.findall(row)]
                for first in range(0, len(marks) - cells + 1):
                    window = marks[first:first + cells]
                    if on in window and off in window:
                        out.append({f"{i // GRID_SIZE + 1}{i % GRID_SIZE + 1}"
                                    for i, b in enumerate(window) if b == on})
            block = []
        block.append(line)
        last_end = end
    return out


def cell_runs(text: str) -> list[set[str]]:
    """Every run of grid cells written close together, in every format of the module docstring."""
    runs = _runs_of(_LABEL, text, lambda m: m.group(1))
    for pattern in (_PAIR, _RC, _INDEXED):
        one_based = _runs_of(pattern, text, lambda m: m.group(1) + m.group(2))
        zero_based = _runs_of(pattern, text, lambda m: f"{int(m.group(1)) + 1}{int(m.group(2)) + 1}")
        runs += one_based + zero_based
    return runs + _mark_matrices(text)


def _grid_leaks(cells: set[str], runs: dict[str, list[set[str]]]) -> list[str]:
    every = {f"{r}{c}" for r in range(1, GRID_SIZE + 1) for c in range(1, GRID_SIZE + 1)}
    return [rel for rel, found in runs.items()
            if any(len(s ^ cells) <= 1 and s != every and len(s) > 1 for s in found)]


# ---------------------------------------------------------------- choices

_CONTEXT = re.compile(r"answer|key|correct|solution|expected|choice|select|true|false|literal|[:=]", re.I)


def _option_pattern(option: str) -> str:
    o = re.escape(option)
    if len(option) == 1:  # a letter: only in the forms that name an option
        return (rf"\(\s*{o}\s*\)|\[\s*{o}\s*\]|(?<![\w(\[]){o}\)|[\"']{o}[\"']|\boption\s+{o}\b"
                rf"|\b(?:answer|choice|letter|key)\s*(?:is|:|=)?\s*{o}\b|[:=]\s*{o}\b")
    return rf"(?<![A-Za-z]){o}(?![A-Za-z])"


def _anchors(part_id: str, component_id: str | None) -> re.Pattern:
    forms = {part_id, part_id.replace(".", "_"), part_id.replace(".", "-")}
    names = [rf"(?<![\d.]){re.escape(f)}(?![\d])" for f in sorted(forms)]
    if component_id and re.search(r"\d", component_id):  # "scenario_1"; not a plain word like "choice"
        names.append(re.escape(component_id).replace("_", "[ _]"))
    return re.compile("|".join(names), re.I)


def _choice_leaks(part_id: str, component_id: str, wanted: set[str], options: set[str],
                  texts: dict[str, str], siblings: tuple[str, ...] = ()) -> list[str]:
    patterns = {o: re.compile(_option_pattern(o), re.I) for o in options | wanted}
    anchor = _anchors(part_id, component_id)
    named_siblings = [re.escape(s).replace("_", "[ _]") for s in siblings if re.search(r"\d", s)]
    # the text after a part's id, up to its next mention or another component's: one answer's worth
    stop = re.compile("|".join([anchor.pattern, *named_siblings]), re.I)
    found = []
    plain = {part_id, part_id.replace(".", "_"), part_id.replace(".", "-")}
    for rel, body in texts.items():
        if not any(p in body for p in plain) and not (len(anchor.pattern) > 80 and anchor.search(body)):
            continue
        for m in anchor.finditer(body):
            window = body[m.end():m.end() + 160]
            named = []  # the options named after the anchor, in order, up to the next anchor
            nxt = stop.search(window)
            window = window[:nxt.start()] if nxt else window
            for option, pattern in patterns.items():
                hit = pattern.search(window)
                if hit:
                    named.append((hit.start(), option.lower()))
            if named and {o for _, o in named} == {w.lower() for w in wanted} and _CONTEXT.search(window):
                found.append(rel)
                break
    return found


# ---------------------------------------------------------------- the scan

def find_leaks(files: dict[str, bytes], rubric, key) -> list[str]:
    """Every place in `files` from which a key value or hidden feedback can be read (see module)."""
    question = None
    if rubric.question_path is not None and rubric.question_path.exists():
        question = rubric.question_path.read_bytes()
    # what the question itself states ("show that f1 = f0 D*/(1 - D*)") is no secret
    public = skeleton(question.decode("utf-8", "replace")) if question is not None else ""
    texts, problems = {}, []
    for rel, data in files.items():
        if question is not None and data == question:
            continue  # the assignment's own text: students have it anyway
        if rel.endswith(".key.json") or rel.startswith("reference/") or "/reference/" in rel:
            problems.append(f"{rel}: a key file or reference code")
        texts[rel] = data.decode("utf-8", errors="replace")
    normed = {rel: _norm(t) for rel, t in texts.items()}
    skeletons = {rel: skeleton(t) for rel, t in texts.items()}
    runs = {rel: cell_runs(t) for rel, t in texts.items()}

    def phrase(label: str, text: str) -> None:
        wanted = _norm(text)
        if len(wanted) < 20:
            return
        for rel, body in normed.items():
            if wanted in body or (len(wanted) > 80 and wanted[:80] in body):
                problems.append(f"{rel}: {label}")

    aliases = {pattern for p in rubric.parts for c in p.components
               for patterns in (getattr(c.settings, "aliases", None) or {}).values() for pattern in patterns}
    for part in rubric.parts:
        for c in part.components:
            value = key.value(part.id, c.id)
            where = f"part {part.id}/{c.id}"
            if isinstance(value, dict) and "cells" in value:
                problems += [f"{rel}: the grid key of {where}" for rel in _grid_leaks(set(value["cells"]), runs)]
            elif isinstance(value, dict) and "choices" in value:
                wanted = {str(o) for o in value["choices"]}
                options = {str(o) for o in getattr(c.settings, "options", {})}
                siblings = tuple(x.id for x in part.components if x.id != c.id)
                problems += [f"{rel}: the choice key of {where}"
                             for rel in _choice_leaks(part.id, c.id, wanted, options, texts, siblings)]
            elif value is not None:
                for form in (f for f in _text_forms(value) if f not in public):
                    problems += [f"{rel}: the key of {where}" for rel, body in skeletons.items() if form in body]
            for mistake in c.mistakes:
                phrase(f"mistake message {mistake.id} of {where}", mistake.message)
            settings = c.settings
            for item in getattr(settings, "items", None) or []:
                phrase(f"checklist item {item.id} of {where}", item.description)
                for hint in item.hints:
                    # a hint that is also an option's alias is a public reading rule (it names an option)
                    if len(hint) >= 12 and hint not in aliases:
                        problems += [f"{rel}: a checklist hint of {where}" for rel, body in texts.items() if hint in body]
            for proof in getattr(settings, "false_proofs", None) or []:
                phrase(f"false-proof message {proof.id} of {where}", proof.message)
    for name, block in rubric.numbers.items():
        phrase(f"the caption of reference numbers {name!r}", block.caption)
    decimals = {rel: set(re.findall(r"(?<![\d.])-?\d+\.\d+", body)) for rel, body in texts.items()}
    for name, block in key.numbers.items():
        flat = json.dumps(block.get("values", {}))
        # numbers precise enough to be this computation's (three significant digits or more)
        for number in {n for n in re.findall(r"-?\d+\.\d{3,}", flat) if len(n.replace("-", "").replace(".", "").lstrip("0")) >= 3}:
            problems += [f"{rel}: reference number {number} of {name!r}" for rel, found in decimals.items() if number in found]
    return sorted(set(problems))
