"""A new assignment is a rubric: the second assignment in the repository (rubrics/mlt-a2.yaml, its
reference and check code beside it, its examples) grades as its examples expect, through the
README's first command, with no assignment named in the engine; rubric authoring tools."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from grader.cli import main
from grader.key import KeyBuildError, build_key, load_key
from grader.rubric import RubricError, default_rubric_path, load_rubric
from grader.scaffold import write_scaffold
from grader.selftest import run_self_tests

from .conftest import EXAMPLES, ROOT

RUBRIC = ROOT / "rubrics" / "mlt-a2.yaml"
SECOND = ROOT / "examples" / "mlt-a2"

# What a careful TA gives each example, part by part: (status, score).
EXPECTED = {
    "perfect-sheet": {"1.1": ("correct", 4), "1.2": ("correct", 4), "2.1": ("correct", 4), "2.2": ("correct", 3),
                      "2.3": ("correct", 2), "2.4": ("correct", 2), "2.5": ("correct", 3), "3.1": ("correct", 2),
                      "3.2": ("correct", 3), "3.3": ("needs_review", 5), "4.1": ("correct", 3)},
    # cells listed in prose are read but always confirmed by a TA (suggested scores)
    "markdown-student": {"1.1": ("needs_review", 4), "1.2": ("needs_review", 3), "2.1": ("partial", 2),
                         # "λ = 1 ± iα, or maybe λ = 1 ± α": two different answers, a TA chooses
                         "2.2": ("needs_review", 0), "2.3": ("correct", 2), "2.4": ("correct", 2),
                         "2.5": ("partial", 1.5), "3.1": ("correct", 2), "3.2": ("partial", 2.25),
                         "3.3": ("needs_review", 5), "4.1": ("correct", 3)},
    # its .tex is read, and its PDF must show the same (2.4's radical sits under 2.3's line: two lines)
    "latex-student": {"1.1": ("correct", 4), "1.2": ("correct", 4), "2.1": ("partial", 2), "2.2": ("correct", 3),
                      "2.3": ("correct", 2), "2.4": ("correct", 2), "2.5": ("correct", 3), "3.1": ("incorrect", 0),
                      "3.2": ("correct", 3), "3.3": ("needs_review", 5), "4.1": ("partial", 1.5)},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("mlt-a2")
    assert main(["grade", str(SECOND), "--rubric", str(RUBRIC), "--out", str(out), "--no-cache"]) == 0
    return out


@pytest.mark.parametrize("submission", sorted(EXPECTED))
def test_the_examples_grade_as_expected(graded, submission):
    result = json.loads((graded / submission / "result.json").read_text())
    got = {p["id"]: (p["status"], p["score"]) for p in result["parts"]}
    assert got == EXPECTED[submission]
    assert result["rubric"]["id"] == "mlt-a2" and result["max_score"] == 35


def test_the_latex_example_is_graded_from_its_source_and_its_pdf_agrees(graded):
    result = json.loads((graded / "latex-student" / "result.json").read_text())
    assert result["files"] == ["main.pdf", "main.tex"]
    grids = [p for p in result["parts"] if p["id"] in ("1.1", "1.2")]
    assert all(p["status"] == "correct" for p in grids)  # both readings of each 6x6 grid agree
    feedback = (graded / "latex-student" / "feedback.html").read_text()
    assert "steps until the distance doubles" in feedback  # the rubric's reference numbers


def test_both_rubrics_pass_rubric_check(capsys):
    for rubric in (ROOT / "rubrics" / "ift6135-a3.yaml", RUBRIC):
        assert main(["rubric", "check", "--rubric", str(rubric)]) == 0
        assert "self-tests passed" in capsys.readouterr().out


def test_the_readme_first_command_grades_both_assignments():
    readme = (ROOT / "README.md").read_text()
    commands = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).strip().splitlines()
    assert len(commands) == 2
    first = commands[0]
    assert first.startswith("python3 -m pip install -e . && grader grade submissions_example/ --out reports/")
    assert "grader grade examples/mlt-a2/ --rubric rubrics/mlt-a2.yaml" in first
    assert "## A new assignment in 15 minutes" in readme


def test_a_sheet_for_another_assignment_is_refused_with_the_reason(tmp_path):
    out = tmp_path / "out"
    assert main(["grade", str(EXAMPLES / "perfect-sheet.yaml"), "--rubric", str(RUBRIC), "--out", str(out)]) == 0
    result = json.loads((out / "perfect-sheet" / "result.json").read_text())
    assert result["score"] == 0 and all(p["status"] == "needs_review" for p in result["parts"])
    assert "answer sheet for the assignment 'ift6135-a3', not for 'mlt-a2'" in result["problems"][0]


@pytest.mark.skipif(shutil.which("grep") is None, reason="needs grep")
def test_no_assignment_is_named_in_the_engine():
    found = subprocess.run(["grep", "-riE", "JSD|SimCLR|IFT6135|IWAE|IWLB|apple", str(ROOT / "grader")],
                           capture_output=True, text=True)
    assert found.stdout == "", found.stdout


def test_the_committed_key_equals_a_fresh_build():
    pytest.importorskip("torch")
    rubric = load_rubric(RUBRIC)
    fresh = build_key(rubric)
    assert json.loads(rubric.key_path.read_text()) == json.loads(json.dumps(fresh))


# ---------------------------------------------------------------- authoring a rubric

def test_rubric_new_writes_a_rubric_that_checks_before_and_after_key_build(tmp_path, capsys):
    written = write_scaffold("ml101-a2", tmp_path / "rubrics")
    rubric = load_rubric(written[0])
    key = load_key(rubric, complete=False)
    assert key.missing == ["2.2"] and run_self_tests(rubric, key) == []
    assert main(["rubric", "check", "--rubric", str(written[0])]) == 0
    assert "will compute:" in capsys.readouterr().out
    assert main(["key", "build", "--rubric", str(written[0])]) == 0
    assert run_self_tests(rubric, load_key(rubric)) == []
    with pytest.raises(FileExistsError):
        write_scaffold("ml101-a2", tmp_path / "rubrics")


def test_every_error_is_reported_at_once_with_its_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("""id: b
title: b
total: 2
parts:
  - {id: "1.1", title: a, points: 1, kind: grid, key: {literal: [11]}, settings: {sise: 5}}
  - {id: "1.2", title: b, points: 1, kind: choice, key: {literal: z}, settings: {options: {a: x}}}
