"""The one small interface every answer kind implements (in the spirit of PrairieLearn elements).

    prepare(key, settings)          check and normalise the author's key      (rubric load / key build)
    extract(fragment, component)    student text or sheet value -> Extracted   (parse)
    grade(answer, key, component)   Extracted + key -> Outcome in [0, 1]       (grade)
    describe(answer)                plain text of what was read, no verdict    (self-check)
    summary_feedback(...)           how the answer fares, without the key      (before the due date)
    TEMPLATE / render_context(...)  HTML of the answer beside the key          (render)
    self_test(component, key)       answers with the status they must get      (test)
    affinity(fragment, component)   how much a region looks like this answer   (segmentation)

A new kind is one module in `grader/kinds/` that subclasses `Kind` and registers itself; its
rubric settings are its own pydantic models (`Settings`, `When` for declared mistakes). Optional:
`check_mistake(when, settings)` validates a declared mistake against the settings at load, and
`public_settings(settings)` gives what the students' bundle may hold (else PUBLIC_SETTINGS).
Settings validators receive the rubric's validation context (`info.context`: its folder, its
`contexts:`; see context_ref.py).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from grader.ingest.document import GridFinding, HiddenText, MathSpan

if TYPE_CHECKING:
    from grader.rubric import Component

Status = Literal["correct", "partial", "incorrect", "missing", "needs_review"]


@dataclass(frozen=True)
class Fragment:
    """The piece of a submission that answers one part (or one component of it)."""

    part_id: str
    text: str
    how: str  # how segmentation found it, e.g. "heading 'Q1.1)' at line 52 of main.tex"
    confidence: float
    structured: Any = None  # the raw value from a structured answer sheet, if any
    grids: tuple[GridFinding, ...] = ()  # every grid in the region, in order: the candidates
    source: str = ""
    # The grid chosen as the answer among `grids` (grader/segment/answer_grid.py), one per
    # document read (a PDF and its .tex), how it was chosen, and how sure that choice is.
    answer_grids: tuple[GridFinding, ...] = ()
    grid_how: str = ""
    grid_confidence: float = 1.0
    math: tuple[MathSpan, ...] = ()  # formulas the reader rebuilt within the fragment (PDF glyphs)
    # Passages in the region the reader left out because it cannot tell whether they are seen (a
    # conditional on a counter, a PDF literal it cannot follow): the part goes to a TA.
    unsure: tuple[HiddenText, ...] = ()
    # every passage left out of the region (unseen, struck out, undecided): named to a TA when the
    # source and its PDF disagree (grader/record.py)
    hidden: tuple[HiddenText, ...] = ()

    @property
    def empty(self) -> bool:
        return self.structured is None and not self.text.strip() and not self.grids and not self.unsure


@dataclass(frozen=True)
class Extracted:
    """An answer as read, with how it was found. `value` is JSON-ready, None when nothing usable."""

    value: Any
    how: str
    confidence: float
    problem: str | None = None  # why it could not be read, in words a student understands
    evidence: tuple[str, ...] = ()

    @property
    def readable(self) -> bool:
        return self.value is not None and self.problem is None


@dataclass(frozen=True)
class Outcome:
    fraction: float  # share of the component's points, 0..1
    status: Status
    feedback: str
    notes: tuple[str, ...] = ()  # answer notes (mistake ids) for statistics and answer groups
    suggested: bool = False  # a score a TA still has to confirm
    evidence: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific details for rendering


class StrictModel(BaseModel):
    """Rubric models reject unknown fields, so a misspelt setting is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class NoSettings(StrictModel):
    pass


class NoWhen(StrictModel):
    pass


LOW_CONFIDENCE = 0.75  # below this an automatic grade is only a suggestion for review


def status_for(fraction: float) -> Status:
    """The status an automatic grade earning `fraction` of the points has (fractions never pass 1)."""
    return "correct" if fraction >= 1 else ("partial" if fraction > 0 else "incorrect")

SUMMARY: dict[str, str] = {"correct": "Correct.", "partial": "Partly correct.", "incorrect": "Not correct.",
                           "missing": "No answer was found for this part.",
                           "needs_review": "Awaiting a TA's review."}


