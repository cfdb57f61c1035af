r"""Expression answers (4.6a the JSD, 4.6b D* and f1): LaTeX read into a tree, judged numerically.

extract: in an answer sheet the value is the LaTeX itself; in a text, every equation is found
    (grader.mathexpr.equations) and the answer is the other side of the last equation whose side
    is the component's target (`JSD(p_0,p_1) = ... = <answer>`, or `<answer> = f_1(x)`). Answers
    that read, use only known names and only the allowed ones are preferred.
grade: the answer and the key are evaluated on known pairs of distributions (and at points, for a
    function of x); equal values are full credit, a declared mistake (`when: {expression: ...}`)
    earns its credit and message, and otherwise the feedback says how the answer relates to the
    key when it can (off by a constant, a sign, a factor). An answer the evaluator cannot
    read goes to a TA with the reason, never to a silent 0.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from grader.kinds.base import LOW_CONFIDENCE, Extracted, Fragment, Kind, Outcome, Status, StrictModel, register
from grader.mathexpr import answer, equivalence, evaluate
from grader.mathexpr import tree as t
from grader.mathexpr.equations import split_math
from grader.mathexpr.parser import parse
from grader.mathexpr.printer import to_plain
from grader.mathexpr.tree import ParseError

MAX_TARGET_CHARS = 120
EARLIER = "earlier line: "
Symbol = Literal["D", "p0", "p1", "mu", "KL", "JSD"]
_WORDS = {"D": "D*(x)", "p0": "f0(x) (p0)", "p1": "f1(x) (p1)", "mu": "the mixture μ", "KL": "KL", "JSD": "JSD"}


def _head(node: t.Node) -> str | None:
    """What quantity a side names: "JSD", "D", "p1", ... (None for anything else)."""
    if isinstance(node, t.Divergence):
        return node.name
    if isinstance(node, t.Apply):
        # D^*(x) names D*, but D^*(f_0 + f_1) is a product (D* times f0 + f1): not a name
        arg = node.args[0] if len(node.args) == 1 else None
        if not (isinstance(arg, t.Sym) and arg.sub is None and not arg.star and len(arg.base) == 1):
            return None
        node = node.head
    if isinstance(node, t.Sym):
        return evaluate.meaning(node)
    return None


def _parse_checked(latex: str, what: str) -> t.Node:
    try:
        return parse(latex)
    except ParseError as exc:
        raise ValueError(f"{what} {latex!r} does not parse: {exc}") from None


class ExpressionSettings(StrictModel):
    # The quantity the answer gives, in LaTeX ('\mathrm{JSD}(p_0, p_1)', 'D^*(x)', 'f_1(x)'): the
    # answer is the other side of an equation that has it as a side.
    target: str
    symbols: tuple[Symbol, ...] = Field(min_length=1)  # what the answer may be written with
    pointwise: bool = False  # a function of x (compared at points), not a number per distribution pair
    name: str | None = None  # how feedback names the quantity; default: the target as plain text
    rtol: float = Field(1e-6, gt=0, le=1e-2)
    atol: float = Field(1e-9, ge=0, le=1e-3)
    generic_credit: float = Field(0.0, ge=0, le=1)  # credit when only a generic relation is found
    time_limit: float = Field(1.0, gt=0, le=30)  # seconds to read one answer, and again to check it

    @field_validator("target")
    @classmethod
    def _target_reads(cls, value: str) -> str:
        if _head(_parse_checked(value, "target")) is None:
            raise ValueError(f"target {value!r} must name a quantity such as JSD(p_0,p_1), D^*(x) or f_1(x)")
        return value

    @property
    def head(self) -> str:
        return _head(parse(self.target)) or ""

    @property
    def shown_name(self) -> str:
        return self.name or to_plain(parse(self.target))


class ExpressionWhen(StrictModel):
    expression: str | list[str]  # the answer equals this LaTeX form (or any of these forms)
    label: str | None = None  # a short name ("missing + log 2"), to point at an earlier line with it

    @model_validator(mode="after")
    def _forms_read(self) -> ExpressionWhen:
        for form in self.forms:
            _parse_checked(form, "mistake form")
        return self

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.expression,) if isinstance(self.expression, str) else tuple(self.expression)


def _problem(node: t.Node, settings: ExpressionSettings) -> str | None:
    """Why the tree cannot be evaluated (an unknown name, x outside an expectation...), or None."""
    return equivalence.problem(node, settings.pointwise, settings.time_limit)


def _value(latex: str, node: t.Node, how: str, confidence: float) -> Extracted:
    return Extracted({"expression": latex, "plain": to_plain(node)}, how, confidence)


@register
class ExpressionKind(Kind):
    name = "expression"
    Settings = ExpressionSettings
    When = ExpressionWhen
    TEMPLATE = """
