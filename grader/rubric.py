"""The rubric: YAML -> validated pydantic models, with errors that name the file, line and field.

A part is worth `points` and is made of one or more components, each of one answer kind. The
short form (kind/key/settings/mistakes on the part itself) is a part with a single component.
Kind-specific settings and mistake conditions are validated by the kind's own models.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from grader import safe_yaml
from grader.paths import default_rubric_path  # noqa: F401  (imported from here by callers)
from grader.kinds.base import REGISTRY, StrictModel, get_kind
from grader.analyses.review_sections import ReviewSettings

Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


class RubricError(Exception):
    """A broken rubric, with the place to fix it."""


class KeySource(StrictModel):
    """Where the canonical answer comes from: a literal, or a reference function run by `key build`."""

    literal: Any = None
    reference: str | None = None  # "package.module:function"
    args: dict[str, Any] = Field(default_factory=dict)
    # True in a public rubric (the students' bundle): a key exists but is not shipped.
    withheld: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> KeySource:
        given = (self.literal is not None) + (self.reference is not None) + self.withheld
        if given != 1:
            raise ValueError("give exactly one of 'literal', 'reference' or 'withheld: true'")
        if self.reference is not None:
            _check_reference_exists(self.reference)
        return self


class Mistake(StrictModel):
    """A common mistake: when its condition holds, it earns `credit` and its message is shown."""

    id: str
    message: str
    # Share of the component's points this mistake earns; None: the kind's own policy decides.
    credit: float | None = Field(None, ge=0.0, le=1.0)
    when: dict[str, Any] = Field(default_factory=dict)


class Component(StrictModel):
    id: str = "answer"
    kind: str
    points: float = Field(gt=0)
    key: KeySource | None = None
    settings: Any = None  # validated into kind.Settings
    mistakes: list[Mistake] = Field(default_factory=list)
    # Regexes locating this component's text inside the part (e.g. "scenario 1"); the text runs
    # from the first match to the next sibling component's match.
    within: list[str] = Field(default_factory=list)
    automatic: bool = True  # False: the score is only ever a suggestion for a TA

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        get_kind("grid")  # make sure every kind has registered
        if value not in REGISTRY:
            raise ValueError(f"unknown answer kind {value!r}; known kinds: {', '.join(sorted(REGISTRY))}")
        return value

    @model_validator(mode="after")
    def _kind_settings(self) -> Component:
        kind = REGISTRY[self.kind]
        settings = kind.Settings.model_validate(self.settings or {})
        object.__setattr__(self, "settings", settings)
        for mistake in self.mistakes:
            kind.When.model_validate(mistake.when)
        if kind.needs_key and self.key is None:
            raise ValueError(f"a {self.kind} component needs a 'key'")
        if self.key is not None and self.key.literal is not None:
            kind.prepare(self.key.literal, settings)
        for pattern in self.within:
            re.compile(pattern)
        return self

    def when(self, mistake: Mistake) -> Any:
        return REGISTRY[self.kind].When.model_validate(mistake.when)


class SelfCheck(StrictModel):
    show_answer: bool = True  # show the answer as read (never the key or correctness)


class ReferenceNumbers(StrictModel):
    reference: str
    args: dict[str, Any] = Field(default_factory=dict)
    caption: str = ""

    @field_validator("reference")
    @classmethod
    def _exists(cls, value: str) -> str:
        _check_reference_exists(value)
        return value


class Part(StrictModel):
    id: str
    title: str
    points: float = Field(gt=0)
    question: int | None = None  # defaults to the number before the first dot of the id
    headings: list[str] = Field(default_factory=list)  # extra regexes that start this part
    visibility: Visibility = "after_published"
    # What students see of this part's feedback before the due date (Gradescope's visible tests):
    # "summary" says how far the answer is without revealing the key ("2 cells differ from the
    # expected field"), "score" the score alone, "full" everything TAs see (names the expected
    # cells or letter: an oracle for resubmissions). After the due date students see it all.
    feedback_before_due: Literal["full", "summary", "score"] = "summary"
    self_check: SelfCheck = SelfCheck()
    numbers: str | None = None  # name of a reference-numbers block shown in the feedback
    # short form: one component
    kind: str | None = None
    key: KeySource | None = None
    settings: Any = None
    mistakes: list[Mistake] = Field(default_factory=list)
    automatic: bool = True
    components: list[Component] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data: Any) -> Any:
        if isinstance(data, dict) and "kind" in data:
            if data.get("components"):
                raise ValueError("give either 'kind' (one component) or 'components', not both")
            component = {name: data[name] for name in ("kind", "key", "settings", "mistakes", "automatic")
                         if name in data}
            component["points"] = data.get("points", 0)
            data = {**data, "components": [component]}
        return data

    @model_validator(mode="after")
    def _points_add_up(self) -> Part:
        if not self.components:
            raise ValueError("a part needs 'kind' or 'components'")
        total = sum(c.points for c in self.components)
        if not math.isclose(total, self.points, abs_tol=1e-9):
            raise ValueError(f"components' points add up to {total:g}, but the part is worth {self.points:g}")
        ids = [c.id for c in self.components]
        if len(set(ids)) != len(ids):
            raise ValueError(f"component ids repeat: {ids}")
        if self.question is None:
            object.__setattr__(self, "question", int(self.id.split(".")[0]))
        return self


class AiPolicy(StrictModel):
    """How AI-use disclosures are detected; no automatic penalty unless the rubric sets one."""

    patterns: list[str] = Field(default_factory=lambda: [
        r"\b(?:I\s+)?used\s+(?:[A-Z][\w-]*\s+(?:and|or|,)\s+)*(?:chat\s*-?gpt|gpt|copilot|claude|gemini|grammarly|"
        r"deepl|an?\s+(?:AI|LLM|language model)|AI\s+tools?)\b[^.\n]*",
        r"\b(?:ChatGPT|Grammarly|Copilot|Claude|Gemini)\b[^.\n]*\b(?:used|helped|polish|improve|rephras|grammar)[^.\n]*",
    ])
    penalty: float = Field(0.0, ge=0)  # points deducted per question whose disclosure matches penalty_for
    # which disclosed purposes the penalty applies to: "content" (finding or checking answers, which
    # the policy forbids) and/or "unspecified" (a use disclosed without saying what for)
    penalty_for: list[Literal["content", "unspecified"]] = Field(default_factory=lambda: ["content"])


class Rubric(StrictModel):
    id: str
    title: str
    version: str = "1"
    total: float
    key_file: str | None = None  # defaults to <rubric stem>.key.json beside the rubric
    # The assignment's question text (path beside the rubric): lines copied from it into a
    # submission are not taken for answers.
    question_text: str | None = None
    numbers: dict[str, ReferenceNumbers] = Field(default_factory=dict)
    ai_policy: AiPolicy = AiPolicy()
    review: ReviewSettings | None = None  # the paper-review question: its section parts, "one page"
    parts: list[Part]

    # set by load_rubric
    path: Path | None = Field(default=None, exclude=True)
    content_hash: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        ids = [p.id for p in self.parts]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"part ids repeat: {duplicates}")
        total = sum(p.points for p in self.parts)
        if not math.isclose(total, self.total, abs_tol=1e-9):
            raise ValueError(f"parts add up to {total:g} points, but 'total' says {self.total:g}")
        for part in self.parts:
            if part.numbers is not None and part.numbers not in self.numbers:
                raise ValueError(f"part {part.id}: unknown numbers block {part.numbers!r}")
        if self.review is not None:
            for section in self.review.sections:
                if section.part not in ids:
                    raise ValueError(f"review: unknown part {section.part!r}")
            if self.review.length_part is not None and self.review.length_part not in ids:
                raise ValueError(f"review: unknown length_part {self.review.length_part!r}")
        return self

    def part(self, part_id: str) -> Part:
        for part in self.parts:
            if part.id == part_id:
                return part
        raise KeyError(part_id)

    @property
    def key_path(self) -> Path:
        assert self.path is not None
        return self.path.parent / (self.key_file or f"{self.path.stem}.key.json")


def _check_reference_exists(spec: str) -> None:
    """Check that module:function exists without importing it (reference code imports torch)."""
    module, sep, function = spec.partition(":")
    if not sep or not module or not function:
        raise ValueError(f"reference {spec!r} must look like 'package.module:function'")
    # Located without importing anything: the reference package imports torch, which grading
    # never loads. Where the package is not installed at all (the Gradescope image, a student's
    # self-check), the key is prebuilt and the reference is never called: nothing to check.
    top, *rest = module.split(".")
    found = importlib.util.find_spec(top)
    if found is None:
        return
    origin = None
    folders = list(found.submodule_search_locations or [])
    if not rest:
        origin = found.origin
    for i, name in enumerate(rest):
        last = i == len(rest) - 1
        candidates = [Path(f) / (f"{name}.py" if last else name) for f in folders]
        hit = next((c for c in candidates if c.exists()), None)
        if hit is None:
            break
        if last:
            origin = str(hit)
        folders = [str(hit)]
    if origin is None or not origin.endswith(".py"):
        raise ValueError(f"reference module {module!r} not found")
    tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    if function not in names:
        raise ValueError(f"reference function {function!r} not found in {module}")


# ---------------------------------------------------------------- loading with line numbers

class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping key and sequence item."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = {}
    lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    loader.lines[id(mapping)] = (node.start_mark.line + 1, lines)
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> list:
    items = [loader.construct_object(child, deep=True) for child in node.value]
    loader.lines[id(items)] = (node.start_mark.line + 1,
                               {i: child.start_mark.line + 1 for i, child in enumerate(node.value)})
    return items


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def _walk(data: Any, loc: tuple):
    """Follow a pydantic error location through the loaded YAML: yield (node, step, label) per step.

    Two shapes differ from the models: a short-form part has no 'components' list (the part is its
    own component), and kind settings errors are reported without the 'settings' step.
    """
    node = data
    steps = list(loc)
    while steps:
        step = steps.pop(0)
        if step == "components" and isinstance(node, dict) and "components" not in node:
            if steps and isinstance(steps[0], int):
                steps.pop(0)
            continue
        if isinstance(node, dict) and step not in node and isinstance(node.get("settings"), dict) \
                and step in node["settings"]:
            yield node, "settings", None
            node = node["settings"]
        if isinstance(node, list) and isinstance(step, int) and step < len(node):
            item = node[step]
            yield node, step, (item.get("id") if isinstance(item, dict) else None)
            node = item
        elif isinstance(node, dict) and step in node:
            yield node, step, None
            node = node[step]
        else:
            yield None, step, None
            node = None


def _line_of(data: Any, loc: tuple, lines: dict[int, tuple[int, dict]]) -> int | None:
    """The deepest line known along an error location."""
    line = lines.get(id(data), (None, {}))[0]
    for node, step, _ in _walk(data, loc):
        entry = lines.get(id(node)) if node is not None else None
        if entry is None:
            break
        line = entry[1].get(step, entry[0])
    return line


def _field_path(data: Any, loc: tuple) -> str:
    parts: list[str] = []
    for _, step, label in _walk(data, loc):
        if isinstance(step, int):
            parts.append(f"[{step}]" + (f"(id {label})" if label else ""))
        else:
            parts.append(f".{step}" if parts else str(step))
    return "".join(parts) or "(top level)"


# A rubric is tens of KB; anchors and aliases are welcome, an alias bomb is not.
MAX_RUBRIC_BYTES = 2_000_000
MAX_RUBRIC_VALUES = 500_000


def _with_lines(text: str) -> tuple[Any, dict[int, tuple[int, dict]]]:
    """The rubric's data and the line of every key and item: slower, used only to place an error."""
    loader = _LineLoader(text)
    loader.lines = {}
    try:
        return loader.get_single_data(), loader.lines
    finally:
        loader.dispose()


