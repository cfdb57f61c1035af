"""The rubric: YAML -> validated pydantic models, with errors that name the file, line and field.

A part is worth `points` and is made of one or more components, each of one answer kind. The
short form (kind/key/settings/mistakes on the part itself) is a part with a single component.
Kind-specific settings and mistake conditions are validated by the kind's own models, with the
rubric's folder and `contexts:` at hand (pydantic's validation context), so that settings may name
files beside the rubric. Every error is reported, each with its file, line and field.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from grader import authored
from grader.kinds.base import REGISTRY, StrictModel, get_kind
from grader.kinds.context_ref import resolve_context
from grader.part_ids import question_of
from grader.analyses.review_sections import ReviewSettings
from grader.mathexpr.context import ContextDecl

Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


class RubricError(Exception):
    """A broken rubric, with the place to fix it."""


class KeySource(StrictModel):
    """Where the canonical answer comes from: a literal, or a reference function run by `key build`."""

    literal: Any = None
    # "package.module:function" (an installed module), or "reference.py:function", a Python file
    # relative to the rubric's folder ("./reference.py:f" and "code/ref.py:f" too)
    reference: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    # True in a public rubric (the students' bundle): a key exists but is not shipped.
    withheld: bool = False

    @model_validator(mode="after")
    def _one_source(self, info: ValidationInfo) -> KeySource:
        given = (self.literal is not None) + (self.reference is not None) + self.withheld
        if given != 1:
            raise ValueError("give exactly one of 'literal', 'reference' or 'withheld: true'")
        if self.reference is not None:
            _check_reference_exists(self.reference, _base(info))
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
    # The component answers its part's N-th sub-question: the usual markers of one ("scenario N",
    # "(b)", "N)", "Scénario n°N", "{part}.N") locate it, in addition to `within`.
    ordinal: int | None = Field(None, ge=1)
    automatic: bool = True  # False: the score is only ever a suggestion for a TA

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        get_kind("grid")  # make sure every kind has registered
        if value not in REGISTRY:
            raise ValueError(f"unknown answer kind {value!r}; known kinds: {', '.join(sorted(REGISTRY))}")
        return value

    @model_validator(mode="after")
    def _kind_settings(self, info: ValidationInfo) -> Component:
        kind = REGISTRY[self.kind]
        settings = kind.Settings.model_validate(self.settings or {}, context=info.context)
        object.__setattr__(self, "settings", settings)
        for mistake in self.mistakes:
            kind.check_mistake(kind.When.model_validate(mistake.when), settings)
        if kind.needs_key and self.key is None:
            raise ValueError(f"a {self.kind} component needs a 'key'")
        if self.key is not None and self.key.literal is not None:
            kind.prepare(self.key.literal, settings)
        for pattern in self.within:
            re.compile(pattern.replace("{part}", "1"))
        return self

    def when(self, mistake: Mistake) -> Any:
        return REGISTRY[self.kind].When.model_validate(mistake.when)


class SelfCheck(StrictModel):
    show_answer: bool = True  # show the answer as read (never the key or correctness)


class NumberRow(StrictModel):
    label: str  # what the number is, in words and Unicode ("L₁ (the ELBO)")
    value: str  # where it is in what the reference returned: "kl_true", "L.50"
    digits: int = Field(4, ge=0, le=12)


class ReferenceNumbers(StrictModel):
    """Numbers a reference function computes, shown in the feedback of the parts that name them."""

    reference: str
    args: dict[str, Any] = Field(default_factory=dict)
    caption: str = ""
    # One line above the table: values in braces, {log_p_x:.3f}; and the rows of the table. Without
    # rows, every value the reference returned is listed under its own name.
    headline: str = ""
    rows: list[NumberRow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _exists(self, info: ValidationInfo) -> ReferenceNumbers:
        _check_reference_exists(self.reference, _base(info))
        return self


class Part(StrictModel):
    id: str
    title: str
    points: float = Field(gt=0)
    question: int | None = None  # defaults to the number before the first dot of the id
    headings: list[str] = Field(default_factory=list)  # extra regexes that start this part
    # Plain phrases that open this part's answer or its copied statement at a line start ("By
    # using the Jensen inequality", "Scénario"): matched ignoring case, accents and spacing, even
    # inside the copied question text.
    anchors: list[str] = Field(default_factory=list)
    # The part's statement as students receive it, when the question-text file does not have it
    # (or has no file): where a student copies it is where the answer starts.
    statement: str | None = None
    visibility: Visibility = "after_published"
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
            question = question_of(self.id)
            if question is None:
                raise ValueError(f"part id {self.id!r} holds no question number: give 'question: N'")
            object.__setattr__(self, "question", question)
        return self


class Question(StrictModel):
    """A question of the assignment, as students head its answer: its number, title and phrases."""

    number: int = Field(ge=1)
    title: str | None = None  # "Importance Weighted Autoencoder": a line opening with it heads the question
    anchors: list[str] = Field(default_factory=list)  # more such phrases ("Normalizing flows", "Flux normalisants")
    headings: list[str] = Field(default_factory=list)  # regexes of a heading of this question

    @field_validator("headings")
    @classmethod
    def _compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            re.compile(pattern)
        return value


class AiPolicy(StrictModel):
    """How AI-use disclosures are read and judged; no automatic penalty unless the rubric sets one."""

    # extra sentences (regexes) to take for disclosures when the built-in reading finds none
    patterns: list[str] = Field(default_factory=lambda: [
        r"\b(?:I\s+)?used\s+(?:[A-Z][\w-]*\s+(?:and|or|,)\s+)*(?:chat\s*-?gpt|gpt|copilot|claude|gemini|grammarly|"
        r"deepl|an?\s+(?:AI|LLM|language model)|AI\s+tools?)\b[^.\n]*",
        r"\b(?:ChatGPT|Grammarly|Copilot|Claude|Gemini)\b[^.\n]*\b(?:used|helped|polish|improve|rephras|grammar)[^.\n]*",
    ])
    # the uses the course allows: "writing" (polishing the student's own text: grammar, spelling,
    # phrasing, translation) by default, as a usual course policy; "content" is finding or checking answers
    allowed: list[Literal["writing", "content"]] = Field(default_factory=lambda: ["writing"])
    # the course's own wording for purposes (regexes, case-insensitive), read before the built-in
    # English and French vocabulary: counted as polishing the writing, or as content use
    writing_purposes: list[str] = Field(default_factory=list)
    content_purposes: list[str] = Field(default_factory=list)
    penalty: float = Field(0.0, ge=0)  # points deducted per question whose disclosure matches penalty_for
    # which disclosed uses the penalty applies to: "content" (finding or checking answers, which the
    # policy forbids), "unspecified" (a use disclosed without saying what for), "writing" (for a
    # course that allows no AI use at all)
    penalty_for: list[Literal["writing", "content", "unspecified"]] = Field(default_factory=lambda: ["content"])

    @field_validator("patterns", "writing_purposes", "content_purposes")
    @classmethod
    def _regexes_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {pattern!r} ({exc})") from exc
        return patterns


class Rubric(StrictModel):
    id: str
    title: str
    version: str = "1"
    total: float
    # Named contexts of expression answers (what their variables, densities and functions mean),
    # each a mapping or a YAML file beside the rubric; components name them with `context: NAME`.
    contexts: dict[str, str | ContextDecl] = Field(default_factory=dict)
    key_file: str | None = None  # defaults to <rubric stem>.key.json beside the rubric
    # The assignment's question text (path beside the rubric): lines copied from it into a
    # submission are not taken for answers.
    question_text: str | None = None
    numbers: dict[str, ReferenceNumbers] = Field(default_factory=dict)
    # How students head each question, beyond "Question N" / "Answer N" / "N." (optional)
    questions: list[Question] = Field(default_factory=list)
    ai_policy: AiPolicy = AiPolicy()
    review: ReviewSettings | None = None  # the paper-review question: its section parts, "one page"
    parts: list[Part]

    # set by load_rubric
    path: Path | None = Field(default=None, exclude=True)
    content_hash: str = Field(default="", exclude=True)
    # files beside the rubric that grading reads (contexts, check functions): bundled with it
    companion_files: dict[str, Path] = Field(default_factory=dict, exclude=True)
    notes: list[str] = Field(default_factory=list, exclude=True)  # deprecations, for `rubric check`

    @field_validator("contexts")
    @classmethod
    def _contexts_read(cls, value: dict, info: ValidationInfo) -> dict:
        for name, entry in value.items():
            try:
                resolve_context(entry, info.context)
            except ValueError as exc:
                raise ValueError(f"context {name!r}: {exc}") from None
        return value

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


def _base(info: ValidationInfo | None) -> Path:
    return Path(((info.context if info is not None else None) or {}).get("base") or ".")


BUNDLED_FOLDER = Path(__file__).resolve().parent / "bundled"  # an installed bundle's rubric (bundle.py)


def _check_reference_exists(spec: str, base: Path = Path(".")) -> None:
    if base.resolve() == BUNDLED_FOLDER:  # a bundle carries the built key, never the reference code
        return
    try:
        authored.check_exists(spec, base)
    except ValueError as exc:
        raise ValueError(f"reference {exc}") from None


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


def load_rubric(path: str | Path) -> Rubric:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"{path}: cannot read rubric: {exc.strerror}") from None
    loader = _LineLoader(raw.decode("utf-8"))
    loader.lines = {}
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise RubricError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise RubricError(f"{path}:1: a rubric is a mapping with 'id', 'title', 'total' and 'parts'")
    folder = path.resolve().parent
    contexts = data.get("contexts") if isinstance(data.get("contexts"), dict) else {}
    where_files: dict[str, Any] = {"base": folder, "contexts": contexts, "files": {}, "notes": []}
    try:
        rubric = Rubric.model_validate(data, context=where_files)
    except ValidationError as exc:
        raise RubricError(_report(path, data, loader.lines, exc)) from None
    files = dict(where_files["files"])
    if rubric.question_text and (folder / rubric.question_text).is_file():
        files[rubric.question_text] = folder / rubric.question_text
    digest = hashlib.sha256(raw)
    for name in sorted(files):  # a changed context or check function changes the rubric's version
        if name != rubric.question_text:
            digest.update(name.encode() + b"\0" + files[name].read_bytes())
    object.__setattr__(rubric, "path", path.resolve())
    object.__setattr__(rubric, "content_hash", digest.hexdigest()[:12])
    object.__setattr__(rubric, "companion_files", files)
    object.__setattr__(rubric, "notes", list(where_files["notes"]))
    return rubric


def _report(path: Path, data: dict, lines: dict, exc: ValidationError) -> str:
    """Every error, one line each: file:line: field: message."""
    out: list[str] = []
    for error in exc.errors():
        loc = tuple(step for step in error["loc"] if not (isinstance(step, str) and step in REGISTRY))
        # pydantic adds the model name for unions and "function-after" validators: skip those steps
        loc = tuple(s for s in loc if not (isinstance(s, str) and ("[" in s or s.startswith("function-"))))
        line = _line_of(data, loc, lines)
        where = f"{path}:{line}" if line else str(path)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (misspelt?)"
        text = f"{where}: {_field_path(data, loc)}: {message}"
        if text not in out:
            out.append(text)
    if len(out) == 1:
        return out[0]
    return f"{len(out)} problems in {path}:\n" + "\n".join("  " + line for line in out)


# ---------------------------------------------------------------- which rubric, when none is given

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def rubric_files(folder: Path) -> list[Path]:
    """The rubrics of a rubrics folder: its YAML files (contexts live in subfolders)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def default_rubric_path(start: Path | None = None) -> Path:
    """The rubric to use without --rubric: the one `[tool.grader] rubric` names in pyproject.toml,
    else the only rubric in `rubrics/`; looked for in the current folder, then in the grader's own
    project. Several rubrics and no name is an error that lists them."""
    roots = [Path.cwd() if start is None else start, PROJECT_ROOT]
    for root in dict.fromkeys(r.resolve() for r in roots):
        project = root / "pyproject.toml"
        if project.is_file():
            try:
                named = tomllib.loads(project.read_text(encoding="utf-8")).get("tool", {}).get("grader", {}).get("rubric")
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                named = None
            if named:
                return root / named
        found = rubric_files(root / "rubrics")
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(str(p.relative_to(root)) for p in found)
            raise RubricError(f"{len(found)} rubrics in {root / 'rubrics'} ({names}): choose one with --rubric, "
                              "or name the default in pyproject.toml ([tool.grader] rubric = \"rubrics/...\")")
    raise RubricError("no rubric found: pass --rubric FILE, or put the rubric in rubrics/ (see README)")


