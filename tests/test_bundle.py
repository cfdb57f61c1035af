"""The student self-check bundle: it installs and `grader check` works from it, and no key value,
mistake message or hidden checklist can be recovered from any of its files."""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import tokenize
import zipfile

import pytest
import yaml

from grader.bundle import WITHHELD, public_rubric
from grader.leaks import find_leaks
from grader.cli import main

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    zip_path = folder / "student.zip"
    assert main(["bundle", "student", "--out", str(zip_path)]) == 0
    with zipfile.ZipFile(zip_path) as archive:
        files = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
        archive.extractall(folder / "unzipped")
    (top,) = (folder / "unzipped").iterdir()
    return {"zip": zip_path, "files": files, "tree": top}


def test_every_file_of_the_bundle_is_free_of_key_values(bundle, rubric, key):
    files = bundle["files"]
    assert "README.md" in files and "pyproject.toml" in files
    assert not any(name.startswith("reference/") or name.endswith(".key.json") for name in files)
    assert find_leaks(files, rubric, key) == []
    # also read back from disk, every file, as a student would get them
    on_disk = {str(p.relative_to(bundle["tree"])): p.read_bytes() for p in bundle["tree"].rglob("*") if p.is_file()}
    assert on_disk == files and find_leaks(on_disk, rubric, key) == []


def test_the_public_rubric_keeps_how_to_read_answers_and_nothing_else(bundle, rubric):
    data = yaml.safe_load(bundle["files"][f"grader/bundled/{rubric.path.name}"])
    assert "numbers" not in data and "key_file" not in data
    for part, original in zip(data["parts"], rubric.parts):
        assert part["id"] == original.id and part["points"] == original.points
        for component in part["components"]:
            assert set(component) <= {"id", "kind", "points", "settings", "key", "within", "automatic"}
            assert component.get("key", WITHHELD) == WITHHELD
            settings = component.get("settings", {})
            assert not {"items", "false_proofs", "abs_tol", "rel_tol", "policy", "penalty_per_cell"} & set(settings)
    choice = next(p for p in data["parts"] if p["id"] == "3.1")["components"][0]["settings"]
    assert set(choice["options"]) == {"a", "b", "c", "d"}  # what self-check needs to read a choice
    text = bundle["files"][f"grader/bundled/{rubric.path.name}"].decode()
    assert "literal" not in text and "mistakes" not in text and "hints" not in text and "reference.m" not in text


# Leaks of every kind a careless bundle could carry; the scanner must catch each of them.
def _injected_leaks(rubric, key) -> dict[str, str]:
    rng = random.Random(1)
    grid = list(key.value("1.2", "answer")["cells"])
    rng.shuffle(grid)
    matrix = "\n".join(" ".join("1" if f"{r}{c}" in grid else "0" for c in range(1, 6)) for r in range(1, 6))
    pairs = ", ".join(f"({cell[0]},{cell[1]})" for cell in grid)
    multi = sorted(key.value("3.3", "answer")["choices"])
    rng.shuffle(multi)
    mistake = next(m for p in rubric.parts for c in p.components for m in c.mistakes if len(m.message) > 60)
    item = next(i for p in rubric.parts for c in p.components for i in (getattr(c.settings, "items", None) or []))
    caption = next(iter(rubric.numbers.values())).caption
    value = next(str(v) for block in key.numbers.values() for v in block["values"].values()
                 if isinstance(v, float) and re.fullmatch(r"-?\d+\.\d{3,}", str(v))
                 and len(str(v).replace("-", "").replace(".", "").lstrip("0")) >= 3)
    return {
        "grid as labels, shuffled": "notes = {" + "; ".join(grid) + "}",
        "grid as a 0/1 matrix": matrix,
        "grid as (row, col) pairs": f"field: {pairs}",
        "grid with one cell off": " ".join(grid[1:]),
        "choice in a sheet": f'  "3.1": {key.value("3.1", "answer")["choices"][0]}',
        "multi-choice reordered": f"3.3 answer: ({'), ('.join(multi)})",
        "mistake message reflowed": "\n".join(mistake.message.upper().split(" ")),
        "checklist item": f"# expect: {item.description}",
        "numbers caption": caption,
        "reference number": f"x = {value}",
        "the private rubric": rubric.path.read_text(),
        "an expression key in LaTeX, respaced": r"D^*(x) = \frac{ f_1(x) }{ f_0(x)+f_1(x) }",
        "an expression key as plain text": "so D* = f1(x) / (f0(x) + f1(x)) here",
        "an expression key with sizing": r"\frac{1}{2}\Big(\mathbb{E}_{x\sim p_0}\big[\log(1 - D^*(x))\big] + "
                                         r"\mathbb{E}_{x\sim p_1}\big[\log D^*(x)\big]\Big) + \log 2",
    }


def test_the_leak_scanner_catches_each_kind_of_leak(bundle, rubric, key):
    files = dict(bundle["files"])
    injected = _injected_leaks(rubric, key)
    for i, text in enumerate(injected.values()):
        files[f"grader/leak{i}.txt"] = text.encode()
    leaks = find_leaks(files, rubric, key)
    for i, label in enumerate(injected):
        assert any(leak.startswith(f"grader/leak{i}.txt:") for leak in leaks), label
    assert not any(leak.startswith("grader/") and "/leak" not in leak for leak in leaks)
    files = dict(bundle["files"])
    files["ift6135-a3.key.json"] = b"{}"
    assert find_leaks(files, rubric, key)


def test_a_bundle_that_would_leak_is_refused(tmp_path, rubric, key, monkeypatch):
    import grader.bundle as bundle_module

    monkeypatch.setattr(bundle_module, "public_rubric", lambda r: {**public_rubric(r), "leak": key.public()})
    with pytest.raises(ValueError, match="would reveal the key"):
        bundle_module.build_student_bundle(rubric, key, tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


def test_installed_bundle_self_checks_with_its_own_rubric_and_cannot_grade(bundle, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-compile",
                    "--target", str(site), str(bundle["tree"])], check=True, timeout=300, capture_output=True)
    assert (site / "grader" / "bundled").is_dir() and not (site / "reference").exists()
    script = ("import sys; sys.modules['torch'] = sys.modules['reference'] = None; import grader; "
              f"assert grader.__file__.startswith({str(site)!r}); from grader.cli import main; "
              "sys.exit(main(sys.argv[1:]))")
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    check = subprocess.run([sys.executable, "-c", script, "check", str(EXAMPLES / "mistakes-sheet.yaml")],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert check.returncode == 0, check.stderr
    assert "[1.1]" in check.stdout and "selected: (c)" in check.stdout and "23 of 23 parts found" in check.stdout
    grade = subprocess.run([sys.executable, "-c", script, "grade", str(EXAMPLES / "mistakes-sheet.yaml"),
                            "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, cwd=tmp_path,
                           timeout=60)
    assert grade.returncode == 4 and "answer key" in grade.stderr  # no key in the bundle: it cannot grade


def test_stripped_sources_still_compile(bundle):
    for name, data in bundle["files"].items():
        if name.endswith(".py"):
            compile(data, name, "exec")
    pipeline = bundle["files"]["grader/pipeline.py"].decode()
    tokens = list(tokenize.generate_tokens(io.StringIO(pipeline).readline))
    assert not any(tok.type == tokenize.COMMENT for tok in tokens)  # no comments
    assert not pipeline.lstrip().startswith(('"""', "'", '"'))  # no module docstring
