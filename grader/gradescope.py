"""The Gradescope autograder: `build` writes the zip, `run` grades one submission in the container.

The zip holds, at its root, `setup.sh` and `run_autograder` (Gradescope's specification), and
`grader-src/`, the grader's source tree with the rubric, its prebuilt key and the question text in
`grader/bundled/`. setup.sh installs it in a virtual environment without any extra, so torch (the
`reference` extra) is never installed: grading only reads the key.

`run` reads `<root>/submission/` and `<root>/submission_metadata.json` and writes
`<root>/results/results.json` once, at the end, atomically: one test per rubric part (name, number,
score, max_score, output = the feedback, visibility from the rubric), a numeric score and
execution_time. Nothing is printed to stdout; anything a library prints goes to stderr. If grading
itself fails, results.json still comes out, saying that a TA will grade the submission by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

SOURCE_DIR = "grader-src"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
SOURCE=/autograder/source/{source}
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    PY="$candidate"; break
  fi
done
if [ -z "$PY" ]; then  # Ubuntu 22.04 images ship 3.10; 3.11 is in its archive
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
  PY=python3.11
fi
if ! "$PY" -m venv /autograder/venv; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y "python3.$("$PY" -c 'import sys; print(sys.version_info[1])')-venv"
  "$PY" -m venv /autograder/venv
fi
/autograder/venv/bin/python -m pip install --no-cache-dir --upgrade pip
# No extras: the 'reference' extra (torch) is not installed; the key is prebuilt in grader/bundled/.
/autograder/venv/bin/python -m pip install --no-cache-dir "$SOURCE"
/autograder/venv/bin/python - <<'EOF'
import importlib.util, sys
from grader.bundle import bundled_rubric_path
assert bundled_rubric_path() is not None, "the rubric is missing from grader/bundled/"
sys.exit("torch must not be installed in the autograder" if importlib.util.find_spec("torch") else 0)
EOF
# Build the expression parser's cache once here, not in every graded submission (~190 ms -> ~12 ms).
/autograder/venv/bin/python -c "from grader.mathexpr.parser import warm; warm()"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes /autograder/results/results.json.
cd /autograder
exec /autograder/venv/bin/grader gradescope run --root /autograder
"""

README = """# Gradescope autograder for {rubric_id}

Upload this zip as the autograder of a Gradescope programming assignment. `setup.sh` installs the
grader (without torch) from `{source}/`; `run_autograder` grades `/autograder/submission` and writes
`/autograder/results/results.json`. The rubric, its prebuilt key and the question text are in
`{source}/grader/bundled/`. Built with rubric version {version}.
"""


def build(rubric, key, out: Path) -> Path:
    """Write the autograder zip. `key` must be loaded (not stale): the zip carries it prebuilt."""
    from grader.bundle import BUNDLED, source_files, write_zip

    assert rubric.path is not None
    files = {f"{SOURCE_DIR}/{rel}": data for rel, data in source_files(strip=False).items()}
    bundled = f"{SOURCE_DIR}/grader/{BUNDLED}"
    files[f"{bundled}/{rubric.path.name}"] = rubric.path.read_bytes()
    files[f"{bundled}/{rubric.key_path.name}"] = rubric.key_path.read_bytes()
    for relative, path in rubric.companion_files.items():  # question text, contexts, check functions
        files[f"{bundled}/{relative}"] = path.read_bytes()
    files[f"{SOURCE_DIR}/README.md"] = README.format(rubric_id=rubric.id, source=SOURCE_DIR,
                                                     version=f"{rubric.version}+{rubric.content_hash}").encode()
    files["setup.sh"] = SETUP_SH.format(source=SOURCE_DIR).encode()
    files["run_autograder"] = RUN_AUTOGRADER.encode()
    write_zip(files, Path(out), executable=frozenset({"setup.sh", "run_autograder"}))
    return Path(out)


# ---------------------------------------------------------------- inside the container

def _students(metadata: dict[str, Any]) -> list[dict[str, str]]:
    users = metadata.get("users") or []
    return [{"name": str(u.get("name") or ""), "sid": str(u.get("sid") or u.get("student_id") or ""),
             "email": str(u.get("email") or "")} for u in users if isinstance(u, dict)]


def _output(part) -> str:
    lines = []
    if part.status == "needs_review":
        lines.append("Awaiting review by a TA: the score shown is a suggestion and may change.")
    if part.feedback:
        lines.append(part.feedback)
    return "\n\n".join(lines)


def results_json(result, seconds: float) -> dict[str, Any]:
    """Gradescope's results.json for one graded submission."""
    review = [p.id for p in result.parts if p.status == "needs_review"]
    overall = [f"Score: {result.score:g} / {result.max_score:g}."]
    if review:
        overall.append(f"{len(review)} part(s) await a TA's review ({', '.join(review)}); their scores are "
                       "suggestions and may change.")
    if result.problems:
        overall.append("Problems reading your submission:\n" + "\n".join(f"- {p}" for p in result.problems))
    tests = [{"name": f"{p.id} {p.title}", "number": p.id, "score": p.score, "max_score": p.max_score,
              "output": _output(p), "visibility": p.visibility, "tags": [p.status]} for p in result.parts]
    return {"score": result.score, "execution_time": round(seconds, 3), "output": "\n\n".join(overall),
            "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"submission": result.submission, "needs_review": review,
                           "rubric": f"{result.rubric.id} {result.rubric.version}+{result.rubric.content_hash}"}}


def failure_json(reason: str, seconds: float) -> dict[str, Any]:
    return {"score": 0.0, "execution_time": round(seconds, 3), "stdout_visibility": "hidden", "tests": [],
            "output": f"The autograder could not grade this submission ({reason}). A TA will grade it by hand "
                      "and your score will be updated; you do not need to resubmit unless asked."}


@contextlib.contextmanager
def _stdout_to_stderr():
    """Whatever Python or a C library prints while grading goes to stderr, never to stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run(root: Path = Path("/autograder"), rubric_path: Path | None = None) -> Path:
    """Grade `<root>/submission` and write `<root>/results/results.json`; returns its path."""
    started = time.monotonic()
    root = Path(root)
    results = root / "results" / "results.json"
    with _stdout_to_stderr():
        try:
            data = _grade(root, rubric_path, started)
        except Exception as exc:  # still a results.json: the student sees that a person will grade it
            print(f"grader: autograder failure: {type(exc).__name__}: {exc}", file=sys.stderr)
            data = failure_json(f"{type(exc).__name__}", time.monotonic() - started)
    results.parent.mkdir(parents=True, exist_ok=True)
    tmp = results.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, results)  # the single write of results.json
    return results


def _grade(root: Path, rubric_path: Path | None, started: float) -> dict[str, Any]:
    from grader.bundle import bundled_rubric_path
    from grader.ingest.submission import discover
    from grader.key import load_key
    from grader.pipeline import grade_submission
    from grader.rubric import default_rubric_path, load_rubric

    rubric = load_rubric(rubric_path or bundled_rubric_path() or default_rubric_path())
    key = load_key(rubric)
    metadata_path = root / "submission_metadata.json"
    metadata = json.loads(metadata_path.read_text(encoding="utf-8")) if metadata_path.exists() else {}
    folder = root / "submission"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist")
    sub = discover([folder], as_one=True)[0]
    sub.id = f"submission_{metadata['id']}" if metadata.get("id") is not None else "submission"
    sub.students = _students(metadata)
    result = grade_submission(sub, rubric, key)
    return results_json(result, time.monotonic() - started)
