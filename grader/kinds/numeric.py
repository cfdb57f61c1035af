r"""Numeric answers of any shape: a number, a complex number, a vector or tuple, a matrix, a set of
them (eigenvalues, compared without order), an interval, or several named quantities
("V = 0, D = 0.5"); with an absolute and a relative tolerance.

The key is a number, a string of exact math ('-\log 4', '1 \pm 0.1i'), a list (a vector), a list of
rows (a matrix), {set: [...]}, {interval: [a, b], closed: [true, false]}, or a mapping from names to
values ({V: 0, 'D^*': 0.5}). Answers are read from the sheet (the same forms) or from the text: the
other side of an equation naming the target ('(d^*, g^*) = (0, 0)'), each named quantity's own
equation, else the value stated last ("= …", "the answer is …"), else the only number. Exact forms
are read with the expression grammar (grader.mathexpr.values), never evaluated as code.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import numpy as np
from pydantic import Field

from grader.kinds.base import (LOW_CONFIDENCE, Extracted, Fragment, Kind, Outcome, Status,
                               StrictModel, register, status_for)
from grader.kinds.expression_settings import head, heads
from grader.mathexpr import values as v
from grader.mathexpr.answer import values_one_by_one
from grader.mathexpr.context import EMPTY
from grader.mathexpr.equations import find_equations
from grader.mathexpr.equivalence import agree
from grader.mathexpr.parser import parse
from grader.mathexpr.tree import ParseError

_SPECIAL = {"value", "set", "interval", "closed", "re", "im"}


class NumericSettings(StrictModel):
    abs_tol: float = Field(0.0, ge=0)
    rel_tol: float = Field(1e-3, ge=0)
    # The quantity asked, in LaTeX ('\rho(A)', '(d^*, g^*)', '\lambda'): the answer is the other
    # side of an equation that names it. Without it, the value stated last.
    target: str | None = None
    # Several quantities asked together, each answered as 'name = value' ('V', 'D^*'); a key given
    # as a mapping names them itself.
    names: list[str] | None = None
    imaginary_unit: Literal["i", "j"] | None = "i"  # how answers write √−1
    bracket_credit: float = Field(0.5, ge=0, le=1)  # an interval with the right ends, a wrong bracket
    time_limit: float = Field(1.0, gt=0, le=10)


class NumericWhen(StrictModel):
    # the answer equals this value (any form a key takes), within the part's tolerances
    value: float | str | list[Any] | dict[str, Any]


_NUMBER = r"[-−+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_ANY = re.compile(rf"(?<![\w.])(?P<num>{_NUMBER})(?![\w.])")
_PLAIN_DECIMAL = re.compile(rf"^\s*{_NUMBER}\s*$")
_CUE = re.compile(r"(?:\banswers?\b|\bresults?\b|\bvalues?\b|\bequals?\b|\bis\b|\bare\b|(?<![<>!=])=(?!=)|≈|"
                  r"\\approx|\\in(?![a-zA-Z])|∈|:)\s*:?\s*", re.I)
_CONNECTOR = re.compile(r"^[\s,;]*(?:and|while|with|so|,|;)?[\s,;]*", re.I)
_STOP = re.compile(r"(?<!\d)\.(?!\d)|[;\n]|\s,\s|\$\s*[.,;]")
MAX_WORDS = 12


def _decode_key(key: dict, unit: str | None) -> Any:
    if "named" in key:
        return {name: v.decode(value, unit) for name, value in key["named"].items()}
    return v.decode(key, unit)


def _head(latex: str) -> str | None:
    """A quantity's name for matching equation sides: V, D*, (d*, g*), ρ(A)."""
    try:
        return head(parse(latex), EMPTY)
    except ParseError:
        return None


def _target_heads(target: str) -> frozenset[str]:
    try:
        return heads(parse(target), EMPTY)
    except ParseError:
        return frozenset()


def _values_one_by_one(equations, settings: NumericSettings) -> Extracted | None:
    """λ_1 = (3 + √5)/2 and λ_2 = (3 − √5)/2 for the target λ: the values given one by one, as
    their set. A value that does not read sends the answer to a TA rather than grading a part of it."""
    try:
        target = parse(settings.target)
    except ParseError:
        return None
    given = values_one_by_one(equations, target, parse)
    if not given:
        return None
    names = ", ".join(f"{settings.target}_{index}" for index in given)
    values = []
    for index, side in given.items():
        found = _first_value(side, settings)
        if found is None:
            return Extracted(None, f"the values {names}, given one by one", 0.0,
                             problem=f"the value of {settings.target}_{index} does not read as a number: {side[:60]}")
        if isinstance(found[1], (tuple, v.Interval)):
            return None
        values.append(found[1])
    written = "\\{" + ", ".join(given.values()) + "\\}"
    return _reading(written, tuple(values), f"the values {names}, given one by one", 0.85)


