"""Answers with many right forms, graded by a check function beside the rubric (PrairieLearn's
server-side grading): "give two Gaussians whose KL is below 0.01", "a matrix whose eigenvalues
lie on the unit circle".

The answer is first read as another kind reads it (`answer: numeric`, `expression` or `prose`,
with that kind's settings in `read:`), and the function receives the parsed value, never the
student's text as code:

    def small_kl(answer, key=None, **args) -> {"score": 0..1, "message": "..."}   (or (score, message))

numeric: a float or complex, a numpy array (vector, matrix), a tuple for a set, an Interval, or a
dict name -> value for named quantities; expression: an object with .latex, .plain and
.evaluate(**values) (the student's expression at those values of the context's variables);
prose: the text. `key` is the component's key when it has one (literal or built by reference
code). The function runs under the component's time limit; an error or a timeout sends the
answer to a TA with the reason. `examples` (an answer and the score it must get) are its
self-test.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr, ValidationInfo, model_validator

from grader import authored
from grader.kinds.base import (LOW_CONFIDENCE, Extracted, Fragment, Kind, Outcome, Status, StrictModel,
                               get_kind, register, status_for)
from grader.kinds.context_ref import companion, rubric_folder
from grader.kinds.numeric import value_of
from grader.mathexpr import values as v
from grader.mathexpr.context import ContextDecl, compile_context
from grader.mathexpr.evaluate import EvalError, TimeLimit, evaluate
from grader.mathexpr.parser import parse

WITHHELD = "withheld"  # the function, in the students' bundle


class Example(StrictModel):
    answer: Any  # as an answer sheet gives it
    score: float = Field(ge=0, le=1)


class CheckSettings(StrictModel):
    function: str  # "checks.py:function" beside the rubric, or "package.module:function"
    answer: Literal["numeric", "expression", "prose"] = "numeric"  # how the answer is read first
    read: dict[str, Any] = Field(default_factory=dict)  # that kind's settings (names, target, context...)
    args: dict[str, Any] = Field(default_factory=dict)  # passed to the function
    time_limit: float = Field(2.0, gt=0, le=30)
    examples: list[Example] = Field(default_factory=list)

    _reader: BaseModel = PrivateAttr()
    _base: Path = PrivateAttr()

    @model_validator(mode="after")
    def _valid(self, info: ValidationInfo) -> CheckSettings:
        where = info.context if info is not None else None
        self._base = rubric_folder(where)
        self._reader = get_kind(self.answer).Settings.model_validate(
            self.read or ({"target": "y"} if self.answer == "expression" else {}), context=where)
        if self.function != WITHHELD:
            authored.check_exists(self.function, self._base)
            path = authored.file_of(self.function, self._base)
            if path is not None:  # grading runs it: it travels with the rubric
                companion(where, self.function.rpartition(":")[0], path)
        return self

    @property
    def reader(self) -> BaseModel:
        return self._reader

    def __hash__(self) -> int:
        return hash((self.function, self.answer, repr(self.read), repr(self.args), self.time_limit))


@dataclass(frozen=True)
class ExpressionAnswer:
    """A student's expression, handed to a check function: evaluated, never executed."""

    latex: str
    plain: str
    _settings: Any

    def evaluate(self, **values) -> Any:
        """Its value where the context's variables take these values (numbers or lists)."""
        settings = self._settings
        decl = settings.ctx.decl
        fixed = {name: decl.variables[name].model_copy(update={"value": value}) if name in decl.variables else None
                 for name, value in values.items()}
        unknown = [name for name, entry in fixed.items() if entry is None]
        if unknown:
            raise KeyError(f"not declared by the context: {unknown}")
        ctx = compile_context(ContextDecl.model_validate({**decl.model_dump(), "variables": {**decl.variables, **fixed}}))
        result = evaluate(parse(self.latex, ctx.lexicon), ctx, False, deadline=time.perf_counter() + 1.0)
        return _python(v._tidy(result[:1] if not isinstance(result, tuple) else tuple(r[:1] for r in result)))


