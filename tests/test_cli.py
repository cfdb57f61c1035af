"""End to end, as a user runs it: each CLI command in a subprocess or through main()."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

from grader.cli import main

from .conftest import EXAMPLES, ROOT, SEED


def run_cli(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def test_grade_the_examples(tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["grade", str(EXAMPLES), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "perfect-sheet" in printed and "graded" in printed
    for sid in ("000_af16c1991d1beaae", "perfect-sheet", "mistakes-sheet", "markdown-student"):
        data = json.loads((out / sid / "result.json").read_text())
        assert len(data["parts"]) == 23 and data["max_score"] == 100
        html = (out / sid / "feedback.html").read_text()
        assert "<table class=\"grid\">" in html or sid == "000_af16c1991d1beaae"
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert {"Name", "SID", "Email", "1.1", "5.4", "Final total", "Provisional total", "Needs review"} <= set(rows[0])
    assert (out / "summary.html").read_text().count("feedback.html") >= 4


def test_feedback_page_escapes_student_text(tmp_path):
    hostile = tmp_path / "x.md"
    hostile.write_text("## Question 4\n### 4.5)\n<script>alert('pwned')</script> the losses are relative\n")
    assert main(["grade", str(hostile), "--out", str(tmp_path / "out")]) == 0
    html = (tmp_path / "out" / "x" / "feedback.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_feedback_page_shows_grids_side_by_side_with_differences(tmp_path):
    assert main(["grade", str(EXAMPLES / "mistakes-sheet.yaml"), "--out", str(tmp_path)]) == 0
    html = (tmp_path / "mistakes-sheet" / "feedback.html").read_text()
    assert 'class="extra"' in html and "Your grid (as read)" in html and "Key" in html
    assert "awaiting review" in html.lower()


def test_check_never_reveals_correctness_or_key(capsys):
    assert main(["check", str(EXAMPLES / "mistakes-sheet.yaml")]) == 0
    out = capsys.readouterr().out
    assert "[1.1]" in out and "[11]" in out  # the grid as read
    assert "selected: (c)" in out  # 4.1 as read
    lowered = out.lower()
    for leak in ("correct:", "incorrect", "partial", "score", "blind spot", "expected answer", "/ 5"):
        assert leak not in lowered, leak
    # the key of 1.1 is {11..15,21,22,23,31}; the wrong grid must not be "fixed" in the output
    assert "[24]" in out


def test_check_reports_lost_highlights(capsys):
    assert main(["check", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert "highlights were lost" in out


def test_key_show_json_is_the_contract_form(capsys):
    assert main(["key", "show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["1.1"] == {"cells": ["11", "12", "13", "14", "15", "21", "22", "23", "31"]}
    assert data["3.1"] == {"choices": ["b"]}
    assert data["3.3"] == {"choices": ["a", "b", "d"]}
    assert data["1.4"]["cells"][-1] == "33"


def test_rubric_schema_prints_json(capsys):
    assert main(["rubric", "schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Rubric"


def test_rubric_check_passes(capsys):
    assert main(["rubric", "check"]) == 0
    assert "self-tests passed" in capsys.readouterr().out


def test_errors_are_one_line_with_documented_exit_codes(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: y\ntotal: 1\nparts: []\nextra_field: 1\n")
    assert main(["grade", str(SEED), "--rubric", str(bad)]) == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("grader: error:") and "bad.yaml:5" in err
    assert main(["grade", str(tmp_path / "nope")]) == 5
    assert "no such file" in capsys.readouterr().err
    keyless = tmp_path / "keyless.yaml"
    keyless.write_text((ROOT / "rubrics" / "ift6135-a3.yaml").read_text().replace(
        "question_text: ift6135-a3.questions.txt", "question_text: ift6135-a3.questions.txt\nkey_file: none.json"))
    assert main(["grade", str(SEED), "--rubric", str(keyless)]) == 4
    assert "grader key build" in capsys.readouterr().err


def test_cli_as_a_subprocess_and_usage_error():
    done = run_cli("key", "show")
    assert done.returncode == 0 and "1.1" in done.stdout
    assert run_cli("frobnicate").returncode == 2


@pytest.mark.parametrize("command", [["check", str(SEED)], ["grade", str(SEED), "--out", "{tmp}"]])
def test_grading_and_check_never_import_torch(command, tmp_path):
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "grader", *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
    assert "grader" in imported  # the import log was really read
    assert "torch" not in imported and "reference" not in imported
