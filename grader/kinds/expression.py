r"""Expression answers: LaTeX read into a tree, judged numerically on the test cases of a context.

extract: in an answer sheet the value is the LaTeX itself; in a text, every equation is found
    (grader.mathexpr.equations) and the answer is the other side of the last equation whose side
    is the component's target (`A = ... = <answer>`, or `<answer> = f_1(x)`); values given one by
    one (`\lambda_1 = ..., \lambda_2 = ...`) make a set. Answers that read, use only declared names
    and only the allowed ones are preferred.
grade: the answer and the key are evaluated on the test cases of the context the rubric declares
    (settings in expression_settings.py); equal values are full credit, a declared mistake
    (`when: {expression: ...}`) earns its credit and message, and otherwise the feedback says how
    the answer relates to the key when it can (off by a constant, a sign, a factor, some of a set's
    values, another shape). An answer the evaluator cannot read goes to a TA with the reason,
    never to a silent 0.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np

from grader.kinds.base import LOW_CONFIDENCE, Extracted, Fragment, Kind, Outcome, Status, register, status_for
from grader.kinds.expression_settings import (ExpressionSettings, ExpressionWhen, check_key, head,
                                              parse_checked)
from grader.mathexpr import answer, equivalence
from grader.mathexpr import tree as t
from grader.mathexpr.equations import find_equations, split_math
from grader.mathexpr.evaluate import cases, symbols_used
from grader.mathexpr.normalise import without_optimum
from grader.mathexpr.parser import parse
from grader.mathexpr.printer import to_latex, to_plain
from grader.mathexpr.tree import ParseError

EARLIER = "earlier line: "


def _parse(latex: str, settings: ExpressionSettings) -> t.Node:
    return parse(latex, settings.ctx.lexicon)


def _problem(node: t.Node, settings: ExpressionSettings) -> str | None:
    """Why the tree cannot be evaluated (an unknown name, x outside an expectation...), or None."""
    return equivalence.problem(node, settings.ctx, settings.pointwise, settings.time_limit)


def _value(latex: str, node: t.Node, how: str, confidence: float) -> Extracted:
    return Extracted({"expression": latex, "plain": to_plain(node)}, how, confidence)


@register
class ExpressionKind(Kind):
    name = "expression"
    Settings = ExpressionSettings
    When = ExpressionWhen
    TEMPLATE = """
<div class="expression">
  {% if ctx["latex"] %}<p>Your answer, as written:</p><pre class="latex">{{ ctx["latex"] }}</pre>{% endif %}
  {% if ctx["plain"] %}<p>read as: <code>{{ ctx["plain"] }}</code></p>{% endif %}
  {% if ctx["read_note"] %}<p class="small">Read so: {{ ctx["read_note"] }}.</p>{% endif %}
  {% if ctx["problem"] %}<p class="muted">Not read: {{ ctx["problem"] }}</p>{% endif %}
  {% if ctx["key_latex"] %}<p>Expected:</p><pre class="latex">{{ ctx["key_latex"] }}</pre>
  <p>that is: <code>{{ ctx["key_plain"] }}</code></p>{% endif %}
  {% if ctx["check"] %}<p class="small">Check: {{ ctx["check"] }}</p>{% endif %}
