"""Layouts real students use, imitated by fixtures of our own (tests/fixtures/layouts/): each PDF is
graded as `grader grade` grades it, and every part is compared with what a careful TA reads in it
(tests/fixtures/layouts/expected.yaml): the final grid's cells, the option chosen, whether an
expression equals the key, phrases of the student's own answer the part's text must (or must not)
hold. Whatever the reading, no part the student answered may be a silent 0, and no automatic score
may differ from the one the TA's reading deserves: a wrong automatic grade is the worst outcome.

The PDF alone is graded (the .tex only when the fixture says both files are submitted). The fixtures
are rebuilt with tests/fixtures/layouts/build.sh; the tests never run TeX.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import pymupdf
import pytest
import yaml

from grader.ingest.submission import Submission, discover, read_submission
from grader.key import load_key
from grader.kinds import get_kind
from grader.kinds.base import Extracted
from grader.pipeline import Result, grade_submission
from grader.rubric import Rubric, load_rubric
from grader.score import ComponentResult, PartResult

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "fixtures" / "layouts"
SPEC = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))
FIXTURES: dict[str, dict[str, Any]] = SPEC["fixtures"]
PATTERNS = {*range(1, 15), "clean"}  # tests/fixtures/layouts/README.md
AUTOMATIC = ("correct", "partial", "incorrect")  # a score nobody confirms
PART_KEYS = {"cells", "not_cells", "choice", "components", "equivalent", "contains", "excludes", "auto",
             "review", "status_not"}


# ---------------------------------------------------------------------------------- grading

@lru_cache(maxsize=None)
def rubric_and_key(name: str):
    rubric = load_rubric(ROOT / SPEC["rubrics"][name])
    return rubric, load_key(rubric)


def submission(name: str) -> Submission:
    spec = FIXTURES[name]
    path = HERE / name if spec.get("submit", "pdf") == "folder" else HERE / name / f"{name}.pdf"
    subs = discover([path])
    assert len(subs) == 1, f"{path} should be one submission, got {[s.id for s in subs]}"
    return subs[0]


@lru_cache(maxsize=None)
def graded(name: str) -> Result:
    rubric, key = rubric_and_key(FIXTURES[name]["rubric"])
    return grade_submission(submission(name), rubric, key)


@lru_cache(maxsize=None)
def grids_in_pdf(name: str) -> tuple[tuple[int | None, frozenset[str] | None], ...]:
    """Every grid the ingest step read in the fixture, (page, cells): what segmentation chose from."""
    docs, _ = read_submission(submission(name))
    return tuple((g.page, g.cells) for d in docs for g in d.grids)


def part_of(name: str, part_id: str) -> PartResult:
    return next(p for p in graded(name).parts if p.id == part_id)


# ---------------------------------------------------------------------------------- readings

def norm(text: str) -> str:
    """Lower case, ligatures undone, and formulas as plain words: a PDF's formulas reach the text as
    LaTeX ("concave $\\log$"), the phrases quote what the page shows ("concave log")."""
    text = re.sub(r"\$|\\\[|\\\]", " ", text)
    text = re.sub(r"\\(?:mathrm|operatorname|text)\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    text = unicodedata.normalize("NFC", text).lower()
    for odd, plain in (("’", "'"), ("‘", "'"), ("ﬁ", "fi"), ("ﬂ", "fl"), ("ﬀ", "ff"), ("ﬃ", "ffi"), ("ﬄ", "ffl")):
        text = text.replace(odd, plain)
    return " ".join(text.split())


def component_text(component: ComponentResult) -> str:
    answer = component.answer
    return answer["text"] if isinstance(answer, dict) and isinstance(answer.get("text"), str) else ""


def part_text(part: PartResult) -> str:
    """The text the grader took as the student's answer (its prose components)."""
    return norm(" ".join(component_text(c) for c in part.components))


def cells_read(part: PartResult) -> list[str] | None:
    grid = next((c for c in part.components if c.kind == "grid"), None)
    if grid is None or not isinstance(grid.answer, dict) or grid.answer.get("cells") is None:
        return None
    return sorted(grid.answer["cells"])


def choices_read(component: ComponentResult) -> list[str] | None:
    answer = component.answer
    if not isinstance(answer, dict) or answer.get("choices") is None:
        return None
    return sorted(answer["choices"])


def equals_key(component: ComponentResult) -> bool:
    """An expression component's verdict: full marks (given or suggested) means it equals the key."""
    return component.max_score > 0 and component.score >= component.max_score - 1e-9


