"""Numeric answers with an absolute and/or relative tolerance."""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import Field

from grader.kinds.base import (LOW_CONFIDENCE, Extracted, Fragment, Kind, Outcome, Status,
                               StrictModel, register)


class NumericSettings(StrictModel):
    abs_tol: float = Field(0.0, ge=0)
    rel_tol: float = Field(1e-3, ge=0)


class NumericWhen(StrictModel):
    value: float  # the answer equals this value (within the part's tolerances)


_NUMBER = r"[-−+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_STATED = re.compile(rf"(?:answer|result|=|≈|\\approx|is)\s*:?\s*\$?\s*(?P<num>{_NUMBER})(?![\d.])", re.I)
_ANY = re.compile(rf"(?<![\w.])(?P<num>{_NUMBER})(?![\w.])")


def _to_float(text: str) -> float | None:
    try:
        value = float(text.replace("−", "-"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@register
class NumericKind(Kind):
    name = "numeric"
    Settings = NumericSettings
    When = NumericWhen
    TEMPLATE = """<p>Your value: <b>{{ ctx.given }}</b>{% if ctx.key is not none %} &nbsp; Expected: <b>{{ ctx.key }}</b>{% endif %}</p>"""

    def prepare(self, key: Any, settings) -> dict:
        value = key.get("value") if isinstance(key, dict) else key
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError("numeric key must be a finite number")
        return {"value": float(value)}

    def extract(self, fragment: Fragment, component) -> Extracted:
        if fragment.structured is not None:
            raw = fragment.structured.get("value") if isinstance(fragment.structured, dict) else fragment.structured
            value = _to_float(str(raw)) if not isinstance(raw, bool) else None
            if value is None:
                return Extracted(None, "answer sheet", 0.0, problem=f"not a number: {raw!r}")
            return Extracted({"value": value}, "answer sheet", 1.0)
        stated = [m["num"] for m in _STATED.finditer(fragment.text)]
        if stated:
            value = _to_float(stated[-1])
            if value is not None:
                return Extracted({"value": value}, "a stated value ('= …' or 'answer: …')", 0.85)
        numbers = [m["num"] for m in _ANY.finditer(fragment.text)]
        if len(numbers) == 1 and (value := _to_float(numbers[0])) is not None:
            return Extracted({"value": value}, "the only number in the text", 0.8)
        if numbers:
            return Extracted(None, "text", 0.0, problem=f"{len(numbers)} numbers and none stated as the answer")
        return Extracted(None, "text", 0.0, problem="no number was found")

    def _close(self, a: float, b: float, settings: NumericSettings) -> bool:
        return math.isclose(a, b, rel_tol=settings.rel_tol, abs_tol=settings.abs_tol)

    def grade(self, answer: Extracted, key: dict, component) -> Outcome:
        settings: NumericSettings = component.settings
        given, wanted = answer.value["value"], key["value"]
        if self._close(given, wanted, settings):
            fraction, messages, notes = 1.0, ["Correct."], []
        else:
            fraction, messages, notes = 0.0, [f"{given:g} is not within the tolerance of the expected value."], []
            for mistake in component.mistakes:
                if self._close(given, component.when(mistake).value, settings):
                    messages = [mistake.message]
                    notes.append(mistake.id)
                    fraction = mistake.credit or 0.0
        status: Status = "correct" if fraction == 1 else ("partial" if fraction > 0 else "incorrect")
        if answer.confidence < LOW_CONFIDENCE:
            status = "needs_review"
        return Outcome(fraction, status, " ".join(messages), tuple(notes), suggested=status == "needs_review")

    def describe(self, answer: Extracted) -> str:
        return f"not read: {answer.problem}" if not answer.readable else f"value: {answer.value['value']:g}"

    def render_context(self, answer, key, outcome, component) -> dict:
        return {"given": f"{answer.value['value']:g}" if answer and answer.readable else "—",
                "key": f"{key['value']:g}" if key else None}

    def self_test(self, component, key) -> list[tuple[Any, Status]]:
        value = key["value"]
        return [(value, "correct"), (value * 2 + 1, "incorrect"), ("not a number", "needs_review")]