def _python(value: Any) -> Any:
    """A value as the function receives it: float or complex, numpy array, tuple (set), Interval, dict."""
    if isinstance(value, dict):
        return {name: _python(item) for name, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_python(item) for item in value)
    if isinstance(value, v.Interval):
        return value
    array = np.asarray(value)[0]
    if array.ndim == 0:
        z = complex(array)
        return z.real if z.imag == 0 else z
    return np.array(array)


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float):
    """An alarm in the main thread (batch workers and the Gradescope run grade there); elsewhere the
    batch's own per-submission timeout is the guard."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise _Timeout()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@register
class CheckKind(Kind):
    name = "check"
    Settings = CheckSettings
    needs_key = False
    TEMPLATE = """<p>Your answer, as read: <b>{{ ctx.shown }}</b></p>{% if ctx.message %}<p class="small">Check: {{ ctx.message }}</p>{% endif %}"""

    def _reader(self, component) -> tuple[Kind, Any]:
        settings: CheckSettings = component.settings
        return get_kind(settings.answer), SimpleNamespace(settings=settings.reader, key=None, mistakes=[],
                                                          within=component.within, automatic=True)

    def extract(self, fragment: Fragment, component) -> Extracted:
        kind, reader = self._reader(component)
        return kind.extract(fragment, reader)

    def _parsed(self, answer: Extracted, component) -> Any:
        settings: CheckSettings = component.settings
        if settings.answer == "prose":
            return answer.value["text"]
        if settings.answer == "expression":
            return ExpressionAnswer(answer.value["expression"], answer.value.get("plain", ""), settings.reader)
        return _python(value_of(answer.value))

    def grade(self, answer: Extracted, key: Any, component) -> Outcome:
        settings: CheckSettings = component.settings
        if settings.function == WITHHELD:
            return Outcome(0.0, "needs_review", "This answer is checked by a function the course keeps; a TA "
                           "will grade it.", ("withheld",), suggested=True)
        started = time.perf_counter()
        try:
            function = authored.load(settings.function, settings._base)
            extra = {"key": key} if key is not None else {}
            with _time_limit(settings.time_limit):
                result = function(self._parsed(answer, component), **extra, **settings.args)
            score, message, note = _result(result)
        except _Timeout:
            return Outcome(0.0, "needs_review", f"Checking your answer took longer than {settings.time_limit:g} s; "
                           "a TA will grade it.", ("timeout",), suggested=True)
        except (EvalError, TimeLimit, KeyError) as exc:
            return Outcome(0.0, "needs_review", f"Your answer could not be checked automatically ({exc}); "
                           "a TA will grade it.", ("check-error",), suggested=True)
        except Exception as exc:  # the author's function failed on this answer: a person decides
            return Outcome(0.0, "needs_review", f"The check of this answer failed ({type(exc).__name__}: {exc}); "
                           "a TA will grade it.", ("check-error",), suggested=True)
        status: Status = status_for(score)
        if answer.confidence < LOW_CONFIDENCE:
            status = "needs_review"
            message += f" Your answer was located with low confidence ({answer.how}); a TA will confirm it."
        return Outcome(score, status, message, (note,) if note else (), suggested=status == "needs_review",
                       extra={"message": message, "seconds": round(time.perf_counter() - started, 3)})

    def describe(self, answer: Extracted) -> str:
        kind = get_kind("numeric") if "expression" not in (answer.value or {}) else get_kind("expression")
        if answer.value and "text" in answer.value:
            kind = get_kind("prose")
        return kind.describe(answer)

    def group_label(self, value: Any) -> str | None:
        if "text" in value:
            return None
        if "expression" in value:
            return get_kind("expression").group_label(value)
        return get_kind("numeric").group_label(value)

    def render_context(self, answer, key, outcome, component) -> dict:
        shown = self.describe(answer).split("\n")[0] if answer is not None else "—"
        return {"shown": shown, "message": outcome.extra.get("message") if outcome else None}

    def public_settings(self, settings: CheckSettings) -> dict:
        reader = get_kind(settings.answer)
        public = getattr(reader, "public_settings", None)
        read = public(settings.reader) if public else {}
        return {"function": WITHHELD, "answer": settings.answer, **({"read": read} if read else {})}

    def self_test(self, component, key) -> list[tuple[Any, Status]]:
        settings: CheckSettings = component.settings
        cases: list[tuple[Any, Status]] = [(True, "needs_review")]  # not an answer of any shape
        for example in settings.examples:
            status: Status = status_for(example.score)
            cases.append((example.answer, status))
        return cases


def _result(result: Any) -> tuple[float, str, str | None]:
    """(score in [0, 1], message, note) from what a check function returned."""
    if isinstance(result, dict):
        score, message, note = result.get("score"), result.get("message", ""), result.get("note")
    elif isinstance(result, (tuple, list)) and len(result) == 2:
        (score, message), note = result, None
    elif isinstance(result, bool):
        score, message, note = float(result), "", None
    else:
        raise TypeError(f"a check function returns {{'score': 0..1, 'message': ...}}, not {type(result).__name__}")
    score = float(score)
    if not math.isfinite(score) or not 0 <= score <= 1:
        raise ValueError(f"the score {score!r} is outside 0..1")
    return score, str(message or ("Correct." if score >= 1 else "")), str(note) if note else None
