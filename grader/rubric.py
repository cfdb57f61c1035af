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
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from grader import authored, safe_yaml
from grader.paths import RubricError, default_rubric_path  # noqa: F401  (callers import them here)
from grader.kinds.base import StrictModel, all_kinds, get_kind
from grader.kinds.context_ref import resolve_context
from grader.part_ids import question_of
from grader.analyses.review_sections import ReviewSettings
from grader.mathexpr.context import ContextDecl

Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]


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
        try:
            get_kind(value)
        except KeyError:
            raise ValueError(f"unknown answer kind {value!r}; known kinds: {', '.join(sorted(all_kinds()))}") from None
        return value

    @model_validator(mode="after")
    def _kind_settings(self, info: ValidationInfo) -> Component:
        kind = get_kind(self.kind)
        settings = kind.Settings.model_validate(self.settings or {}, context=info.context)
        object.__setattr__(self, "settings", settings)
        for mistake in self.mistakes:
            kind.check_mistake(kind.When.model_validate(mistake.when), settings)
        if kind.needs_key and self.key is None:
            raise ValueError(f"a {self.kind} component needs a 'key'")
        if self.key is not None and self.key.literal is not None:
            kind.prepare(self.key.literal, settings)
        if self.key is not None and self.key.reference is not None:
            kind.check_reference(self.key.args, settings)
        for pattern in self.within:
            re.compile(pattern.replace("{part}", "1"))
        return self

    def when(self, mistake: Mistake) -> Any:
        return get_kind(self.kind).When.model_validate(mistake.when)


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
            for section in self.review.sections:  # a kind may read a review's judgments differently
                for component in self.part(section.part).components:
                    mark = getattr(component.settings, "mark_review_section", None)
                    if mark is not None:
                        mark()
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

    @property
    def question_path(self) -> Path | None:
        """The question-text file beside the rubric (None without one); it may not exist."""
        return self.path.parent / self.question_text if self.question_text and self.path is not None else None


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

@cache
def _line_loader() -> type:
    """A safe loader that remembers the line of every mapping key and sequence item (made when
    first needed: a remembered rubric reads no YAML)."""
    import yaml

    loader = type("_LineLoader", (yaml.SafeLoader,), {})
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
    return loader


def _construct_mapping(loader, node) -> dict:  # a yaml.MappingNode
    mapping = {}
    lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    loader.lines[id(mapping)] = (node.start_mark.line + 1, lines)
    return mapping


def _construct_sequence(loader, node) -> list:  # a yaml.SequenceNode
    items = [loader.construct_object(child, deep=True) for child in node.value]
    loader.lines[id(items)] = (node.start_mark.line + 1,
                               {i: child.start_mark.line + 1 for i, child in enumerate(node.value)})
    return items


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
    loader = _line_loader()(text)
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
        if not isinstance(rubric, Rubric):
            return None
        # its contexts and check functions must be the same files, unchanged, as when it was validated
        if _content_hash(raw, rubric.companion_files, rubric.question_text) != rubric.content_hash:
            return None
    except Exception:  # a missing, damaged or foreign file, a companion gone: validate again
        return None
    return rubric


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
    import yaml  # only to validate: a remembered rubric reads no YAML

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
    folder = path.resolve().parent

    def where_files(data: dict) -> dict[str, Any]:
        contexts = data.get("contexts") if isinstance(data.get("contexts"), dict) else {}
        return {"base": folder, "contexts": contexts, "files": {}, "notes": []}

    found = where_files(data)
    try:
        rubric = Rubric.model_validate(data, context=found)
    except ValidationError as exc:
        data, lines = _with_lines(text)  # the same document again, this time with its line numbers
        try:
            Rubric.model_validate(data, context=where_files(data))
        except ValidationError as again:
            exc = again
        raise RubricError(_report(path, data, lines, exc)) from None
    files = dict(found["files"])
    if rubric.question_text and (folder / rubric.question_text).is_file():
        files[rubric.question_text] = folder / rubric.question_text
    object.__setattr__(rubric, "path", path.resolve())
    object.__setattr__(rubric, "content_hash", _content_hash(raw, files, rubric.question_text))
    object.__setattr__(rubric, "companion_files", files)
    object.__setattr__(rubric, "notes", list(found["notes"]))
    _remember(path, raw, rubric)
    return rubric


def _content_hash(raw: bytes, files: dict[str, Path], question_text: str | None) -> str:
    """The rubric's version: its bytes and its companion files' (a changed context or check
    function changes it; the question text does not change what is graded)."""
    digest = hashlib.sha256(raw)
    for name in sorted(files):
        if name != question_text:
            digest.update(name.encode() + b"\0" + files[name].read_bytes())
    return digest.hexdigest()[:12]


def _report(path: Path, data: dict, lines: dict, exc: ValidationError) -> str:
    """Every error, one line each: file:line: field: message."""
    out: list[str] = []
    kinds = all_kinds()
    for error in exc.errors():
        loc = tuple(step for step in error["loc"] if not (isinstance(step, str) and step in kinds))
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


def json_schema() -> dict:
    """JSON Schema of rubric files, for editors: every kind's settings and mistake conditions typed,
    a component (or a short-form part) being one of the kinds, told apart by `kind`."""
    from typing import Annotated, Union

    from pydantic import create_model

    kinds = all_kinds()
    components, short_parts = [], []
    for name in sorted(kinds):
        kind = kinds[name]
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
