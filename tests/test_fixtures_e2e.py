"""The submission fixtures end to end: each .tex alone, each .pdf alone, and each folder (both),
graded as `grader grade` grades them; every answer read must be the one a TA reads
(tests/fixtures/submissions/expected.yaml). The scan must go to review, never to 0.

The fixtures are rebuilt with tests/fixtures/submissions/build.sh; the tests never run TeX.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pymupdf
import pytest
import yaml

from grader.check import format_report, self_check
from grader.ingest.submission import Submission, discover, read_submission
from grader.key import load_key
from grader.kinds import get_kind
from grader.kinds.base import Extracted
from grader.kinds.grid import text_grid
from grader.pipeline import fragments_for, grade_submission
from grader.rubric import default_rubric_path, load_rubric

HERE = Path(__file__).resolve().parent / "fixtures" / "submissions"
EXPECTED = yaml.safe_load((HERE / "expected.yaml").read_text(encoding="utf-8"))["fixtures"]
TEXT_FIXTURES = sorted(name for name, spec in EXPECTED.items() if not spec.get("scan"))
SCANS = sorted(name for name, spec in EXPECTED.items() if spec.get("scan"))
FORMS = ("tex", "pdf", "folder")
GRIDS = ("1.1", "1.2", "1.3", "1.4")


@lru_cache(maxsize=1)
def _rubric_and_key():
    rubric = load_rubric(default_rubric_path())
    return rubric, load_key(rubric)


def submission(name: str, form: str) -> Submission:
    """The submission `grader grade PATH` would make of the fixture's file or folder."""
    path = HERE / name if form == "folder" else HERE / name / f"{name}.{form}"
    subs = discover([path])
    assert len(subs) == 1, f"{path} should be one submission, got {[s.id for s in subs]}"
    return subs[0]


@lru_cache(maxsize=None)
def graded(name: str, form: str):
    rubric, key = _rubric_and_key()
    return grade_submission(submission(name, form), rubric, key)


def reading(part) -> object:
    """The answer the grader read for a part, in expected.yaml's shape (None: nothing read)."""
    answer = part.answer
    if answer is None:
        return None
    if part.id in GRIDS:
        return sorted(answer["cells"])
    if part.id == "2.2":
        return {s: (answer.get(s) or {}).get("choices", [None])[0] for s in ("scenario_1", "scenario_2")}
    if part.id == "4.4":
        answer = answer.get("choice")
        if answer is None:
            return None
    return sorted(answer["choices"])


def normalised(expected: object) -> object:
    return sorted(str(v) for v in expected) if isinstance(expected, list) else expected


CASES = [(name, form, part_id) for name in TEXT_FIXTURES for form in FORMS
         for part_id in EXPECTED[name]["answers"]]


def test_there_are_enough_fixtures():
    assert len(TEXT_FIXTURES) >= 8 and SCANS
    for name in TEXT_FIXTURES:
        assert sorted(EXPECTED[name]["answers"]) == sorted(
            [*GRIDS, "2.2", "3.1", "3.3", "4.1", "4.2", "4.3", "4.4"]), name


@pytest.mark.parametrize("name,form,part_id", CASES, ids=[f"{n}-{f}-{p}" for n, f, p in CASES])
def test_answer_is_read_as_a_ta_reads_it(name, form, part_id):
    result = graded(name, form)
    part = next(p for p in result.parts if p.id == part_id)
    expected = normalised(EXPECTED[name]["answers"][part_id])
    got = reading(part)
    assert got == expected, (
        f"{name} ({form}) part {part_id}: expected {expected}, got {got}; status {part.status}; "
        f"read by {[c.how for c in part.components]}; feedback: {part.feedback[:300]}")


@pytest.mark.parametrize("name,form", [(n, f) for n in TEXT_FIXTURES for f in FORMS])
def test_every_part_is_found(name, form):
    result = graded(name, form)
    missing = [p.id for p in result.parts if p.status == "missing"]
    assert not missing, f"{name} ({form}): parts not found: {missing}"
    assert len(result.parts) == 23 and result.max_score == 100


MISTAKES = [(name, form, part_id, ids) for name in TEXT_FIXTURES for form in ("tex", "pdf")
            for part_id, ids in (EXPECTED[name].get("mistakes") or {}).items()]


@pytest.mark.parametrize("name,form,part_id,ids", MISTAKES, ids=[f"{n}-{f}-{p}" for n, f, p, _ in MISTAKES])
def test_deliberate_mistakes_are_named(name, form, part_id, ids):
    rubric, _ = _rubric_and_key()
    declared = {m.id for c in rubric.part(part_id).components for m in c.mistakes}
    assert set(ids) <= declared, f"expected.yaml names mistakes the rubric does not declare: {set(ids) - declared}"
    part = next(p for p in graded(name, form).parts if p.id == part_id)
    notes = {n for c in part.components for n in c.notes}
    assert set(ids) <= notes, f"{name} ({form}) part {part_id}: expected mistakes {ids}, got {sorted(notes)}"
    assert part.score < part.max_score


def test_correct_fixture_answers_score_full_marks():
    """A grid or choice read as the key gets its points: the reading is what is graded."""
    _, key = _rubric_and_key()
    for name in TEXT_FIXTURES:
        for part in graded(name, "tex").parts:
            expected = EXPECTED[name]["answers"].get(part.id)
            if part.id in GRIDS and expected is not None and normalised(expected) == key.value(part.id, "answer")["cells"]:
                if reading(part) == normalised(expected):
                    assert part.status == "correct" and part.score == part.max_score, (name, part.id)