def shown(part: PartResult, name: str | None = None) -> str:
    """What the grader did with a part, for a failure message: status, score, each component's
    reading and how it was found, the text it read, and the grids the PDF reader saw."""
    lines = [f"status {part.status}, score {part.score}/{part.max_score}"]
    for c in part.components:
        if c.kind == "grid":
            read = (sorted(c.answer["cells"]) if isinstance(c.answer, dict) and c.answer.get("cells") is not None
                    else None)
        elif c.kind == "choice":
            read = choices_read(c)
        elif c.kind == "expression":
            read = c.answer.get("plain") if isinstance(c.answer, dict) else None
        else:
            text = component_text(c)
            read = repr(" ".join(text.split())[:240] + ("…" if len(text) > 240 else "")) if text else None
        lines.append(f"  [{c.id}] {c.kind} {c.status} {c.score:g}/{c.max_score:g} read {read} "
                     f"(how: {c.how or '-'}; confidence {c.confidence:.2f})")
    if part.review:
        lines.append(f"  review: {' '.join(part.review.split())[:300]}")
    if name is not None and any(c.kind == "grid" for c in part.components):
        grids = [f"p{page}:{sorted(cells) if cells is not None else 'unread'}" for page, cells in grids_in_pdf(name)]
        lines.append(f"  grids the PDF reader found ({len(grids)}): " + "; ".join(grids))
    return "\n".join(lines)


def reading_problems(name: str, part: PartResult, expected: dict[str, Any]) -> list[str]:
    """How the grader's reading of a part differs from the TA's (empty: it reads as the TA does)."""
    problems = []
    if "cells" in expected:
        got, want = cells_read(part), sorted(map(str, expected["cells"]))
        if got != want:
            problems.append(f"final grid: expected {want}, read {got}")
    for mention in expected.get("not_cells", []):
        if cells_read(part) == sorted(map(str, mention)):
            problems.append(f"cells only mentioned in a sentence were taken as the answer: {sorted(mention)}")
    if "choice" in expected:
        component = next(c for c in part.components if c.kind == "choice")
        got, want = choices_read(component), sorted(map(str, expected["choice"]))
        if got != want:
            problems.append(f"choice: expected {want}, read {got}")
    if "equivalent" in expected:
        component = next(c for c in part.components if c.kind == "expression")
        if equals_key(component) != expected["equivalent"]:
            problems.append(f"expression: expected {'equal' if expected['equivalent'] else 'not equal'} to the key, "
                            f"read {component.answer}")
    for component_id, want in (expected.get("components") or {}).items():
        component = next(c for c in part.components if c.id == component_id)
        if want in ("equivalent", "not_equivalent"):
            if equals_key(component) != (want == "equivalent"):
                problems.append(f"[{component_id}] expected {want.replace('_', ' ')} to the key, read {component.answer}")
        elif choices_read(component) != [want]:
            problems.append(f"[{component_id}] expected {want}, read {choices_read(component)}")
    text = part_text(part)
    for phrase in expected.get("contains", []):
        if norm(phrase) not in text:
            problems.append(f"the part's text lacks the student's answer {phrase!r}")
    for phrase in expected.get("excludes", []):
        if norm(phrase) in text:
            problems.append(f"the part's text holds {phrase!r}, which is not this part's answer")
    return problems


def truth_value(component: ComponentResult, expected: dict[str, Any]) -> Any:
    """The TA's reading of one component in the kind's answer shape, or None when not a value."""
    if component.kind == "grid" and "cells" in expected:
        return {"cells": sorted(map(str, expected["cells"]))}
    if component.kind == "choice":
        if "choice" in expected:
            return {"choices": sorted(map(str, expected["choice"]))}
        want = (expected.get("components") or {}).get(component.id)
        if want is not None:
            return {"choices": [str(want)]}
    return None


def deserved_fraction(name: str, part_id: str, component: ComponentResult, expected: dict[str, Any]) -> float | None:
    """The share of a component's points the TA's reading earns (None: the truth gives no number)."""
    if component.kind == "expression":
        want = expected.get("equivalent", (expected.get("components") or {}).get(component.id))
        if want in (True, "equivalent"):
            return 1.0
        return None  # not equal to the key: some partial credit may be declared; only full marks are wrong
    value = truth_value(component, expected)
    if value is None:
        return None
    rubric, key = rubric_and_key(FIXTURES[name]["rubric"])
    spec = next(c for c in rubric.part(part_id).components if c.id == component.id)
    kind = get_kind(component.kind)
    return kind.grade(Extracted(value, "the TA's reading", 1.0), key.value(part_id, component.id), spec).fraction