<div class="expression">
  {% if ctx.latex %}<p>Your answer, as written:</p><pre class="latex">{{ ctx.latex }}</pre>{% endif %}
  {% if ctx.plain %}<p>read as: <code>{{ ctx.plain }}</code></p>{% endif %}
  {% if ctx.problem %}<p class="muted">Not read: {{ ctx.problem }}</p>{% endif %}
  {% if ctx.key_latex %}<p>Expected:</p><pre class="latex">{{ ctx.key_latex }}</pre>
  <p>that is: <code>{{ ctx.key_plain }}</code></p>{% endif %}
  {% if ctx.check %}<p class="small">Check: {{ ctx.check }}</p>{% endif %}
</div>"""

    # ------------------------------------------------------------------ key

    def prepare(self, key: Any, settings: ExpressionSettings) -> dict:
        latex = key.get("expression") if isinstance(key, dict) else key
        if not isinstance(latex, str) or not latex.strip():
            raise ValueError("an expression key is a LaTeX string")
        node = _parse_checked(latex, "key")
        equivalence.key_values(node, settings.pointwise)  # raises EvalError (a ValueError) with the reason
        unknown = evaluate.symbols_used(node) - set(settings.symbols)
        if unknown:
            raise ValueError(f"the key uses {sorted(unknown)}, which 'symbols' does not allow")
        return {"expression": latex.strip()}

    def public_key(self, key: Any) -> Any:
        return {"expression": key["expression"]}

    # ------------------------------------------------------------------ extract

    def extract(self, fragment: Fragment, component) -> Extracted:
        settings: ExpressionSettings = component.settings
        if fragment.structured is not None:
            raw = fragment.structured
            if isinstance(raw, dict):
                raw = raw.get("expression")
            if not isinstance(raw, str) or not raw.strip():
                return Extracted(None, "answer sheet", 0.0, problem="expected a LaTeX expression (a string)")
            found = _from_sheet(raw, settings)
        else:
            found = _from_text(fragment.text, settings, fragment.math)
        return replace(found, value=dict(found.value)) if found.value is not None else found

    # ------------------------------------------------------------------ grade

    def grade(self, answer: Extracted, key: dict, component) -> Outcome:
        settings: ExpressionSettings = component.settings
        node = parse(answer.value["expression"])
        name = settings.shown_name
        extra = {"plain": to_plain(node)}
        disallowed = evaluate.symbols_used(node) - set(settings.symbols)
        if disallowed:
            allowed = ", ".join(_WORDS[s] for s in settings.symbols)
            used = ", ".join(_WORDS[s] for s in sorted(disallowed))
            return self._finish(answer, 0.0, f"{name} is to be expressed with {allowed}; your expression uses "
                                f"{used}.", ("uses-" + "-".join(sorted(disallowed)),), extra)
        mistakes = tuple(tuple(parse(form) for form in component.when(m).forms) for m in component.mistakes)
        verdict = equivalence.check(node, parse(key["expression"]), mistakes, settings.pointwise,
                                    settings.rtol, settings.atol, settings.time_limit)
        extra["verdict"] = verdict.kind
        extra["sample"] = list(verdict.sample)
        if verdict.kind in ("error", "timeout"):
            return Outcome(0.0, "needs_review", f"Your expression could not be checked automatically: "
                           f"{verdict.detail}. A TA will grade it.", (verdict.kind,), suggested=True, extra=extra)
        if verdict.kind == "equivalent":
            return self._finish(answer, 1.0, f"Correct: your expression equals {name}.", (), extra)
        if verdict.kind == "mistake":
            mistake = component.mistakes[verdict.mistake]
            message = mistake.message + self._earlier(answer, key, component, mistakes, verdict.mistake)
            return self._finish(answer, mistake.credit or 0.0, message, (mistake.id,), extra)
        message = _generic_message(verdict, name, settings.pointwise) + \
            self._earlier(answer, key, component, mistakes, None)
        credit = settings.generic_credit if verdict.kind in ("constant", "sign", "factor", "one_minus") else 0.0
        return self._finish(answer, credit, message, (verdict.kind,), extra)

    def _earlier(self, answer: Extracted, key: dict, component, mistakes, final: int | None) -> str:
        """A sentence naming a declared mistake (with a label) in an earlier line, if any."""
        settings: ExpressionSettings = component.settings
        for item in reversed(answer.evidence):
            if not item.startswith(EARLIER):
                continue
            try:
                node = parse(item[len(EARLIER):])
            except ParseError:
                continue
            verdict = equivalence.check(node, parse(key["expression"]), mistakes, settings.pointwise,
                                        settings.rtol, settings.atol, settings.time_limit)
            if verdict.kind == "mistake" and verdict.mistake != final:
                label = component.when(component.mistakes[verdict.mistake]).label
                if label:
                    return f" An earlier line, {to_plain(node)}, has another known mistake: {label}."
        return ""

    def _finish(self, answer: Extracted, fraction: float, message: str, notes: tuple[str, ...],
                extra: dict) -> Outcome:
        status: Status = "correct" if fraction >= 1 else ("partial" if fraction > 0 else "incorrect")
        if answer.confidence < LOW_CONFIDENCE:
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
        return f"expression: {value['plain']}\nas written: {value['expression']}\nfound in: {answer.how}"

    def render_context(self, answer, key, outcome, component) -> dict:
        value = (answer.value or {}) if answer is not None else {}
        key_plain = None
        if key:
            try:
                key_plain = to_plain(parse(key["expression"]))
            except ParseError:  # prepare() parsed it: cannot happen, but a page must still render
                key_plain = key["expression"]
        return {"latex": value.get("expression"), "plain": value.get("plain"),
                "problem": answer.problem if answer is not None else None,
                "key_latex": key["expression"] if key else None, "key_plain": key_plain,
                "check": _check_words(outcome, component) if outcome is not None else None}

    def self_test(self, component, key) -> list[tuple[Any, Status]]:
        settings: ExpressionSettings = component.settings
        expression = key["expression"]
        generic: Status = "partial" if settings.generic_credit > 0 else "incorrect"
        cases: list[tuple[Any, Status]] = [
            (expression, "correct"),
            (f"{settings.target} = {expression}", "correct"),
            (f"\\left({expression}\\right) + 7", generic),  # off by a constant that names no mistake
            ("\\frac{1}{", "needs_review"),
            ("q(x)", "needs_review"),  # a name the evaluator does not know
            ("\\sum_i x_i", "needs_review"),  # a construct the grammar does not read
        ]
        for mistake in component.mistakes:
            credit = mistake.credit or 0.0
            status: Status = "correct" if credit >= 1 else ("partial" if credit > 0 else "incorrect")
            cases += [(form, status) for form in component.when(mistake).forms]
        return cases


_VERDICT_WORDS = {
    "equivalent": "equal to the expected expression on every test case",
    "constant": "differs from the expected expression by a constant",
    "sign": "the expected expression with the opposite sign",
    "factor": "a multiple of the expected expression",
    "affine": "a multiple of the expected expression plus a constant",
    "one_minus": "1 minus the expected expression",
    "reciprocal": "the reciprocal of the expected expression",
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
    cases = f"{len(evaluate.PAIRS)} pairs of distributions"
    if component.settings.pointwise:
        cases += f", {evaluate.POINTS_PER_PAIR} points each"
    sample = outcome.extra.get("sample") or ()
    if len(sample) == 2:
        words += f"; with {evaluate.describe_pair(0)}: yours {sample[0]:.6g}, expected {sample[1]:.6g}"
    elif len(sample) == 3:
        words += (f"; at x = {sample[0]:.3g} with {evaluate.describe_pair(0)}: yours {sample[1]:.6g}, "
                  f"expected {sample[2]:.6g}")
    return f"{words} (evaluated on {cases})."


# ------------------------------------------------------------------ locating the answer
# Cached per (text, settings): a batch reads the same answer text once; Extracted is frozen and
# extract() hands out a copy of its value.

def _read(latex: str, how: str, confidence: float, settings: ExpressionSettings) -> Extracted:
    try:
        node = parse(latex)
    except ParseError as exc:
        return Extracted({"expression": latex}, how, 0.0, problem=f"the expression could not be read: {exc}")
    problem = _problem(node, settings)
    if problem:
        return Extracted({"expression": latex, "plain": to_plain(node)}, how, 0.0,
                         problem=f"the expression could not be evaluated: {problem}")
    return _value(latex, node, how, confidence)


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


def _names_target(side: str, settings: ExpressionSettings) -> bool:
    if len(side) > MAX_TARGET_CHARS:  # a quantity's name is short: no need to parse long sides
        return False
    try:
        return _head(parse(side)) == settings.head
    except ParseError:
        return False


@lru_cache(maxsize=4096)
def _from_text(text: str, settings: ExpressionSettings, readings: tuple = ()) -> Extracted:
    """The answer among the text's equations (grader.mathexpr.answer chooses, and says when a TA must)."""
    choice = answer.choose(text, lambda side: _names_target(side, settings), lambda side: _rank(side, settings),
                           lambda a, b: _same(a, b, settings), readings, settings.time_limit, settings.shown_name,
                           lambda side: to_plain(parse(side)))
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
        verdict = equivalence.check(parse(a), parse(b), (), settings.pointwise, settings.rtol, settings.atol,
                                    settings.time_limit)
    except ParseError:
        return None
    return None if verdict.kind in ("error", "timeout", "undefined") else verdict.kind == "equivalent"


def _rank(latex: str, settings: ExpressionSettings) -> int:
    """2: reads, evaluates and uses only allowed names; 1: reads; 0: does not read."""
    try:
        node = parse(latex)
    except ParseError:
        return 0
    if _problem(node, settings):
        return 1
    return 2 if evaluate.symbols_used(node) <= set(settings.symbols) else 1


def _short(latex: str) -> str:
    text = " ".join(latex.split())
    return text if len(text) <= 40 else text[:37] + "…"


def _generic_message(verdict: equivalence.Verdict, name: str, pointwise: bool) -> str:
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
    sample = verdict.sample
    if pointwise and len(sample) == 3:
        return (f"Your expression is not {name}: at x = {sample[0]:.3g}, with {evaluate.describe_pair(0)}, "
                f"it gives {sample[1]:.4g} where {name} = {sample[2]:.4g}.")
    if len(sample) == 2:
        return (f"Your expression is not {name}: with {evaluate.describe_pair(0)} it gives {sample[0]:.4g}, "
                f"where {name} = {sample[1]:.4g}.")
    return f"Your expression is not {name}."