# ---------------------------------------------------------------------------------- the scan

@pytest.mark.parametrize("name,form", [(n, f) for n in SCANS for f in ("pdf", "folder")])
def test_a_scan_goes_to_review_never_to_zero(name, form):
    result = graded(name, form)
    statuses = {p.id: p.status for p in result.parts}
    assert set(statuses.values()) == {"needs_review"}, statuses
    for part in result.parts:
        assert part.answer is None or all(v is None for v in (part.answer.values() if isinstance(part.answer, dict) else [part.answer]))
        assert part.feedback, part.id
    assert result.needs_review


# ---------------------------------------------------------------------------------- the fixtures themselves

def test_fixture_pdfs_are_small_and_complete():
    pdfs = sorted(HERE.glob("*/*.pdf"))
    assert len(pdfs) == len(EXPECTED)
    assert sum(p.stat().st_size for p in pdfs) < 2_000_000
    for pdf in pdfs:
        with pymupdf.open(pdf) as doc:
            assert doc.page_count <= 6, pdf.name
        if pdf.with_suffix(".tex").exists():  # the PDF was built from this source (build.sh)
            with pymupdf.open(pdf) as doc:
                assert pdf.stem.split("_")[0].capitalize() in doc[0].get_text(), pdf.name


def test_the_scan_has_no_text_layer():
    for name in SCANS:
        with pymupdf.open(HERE / name / f"{name}.pdf") as doc:
            assert doc.page_count >= 2
            for page in doc:
                assert page.get_text().strip() == "" and page.get_images()


def _where(pdf: Path, text: str) -> tuple[int, float]:
    with pymupdf.open(pdf) as doc:
        for number, page in enumerate(doc, start=1):
            hits = page.search_for(text)
            if hits:
                return number, hits[0].y0
    raise AssertionError(f"{text!r} not in {pdf.name}")


def _first_grid_page_after(pdf: Path, page_no: int, y: float) -> int:
    """Page of the first label "11" below (page, y): where the next grid starts."""
    with pymupdf.open(pdf) as doc:
        for number in range(page_no, doc.page_count + 1):
            for hit in doc[number - 1].search_for("11"):
                if number > page_no or hit.y0 > y:
                    return number
    raise AssertionError("no grid below")


def test_fixtures_cover_page_breaks_and_side_by_side_grids():
    dave = HERE / "dave_sidebyside" / "dave_sidebyside.pdf"
    (page_a, y_a), (page_b, y_b) = _where(dave, "Question 1 (a)"), _where(dave, "Question 1 (b)")
    assert page_a == page_b and abs(y_a - y_b) < 2  # side by side
    page_c, y_c = _where(dave, "Question 1 (c)")
    assert _first_grid_page_after(dave, page_c, y_c) == page_c + 1  # \newpage between heading and grid
    grace = HERE / "grace_pagebreak" / "grace_pagebreak.pdf"
    page, y = _where(grace, "Problem 1.4")
    assert _first_grid_page_after(grace, page, y) == page + 1  # pushed over by text


# ---------------------------------------------------------------------------------- segmentation on real files

QUESTION_SENTENCES = [
    "In other words, the forward KL divergence",
    "Integration over the hidden variable z can prove to be intractable",
    "Which of the following propositions is false",
    "Masking is achieved by multiplying the kernel",
]


@pytest.mark.parametrize("form", ["tex", "pdf"])
def test_copied_question_text_stays_out_of_answers(form):
    rubric, _ = _rubric_and_key()
    docs, _ = read_submission(submission("frank_template", form))
    fragments = fragments_for(docs, rubric)
    assert len(fragments) == 23
    for part_id, fragment in fragments.items():
        flat = " ".join(fragment.text.split())
        leaked = [s for s in QUESTION_SENTENCES if s in flat]
        assert not leaked, f"frank_template ({form}) part {part_id} holds question text: {leaked}"


# ---------------------------------------------------------------------------------- grader check

@pytest.mark.parametrize("name,form", [("erin_macros", "tex"), ("grace_pagebreak", "pdf")])
def test_check_shows_grids_and_choices_as_read(name, form):
    rubric, _ = _rubric_and_key()
    report = format_report(self_check(submission(name, form), rubric))
    expected = EXPECTED[name]["answers"]
    for part_id in GRIDS:
        block = "\n".join("        " + row for row in text_grid(set(map(str, expected[part_id])), 5).splitlines())
        section = _section(report, part_id)
        assert block in section, f"{name} ({form}) {part_id}: grid not shown as read:\n{section}"
    choice = get_kind("choice")

    def shown(options):
        return choice.describe(Extracted({"choices": sorted(options)}, "", 1.0))

    for part_id in ("3.1", "3.3", "4.1", "4.2", "4.3"):
        assert f"    {shown(expected[part_id])}\n" in _section(report, part_id) + "\n", (name, part_id)
    assert f"choice: {shown(expected['4.4'])}" in _section(report, "4.4")
    for scenario in ("scenario_1", "scenario_2"):
        assert f"{scenario}: {shown([expected['2.2'][scenario]])}" in _section(report, "2.2")
    # self-check never grades
    assert not re.search(r"\b(incorrect|points?|score)\b", report, re.I)


def _section(report: str, part_id: str) -> str:
    m = re.search(rf"^\[{re.escape(part_id)}\] .*?(?=^\[|\n\n)", report, re.M | re.S)
    assert m, f"no section for {part_id}"
    return m.group(0)