# ---------------------------------------------------------------------------------- the tests

CASES = [(name, part_id) for name, spec in FIXTURES.items() for part_id in spec["parts"]]
IDS = [f"{name}-{part_id}" for name, part_id in CASES]


@pytest.mark.parametrize("name,part_id", CASES, ids=IDS)
def test_part_is_read_as_a_ta_reads_it(name, part_id):
    expected = FIXTURES[name]["parts"][part_id]
    part = part_of(name, part_id)
    problems = reading_problems(name, part, expected)
    if problems:
        pytest.fail(f"{name} part {part_id}: " + "; ".join(problems) + "\n" + shown(part, name)
                    + f"\n(layout: {' '.join(FIXTURES[name]['about'].split())})", pytrace=False)


def grading_problem(name: str, part_id: str, part: PartResult, expected: dict[str, Any]) -> str | None:
    """The worst thing about a part's status and score, or None: a silent 0, then an automatic score
    the TA's reading does not earn, then an automatic grade where a TA must look."""
    if part.status == "missing":
        return "a silent 0 (status missing) although the student answered"
    # A part a TA reviews shows its components' scores as suggestions: the reading test judges them.
    for component in part.components if part.status in AUTOMATIC else ():
        if component.status not in AUTOMATIC:
            continue
        deserved = deserved_fraction(name, part_id, component, expected)
        want = expected.get("equivalent", (expected.get("components") or {}).get(component.id))
        if deserved is None:
            if component.kind == "expression" and want in (False, "not_equivalent") and equals_key(component):
                return (f"[{component.id}] WRONG automatic grade: {component.status} with full marks, but the "
                        f"student's expression is not the key")
            continue
        if abs(component.score / component.max_score - deserved) > 1e-6:
            return (f"[{component.id}] WRONG automatic grade: {component.status} {component.score:g}/"
                    f"{component.max_score:g}, but the student's answer as a TA reads it earns "
                    f"{deserved * component.max_score:g}/{component.max_score:g}")
    forbidden = set(expected.get("status_not", [])) | (set(AUTOMATIC) if expected.get("review") else set())
    if part.status in forbidden:
        return (f"status {part.status}, but this layout is ambiguous or read from prose: a TA must confirm it "
                f"(expected a status not in {sorted(forbidden)})")
    return None


@pytest.mark.parametrize("name,part_id", CASES, ids=IDS)
def test_no_silent_zero_and_no_wrong_automatic_grade(name, part_id):
    part = part_of(name, part_id)
    problem = grading_problem(name, part_id, part, FIXTURES[name]["parts"][part_id])
    if problem:
        pytest.fail(f"{name} part {part_id}: {problem}\n{shown(part, name)}", pytrace=False)


AUTO_CASES = [(name, part_id) for name, part_id in CASES if FIXTURES[name]["parts"][part_id].get("auto")]


@pytest.mark.parametrize("name,part_id", AUTO_CASES, ids=[f"{n}-{p}" for n, p in AUTO_CASES])
def test_a_clear_layout_is_graded_automatically(name, part_id):
    """Not everything may go to review: a clear heading and one marked answer are graded."""
    part = part_of(name, part_id)
    if part.status not in AUTOMATIC:
        pytest.fail(f"{name} part {part_id}: sent to {part.status} although the layout is clear\n{shown(part, name)}",
                    pytrace=False)


AI_CASES = [(name, question, purpose) for name, spec in FIXTURES.items()
            for question, purpose in (spec.get("ai_use") or {}).items()]


@pytest.mark.parametrize("name,question,purpose", AI_CASES, ids=[f"{n}-Q{q}" for n, q, _ in AI_CASES])
def test_ai_use_note_is_read(name, question, purpose):
    disclosures = graded(name).ai_disclosures
    found = disclosures.get(str(question))
    if not (found and found.get("used") and found.get("purpose") == purpose):
        pytest.fail(f"{name}: the AI-use note of question {question} (purpose: {purpose}) read as {found}; "
                    f"every note read: {disclosures}", pytrace=False)


# ---------------------------------------------------------------------------------- the fixtures themselves

def pdf_text(name: str) -> str:
    with pymupdf.open(HERE / name / f"{name}.pdf") as doc:
        return norm(" ".join(page.get_text() for page in doc))


