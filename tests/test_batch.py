"""Batch grading at course scale: parallel workers, the result cache, overrides after the cache,
bad submissions that never stop a batch, the gradebook and the summary page."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import time
from pathlib import Path


from grader.batch import _run_workers, grade_all
from grader.cli import main
from grader.ingest.limits import DEFAULT_LIMITS
from grader.ingest.submission import Submission, discover
from grader.report.gradebook import gradebook_csv

from .conftest import EXAMPLES


def _copy_examples(dest: Path) -> Path:
    shutil.copytree(EXAMPLES, dest)
    return dest


def _outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def _summary_line(printed: str) -> str:
    return next(line for line in printed.splitlines() if "cached" in line)


def test_parallel_batch_then_rerun_from_cache_is_byte_identical(tmp_path, capsys):
    folder = _copy_examples(tmp_path / "subs")
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out), "--jobs", "2"]) == 0
    assert "0 cached, 4 graded, 0 failed" in _summary_line(capsys.readouterr().out)
    first = _outputs(out)
    assert {"gradebook.csv", "summary.html", "similarity.csv"} <= set(first)
    assert len([k for k in first if k.endswith("result.json")]) == 4

    assert main(["grade", str(folder), "--out", str(out), "--jobs", "2"]) == 0
    assert "4 cached, 0 graded" in _summary_line(capsys.readouterr().out)
    assert _outputs(out) == first  # a cached result renders to the same bytes as a fresh one

    # without any cache, the same bytes again (the cache never changes a result)
    fresh = tmp_path / "fresh"
    assert main(["grade", str(folder), "--out", str(fresh), "--no-cache"]) == 0
    assert not (fresh / ".cache").exists()
    assert _outputs(fresh) == first


def test_rerun_grades_only_the_submission_that_changed(tmp_path, capsys):
    folder = _copy_examples(tmp_path / "subs")
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    capsys.readouterr()
    untouched = (out / "perfect-sheet" / "result.json").stat().st_mtime_ns
    time.sleep(0.01)
    sheet = folder / "mistakes-sheet.yaml"
    sheet.write_text(sheet.read_text().replace('"4.1": c', '"4.1": b'))
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    assert "3 cached, 1 graded" in _summary_line(capsys.readouterr().out)
    assert (out / "perfect-sheet" / "result.json").stat().st_mtime_ns == untouched  # not even rewritten
    part = next(p for p in json.loads((out / "mistakes-sheet" / "result.json").read_text())["parts"] if p["id"] == "4.1")
    assert part["answer"] == {"choices": ["b"]} and part["status"] == "correct"


def test_overrides_always_win_over_cached_results(tmp_path, capsys):
    folder = _copy_examples(tmp_path / "subs")
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    before = json.loads((out / "mistakes-sheet" / "result.json").read_text())
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("submission,part,score,comment\nmistakes-sheet,1.1,4.5,nearly there\n")
    capsys.readouterr()
    assert main(["grade", str(folder), "--out", str(out), "--overrides", str(overrides)]) == 0
    assert "4 cached, 0 graded" in _summary_line(capsys.readouterr().out)  # overrides need no regrade
    after = json.loads((out / "mistakes-sheet" / "result.json").read_text())
    part = next(p for p in after["parts"] if p["id"] == "1.1")
    assert part["score"] == 4.5 and part["override"]["comment"] == "nearly there"
    assert after["score"] == before["score"] - next(p["score"] for p in before["parts"] if p["id"] == "1.1") + 4.5
    row = next(r for r in csv.DictReader((out / "gradebook.csv").open()) if r["Submission"] == "mistakes-sheet")
    assert row["1.1"] == "4.5"
    # the override removed: the automatic score is back, still without regrading
    assert main(["grade", str(folder), "--out", str(out)]) == 0
    assert "4 cached" in _summary_line(capsys.readouterr().out)
    assert json.loads((out / "mistakes-sheet" / "result.json").read_text()) == before


def test_cache_misses_when_the_rubric_or_key_changes(tmp_path, capsys, rubric):
    folder = _copy_examples(tmp_path / "subs")
    rubric_dir = tmp_path / "rubric"
    shutil.copytree(rubric.path.parent, rubric_dir)
    rubric_file = rubric_dir / rubric.path.name
    out = tmp_path / "out"
    args = ["grade", str(folder), "--out", str(out), "--rubric", str(rubric_file)]
    assert main(args) == 0
    capsys.readouterr()
    rubric_file.write_text(rubric_file.read_text().replace('version: "2023.1"', 'version: "2023.2"'))
    assert main(args) == 0
    assert "0 cached, 4 graded" in _summary_line(capsys.readouterr().out)
    key_file = rubric_dir / f"{rubric_file.stem}.key.json"
    key_file.write_text(key_file.read_text() + "\n")
    assert main(args) == 0
    assert "0 cached, 4 graded" in _summary_line(capsys.readouterr().out)


def _bad_files(folder: Path) -> dict[str, str]:
    """Each hostile or broken file, and a word its reason must contain."""
    import pymupdf as fitz

    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "huge.md").write_text("## 1.1)\n" + "x" * 300_000)
    (folder / "latin1.txt").write_bytes("## Answer 3\n3.1) I choose (b): intégrale réduite.\n".encode("cp1252"))
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02 not text \x00" * 50)
    (folder / "broken-sheet.yaml").write_text("answers: {1.1: [11, 12\n")
    doc = fitz.open()
    for i in range(5):
        doc.new_page().insert_text((72, 72), f"Question 1.{i + 1}) some text")
    pdf = doc.tobytes()
    (folder / "truncated.pdf").write_bytes(pdf[: len(pdf) // 3])
    (folder / "encrypted.pdf").write_bytes(doc.tobytes(encryption=fitz.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="u"))
    (folder / "pages.pdf").write_bytes(pdf)
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 pretend word document")
    (folder / "good.md").write_text((EXAMPLES / "markdown-student.md").read_text())
    return {"empty": "empty", "huge": "mb", "latin1": "utf-8", "binary": "binary", "broken-sheet": "broken-sheet.yaml",
            "truncated": "truncated.pdf", "encrypted": "encrypted.pdf", "pages": "pages.pdf", "notes": "notes.docx"}


def test_bad_submissions_each_get_a_row_saying_why(tmp_path, capsys):
    expected = _bad_files(tmp_path / "subs")
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "subs"), "--out", str(out), "--jobs", "2",
                 "--max-mb", "0.2", "--max-pages", "2"]) == 0
    printed = capsys.readouterr().out
    assert "0 failed" in _summary_line(printed)
    rows = {r["Submission"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert set(rows) == set(expected) | {"good"}
    summary = (out / "summary.html").read_text()
    for sid, word in expected.items():
        reason = (rows[sid]["Status"] + " " + rows[sid]["Problems"]).lower()
        assert word in reason, (sid, reason)
        assert sid in summary
        result = json.loads((out / sid / "result.json").read_text())
        assert len(result["parts"]) == 23  # a row and a result.json for every one
        if sid != "latin1":  # nothing readable: every part awaits a TA, never a silent 0
            assert all(p["status"] == "needs_review" for p in result["parts"]), sid
    assert rows["good"]["Status"] in {"graded", "needs review"} and float(rows["good"]["Provisional total"]) > 50
    latin = json.loads((out / "latin1" / "result.json").read_text())
    assert next(p for p in latin["parts"] if p["id"] == "3.1")["answer"] == {"choices": ["b"]}


def _flaky_worker(conn, rubric_path, limits, cache_folder):
    """A stand-in worker: crashes on 'crash', hangs on 'hang', answers the others."""
    while True:
        task = conn.recv()
        if task is None:
            return
        index, sub, _ = task
        if sub.id == "crash":
            os._exit(3)
        if sub.id == "hang":
            time.sleep(60)
        conn.send((index, (f"answered {sub.id}", False), 0.0))


def test_a_crashing_or_hanging_worker_costs_only_its_own_submission(tmp_path, rubric):
    ids = ["a", "crash", "b", "hang", "c", "d"]
    todo = [(Submission(i, [], tmp_path), None) for i in ids]
    done: dict[str, str] = {}
    started = time.monotonic()
    _run_workers(todo, rubric, DEFAULT_LIMITS, None, 2, 2.0,
                 lambda index, outcome, seconds: done.setdefault(ids[index], outcome[0]), target=_flaky_worker)
    assert time.monotonic() - started < 20
    assert set(done) == set(ids)
    assert "stopped" in done["crash"] and "exit code 3" in done["crash"]
    assert "longer than 2 s" in done["hang"]
    assert all(done[i] == f"answered {i}" for i in "abcd")


def test_failed_submission_still_gets_a_result_and_a_gradebook_row(tmp_path, rubric, key, monkeypatch):
    import grader.batch as batch

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(batch, "grade_submission", explode)
    sub = discover([EXAMPLES / "perfect-sheet.yaml"])[0]
    sub.students = [{"name": "Ada Lovelace", "sid": "1", "email": "ada@example.org"}]
    outcome = grade_all([sub], rubric, key, out=tmp_path)
    assert outcome.failures and "boom" in outcome.failures[0]["reason"]
    result = json.loads((tmp_path / "perfect-sheet" / "result.json").read_text())
    assert all(p["status"] == "needs_review" and "boom" in p["feedback"] for p in result["parts"])
    row = next(csv.DictReader(io.StringIO(gradebook_csv(outcome.results, outcome.failures, ["1.1"]))))
    assert row["Name"] == "Ada Lovelace" and row["Status"].startswith("not graded") and "boom" in row["Status"]


def test_gradescope_export_folder_names_students_in_the_gradebook(tmp_path, capsys):
    export = tmp_path / "export"
    for n, (name, source) in enumerate([("Ada Lovelace", "perfect-sheet.yaml"), ("Alan Turing", "markdown-student.md")]):
        folder = export / f"submission_{1000 + n}"
        folder.mkdir(parents=True)
        shutil.copy(EXAMPLES / source, folder / source)
    (export / "submission_metadata.yml").write_text(
        "submission_1000:\n  :submitters:\n  - :name: Ada Lovelace\n    :sid: '111'\n    :email: ada@example.org\n"
        "submission_1001:\n  :submitters:\n  - :name: Alan Turing\n    :sid: '222'\n    :email: alan@example.org\n"
        "  - :name: '=HYPERLINK(\"http://x\")'\n    :sid: '333'\n    :email: mallory@example.org\n")
    out = tmp_path / "out"
    assert main(["grade", str(export), "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert list(rows[0])[:4] == ["Name", "SID", "Email", "Submission"]
    assert [(r["Name"], r["SID"], r["Email"], r["Submission"]) for r in rows] == [
        ("Ada Lovelace", "111", "ada@example.org", "submission_1000"),
        ("Alan Turing", "222", "alan@example.org", "submission_1001"),
        ("'=HYPERLINK(\"http://x\")", "333", "mallory@example.org", "submission_1001"),  # one row per student, defused
    ]
    assert rows[1]["Final total"] == rows[2]["Final total"] and rows[1]["Max Points"] == "100"
    assert rows[1]["AI use disclosed"].startswith("Q5:")
    result = json.loads((out / "submission_1000" / "result.json").read_text())
    assert result["students"] == [{"name": "Ada Lovelace", "sid": "111", "email": "ada@example.org"}]


def test_summary_page_has_plots_answer_groups_queue_and_no_network(tmp_path, rubric):
    folder = _copy_examples(tmp_path / "subs")
    shutil.copy(folder / "mistakes-sheet.yaml", folder / "mistakes-copy.yaml")
    out = tmp_path / "out"
    assert main(["grade", str(folder), "--out", str(out), "--jobs", "2"]) == 0
    html = (out / "summary.html").read_text()
    assert html.count("<svg") == 24  # the totals and one plot per part
    assert "<script" not in html and "http://" not in html and "https://" not in html
    # answer groups: the two identical mistake sheets share their 1.1 answer, with its mistake note
    section = html[html.index('id="dist-1.1"'):html.index('id="dist-1.2"')]
    assert "<b>2×</b>" in section and "(blind-spot)" in section and "mistakes-copy/feedback.html#part-1.1" in section
    queue = html[html.index('id="queue"'):html.index('id="similar"')]
    parts = re.findall(r"<tr><td>([^<]+)</td><td><a href", queue)
    order = [p.id for p in rubric.parts]
    assert parts == sorted(parts, key=order.index) and len(parts) > 10
    similar = html[html.index('id="similar"'):html.index('id="problems"')]
    assert "mistakes-copy" in similar and "mistakes-sheet" in similar  # the copied free text is flagged
