"""Rerun and start-up benchmark (not a test): cold run, warm rerun, `grader check` start-up, and
the whole batch's CPU beside the bare PyMuPDF floor.

    python bench/bench_rerun.py [--n 200] [--jobs 1] [--work /tmp/grader-bench] [--repeat 3] [--code DIR]

`--code DIR` measures the grader of another checkout (e.g. main, for a before/after comparison
on the same machine, at the same load).

Each figure is a real `python -m grader ...` process, as a TA or a student runs it:

- cold: `grader grade FOLDER --out OUT` into an empty OUT (the cache starts empty);
- warm: the same command again, nothing changed (every result comes from the cache);
- warm/cold: the share of a cold run a rerun still costs (target: 5 % or less);
- check: `grader check` on the example Markdown submission, median of --repeat runs (target < 0.5 s);
  every command runs as an installed package does, its bytecode compiled once and kept;
- batch/floor: CPU seconds (user + system, workers included) of the cold run over the bare
  PyMuPDF extraction of the same PDFs (open, text with positions, drawings) plus reading the other
  files (target: 2.5x or less). The floor is measured in this process, after a warm-up pass.

The synthetic submissions come from bench/make_synthetic.py (generated once, kept in --work).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def _env(code: Path) -> dict[str, str]:
    """The grader as installed: its bytecode compiled once and kept (PYTHONDONTWRITEBYTECODE, set
    in some shells, would have every process compile the whole package again, ~0.15 s)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "grader-bench-pycache" / str(code).strip("/"))
    return env


def _run(args: list[str], code: Path = ROOT) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children) of one grader command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = _env(code)
    proc = subprocess.run([sys.executable, "-m", "grader", *args], cwd=code, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"grader {' '.join(args)} failed (exit {proc.returncode}): {proc.stderr[-800:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def floor_cpu(folder: Path) -> float:
    """CPU seconds of the bare extraction: PyMuPDF open + text dict + drawings per page; bytes of the rest."""
    import pymupdf

    started = time.process_time()
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".pdf":
            with pymupdf.open(path) as doc:
                for page in doc:
                    page.get_text("dict")
                    page.get_drawings()
        else:
            path.read_bytes()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="grader rerun and start-up benchmark")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/grader-bench"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose grader is measured")
    args = parser.parse_args()
    from make_synthetic import make

    folder = args.work / f"subs-{args.n}-seed{args.seed}"
    if not (folder / "submission_metadata.yml").exists():
        make(folder, args.n, args.seed)
    out = args.work / f"rerun-{args.n}-j{args.jobs}"
    shutil.rmtree(out, ignore_errors=True)
    grade = ["grade", str(folder), "--out", str(out), "--jobs", str(args.jobs)]
    check = ["check", str(ROOT / "submissions_example" / "markdown-student.md")]
    _run(check, args.code)  # byte-compile, page cache, the user's remembered rubric
    cold_wall, cold_cpu = _run(grade, args.code)
    warm = [_run(grade, args.code) for _ in range(max(1, args.repeat // 2))]
    warm_wall = statistics.median(w for w, _ in warm)
    warm_cpu = statistics.median(c for _, c in warm)
    checks = [_run(check, args.code) for _ in range(args.repeat)]
    check_wall = statistics.median(w for w, _ in checks)
    check_cpu = statistics.median(c for _, c in checks)
    floor_cpu(folder)  # warm the page cache and PyMuPDF's own
    floor = statistics.median(floor_cpu(folder) for _ in range(3))
    print(f"N={args.n} jobs={args.jobs} code={args.code}")
    print(f"cold run:    {cold_wall:6.2f} s wall, {cold_cpu:6.2f} s CPU")
    print(f"warm rerun:  {warm_wall:6.2f} s wall, {warm_cpu:6.2f} s CPU  "
          f"-> {100 * warm_wall / cold_wall:.1f} % of cold (wall), {100 * warm_cpu / cold_cpu:.1f} % (CPU); target <= 5 %")
    print(f"check (md):  {check_wall:6.3f} s wall, {check_cpu:.3f} s CPU (medians of {args.repeat}); target < 0.5 s")
    print(f"bare floor:  {floor:6.2f} s CPU -> batch/floor {cold_cpu / floor:.2f}x CPU; target <= 2.5x")


if __name__ == "__main__":
    main()