</div>"""

    # ------------------------------------------------------------------ key

    def prepare(self, key: Any, settings: ExpressionSettings) -> dict:
        latex = key.get("expression") if isinstance(key, dict) else key
        if not isinstance(latex, str) or not latex.strip():
            raise ValueError("an expression key is a LaTeX string")
        check_key(latex, settings)
        return {"expression": latex.strip()}

    def check_mistake(self, when: ExpressionWhen, settings: ExpressionSettings) -> None:
        for form in when.forms:
            node = parse_checked(form, "mistake form", settings.ctx)
            values = equivalence.cached_values(node, settings.ctx, settings.pointwise)
            if isinstance(values, ValueError):
                raise ValueError(f"mistake form {form!r} cannot be evaluated: {values}")

    def public_settings(self, settings: ExpressionSettings) -> dict:
        return settings.public()

    def public_key(self, key: Any) -> Any:
        return {"expression": key["expression"]}

    # ------------------------------------------------------------------ extract

    def extract(self, fragment: Fragment, component) -> Extracted:
        settings: ExpressionSettings = component.settings
        if fragment.structured is not None:
            raw = fragment.structured
            if isinstance(raw, dict):
                raw = raw.get("expression")
            if isinstance(raw, (list, int, float)) and not isinstance(raw, bool):
                raw = _sheet_latex(raw)
            if not isinstance(raw, str) or not raw.strip():
                return Extracted(None, "answer sheet", 0.0, problem="expected a LaTeX expression (a string)")
            found = _from_sheet(raw, settings)
        else:
            found = _from_text(fragment.text, settings, fragment.math)
        return replace(found, value=dict(found.value)) if found.value is not None else found

    # ------------------------------------------------------------------ grade

    def grade(self, answer: Extracted, key: dict, component) -> Outcome:
        settings: ExpressionSettings = component.settings
        ctx = settings.ctx
        node = _parse(answer.value.get("read_as") or answer.value["expression"], settings)
        name = settings.shown_name
        extra = {"plain": to_plain(node)}
        allowed = settings.allowed()
        used_names = symbols_used(node, ctx)
        disallowed = used_names - allowed if allowed is not None else set()
        if disallowed:
            words = ", ".join(ctx.words(s) for s in settings.symbols)
            used = ", ".join(ctx.words(s) for s in sorted(disallowed))
            return self._finish(answer, 0.0, f"{name} is to be expressed with {words}; your expression uses "
                                f"{used}.", ("uses-" + "-".join(sorted(disallowed)),), extra)
        mistakes = _mistake_trees(component)
        verdict = equivalence.check(node, _parse(key["expression"], settings), mistakes, ctx, settings.pointwise,
                                    settings.rtol, settings.atol, settings.time_limit)
        extra["verdict"] = verdict.kind
        extra["sample"] = list(verdict.sample)
        if verdict.kind in ("error", "timeout"):
            return Outcome(0.0, "needs_review", f"Your expression could not be checked automatically: "
                           f"{verdict.detail}. A TA will grade it.", (verdict.kind,), suggested=True, extra=extra)
        unmet = settings.missing_requirement(used_names)
        if unmet:  # the definition restated is not the expression asked for, even when it is equal
            lacks = ("lacks-" + "-".join(n for n in settings.required if n not in used_names),)
            if verdict.kind == "mistake":
                mistake = component.mistakes[verdict.mistake]
                return self._finish(answer, 0.0, f"{unmet} {mistake.message}", lacks + (mistake.id,), extra)
            return self._finish(answer, 0.0, unmet, lacks, extra)
        if verdict.kind == "equivalent":
            said = "Read so, your expression equals" if answer.value.get("read_note") else "Correct: your expression equals"
            return self._finish(answer, 1.0, f"{said} {name}.", (), extra)
        if verdict.kind == "mistake":
            mistake = component.mistakes[verdict.mistake]
            message = mistake.message + self._earlier(answer, key, component, mistakes, verdict.mistake)
            return self._finish(answer, mistake.credit or 0.0, message, (mistake.id,), extra)
        message = _generic_message(verdict, name) + self._earlier(answer, key, component, mistakes, None)
        credit = settings.generic_credit if verdict.kind in ("constant", "sign", "factor", "one_minus") else 0.0
        return self._finish(answer, credit, message, (verdict.kind,), extra)

    def _earlier(self, answer: Extracted, key: dict, component, mistakes, final: int | None) -> str:
        """A sentence naming a declared mistake (with a label) in an earlier line, if any."""
        settings: ExpressionSettings = component.settings
        for item in reversed(answer.evidence):
            if not item.startswith(EARLIER):
                continue
            try:
                node = _parse(item[len(EARLIER):], settings)
            except ParseError:
                continue
            verdict = equivalence.check(node, _parse(key["expression"], settings), mistakes, settings.ctx,
                                        settings.pointwise, settings.rtol, settings.atol, settings.time_limit)
            if verdict.kind == "mistake" and verdict.mistake != final:
                label = component.when(component.mistakes[verdict.mistake]).label
                if label:
                    return f" An earlier line, {to_plain(node)}, has another known mistake: {label}."
        return ""

    def _finish(self, answer: Extracted, fraction: float, message: str, notes: tuple[str, ...],
                extra: dict) -> Outcome:
        status: Status = status_for(fraction)
        if answer.value.get("read_note"):
            status = "needs_review"
            message += f" As read: {answer.value['read_note']}; a TA will confirm it."
        elif answer.confidence < LOW_CONFIDENCE:
            status = "needs_review"
            message += f" Your answer was located with low confidence ({answer.how}); a TA will confirm it."
        return Outcome(fraction, status, message, notes, suggested=status == "needs_review", extra=extra)

    # ------------------------------------------------------------------ show

    def group_label(self, value: Any) -> str | None:
        return value.get("plain") or value.get("expression")

    def describe(self, answer: Extracted) -> str:
        value = answer.value or {}
        if not answer.readable:
            shown = f"not read: {answer.problem}"
            if value.get("expression"):
                shown += f"\nas written: {value['expression']}"
            return shown
        read = f"\nread so: {value['read_note']}" if value.get("read_note") else ""
        return f"expression: {value['plain']}\nas written: {value['expression']}{read}\nfound in: {answer.how}"

    def render_context(self, answer, key, outcome, component) -> dict:
        value = (answer.value or {}) if answer is not None else {}
        key_plain = None
        if key:
            try:
                key_plain = to_plain(_parse(key["expression"], component.settings))
            except ParseError:  # prepare() parsed it: cannot happen, but a page must still render
                key_plain = key["expression"]
        return {"latex": value.get("expression"), "plain": value.get("plain"), "read_note": value.get("read_note"),
                "problem": answer.problem if answer is not None else None,
                "key_latex": key["expression"] if key else None, "key_plain": key_plain,
                "check": _check_words(outcome, component) if outcome is not None else None}

    def self_test(self, component, key) -> list[tuple[Any, Status]]:
        settings: ExpressionSettings = component.settings
        expression = key["expression"]
        values = equivalence.key_values(_parse(expression, settings), settings.ctx, settings.pointwise)
        real_number = not isinstance(values, tuple) and values.ndim == 1 and not np.iscomplexobj(values)
        generic: Status = "partial" if settings.generic_credit > 0 and real_number else "incorrect"
        cases_: list[tuple[Any, Status]] = [
            (expression, "correct"),
            (f"{settings.target} = {expression}", "correct"),
            (_shifted(expression, values), generic),  # off by a constant that names no mistake
            ("\\frac{1}{", "needs_review"),
            (f"{settings.ctx.undeclared_name()}(x)", "needs_review"),  # a name the context does not declare
            ("\\sum_i x_i", "needs_review"),  # a construct the grammar does not read
        ]
        for mistake in component.mistakes:
            credit = mistake.credit or 0.0
            status: Status = status_for(credit)
            cases_ += [(form, status) for form in component.when(mistake).forms]
        return cases_


def _shifted(expression: str, values) -> str:
    """The key plus 7 in every entry: a wrong answer of the key's own shape."""
    if isinstance(values, tuple) or values.ndim == 1:
        return f"\\left({expression}\\right) + 7"
    shape = values.shape[1:]
    if 1 in shape:
        sevens = t.tuple_([t.num(7)] * max(shape)) if max(shape) > 1 else t.num(7)
    else:
        sevens = t.matrix([[t.num(7)] * shape[1]] * shape[0])
    return f"\\left({expression}\\right) + {to_latex(sevens)}"