# ---------------------------------------------------------------- validated rubrics, remembered

# Validating a rubric compiles its patterns, parses its expressions and checks its references:
# ~0.2 s that `grader check` would pay on every run. The same bytes under the same code validate
# the same way, so the validated model is kept in this user's cache, signed (grader/trust.py):
# only a file this user's grader wrote is ever unpickled.
_REMEMBERED = 20  # validated rubrics kept


def _remembered_path(path: Path, raw: bytes) -> Path:
    from grader.trust import code_fingerprint, user_cache

    digest = hashlib.sha256(b"\0".join([code_fingerprint().encode(), str(path.resolve()).encode(), raw]))
    return user_cache() / "rubrics" / f"{digest.hexdigest()[:32]}.pickle"


def _recall(path: Path, raw: bytes) -> Rubric | None:
    import pickle

    from grader.trust import signed_by_me

    try:
        data = _remembered_path(path, raw).read_bytes()
        signature, body = data[:64].decode("ascii"), data[64:]
        if not signed_by_me(signature, body):
            return None
        rubric = pickle.loads(body)
    except Exception:  # a missing, damaged or foreign file: validate again
        return None
    return rubric if isinstance(rubric, Rubric) else None


def _remember(path: Path, raw: bytes, rubric: Rubric) -> None:
    import pickle

    from grader.output import write_atomic
    from grader.trust import mac

    target = _remembered_path(path, raw)
    try:
        body = pickle.dumps(rubric, protocol=pickle.HIGHEST_PROTOCOL)
        write_atomic(target, mac(body).encode("ascii") + body)
        for old in sorted(target.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)[:-_REMEMBERED]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError):
        pass  # validated again next time: slower, never wrong