def json_schema() -> dict:
    """JSON Schema of rubric files, for editors: every kind's settings and mistake conditions typed,
    a component (or a short-form part) being one of the kinds, told apart by `kind`."""
    from typing import Annotated, Union

    from pydantic import create_model

    get_kind("grid")  # every kind registered
    components, short_parts = [], []
    for name in sorted(REGISTRY):
        kind = REGISTRY[name]
        label = "".join(word.title() for word in re.split(r"[_-]", name))
        mistake = create_model(f"{label}Mistake", __base__=Mistake, when=(kind.When, ...))
        fields = {"kind": (Literal[name], ...), "settings": (kind.Settings | None, None),
                  "mistakes": (list[mistake], Field(default_factory=list))}
        components.append(create_model(f"{label}Component", __base__=Component, **fields))
        short_parts.append(create_model(f"{label}Part", __base__=_PartFields, **fields,
                                        key=(KeySource | None, None), automatic=(bool, True)))
    component = Annotated[Union[tuple(components)], Field(discriminator="kind")]  # noqa: UP007
    long_part = create_model("PartWithComponents", __base__=_PartFields, components=(list[component], ...))
    part = Union[long_part, Annotated[Union[tuple(short_parts)], Field(discriminator="kind")]]  # noqa: UP007
    schema_rubric = create_model("Rubric", __base__=Rubric, parts=(list[part], ...))
    return schema_rubric.model_json_schema()


class _PartFields(StrictModel):
    """A part's own fields, for the schema (Part itself accepts both forms in one model)."""

    id: str
    title: str
    points: float = Field(gt=0)
    question: int | None = None
    headings: list[str] = Field(default_factory=list)
    visibility: Visibility = "after_published"
    self_check: SelfCheck = SelfCheck()
    numbers: str | None = None
