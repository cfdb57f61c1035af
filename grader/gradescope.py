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


def before_due(metadata: dict[str, Any]) -> bool:
    """Whether the submission came before the last due date (late one included): the rubric's
    `feedback_before_due` then decides what its visible tests say. Without dates, it did."""
    from datetime import datetime

    assignment = metadata.get("assignment") if isinstance(metadata.get("assignment"), dict) else {}
    try:
        due = assignment.get("late_due_date") or assignment.get("due_date")
        return datetime.fromisoformat(str(metadata["created_at"])) < datetime.fromisoformat(str(due))
    except (KeyError, TypeError, ValueError):
        return True


PENDING = ("Awaiting a TA's review: no score yet (the 0 shown is not a grade). The score will be set "
           "by a TA.")


def _output(part, spec, key, summary_first: bool) -> str:
    """A test's output: everything, or (before the due date, for a visible test) what the rubric's
    feedback_before_due allows."""
    from grader.kinds import get_kind

    lines = [PENDING] if part.provisional else []
    mode = spec.feedback_before_due if summary_first else "full"
    if mode == "full":
        if part.feedback:
            lines.append(part.feedback)
    elif mode == "summary":
        for c in part.components:
            if c.status == "needs_review" and c.answer is None:
                said = c.feedback  # what could not be read: about the file, never the key
            else:
                component = next(x for x in spec.components if x.id == c.id)
                said = get_kind(c.kind).summary_feedback(c.answer, key.value(part.id, c.id), c.status, component)
            lines.append(f"[{c.id.replace('_', ' ')}] {said}" if len(part.components) > 1 else said)
        if part.override is not None and part.override.get("comment"):
            lines.append(f"{part.override['comment']} (TA)")
    elif not part.provisional:
        lines.append("Feedback on this part is shown after the due date.")
    return "\n\n".join(dict.fromkeys(line for line in lines if line))


def results_json(result, seconds: float, key, early: bool = True) -> dict[str, Any]:
    """Gradescope's results.json for one graded submission.

    Only confirmed points count where a student can see them: a part awaiting review scores 0 in
    its test (its output says why), and the submission's score adds the confirmed points of the
    tests visible now. The suggested and the complete totals go to extra_data, for instructors."""
    review = [p.id for p in result.parts if p.provisional]
    tests = []
    for p in result.parts:
        spec = result.rubric.part(p.id)
        summary_first = early and p.visibility == "visible"
        tests.append({"name": f"{p.id} {p.title}", "number": p.id, "score": 0.0 if p.provisional else p.score,
                      "max_score": p.max_score, "output": _output(p, spec, key, summary_first),
                      "visibility": p.visibility, "tags": [p.status]})
    shown = round(sum(t["score"] for t in tests if t["visibility"] == "visible"), 2) + 0.0
    overall = [f"Score shown now: {shown:g} (confirmed points of the parts visible now; the other parts "
               "are shown after the due date or when grades are published)."]
    if review:
        overall.append(f"{len(review)} part(s) await a TA's review ({', '.join(review)}): they have no score yet.")
    if result.problems:
        overall.append("Problems reading your submission:\n" + "\n".join(f"- {p}" for p in result.problems))
    return {"score": shown, "execution_time": round(seconds, 3), "output": "\n\n".join(overall),
            "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"submission": result.submission, "needs_review": review,
                           "final_score": result.final_score, "provisional_score": result.score,
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


def run(root: Path = Path("/autograder"), rubric_path: Path | None = None, timeout: float | None = 120.0) -> Path:
    """Grade `<root>/submission` and write `<root>/results/results.json`; returns its path.
    Grading runs in a child process stopped after `timeout` seconds (then a TA grades by hand)."""
    from grader.output import write_atomic
    from grader.processes import ChildFailed, ChildRaised

    started = time.monotonic()
    root = Path(root)
    results = root / "results" / "results.json"
    with _stdout_to_stderr():
        try:
            data = _grade(root, rubric_path, started, timeout)
        except (ChildFailed, ChildRaised) as exc:
            reason = str(exc).splitlines()[0]
            print(f"grader: autograder failure: {exc}", file=sys.stderr)
            data = failure_json("it took too long" if "longer than" in reason else "an error while reading it",
                                time.monotonic() - started)
        except Exception as exc:  # still a results.json: the student sees that a person will grade it
            print(f"grader: autograder failure: {type(exc).__name__}: {exc}", file=sys.stderr)
            data = failure_json(f"{type(exc).__name__}", time.monotonic() - started)
    write_atomic(results, json.dumps(data, indent=2, ensure_ascii=False) + "\n")  # its single write
    return results


MAX_METADATA_BYTES = 1_000_000  # Gradescope's metadata of one submission is a few KB


def _metadata(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    if path.stat().st_size > MAX_METADATA_BYTES:
        raise ValueError(f"{path.name} is larger than {MAX_METADATA_BYTES // 1000} KB")
    data = json.loads(path.read_bytes())
    return data if isinstance(data, dict) else {}


def _graded(sub, rubric, key, early: bool, started: float) -> dict[str, Any]:
    from grader.pipeline import grade_submission

    return results_json(grade_submission(sub, rubric, key), time.monotonic() - started, key, early)


def _grade(root: Path, rubric_path: Path | None, started: float, timeout: float | None) -> dict[str, Any]:
    from grader.bundle import bundled_rubric_path
    from grader.ingest.submission import discover
    from grader.key import load_key
    from grader.paths import default_rubric_path
    from grader.processes import call_with_timeout
    from grader.rubric import load_rubric

    rubric = load_rubric(rubric_path or bundled_rubric_path() or default_rubric_path())
    key = load_key(rubric)
    metadata = _metadata(root / "submission_metadata.json")
    folder = root / "submission"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist")
    sub = discover([folder], as_one=True)[0]
    sub.id = f"submission_{metadata['id']}" if metadata.get("id") is not None else "submission"
    sub.students = _students(metadata)
    return call_with_timeout(_graded, sub, rubric, key, before_due(metadata), started, timeout=timeout)