def _mistake_trees(component) -> tuple[tuple[t.Node, ...], ...]:
    settings: ExpressionSettings = component.settings
    return tuple(tuple(_parse(form, settings) for form in component.when(m).forms) for m in component.mistakes)


_VERDICT_WORDS = {
    "equivalent": "equal to the expected expression on every test case",
    "constant": "differs from the expected expression by a constant",
    "sign": "the expected expression with the opposite sign",
    "factor": "a multiple of the expected expression",
    "affine": "a multiple of the expected expression plus a constant",
    "one_minus": "1 minus the expected expression",
    "reciprocal": "the reciprocal of the expected expression",
    "some_values": "some of the expected values, not all",
    "shape": "a value of another shape than the expected one",
    "different": "not equal to the expected expression",
    "undefined": "undefined on some test cases",
    "error": "could not be evaluated",
    "timeout": "ran out of time",
}


def _check_words(outcome: Outcome, component) -> str | None:
    """How the numerical check concluded, in a few words, with the values behind it."""
    kind = outcome.extra.get("verdict")
    if kind is None:
        return None
    if kind == "mistake" and outcome.notes:
        words = f"a known mistake ({outcome.notes[0]})"
    else:
        words = _VERDICT_WORDS.get(kind, kind)
    settings: ExpressionSettings = component.settings
    count = cases(settings.ctx, settings.pointwise).n
    sample = outcome.extra.get("sample") or ()
    if len(sample) == 3:
        words += f"; with {sample[0]}: yours {sample[1]}, expected {sample[2]}" if sample[0] else \
            f"; yours {sample[1]}, expected {sample[2]}"
    return f"{words} (evaluated on {count} test case{'s' if count > 1 else ''})."