class Kind(ABC):
    name: ClassVar[str]
    Settings: ClassVar[type[BaseModel]] = NoSettings
    When: ClassVar[type[BaseModel]] = NoWhen  # conditions of declared common mistakes
    needs_key: ClassVar[bool] = True
    TEMPLATE: ClassVar[str] = "{{ ctx.shown }}"  # jinja source, rendered with render_context()

    def prepare(self, key: Any, settings: BaseModel) -> Any:
        """Validate and normalise a key value (literal or built by reference code)."""
        return key

    @abstractmethod
    def extract(self, fragment: Fragment, component: Component) -> Extracted: ...

    @abstractmethod
    def grade(self, answer: Extracted, key: Any, component: Component) -> Outcome: ...

    @abstractmethod
    def describe(self, answer: Extracted) -> str: ...

    def describe_in(self, answer: Extracted, component: Component) -> str:
        """describe() for one component of a rubric: a kind whose picture depends on the settings
        (a grid's size and numbering) overrides it."""
        return self.describe(answer)

    def render_context(self, answer: Extracted | None, key: Any, outcome: Outcome | None,
                       component: Component) -> dict[str, Any]:
        return {"shown": self.describe(answer) if answer else "—"}

    @abstractmethod
    def self_test(self, component: Component, key: Any) -> list[tuple[Any, Status]]:
        """Structured answers with the status each must receive: correct, wrong, unreadable."""

    def affinity(self, fragment: Fragment, component: Component) -> float:
        """How much a region of text looks like an answer to this component, in [0, 1]: lets
        segmentation tell which region answers which part when a student's numbering is off.
        By default: how confidently an answer can be read from it."""
        if fragment.empty:
            return 0.0
        answer = self.extract(fragment, component)
        return answer.confidence if answer.readable else 0.0

    def group_label(self, value: Any) -> str | None:
        """A short label of an answer, to group equal answers in the summary; None: never grouped."""
        return json.dumps(value, sort_keys=True, ensure_ascii=False)[:160]

    def public_key(self, key: Any) -> Any:
        """The key as `grader key show --json` prints it."""
        return key

    def check_mistake(self, when: BaseModel, settings: BaseModel) -> None:
        """Check a declared mistake's condition against the settings (rubric load); raise ValueError."""

    def check_reference(self, args: dict[str, Any], settings: BaseModel) -> None:
        """Check a reference key's arguments against the settings (rubric load, before any key is
        built): a reference asked another question than the one graded is an error; raise ValueError."""

    def summary_feedback(self, answer: Any, key: Any, status: Status, component: Component) -> str:
        """What a student sees before the due date when the rubric says `feedback_before_due:
        summary`: how far the answer is from the key, never what the key is (no cell, letter or
        expression of it), so that resubmitting is not an oracle. `answer` is the value as read
        (None when nothing was read). A kind may say more, as long as the key stays hidden."""
        return SUMMARY[status]


# The kinds imported so far. A kind registers itself when its module is imported, and modules are
# imported on first use (get_kind: grader/kinds/<name>.py first, else every module), so that
# `grader check` on a file whose rubric has no check function does not import what only those need.
REGISTRY: dict[str, Kind] = {}


def register(kind_cls: type[Kind]) -> type[Kind]:
    REGISTRY[kind_cls.name] = kind_cls()
    return kind_cls


def get_kind(name: str) -> Kind:
    """The kind called `name` (KeyError when there is none)."""
    kind = REGISTRY.get(name)
    if kind is None:
        if name.isidentifier() and name in _kind_modules():
            import_module(f"grader.kinds.{name}")
        kind = REGISTRY.get(name) or all_kinds()[name]  # or a kind whose module has another name
    return kind


def all_kinds() -> dict[str, Kind]:
    """Every kind, by name (each kind's module imported)."""
    for module in sorted(_kind_modules()):
        import_module(f"grader.kinds.{module}")
    return REGISTRY


@cache
def _kind_modules() -> frozenset[str]:
    import pkgutil

    from grader import kinds

    return frozenset(m.name for m in pkgutil.iter_modules(kinds.__path__))