def _prefixes(text: str):
    """The text, then shorter and shorter prefixes of it by words: "0.221 nats" -> "0.221"."""
    words = text.split()[:MAX_WORDS]
    for n in range(len(words), 0, -1):
        yield " ".join(words[:n]).strip(" $,.")


def _first_value(text: str, settings: NumericSettings) -> tuple[str, v.Value] | None:
    for candidate in _prefixes(text):
        try:
            value = v.read_value(candidate, settings.imaginary_unit, settings.time_limit)
        except ValueError:
            continue
        if v.finite(value):
            return candidate, value
    return None


def _reading(written: str, value: v.Value, how: str, confidence: float) -> Extracted:
    data = {"value": v.encode(value)} if not isinstance(value, (tuple, v.Interval)) else v.encode(value)
    if not _PLAIN_DECIMAL.match(written):
        data["written"] = written
    return Extracted(data, how, confidence)


def value_of(answer: dict, unit: str | None = "i") -> Any:
    """A numeric answer's value as read (answer.value): a value, or a dict of them by name."""
    if "named" in answer:
        return {name: v.decode(value, unit) for name, value in answer["named"].items()}
    return v.decode({k: answer[k] for k in answer if k != "written"}, unit)


@register
class NumericKind(Kind):
    name = "numeric"
    Settings = NumericSettings
    When = NumericWhen
    TEMPLATE = """<p>Your value: <b>{{ ctx.given }}</b>{% if ctx.written %} <span class="muted">(written {{ ctx.written }})</span>{% endif %}{% if ctx.key is not none %} &nbsp; Expected: <b>{{ ctx.key }}</b>{% endif %}</p>"""

    # ------------------------------------------------------------------ key

    def prepare(self, key: Any, settings: NumericSettings) -> dict:
        if isinstance(key, dict) and (set(key) - _SPECIAL or "named" in key):
            named = key.get("named", key)
            if not isinstance(named, dict) or not named:
                raise ValueError("named values are a mapping from each quantity's name to its value")
            for name in named:
                if _head(str(name)) is None:
                    raise ValueError(f"{name!r} is not the name of a quantity (V, D^*, \\lambda_1)")
            return {"named": {str(name): v.encode(self._key_value(value, settings)) for name, value in named.items()}}
        value = self._key_value(key, settings)
        return {"value": v.encode(value)} if not isinstance(value, (tuple, v.Interval)) else v.encode(value)

    @staticmethod
    def _key_value(raw: Any, settings: NumericSettings) -> v.Value:
        try:
            value = v.decode(raw, settings.imaginary_unit)
        except ValueError as exc:
            raise ValueError(f"numeric key: {exc}") from None
        if not v.finite(value) and not isinstance(value, v.Interval):
            raise ValueError("numeric key must be finite")
        return value

    def check_mistake(self, when: NumericWhen, settings: NumericSettings) -> None:
        self._key_value(when.value, settings)

    # ------------------------------------------------------------------ extract

    def extract(self, fragment: Fragment, component) -> Extracted:
        settings: NumericSettings = component.settings
        names = settings.names or _literal_names(component)
        if fragment.structured is not None:
            return self._from_sheet(fragment.structured, settings, names)
        return self._from_text(fragment.text, settings, names)

    def _from_sheet(self, raw: Any, settings: NumericSettings, names: list[str] | None) -> Extracted:
        if names and isinstance(raw, dict) and not set(raw) & _SPECIAL:
            out = {}
            for name in names:
                if name not in raw:
                    return Extracted(None, "answer sheet", 0.0, problem=f"no value for {name}")
                try:
                    out[name] = v.encode(v.decode(raw[name], settings.imaginary_unit))
                except ValueError as exc:
                    return Extracted(None, "answer sheet", 0.0, problem=f"{name}: {exc}")
            return Extracted({"named": out}, "answer sheet", 1.0)
        if isinstance(raw, str) and names:
            return self._from_text(raw, settings, names)
        try:
            value = v.decode(raw, settings.imaginary_unit)
        except ValueError as exc:
            return Extracted(None, "answer sheet", 0.0, problem=str(exc) if "number" in str(exc) else f"not a number: {exc}")
        if not v.finite(value):
            return Extracted(None, "answer sheet", 0.0, problem=f"not a finite number: {raw!r}")
        written = raw if isinstance(raw, str) else ""
        reading = _reading(written or "0", value, "answer sheet", 1.0)
        return reading

    def _from_text(self, text: str, settings: NumericSettings, names: list[str] | None) -> Extracted:
        equations = find_equations(text)
        if names:
            return self._named(equations, settings, names)
        if settings.target:
            wanted = _target_heads(settings.target)
            for eq in reversed(equations):
                named = [_head(side) in wanted if len(side) <= 120 else False for side in eq.sides]
                if len(eq.sides) > 1 and any(named[:-1]) and not named[-1]:
                    found = _first_value(eq.sides[-1], settings)
                    if found:
                        return _reading(*found, f"the equation '{eq.sides[0][:40]} = …' ({eq.where})", 0.9)
                if len(eq.sides) > 1 and named[-1]:
                    found = _first_value(eq.sides[0], settings)
                    if found:
                        return _reading(*found, f"the equation '… = {eq.sides[-1][:40]}' ({eq.where})", 0.85)
            one_by_one = _values_one_by_one(equations, settings)
            if one_by_one is not None:
                return one_by_one
        stated = self._stated(text, settings)
        if stated is not None:
            return stated
        for eq in reversed(equations):
            found = _first_value(eq.sides[-1], settings) if len(eq.sides) > 1 else None
            if found:
                return _reading(*found, f"the last side of '{eq.sides[0][:40]} = …' ({eq.where})", 0.8)
        if len(text.strip()) <= 40 and (found := _first_value(text.strip(), settings)):
            return _reading(*found, "the whole answer", 0.8)
        numbers = [m["num"] for m in _ANY.finditer(text)]
        if len(numbers) == 1:
            found = _first_value(numbers[0].replace("−", "-"), settings)
            if found:
                return _reading(*found, "the only number in the text", 0.8)
        if numbers:
            return Extracted(None, "text", 0.0, problem=f"{len(numbers)} numbers and none stated as the answer")
        return Extracted(None, "text", 0.0, problem="no number was found")

    @staticmethod
    def _stated(text: str, settings: NumericSettings) -> Extracted | None:
        """The last value after "=", "is", "answer:", ... that reads as a number."""
        last = None
        for m in _CUE.finditer(text):
            rest = text[m.end():m.end() + 200]
            stop = _STOP.search(rest)
            found = _first_value(rest[:stop.start()] if stop else rest, settings)
            if found:
                last = found
        if last is None:
            return None
        return _reading(*last, "a stated value ('= …' or 'answer: …')", 0.85)

    def _named(self, equations, settings: NumericSettings, names: list[str]) -> Extracted:
        """Each quantity's value from the equations that name it; a chain "V = 0 and D = 0.5" is
        read side by side: the value opens a side, and what follows it names the next quantity."""
        wanted = {_head(name): name for name in names}
        out: dict[str, Any] = {}
        for eq in equations:
            pending = wanted.get(_head(eq.sides[0])) if len(eq.sides[0]) <= 120 else None
            for side in eq.sides[1:]:
                found = _first_value(side, settings)
                if pending is not None and found:
                    out[pending] = v.encode(found[1])  # the last equation for each name wins
                tail = _CONNECTOR.sub("", side[len(found[0]):] if found and side.startswith(found[0]) else "")
                pending = wanted.get(_head(tail)) if tail and len(tail) <= 120 else None
        missing = [n for n in names if n not in out]
        if missing:
            return Extracted({"named": out} if out else None, "text", 0.0,
                             problem=f"no value was found for {', '.join(missing)} (write '{missing[0]} = …')")
        return Extracted({"named": out}, "an equation for each quantity", 0.85)

    # ------------------------------------------------------------------ grade

    def _same(self, given: v.Value, wanted: v.Value, settings: NumericSettings) -> float:
        """1 when equal within tolerance, bracket_credit for an interval's wrong bracket, else 0."""
        if isinstance(wanted, v.Interval):
            given = v.as_interval(given)
            if given is None:
                return 0.0
            ends = all(math.isclose(a, b, rel_tol=settings.rel_tol, abs_tol=settings.abs_tol) or a == b
                       for a, b in ((given.low, wanted.low), (given.high, wanted.high)))
            if not ends:
                return 0.0
            return 1.0 if given.closed == wanted.closed else settings.bracket_credit
        if isinstance(given, v.Interval):
            return 0.0
        return 1.0 if bool(np.all(agree(given, wanted, settings.rel_tol, settings.abs_tol))) else 0.0

    def grade(self, answer: Extracted, key: dict, component) -> Outcome:
        settings: NumericSettings = component.settings
        unit = settings.imaginary_unit
        given, wanted = value_of(answer.value, unit), _decode_key(key, unit)
        notes: list[str] = []
        if isinstance(wanted, dict):
            right = [n for n in wanted if self._same(given.get(n, np.array([np.nan])), wanted[n], settings) == 1.0]
            fraction = len(right) / len(wanted)
            wrong = [n for n in wanted if n not in right]
            messages = ["Correct."] if not wrong else [
                f"{n} = {v.show(given[n])} is not within the tolerance of the expected value." for n in wrong]
        else:
            fraction = self._same(given, wanted, settings)
            if fraction == 1.0:
                messages = ["Correct."]
            elif fraction > 0:
                messages = [f"The ends of {v.show(given)} are right, but not its brackets: is each end included?"]
            else:
                messages = [self._why(given, wanted, settings)]
        if fraction < 1.0:
            for mistake in component.mistakes:
                condition = self._key_value(component.when(mistake).value, settings)
                if not isinstance(wanted, dict) and self._same(given, condition, settings) == 1.0:
                    messages = [mistake.message]
                    notes.append(mistake.id)
                    fraction = mistake.credit or 0.0
        status: Status = status_for(fraction)
        if answer.confidence < LOW_CONFIDENCE:
            status = "needs_review"
            messages.append(f"Your value was read with low confidence ({answer.how}); a TA will confirm it.")
        return Outcome(fraction, status, " ".join(messages), tuple(notes), suggested=status == "needs_review")

    @staticmethod
    def _why(given: v.Value, wanted: v.Value, settings: NumericSettings) -> str:
        if isinstance(wanted, tuple) and not isinstance(given, v.Interval):
            items = given if isinstance(given, tuple) else (given,)
            hits = [g for g in items if any(bool(np.all(agree(g, w, settings.rel_tol, settings.abs_tol))) for w in wanted)]
            if hits and len(hits) == len(items) and len(items) < len(wanted):
                return f"{v.show(given)} gives only some of the {len(wanted)} expected values."
        shape_given, shape_wanted = _shape(given), _shape(wanted)
        if shape_given != shape_wanted:
            return f"{v.show(given)} is {shape_given}, where {shape_wanted} is expected."
        return f"{v.show(given)} is not within the tolerance of the expected value."

    # ------------------------------------------------------------------ show

    def group_label(self, value: Any) -> str | None:
        return self._shown(value)

    def _shown(self, value: Any) -> str:
        if "named" in value:
            return ", ".join(f"{n} = {v.show(v.decode(x))}" for n, x in value["named"].items())
        return v.show(value_of(value, "i"))

    def describe(self, answer: Extracted) -> str:
        if not answer.readable:
            return f"not read: {answer.problem}"
        written = answer.value.get("written")
        return f"value: {self._shown(answer.value)}" + (f" (written {written})" if written else "")

    def render_context(self, answer, key, outcome, component) -> dict:
        readable = answer is not None and answer.readable
        return {"given": self._shown(answer.value) if readable else "—",
                "written": answer.value.get("written") if readable else None,
                "key": self._shown(key) if key else None}

    def self_test(self, component, key) -> list[tuple[Any, Status]]:
        wanted = _decode_key(key, component.settings.imaginary_unit)
        if isinstance(wanted, dict):
            right = {n: v.encode(x) for n, x in wanted.items()}
            wrong = {n: v.encode(_shifted(x)) for n, x in wanted.items()}
        else:
            right, wrong = v.encode(wanted), v.encode(_shifted(wanted))
        if isinstance(right, float):
            wrong = right * 2 + 1
        return [(right, "correct"), (wrong, "incorrect"), ("not a number", "needs_review")]


def _literal_names(component) -> list[str] | None:
    literal = component.key.literal if component.key is not None else None
    if isinstance(literal, dict) and isinstance(literal.get("named"), dict):
        literal = literal["named"]
    if isinstance(literal, dict) and literal and not set(literal) & _SPECIAL:
        return [str(name) for name in literal]
    return None


def _shifted(value: v.Value) -> v.Value:
    if isinstance(value, v.Interval):
        return v.Interval(value.low + 7, value.high + 7, value.closed)
    if isinstance(value, tuple):
        return tuple(item + 7 for item in value)
    return value + 7


def _shape(value: v.Value) -> str:
    if isinstance(value, v.Interval):
        return "an interval"
    if isinstance(value, tuple):
        return f"a set of {len(value)} values"
    if value.ndim == 1:
        return "a complex number" if np.iscomplexobj(value) else "a number"
    if value.ndim == 2:
        return f"a vector of {value.shape[1]}"
    return f"a {value.shape[1]}×{value.shape[2]} matrix"