# ------------------------------------------------------------------ locating the answer
# Cached per (text, settings): a batch reads the same answer text once; Extracted is frozen and
# extract() hands out a copy of its value.

def _read(latex: str, how: str, confidence: float, settings: ExpressionSettings) -> Extracted:
    try:
        node = _parse(latex, settings)
    except ParseError as exc:
        retried = _read_optimum(latex, how, confidence, settings)
        return retried or Extracted({"expression": latex}, how, 0.0, problem=f"the expression could not be read: {exc}")
    problem = _problem(node, settings)
    if problem:
        return Extracted({"expression": latex, "plain": to_plain(node)}, how, 0.0,
                         problem=f"the expression could not be evaluated: {problem}")
    return _value(latex, node, how, confidence)


def _read_optimum(latex: str, how: str, confidence: float, settings: ExpressionSettings) -> Extracted | None:
    """A formula that fails on an optimisation operator (arg max_D, max_D, sup_θ), read as the value
    of what it optimises: a reading a TA confirms (its confidence is below LOW_CONFIDENCE)."""
    stripped = without_optimum(latex)
    if stripped is None:
        return None
    try:
        node = _parse(stripped[0], settings)
    except ParseError:
        return None
    if _problem(node, settings):
        return None
    return Extracted({"expression": latex, "plain": to_plain(node), "read_as": stripped[0].strip(),
                      "read_note": stripped[1]}, how, min(confidence, 0.5))


@lru_cache(maxsize=4096)
def _from_sheet(raw: str, settings: ExpressionSettings) -> Extracted:
    equations = split_math(raw)
    if len(equations) != 1:
        return Extracted({"expression": raw}, "answer sheet", 0.0,
                         problem="expected one expression (or one equation)")
    sides = equations[0]
    if len(sides) == 1:
        return _read(sides[0], "answer sheet", 1.0, settings)
    if _names_target(sides[0], settings):
        return _read(sides[-1], "answer sheet", 1.0, settings)
    return _read(sides[-1], "answer sheet, the last side of an equation", 0.8, settings)


def _sheet_latex(value) -> str | None:
    """A matrix or a tuple given as YAML lists ([[1, '-\\alpha'], ['\\alpha', 1]]), as LaTeX."""
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value
    if not isinstance(value, list) or not value or len(value) > 400:
        return None
    if all(isinstance(row, list) for row in value):
        rows = [[_sheet_latex(v) for v in row] for row in value]
        if any(v is None for row in rows for v in row):
            return None
        return "\\begin{pmatrix}" + " \\\\ ".join(" & ".join(row) for row in rows) + "\\end{pmatrix}"
    items = [_sheet_latex(v) for v in value]
    return None if None in items else "(" + ", ".join(items) + ")"


def _names_target(side: str, settings: ExpressionSettings) -> bool:
    if len(side) > answer.MAX_NAME_CHARS:  # a quantity's name is short: no need to parse long sides
        return False
    try:
        return head(_parse(side, settings), settings.ctx) in settings.heads
    except ParseError:
        return False