""")
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"2 problems in {path}:"
    assert f"{path}:5: parts[0](id 1.1).settings.sise: unknown field" in lines[1]
    assert f"{path}:6: parts[1](id 1.2)" in lines[2] and "unknown options" in lines[2]


def test_a_failing_reference_names_the_part_and_the_real_cause(tmp_path):
    (tmp_path / "ref.py").write_text("import not_a_module_anywhere\n\ndef f(n):\n    return n\n")
    (tmp_path / "ref2.py").write_text("def f(n):\n    raise ValueError('the masks do not fit the map')\n")
    for module, cause in (("ref.py", "needs the module 'not_a_module_anywhere'"),
                          ("ref2.py", "ValueError: the masks do not fit the map")):
        path = tmp_path / "r.yaml"
        path.write_text(f"""id: r
title: r
total: 1
parts:
  - {{id: "2.1", title: n, points: 1, kind: numeric, key: {{reference: "./{module}:f", args: {{n: 3}}}}}}
""")
        with pytest.raises(KeyBuildError) as info:
            build_key(load_rubric(path))
        assert str(info.value).startswith("part 2.1: ") and cause in str(info.value)
        assert "extra" not in str(info.value)


def test_the_default_rubric_is_found_not_named(tmp_path):
    assert default_rubric_path(ROOT) == ROOT / "rubrics" / "ift6135-a3.yaml"  # named in pyproject.toml
    alone = tmp_path / "course"
    (alone / "rubrics").mkdir(parents=True)
    shutil.copy(RUBRIC, alone / "rubrics" / "mlt-a2.yaml")
    assert default_rubric_path(alone) == alone / "rubrics" / "mlt-a2.yaml"  # the only rubric
    shutil.copy(RUBRIC, alone / "rubrics" / "other.yaml")
    with pytest.raises(RubricError, match="2 rubrics"):
        default_rubric_path(alone)


def test_old_rubrics_keep_their_meaning_with_a_note(tmp_path):
    text = (ROOT / "rubrics" / "ift6135-a3.yaml").read_text()
    old = re.sub(r"\n      context: two_densities|\n          context: two_densities", "", text)
    old = old.replace("contexts:\n  two_densities: contexts/two-densities.yaml\n", "")
    (tmp_path / "old.yaml").write_text(old)
    shutil.copy(ROOT / "rubrics" / "ift6135-a3.questions.txt", tmp_path)
    shutil.copy(ROOT / "rubrics" / "ift6135-a3.key.json", tmp_path / "old.key.json")
    legacy, current = load_rubric(tmp_path / "old.yaml"), load_rubric(ROOT / "rubrics" / "ift6135-a3.yaml")
    assert any("symbols" in note and "context" in note for note in legacy.notes) and not current.notes
    for pid, cid in (("4.6a", "answer"), ("4.6b", "d_star"), ("4.6b", "f1")):
        a = next(c for c in legacy.part(pid).components if c.id == cid).settings
        b = next(c for c in current.part(pid).components if c.id == cid).settings
        assert a.ctx == b.ctx and a.symbols == b.symbols
    assert run_self_tests(legacy, load_key(legacy)) == []


def test_scores_keep_the_rubrics_precision():
    from grader.score import round_score
    assert round_score(1.5 * 0.33) == 0.495 and round_score(0.1 + 0.2) == 0.3


def test_a_receptive_field_question_the_reference_cannot_answer_is_an_error():
    masked_conv = pytest.importorskip("reference.masked_conv")
    with pytest.raises(ValueError, match="presets A and B"):
        masked_conv.receptive_field_cells(["A", "B"], size=5, target="34", origin="bottom-left")
    with pytest.raises(ValueError, match="outside a 5x5 map"):
        masked_conv.receptive_field_cells([[[1, 0, 0], [1, 0, 0], [0, 0, 0]]], size=5, target="61")
    with pytest.raises(ValueError, match="odd size"):
        masked_conv.receptive_field_cells([[[1, 1], [1, 0]]], size=5, target="33")
    # masks as drawn, counted bottom-up: row 1 is the bottom row; "up" in the picture is row + 1
    up = [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    assert masked_conv.receptive_field_cells([up], size=5, target="34", origin="bottom-left") == {"cells": ["44"]}
    assert masked_conv.receptive_field_cells([up], size=5, target="34") == {"cells": ["24"]}
    # any kernel size, layers of different sizes
    five = [[1] * 5, [1] * 5, [1, 1, 0, 0, 0], [0] * 5, [0] * 5]
    cells = masked_conv.receptive_field_cells([five, "B"], size=7, target="44")["cells"]
    assert "22" in cells and "44" not in cells



def test_the_autograder_zip_carries_what_grading_reads_beside_the_rubric(tmp_path):
    import zipfile

    from grader.gradescope import build

    rubric = load_rubric(RUBRIC)
    names = zipfile.ZipFile(build(rubric, load_key(rubric), tmp_path / "gs.zip")).namelist()
    bundled = "grader-src/grader/bundled/"
    assert {bundled + n for n in ("mlt-a2.yaml", "mlt-a2.key.json", "mlt-a2.checks.py", "mlt-a2.questions.txt")} <= set(names)
    assert bundled + "mlt-a2.reference.py" not in names  # key build only: the key is prebuilt
    default = load_rubric(ROOT / "rubrics" / "ift6135-a3.yaml")
    assert "contexts/two-densities.yaml" in default.companion_files
