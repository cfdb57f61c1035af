"""The Gradescope autograder: the zip's layout, what setup.sh installs (never torch), and
run_autograder end to end in a folder laid out like the container, within its time and memory."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

from grader.cli import main
from grader.gradescope import run

from .conftest import EXAMPLES, SEED


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gs")
    zip_path = folder / "autograder.zip"
    assert main(["gradescope", "build", "--out", str(zip_path)]) == 0
    return zip_path


def _container(tmp_path: Path, autograder: Path, files: dict[str, bytes], metadata: dict | None) -> Path:
    """/autograder as Gradescope lays it out: source/ (the unzipped autograder), submission/, metadata."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir(parents=True)
    for name, data in files.items():
        (root / "submission" / name).write_bytes(data)
    if metadata is not None:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    return root


METADATA = {"id": 123456, "created_at": "2023-12-08T22:59:00-05:00", "submission_method": "upload",
            "assignment": {"id": 25828, "title": "Assignment 3 (theory)", "total_points": "100.0"},
            "users": [{"email": "ada@example.org", "id": 1234, "name": "Ada Lovelace"}], "previous_submissions": []}


def test_zip_layout_installs_without_torch_and_carries_the_prebuilt_key(autograder, rubric, tmp_path):
    with zipfile.ZipFile(autograder) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        run_script = archive.read("run_autograder").decode()
        pyproject = tomllib.loads(archive.read("grader-src/pyproject.toml").decode())
        bundled_key = archive.read(f"grader-src/grader/bundled/{rubric.key_path.name}")
    assert {"setup.sh", "run_autograder"} <= names
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR and (modes[script] & 0o777) == 0o755
    assert not any(n.startswith(("reference/", "grader-src/reference/", "grader-src/tests/")) for n in names)
    assert f"grader-src/grader/bundled/{rubric.path.name}" in names
    assert bundled_key == rubric.key_path.read_bytes()
    # setup.sh installs the source tree with no extras; torch is only ever in the 'reference' extra
    assert 'pip install --no-cache-dir "$SOURCE"' in setup and "[reference" not in setup
    assert not any(d.lower().startswith("torch") for d in pyproject["project"]["dependencies"])
    assert any(d.startswith("torch") for d in pyproject["project"]["optional-dependencies"]["reference"])
    assert "grader gradescope run --root /autograder" in run_script
    # the same inputs give the same zip
    again = tmp_path / "again.zip"
    assert main(["gradescope", "build", "--out", str(again)]) == 0
    assert again.read_bytes() == autograder.read_bytes()


def test_run_writes_results_json_per_gradescope_spec(autograder, tmp_path, rubric, capfd):
    root = _container(tmp_path, autograder, {"answers.txt": SEED.read_bytes()}, METADATA)
    path = run(root)
    assert capfd.readouterr().out == ""  # no stray prints
    assert path == root / "results" / "results.json"
    data = json.loads(path.read_text())
    assert isinstance(data["score"], float) and isinstance(data["execution_time"], float)
    tests = data["tests"]
    assert [t["number"] for t in tests] == [p.id for p in rubric.parts]
    # the score students see: confirmed points of the tests visible now, no suggestion in it
    assert data["score"] == pytest.approx(sum(t["score"] for t in tests if t["visibility"] == "visible"))
    for test, part in zip(tests, rubric.parts):
        assert test["name"].startswith(part.id) and part.title in test["name"]
        assert test["max_score"] == part.points and 0 <= test["score"] <= test["max_score"]
        assert test["visibility"] == part.visibility and isinstance(test["output"], str)
    visibility = {t["number"]: t["visibility"] for t in tests}
    assert visibility["1.1"] == visibility["3.1"] == "visible" and visibility["2.1"] == "after_published"
    review = [t for t in tests if t["tags"] == ["needs_review"]]
    assert review and all(t["output"].startswith("Awaiting a TA's review") and t["score"] == 0 for t in review)
    assert "await a TA's review" in data["output"]
    assert data["extra_data"]["submission"] == "submission_123456"


def test_run_without_a_submission_still_writes_results_and_prints_nothing(autograder, tmp_path, capfd):
    root = tmp_path / "autograder"
    root.mkdir()
    run(root)
    captured = capfd.readouterr()
    assert captured.out == "" and "autograder failure" in captured.err
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0.0 and data["tests"] == [] and "A TA will grade it by hand" in data["output"]


def test_installed_autograder_grades_one_submission_fast_and_small_without_torch(autograder, tmp_path):
    import pymupdf as fitz

    doc = fitz.open()
    page = doc.new_page()
    page.insert_text((72, 72), "Question 3\n3.1) I choose (b).\n4.2) The answer is (b).")
    root = _container(tmp_path, autograder, {"main.txt": (EXAMPLES / "markdown-student.md").read_bytes(),
                                             "main.pdf": doc.tobytes()}, METADATA)
    # what setup.sh does, offline: install the bundled source (its dependencies are this venv's)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-compile",
                    "--target", str(site), str(root / "source" / "grader-src")], check=True, timeout=300,
                   capture_output=True)
    assert (site / "grader" / "bundled").is_dir() and not (site / "reference").exists()
    # run_autograder, measured from a fresh interpreter; importing torch or reference would fail it
    harness = textwrap.dedent(f"""
        import json, resource, subprocess, sys, time
        child = '''
        import sys
        sys.modules["torch"] = sys.modules["reference"] = None  # as if not installed: importing them fails
        import grader
        assert grader.__file__.startswith({str(site)!r}), grader.__file__  # the installed copy, not the checkout
        from grader.cli import main
        rc = main(["gradescope", "run", "--root", {str(root)!r}])
        sys.exit(rc)
        '''
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                              env={{"PYTHONPATH": {str(site)!r}, "PATH": "/usr/bin:/bin"}}, cwd={str(tmp_path)!r})
        print(json.dumps({{"rc": done.returncode, "seconds": time.perf_counter() - started, "out": done.stdout,
                          "err": done.stderr[-2000:],
                          "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
    """)
    report = json.loads(subprocess.run([sys.executable, "-c", harness], capture_output=True, text=True,
                                       check=True, timeout=120).stdout)
    assert report["rc"] == 0, report["err"]
    assert report["out"] == ""
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["tests"] and data["extra_data"]["submission"] == "submission_123456"
    assert "grader/bundled" in data["extra_data"]["rubric"] or data["extra_data"]["rubric"].startswith("ift6135-a3")
    print(f"gradescope run: {report['seconds']:.2f} s, {report['rss_mb']:.0f} MB peak")
    # Time is reported, not asserted (tests do not assert timings; bench/ measures them).
    assert report["rss_mb"] < 300