def load_rubric(path: str | Path) -> Rubric:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"{path}: cannot read rubric: {exc.strerror}") from None
    remembered = _recall(path, raw)
    if remembered is not None:
        return remembered
    try:
        text = raw.decode("utf-8")
        data = safe_yaml.load(text, "the rubric", MAX_RUBRIC_BYTES, MAX_RUBRIC_VALUES)
    except UnicodeDecodeError as exc:
        raise RubricError(f"{path}: the rubric is not UTF-8 text (byte {exc.start})") from None
    except safe_yaml.YamlRefused as exc:
        raise RubricError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise RubricError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise RubricError(f"{path}:1: a rubric is a mapping with 'id', 'title', 'total' and 'parts'")
    try:
        rubric = Rubric.model_validate(data)
    except ValidationError as exc:
        data, lines = _with_lines(text)  # the same document again, this time with its line numbers
        try:
            Rubric.model_validate(data)
        except ValidationError as again:
            exc = again
        error = exc.errors()[0]
        loc = tuple(step for step in error["loc"] if not (isinstance(step, str) and step in REGISTRY))
        # pydantic adds the model name for unions and "function-after" validators: skip those steps
        loc = tuple(s for s in loc if not (isinstance(s, str) and ("[" in s or s.startswith("function-"))))
        line = _line_of(data, loc, lines)
        where = f"{path}:{line}" if line else str(path)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (misspelt?)"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise RubricError(f"{where}: {_field_path(data, loc)}: {message}{more}") from None
    object.__setattr__(rubric, "path", path.resolve())
    object.__setattr__(rubric, "content_hash", hashlib.sha256(raw).hexdigest()[:12])
    _remember(path, raw, rubric)
    return rubric


def json_schema() -> dict:
    """JSON Schema of rubric files, for editors."""
    return Rubric.model_json_schema()
