"""Scale benchmark (not a test): grade N synthetic submissions with all reports, with 1 and 2 jobs.

    python bench/bench_scale.py [--sizes 100 1000] [--jobs 1 2] [--work /tmp/grader-bench]

For each N it generates a Gradescope export with bench/make_synthetic.py (once, kept in --work),
then, for each job count, runs the whole `grader grade` path (discovery, grading in workers,
result.json and feedback.html per submission, gradebook.csv, similarity, summary.html) in a fresh
process without the cache, and samples the memory of that process and its workers from /proc.
It reports the wall time, the throughput, the median grading time of one submission (in its
worker) and the peak memory (the largest process, and all processes together). Beside it, the
bare PyMuPDF extraction (open, text with positions, drawings) of the same PDFs, and reading the
other files' bytes, the floor any reader of these files pays.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child(folder: str, out: str, jobs: int) -> None:
    """The measured run, in its own process: the same calls as `grader grade FOLDER --out OUT --jobs J --no-cache`."""
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from grader.batch import grade_all
    from grader.report.folder import write_reports
    from grader.ingest.submission import discover
    from grader.key import load_key
    from grader.rubric import default_rubric_path, load_rubric

    rubric = load_rubric(default_rubric_path())
    key = load_key(rubric)
    ready = time.perf_counter()
    subs = discover([folder])
    outcome = grade_all(subs, rubric, key, jobs=jobs, out=Path(out))
    graded = time.perf_counter()
    write_reports(outcome, rubric, key, Path(out))
    done = time.perf_counter()
    seconds = sorted(outcome.seconds.values())
    print(json.dumps({"n": len(subs), "startup": ready - started, "grading": graded - ready,
                      "reports": done - graded, "wall": done - started,
                      "median_ms": 1000 * statistics.median(seconds), "p95_ms": 1000 * seconds[int(0.95 * (len(seconds) - 1))],
                      "failures": len(outcome.failures), "review": sum(r.needs_review for r in outcome.results)}))


def _tree_rss(root_pid: int) -> tuple[int, int]:
    """(sum, max) resident memory in bytes of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, largest, stack = 0, 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        largest = max(largest, rss.get(pid, 0))
        stack += children.get(pid, [])
    return total, largest


def measure(folder: Path, out: Path, jobs: int) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(folder), str(out), str(jobs)],
                            stdout=subprocess.PIPE, text=True)
    peak = {"sum": 0, "max": 0}

    def sample() -> None:
        while proc.poll() is None:
            total, largest = _tree_rss(proc.pid)
            peak["sum"], peak["max"] = max(peak["sum"], total), max(peak["max"], largest)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, _ = proc.communicate()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"the measured run failed (exit {proc.returncode})")
    report = json.loads(stdout.strip().splitlines()[-1])
    report.update(peak_sum_mb=peak["sum"] / 2 ** 20, peak_max_mb=peak["max"] / 2 ** 20)
    return report


def bare_extraction(folder: Path) -> dict:
    """The floor: PyMuPDF open + text with positions + drawings for every PDF; bytes of the rest."""
    import pymupdf

    pdf_times, other = [], 0.0
    pages = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        started = time.perf_counter()
        if path.suffix == ".pdf":
            with pymupdf.open(path) as doc:
                for page in doc:
                    page.get_text("dict")
                    page.get_drawings()
                    pages += 1
            pdf_times.append(time.perf_counter() - started)
        else:
            path.read_bytes()
            other += time.perf_counter() - started
    return {"pdfs": len(pdf_times), "pages": pages, "pdf_total_s": sum(pdf_times),
            "pdf_median_ms": 1000 * statistics.median(pdf_times) if pdf_times else 0.0, "other_read_s": other}


def main() -> None:
    parser = argparse.ArgumentParser(description="grader scale benchmark")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--work", type=Path, default=Path("/tmp/grader-bench"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], int(args.child[2]))
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from make_synthetic import make

    rows = []
    for n in args.sizes:
        folder = args.work / f"subs-{n}-seed{args.seed}"
        if not (folder / "submission_metadata.yml").exists():
            counts = make(folder, n, args.seed)
            print(f"generated {n} submissions in {folder}: {counts}", file=sys.stderr)
        bare = bare_extraction(folder)
        for jobs in args.jobs:
            out = args.work / f"out-{n}-j{jobs}"
            subprocess.run(["rm", "-rf", str(out)], check=True)
            r = measure(folder, out, jobs)
            rows.append((n, jobs, r, bare))
            print(f"N={n} jobs={jobs}: {r['wall']:.1f} s wall ({r['n'] / r['wall']:.1f} submissions/s; startup "
                  f"{r['startup']:.1f} s, grading {r['grading']:.1f} s, reports {r['reports']:.1f} s), median "
                  f"{r['median_ms']:.0f} ms/submission (p95 {r['p95_ms']:.0f}), peak {r['peak_sum_mb']:.0f} MB all "
                  f"processes ({r['peak_max_mb']:.0f} MB largest), {r['failures']} failed; bare PyMuPDF extraction of "
                  f"its {bare['pdfs']} PDFs ({bare['pages']} pages): {bare['pdf_total_s']:.1f} s "
                  f"({bare['pdf_median_ms']:.0f} ms median)", flush=True)
    print("\n| N | jobs | wall (s) | submissions/s | median ms/submission | peak MB (all / largest) | bare PDF extraction (s) |")
    print("|---|---|---|---|---|---|---|")
    for n, jobs, r, bare in rows:
        print(f"| {n} | {jobs} | {r['wall']:.1f} | {r['n'] / r['wall']:.1f} | {r['median_ms']:.0f} | "
              f"{r['peak_sum_mb']:.0f} / {r['peak_max_mb']:.0f} | {bare['pdf_total_s']:.1f} ({bare['pdfs']} PDFs) |")


if __name__ == "__main__":
    main()