@lru_cache(maxsize=4096)
def _from_text(text: str, settings: ExpressionSettings, readings: tuple = ()) -> Extracted:
    """The answer among the text's equations (grader.mathexpr.answer chooses, and says when a TA must);
    failing an equation naming the quantity, its values given one by one (λ_1 = …, λ_2 = …)."""
    choice = answer.choose(text, lambda side: _names_target(side, settings), lambda side: _rank(side, settings),
                           lambda a, b: _same(a, b, settings), readings, settings.time_limit, settings.shown_name,
                           lambda side: to_plain(_parse(side, settings)))
    if choice.latex is None or choice.how.startswith("the last displayed formula"):
        one_by_one = _values_one_by_one(find_equations(text), settings)
        if one_by_one is not None:
            return one_by_one
    if choice.latex is None:
        hint = f" (write it as '{settings.target} = …')" if choice.problem.startswith("no equation") else ""
        return Extracted(None, "text", 0.0, problem=choice.problem + hint)
    read = _read(choice.latex, choice.how, choice.confidence, settings)
    if choice.earlier and read.readable:  # grade() points at a known mistake in them
        read = Extracted(read.value, read.how, read.confidence, evidence=tuple(EARLIER + e for e in choice.earlier))
    return read


def _same(a: str, b: str, settings: ExpressionSettings) -> bool | None:
    """Do two answers have the same value (None: one cannot be evaluated)?"""
    try:
        verdict = equivalence.check(_parse(a, settings), _parse(b, settings), (), settings.ctx, settings.pointwise,
                                    settings.rtol, settings.atol, settings.time_limit)
    except ParseError:
        return None
    return None if verdict.kind in ("error", "timeout", "undefined") else verdict.kind == "equivalent"


def _values_one_by_one(equations, settings: ExpressionSettings) -> Extracted | None:
    """λ_1 = 1 + iα, λ_2 = 1 − iα: the target's values given one by one, read as their set."""
    try:
        target = _parse(settings.target, settings)
    except ParseError:
        return None
    found = answer.values_one_by_one(equations, target, lambda side: _parse(side, settings))
    if not found:
        return None
    latex = "\\{" + ", ".join(found.values()) + "\\}"
    names = ", ".join(to_plain(t.sym(target.base, k, target.star, target.accent)) for k in found)
    return _read(latex, f"the values {names}, given one by one", 0.85, settings)


def _rank(latex: str, settings: ExpressionSettings) -> int:
    """2: reads, evaluates and uses only allowed names (3 when it also uses every required name
    of `requires`: preferred to a definition restated); 1: reads; 0: does not read."""
    try:
        node = _parse(latex, settings)
    except ParseError:
        return 0
    if _problem(node, settings):
        return 1
    used = symbols_used(node, settings.ctx)
    if not settings.fits(used, required=False):
        return 1
    return 3 if settings.required and settings.fits(used) else 2


def _generic_message(verdict: equivalence.Verdict, name: str) -> str:
    name_of = equivalence.name_of
    if verdict.kind == "constant":
        b = verdict.b or 0.0
        sign = "+" if b > 0 else "−"
        return (f"Not quite: your expression is {name} {sign} {name_of(abs(b))}, off by an additive "
                f"constant.")
    if verdict.kind == "sign":
        return f"Wrong sign: your expression is −{name}."
    if verdict.kind == "factor":
        base = " (a logarithm in another base?)" if name_of(abs(verdict.a or 0)) in ("1/log 2", "log 2") else ""
        return f"Off by a factor: your expression is {name_of(verdict.a)} × {name}{base}."
    if verdict.kind == "one_minus":
        return f"Your expression is 1 − {name} (are the two classes swapped?)."
    if verdict.kind == "affine":
        b = verdict.b or 0.0
        return (f"Your expression is {name_of(verdict.a)} × {name} {'+' if b > 0 else '−'} {name_of(abs(b))}, "
                f"not {name}.")
    if verdict.kind == "reciprocal":
        return f"Your expression is 1/{name}, the reciprocal of what is asked."
    if verdict.kind == "undefined":
        return f"Your expression is not {name}: {verdict.detail}."
    if verdict.kind == "some_values":
        return f"Your answer gives only some of the values of {name}: {verdict.detail}."
    if verdict.kind == "shape":
        return f"Your answer is not {name}: it is {verdict.detail}."
    sample = verdict.sample
    if len(sample) == 3:
        where = f"with {sample[0]} " if sample[0] else ""
        return f"Your expression is not {name}: {where}it gives {sample[1]} where {name} = {sample[2]}."
    return f"Your expression is not {name}."
