"""Batch integrity: hostile YAML refused, --timeout on every path, no orphan workers, a cache that
is checked and never trusted, atomic outputs, no lost rows, neutralised CSV, strict overrides and
links that are never followed."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import safe_yaml
from grader.cli import main
from grader.ingest.submission import DiscoveryError, discover, read_submission
from grader.output import OutputLock, write_atomic
from grader.report.csvsafe import TRIGGERS, cell
from grader.rubric import RubricError, load_rubric
from grader.score import OverrideError, load_overrides

from .conftest import EXAMPLES, ROOT

BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))


def _copy_examples(dest: Path) -> Path:
    shutil.copytree(EXAMPLES, dest)
    return dest


# ---------------------------------------------------------------- hostile YAML

def test_an_alias_bomb_is_refused_wherever_yaml_is_read(tmp_path, rubric):
    with pytest.raises(safe_yaml.YamlRefused, match="alias bomb"):
        safe_yaml.load(BOMB, "it", 10_000)
    sheet = tmp_path / "bomb.yaml"
    sheet.write_text(BOMB + "answers:\n  '1.1': *i\n")
    docs, problems = read_submission(discover([sheet])[0])
    assert not docs and any("alias bomb" in p for p in problems)
    export = tmp_path / "export"
    (export / "submission_1").mkdir(parents=True)
    (export / "submission_metadata.yml").write_text(BOMB)
    with pytest.raises(DiscoveryError, match="alias bomb"):
        discover([export])
    bad_rubric = tmp_path / "rubric.yaml"
    bad_rubric.write_text(rubric.path.read_text() + "\nbomb:\n" + "".join("  " + line + "\n" for line in BOMB.splitlines()))
    with pytest.raises(RubricError, match="alias bomb"):
        load_rubric(bad_rubric)
    overrides = tmp_path / "o.yaml"
    overrides.write_text(BOMB)
    with pytest.raises(OverrideError, match="alias bomb"):
        load_overrides(overrides)


def test_oversized_and_deep_documents_are_refused(tmp_path):
    with pytest.raises(safe_yaml.YamlRefused, match="MB"):
        safe_yaml.load("a: " + "x" * 3_000_000, "it", 2_000_000)
    with pytest.raises(safe_yaml.YamlRefused, match="nested"):
        safe_yaml.load("[" * 200 + "]" * 200, "it", 10_000)
    sheet = tmp_path / "big.yaml"
    sheet.write_text("answers:\n  '5.1': '" + "word " * 500_000 + "'\n")
    docs, problems = read_submission(discover([sheet])[0])
    assert not docs and any("MB" in p for p in problems)


yaml_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=30)


@settings(max_examples=80, deadline=None)
@given(yaml_values)
def test_the_checked_loader_reads_what_the_safe_loader_reads(value):
    text = yaml.safe_dump({"v": value})
    assert safe_yaml.load(text, "it", 1_000_000) == yaml.safe_load(text)


# ---------------------------------------------------------------- time limits

def _slow(*args, **kwargs):
    time.sleep(60)


def test_timeout_holds_for_a_single_file_grade(tmp_path, monkeypatch, capsys):
    import grader.batch

    monkeypatch.setattr(grader.batch, "grade_submission", _slow)
    out = tmp_path / "out"
    assert main(["grade", str(EXAMPLES / "perfect-sheet.yaml"), "--out", str(out), "--timeout", "1"]) == 0
    assert "longer than 1 s" in capsys.readouterr().out
    result = json.loads((out / "perfect-sheet" / "result.json").read_text())
    assert all(p["status"] == "needs_review" for p in result["parts"])


def test_timeout_holds_for_check(monkeypatch, capsys):
    import grader.check

    monkeypatch.setattr(grader.check, "self_check", _slow)
    assert main(["check", str(EXAMPLES / "perfect-sheet.yaml"), "--timeout", "1"]) == 5
    assert "longer than 1 s" in capsys.readouterr().err


def test_timeout_holds_for_gradescope_run(tmp_path, monkeypatch):
    import grader.pipeline

    from grader.gradescope import run

    monkeypatch.setattr(grader.pipeline, "grade_submission", _slow)
    (tmp_path / "submission").mkdir()
    shutil.copy(EXAMPLES / "perfect-sheet.yaml", tmp_path / "submission")
    data = json.loads(run(tmp_path, timeout=1).read_text())
    assert data["tests"] == [] and "took too long" in data["output"] and "TA will grade it by hand" in data["output"]


HARNESS = """
import sys, time
import grader.batch
grader.batch.grade_submission = lambda *a, **k: time.sleep(600)
from grader.cli import main
main(["grade", sys.argv[1], "--out", sys.argv[2], "--jobs", "2", "--no-cache"])
"""


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_batch(tmp_path, sig):
    folder = _copy_examples(tmp_path / "subs")
    proc = subprocess.Popen([sys.executable, "-c", HARNESS, str(folder), str(tmp_path / "out")],
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            workers = {p for p in _descendants(proc.pid) if _alive(p)}
        assert len(workers) >= 2, "the batch never started its workers"
        proc.send_signal(sig)
        proc.wait(30)
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "orphan workers"
    finally:
        if proc.poll() is None:
            proc.kill()


# ---------------------------------------------------------------- the cache

def _summary_line(printed: str) -> str:
    return next(line for line in printed.splitlines() if "cached" in line)


@pytest.mark.parametrize("damage", ["tamper", "truncate", "garbage", "resigned-out-of-range"])
def test_a_damaged_cache_entry_is_regraded_with_a_note(tmp_path, capsys, damage):
    folder = _copy_examples(tmp_path / "subs")
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    honest = (out / "mistakes-sheet" / "result.json").read_bytes()
    capsys.readouterr()
    entry = out / ".cache" / "mistakes-sheet.json"
    head, body = entry.read_bytes().split(b"\n", 1)
    result = json.loads(body)
    for part in result["parts"]:  # full marks everywhere
        part["score"], part["status"] = part["max_score"], "correct"
    if damage == "tamper":
        entry.write_bytes(head + b"\n" + json.dumps(result).encode())
    elif damage == "truncate":
        entry.write_bytes(entry.read_bytes()[:500])
    elif damage == "garbage":
        entry.write_bytes(os.urandom(3000))
    else:  # signed with the right secret, but a score the rubric cannot give
        from grader.cache import FORMAT
        from grader.trust import mac

        header = json.loads(head)
        result["parts"][0]["score"] = 99
        result["parts"][0]["components"][0]["score"] = 99
        body = json.dumps(result).encode()
        header["mac"] = mac(json.dumps([FORMAT, header["submission"], header["key"]]).encode(), body)
        entry.write_bytes(json.dumps(header).encode() + b"\n" + body)
    for index in (out / ".cache").glob("run-*.json"):  # as if another file had changed: a real run
        index.unlink()
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "3 cached, 1 graded" in _summary_line(captured.out)
    assert "cache entry of mistakes-sheet discarded" in captured.err
    assert (out / "mistakes-sheet" / "result.json").read_bytes() == honest


def test_a_tampered_rerun_index_is_not_believed(tmp_path, capsys):
    folder = _copy_examples(tmp_path / "subs")
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    [index] = (out / ".cache").glob("run-*.json")
    data = json.loads(index.read_text())
    data["table"] = ["everyone 100/100"]
    index.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "everyone" not in printed and "4 cached, 0 graded" in printed


def test_an_edited_output_is_rewritten_on_the_next_run(tmp_path, capsys):
    folder = _copy_examples(tmp_path / "subs")
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    honest = {name: (out / name).read_bytes() for name in ("gradebook.csv", "perfect-sheet/result.json")}
    for name in honest:
        (out / name).write_bytes(honest[name].replace(b"3", b"5"))
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    assert {name: (out / name).read_bytes() for name in honest} == honest


def test_a_rerun_with_nothing_changed_loads_no_grading_code(tmp_path):
    folder = _copy_examples(tmp_path / "subs")
    out = tmp_path / "out"
    script = ("import sys; from grader.cli import main; code = main(['grade', sys.argv[1], '--out', sys.argv[2]]); "
              "print('LOADED' if 'grader.pipeline' in sys.modules else 'LIGHT'); sys.exit(code)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [subprocess.run([sys.executable, "-c", script, str(folder), str(out)], capture_output=True, text=True,
                           env=env, timeout=300) for _ in range(2)]
    assert [r.stdout.split()[-1] for r in runs] == ["LOADED", "LIGHT"]
    assert "4 cached, 0 graded" in runs[1].stdout
    (tmp_path / "o.csv").write_text("submission,part,score\nperfect-sheet,3.1,1\n")  # a new decision: real work
    again = subprocess.run([sys.executable, "-c", script.replace("sys.argv[2]]", "sys.argv[2], '--overrides', sys.argv[3]]"),
                            str(folder), str(out), str(tmp_path / "o.csv")], capture_output=True, text=True, env=env,
                           timeout=300)
    assert again.stdout.split()[-1] == "LOADED"
    row = next(r for r in csv.DictReader((out / "gradebook.csv").open()) if r["Submission"] == "perfect-sheet")
    assert row["3.1"] == "1"


# ---------------------------------------------------------------- outputs

def test_write_atomic_keeps_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "gradebook.csv"
    target.write_text("old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["gradebook.csv"]


def test_a_second_run_into_a_busy_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    with OutputLock(out):
        assert main(["grade", str(EXAMPLES / "perfect-sheet.yaml"), "--out", str(out)]) == 5
    assert "another grader run is writing this folder" in capsys.readouterr().err
    assert main(["grade", str(EXAMPLES / "perfect-sheet.yaml"), "--out", str(out)]) == 0  # released


def test_two_runs_into_one_folder_keep_every_row(tmp_path, capsys):
    folder = _copy_examples(tmp_path / "subs")
    out = tmp_path / "out"
    assert main(["grade", str(folder / "perfect-sheet.yaml"), str(folder / "markdown-student.md"), "--out", str(out)]) == 0
    assert main(["grade", str(folder / "mistakes-sheet.yaml"), "--out", str(out), "--no-cache"]) == 0
    rows = {r["Submission"] for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows == {"perfect-sheet", "markdown-student", "mistakes-sheet"}
    summary = (out / "summary.html").read_text()
    assert all(f'href="{sid}/feedback.html"' in summary for sid in rows)


# ---------------------------------------------------------------- CSV

@settings(max_examples=300, deadline=None)
@given(st.text())
def test_no_csv_cell_starts_a_formula(text):
    value = cell(text)
    assert value[:1] not in TRIGGERS and value.lstrip(" \t\r\n\u00a0\u3000")[:1] not in TRIGGERS or value.startswith("'")
    assert value == text or value == "'" + text


def test_every_csv_of_a_run_neutralises_hostile_cells(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    text = (EXAMPLES / "markdown-student.md").read_text()
    for name in ("=HYPERLINK(x)", "+cmd", "@SUM(A1)", "-2+3"):
        (folder / name).mkdir()
        (folder / name / "answers.md").write_text(text)  # the same prose: similarity flags every pair
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out), "--no-cache"]) == 0
    for name in ("gradebook.csv", "similarity.csv"):
        rows = list(csv.reader(io.StringIO((out / name).read_text())))
        assert len(rows) > 1, name
        for row in rows:
            for value in row:
                assert value[:1] not in TRIGGERS, (name, value)


# ---------------------------------------------------------------- overrides

def test_an_overrides_file_that_cannot_be_decoded_exits_5(tmp_path, capsys):
    bad = tmp_path / "o.csv"
    bad.write_bytes("submission,part,score,comment\nperfect-sheet,3.1,2,trés bien\n".encode("cp1252"))
    assert main(["grade", str(EXAMPLES / "perfect-sheet.yaml"), "--out", str(tmp_path / "out"),
                 "--overrides", str(bad)]) == 5
    assert "not UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize("content, message", [
    ("- {submission: perfect-shet, part: '3.1', score: 2}\n", "o.yaml:1: unknown submission 'perfect-shet' (did you mean 'perfect-sheet'?)"),
    ("- {submission: perfect-sheet, part: '3.1', score: 2}\n- {submission: perfect-sheet, part: '31', score: 2}\n",
     "o.yaml:2: unknown part '31'"),
    ("- {submission: perfect-sheet, part: '3.1', score: 2}\n- {submission: perfect-sheet, part: '3.1', score: 1}\n",
     "o.yaml:2: a second override of part 3.1 of perfect-sheet (the first is at line 1)"),
    ("- {submission: perfect-sheet, part: '3.1', scor: 2}\n", "o.yaml:1: unknown field 'scor'"),
    ("- {submission: perfect-sheet, part: '3.1', score: 9}\n", "o.yaml:1: score 9 for part 3.1 is outside 0..3"),
    ("- {submission: perfect-sheet, part: '3.1', score: lots}\n", "o.yaml:1: score 'lots' is not a number"),
    ("overrides:\n  - {submission: perfect-sheet, part: '3.1', score: 2}\n  - [not, a, mapping]\n", "o.yaml:3: an override is a mapping"),
])
def test_a_mistake_in_an_overrides_file_is_an_error_with_file_and_line(tmp_path, capsys, content, message):
    path = tmp_path / "o.yaml"
    path.write_text(content)
    assert main(["grade", str(EXAMPLES / "perfect-sheet.yaml"), "--out", str(tmp_path / "out"),
                 "--overrides", str(path)]) == 5
    assert message in capsys.readouterr().err


def test_csv_overrides_errors_name_their_line(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text('submission,part,score,comment\nperfect-sheet,3.1,2,"two\nlines"\nperfect-sheet,3.1,1,again\n')
    with pytest.raises(OverrideError, match=r"o.csv:4: a second override .* line 2"):
        load_overrides(path)
    path.write_text("submission,part,score,note\n")
    with pytest.raises(OverrideError, match=r"o.csv:1: unknown column 'note'"):
        load_overrides(path)


# ---------------------------------------------------------------- links

def test_a_link_out_of_a_submission_is_not_followed_and_is_reported(tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("## 3.1)\nAnswer: (b)\n")
    sub = tmp_path / "batch" / "alice"
    sub.mkdir(parents=True)
    (sub / "answers.md").symlink_to(secret)
    (sub / "notes").symlink_to(tmp_path)
    (sub / "real.md").write_text("## 4.1)\nAnswer: (a)\n")
    [found] = discover([tmp_path / "batch"])
    assert [p.name for p in found.files] == ["real.md"]
    docs, problems = read_submission(found)
    assert [d.source for d in docs] == ["real.md"]
    assert any("answers.md is a link to something outside" in p for p in problems)
    assert any("notes is a link to something outside" in p for p in problems)