def test_fixtures_cover_every_layout_pattern():
    covered = {p for spec in FIXTURES.values() for p in spec["patterns"]}
    assert PATTERNS <= covered, f"patterns without a fixture: {sorted(map(str, PATTERNS - covered))}"
    assert len(FIXTURES) >= 14
    assert sum(1 for spec in FIXTURES.values() if "clean" in spec["patterns"]) >= 2


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_expectations_fit_the_rubric(name):
    """Each expectation names a part of its rubric and a reading its kind can give."""
    spec = FIXTURES[name]
    rubric: Rubric = rubric_and_key(spec["rubric"])[0]
    assert set(spec["patterns"]) <= PATTERNS and spec.get("submit", "pdf") in ("pdf", "folder")
    for part_id, expected in spec["parts"].items():
        assert set(expected) <= PART_KEYS, (part_id, set(expected) - PART_KEYS)
        kinds = {c.id: c.kind for c in rubric.part(part_id).components}
        if "cells" in expected or "not_cells" in expected:
            assert "grid" in kinds.values(), part_id
        if "choice" in expected:
            assert list(kinds.values()).count("choice") == 1, part_id
        if "equivalent" in expected:
            assert list(kinds.values()).count("expression") == 1, part_id
        for component_id, want in (expected.get("components") or {}).items():
            kind = kinds[component_id]
            assert (kind == "expression") == (want in ("equivalent", "not_equivalent")), (part_id, component_id)
        if expected.get("contains") or expected.get("excludes"):
            assert "prose" in kinds.values(), f"{part_id}: phrases are checked in prose components only"
        assert not (expected.get("auto") and (expected.get("review") or set(AUTOMATIC) & set(expected.get("status_not", [])))), part_id


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_expected_phrases_are_in_the_pdf(name):
    """Every phrase expected (or excluded) is in the PDF's text layer: each check can pass and can fail."""
    text = pdf_text(name)
    for part_id, expected in FIXTURES[name]["parts"].items():
        for phrase in [*expected.get("contains", []), *expected.get("excludes", [])]:
            assert norm(phrase) in text, f"{name} {part_id}: {phrase!r} is not in the PDF's text"


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_the_pdf_reader_sees_every_final_grid(name):
    """Reading the grids is not segmentation's job: every final grid must be among those the PDF
    reader found, so a failure above is about choosing, not reading."""
    found = {cells for _, cells in grids_in_pdf(name) if cells is not None}
    for part_id, expected in FIXTURES[name]["parts"].items():
        if "cells" in expected and not expected.get("review"):
            want = frozenset(map(str, expected["cells"]))
            assert want in found, f"{name} {part_id}: the final grid {sorted(want)} is not among {[sorted(c) for c in found]}"


def test_fixture_files_are_small_vector_pdfs_built_from_their_source():
    folders = sorted(p for p in HERE.iterdir() if p.is_dir() and p.name != "rubrics")
    assert [p.name for p in folders] == sorted(FIXTURES)
    total = 0
    for folder in folders:
        tex, pdf = folder / f"{folder.name}.tex", folder / f"{folder.name}.pdf"
        assert tex.exists() and pdf.exists(), folder.name
        assert not [p.name for p in folder.iterdir() if p.suffix in (".aux", ".log", ".out", ".toc")], folder.name
        total += pdf.stat().st_size
        with pymupdf.open(pdf) as doc:
            assert 1 <= doc.page_count <= 4, folder.name
            assert not any(page.get_images() for page in doc), f"{folder.name}: no embedded bitmaps"
            assert not any(font[2] == "Type3" for page in doc for font in page.get_fonts()), (
                f"{folder.name}: bitmap (Type 3) fonts: build with Type 1 fonts (no T1 encoding without lmodern)")
        source = norm(re.sub(r"\\[a-zA-Z]+\*?|[{}$~]", " ", tex.read_text(encoding="utf-8")))
        # the PDF is this source's: a sentence of the student's answer is in both
        phrase = next((p for e in FIXTURES[folder.name]["parts"].values() for p in e.get("contains", [])), None)
        if phrase is not None:
            assert norm(phrase) in source and norm(phrase) in pdf_text(folder.name), folder.name
    assert total < 2_500_000


def test_own_rubrics_have_their_question_text_and_literal_keys():
    for name, path in SPEC["rubrics"].items():
        rubric, key = rubric_and_key(name)
        assert rubric.question_text and (rubric.path.parent / rubric.question_text).exists(), name
        if str(path).startswith("tests/"):
            assert all(c.key is not None and c.key.literal is not None for p in rubric.parts for c in p.components
                       if c.kind != "prose"), name
            assert all(key.value(p.id, c.id) is not None for p in rubric.parts for c in p.components
                       if c.kind != "prose"), name
