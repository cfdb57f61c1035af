"""Grade many submissions: in parallel, resumable, and one bad submission never stops the batch.

A run, top-down:

1. each submission is hashed (`grader.cache`); a cache hit is loaded, not graded again;
2. the misses go to worker processes, one submission at a time; each worker loads the rubric and
   key once and stores every result it makes in the cache;
3. every result, cached or fresh, gets the TA overrides applied here, after the cache, so an
   override always wins and a changed overrides file never forces a regrade;
4. `<out>/<id>/result.json` and `feedback.html` are written when their content changes;
5. `write_reports` writes the run's gradebook.csv, summary.html and similarity.csv.

Workers are plain processes fed through pipes, not a ProcessPoolExecutor: a worker that crashes
(a segfault in a PDF library, the memory cap) or outlives the time limit is killed and replaced,
and only its own submission is reported; a crash in an executor breaks the whole pool.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from grader.cache import ResultCache, Uncacheable, dump_result, load_result, run_fingerprint, submission_key
from grader.ingest.limits import DEFAULT_LIMITS, Limits
from grader.ingest.submission import Submission
from grader.key import Key, load_key
from grader.pipeline import Result, grade_submission
from grader.rubric import Rubric, load_rubric
from grader.score import ComponentResult, Override, apply_overrides, combine

DEFAULT_TIMEOUT = 120.0  # seconds of wall clock for one submission in a worker
WORKER_MEMORY_BYTES = 4 * 1024 ** 3  # address-space cap of a worker: a hostile file cannot eat the machine


@dataclass
class BatchOutcome:
    results: list[Result]  # one per submission, also for those that could not be graded (all needs_review)
    failures: list[dict[str, Any]]  # {"submission", "reason", "students"}: could not be graded at all
    cached: int = 0
    graded: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # grading time of each freshly graded submission
    written: set[str] = field(default_factory=set)  # ids whose result.json and feedback.html are up to date


# ---------------------------------------------------------------- one submission

def _grade_one(sub: Submission, rubric: Rubric, key: Key, overrides: list[Override], limits: Limits) -> Result | str:
    try:
        return grade_submission(sub, rubric, key, overrides, limits)
    except Exception as exc:  # a grader bug on one file is reported, and the batch goes on
        return f"internal error while grading ({type(exc).__name__}: {exc}); {traceback.format_exc(limit=-1).strip()}"


def _grade_and_store(sub: Submission, key_hash: str | None, rubric: Rubric, key: Key, limits: Limits,
                     store: ResultCache | None) -> Result | str:
    """Grade without overrides (they are applied after the cache) and remember the result."""
    outcome = _grade_one(sub, rubric, key, [], limits)
    if isinstance(outcome, Result) and store is not None and key_hash is not None:
        try:
            store.put(sub.id, key_hash, dump_result(outcome))
        except (Uncacheable, OSError):
            pass  # graded again next run: slower, never wrong
    return outcome


def failed_result(sub: Submission, rubric: Rubric, reason: str) -> Result:
    """A submission the grader could not process: every part awaits a TA, with the reason."""
    feedback = f"Could not be graded automatically: {reason}. A TA will grade it from your files."
    parts = []
    for part in rubric.parts:
        components = [ComponentResult(id=c.id, kind=c.kind, max_score=c.points, score=0.0, status="needs_review",
                                      feedback=feedback) for c in part.components]
        parts.append(combine(part.id, part.title, part.points, components, part.visibility))
    return Result(submission=sub.id, students=sub.students, files=sub.names(), rubric=rubric, parts=parts,
                  problems=[reason], error=reason, source=str(sub.root.resolve()))


# ---------------------------------------------------------------- worker processes

# Set in the parent just before forking workers; a spawned worker starts without it and loads its own.
_FORKED: dict[str, Any] = {}


def _worker_main(conn, rubric_path: str, limits: Limits, cache_folder: str | None,
                 out: str | None = None, overrides: list[Override] = ()) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        mapped = 0
        with open("/proc/self/statm") as statm:  # a forked worker starts with its parent's mappings
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = max(WORKER_MEMORY_BYTES, mapped + WORKER_MEMORY_BYTES // 2)
        cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, ValueError, OSError):
        pass
    if _FORKED.get("rubric_path") == rubric_path:  # forked: the parent's rubric and key are already here
        rubric, key = _FORKED["rubric"], _FORKED["key"]
    else:
        rubric = load_rubric(rubric_path)
        key = load_key(rubric)
    store = ResultCache(Path(cache_folder)) if cache_folder else None
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, sub, key_hash = task
        started = time.perf_counter()
        outcome = _grade_and_store(sub, key_hash, rubric, key, limits, store)
        written = False
        if isinstance(outcome, Result) and out is not None:
            # overrides and the submission's own pages here, in parallel, not in the parent
            mine = _overrides_for(sub.id, list(overrides))
            outcome.problems += apply_overrides(sub.id, outcome.parts, mine, sub.files)
            _write_submission(outcome, Path(out), key, store, key_hash, mine)
            for part in outcome.parts:  # only its page needed these; the parent keeps the rest
                for component in part.components:
                    component.render = {}
            written = True
        if isinstance(outcome, Result):
            outcome.rubric = None  # the parent has it; do not pickle it for every submission
        conn.send((index, (outcome, written), time.perf_counter() - started))


class _Worker:
    def __init__(self, ctx, args: tuple, target: Callable):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(child, *args), daemon=True)
        self.proc.start()
        child.close()
        self.task: int | None = None
        self.started = 0.0

    def assign(self, index: int, payload: tuple) -> None:
        self.task, self.started = index, time.monotonic()
        self.conn.send(payload)

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def _single_threaded_libraries():
    """Workers are the parallelism: BLAS or OpenMP threads inside each would only fight for cores."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {n: os.environ.get(n) for n in names}
    for n in names:
        os.environ.setdefault(n, "1")
    return saved


def _restore_env(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _run_workers(todo: list[tuple[Submission, str | None]], rubric: Rubric, limits: Limits,
                 cache_folder: Path | None, jobs: int, timeout: float | None,
                 on_done: Callable[[int, tuple[Result | str, bool], float], None], target: Callable = _worker_main,
                 key: Key | None = None, out: Path | None = None, overrides: list[Override] = ()) -> None:
    # fork is quick (the worker inherits loaded modules), but forking a process that runs other
    # threads (the progress bar's) can deadlock: spawn then.
    import threading

    single = threading.active_count() == 1 and "fork" in mp.get_all_start_methods()
    ctx = mp.get_context("fork" if single else "spawn")
    _FORKED.clear()
    if single and key is not None:  # loading the rubric again costs about a second per worker
        _FORKED.update(rubric_path=str(rubric.path), rubric=rubric, key=key)
    args = (str(rubric.path), limits, str(cache_folder) if cache_folder else None)
    if out is not None:
        args += (str(out), list(overrides))
    pending = deque(range(len(todo)))
    saved = _single_threaded_libraries()
    try:
        workers = [_Worker(ctx, args, target) for _ in range(min(jobs, len(todo)))]
    finally:
        _restore_env(saved)
    try:
        while True:
            for w in workers:
                if w.task is None and pending:
                    index = pending.popleft()
                    sub, key_hash = todo[index]
                    w.assign(index, (index, sub, key_hash))
            busy = [w for w in workers if w.task is not None]
            if not busy:
                break
            wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=1.0)
            for i, w in enumerate(workers):
                if w.task is None:
                    continue
                reason = None
                if w.conn.poll():
                    try:
                        index, (outcome, written), seconds = w.conn.recv()
                    except (EOFError, OSError):
                        reason = f"the grader's worker process stopped while reading it (exit code {w.proc.exitcode})"
                    else:
                        w.task = None
                        on_done(index, (outcome, written), seconds)
                        continue
                elif not w.proc.is_alive():
                    reason = f"the grader's worker process stopped while reading it (exit code {w.proc.exitcode})"
                elif timeout and time.monotonic() - w.started > timeout:
                    reason = f"grading took longer than {timeout:g} s and was stopped"
                if reason is None:
                    continue
                index, seconds = w.task, time.monotonic() - w.started
                w.stop(kill=True)
                saved = _single_threaded_libraries()
                try:
                    workers[i] = _Worker(ctx, args, target)
                finally:
                    _restore_env(saved)
                on_done(index, (reason, False), seconds)
    finally:
        for w in workers:
            w.stop(kill=w.task is not None)


# ---------------------------------------------------------------- the batch

def _overrides_for(submission_id: str, overrides: list[Override]) -> list[Override]:
    return [o for o in overrides if o.submission == submission_id]


def grade_all(subs: list[Submission], rubric: Rubric, key: Key, overrides: list[Override] = (),
              jobs: int = 1, limits: Limits = DEFAULT_LIMITS, progress=None, *,
              cache_dir: Path | None = None, out: Path | None = None,
              timeout: float | None = DEFAULT_TIMEOUT) -> BatchOutcome:
    """Grade `subs`; with `cache_dir`, reuse unchanged results; with `out`, write each submission's
    result.json and feedback.html as soon as it is done (`write_reports` then skips them)."""
    overrides = list(overrides)
    outcome = BatchOutcome([], [])
    store = ResultCache(Path(cache_dir)) if cache_dir is not None else None
    run_fp = run_fingerprint(rubric, limits) if store is not None else None
    keys: dict[str, str | None] = {}

    def finish(sub: Submission, result: Result | str, cached: bool, seconds: float | None = None,
               written: bool = False) -> None:
        """`written`: a worker already applied the overrides and wrote the submission's pages."""
        if isinstance(result, str):
            outcome.failures.append({"submission": sub.id, "reason": result, "students": sub.students})
            result = failed_result(sub, rubric, result)
        else:
            result.rubric = rubric
            if not written:
                result.problems += apply_overrides(sub.id, result.parts, _overrides_for(sub.id, overrides),
                                                   sub.files)
        if cached:
            outcome.cached += 1
        else:
            outcome.graded += 1
            if seconds is not None:
                outcome.seconds[sub.id] = seconds
        outcome.results.append(result)
        if written:
            outcome.written.add(sub.id)
        elif out is not None:
            failed = bool(outcome.failures) and outcome.failures[-1]["submission"] == sub.id
            _write_submission(result, Path(out), key, store, None if failed else keys.get(sub.id),
                              _overrides_for(sub.id, overrides))
            outcome.written.add(sub.id)
        if progress:
            progress(sub.id)

    todo: list[tuple[Submission, str | None]] = []
    for sub in subs:
        key_hash = submission_key(sub, run_fp, limits) if store is not None and run_fp else None
        keys[sub.id] = key_hash
        dumped = store.get(sub.id, key_hash) if store is not None and key_hash else None
        loaded = None
        if dumped is not None:
            try:
                loaded = load_result(dumped, rubric)
            except (TypeError, KeyError, ValueError):
                pass  # an entry from another version of the code: grade again
        if loaded is not None:
            loaded.source = str(sub.root.resolve())  # the folder may have moved since it was cached
            finish(sub, loaded, cached=True)
        else:
            todo.append((sub, key_hash))

    if len(todo) == 1:  # not worth a process; also keeps a single `grade FILE` quick
        sub, key_hash = todo[0]
        started = time.perf_counter()
        finish(sub, _grade_and_store(sub, key_hash, rubric, key, limits, store), False,
               time.perf_counter() - started)
    elif todo:
        _run_workers(todo, rubric, limits, store.folder if store else None, max(1, jobs), timeout,
                     lambda index, done, seconds: finish(todo[index][0], done[0], False, seconds, done[1]),
                     key=key, out=Path(out) if out is not None else None, overrides=overrides)
    outcome.results.sort(key=lambda r: r.submission)
    outcome.failures.sort(key=lambda f: f["submission"])
    return outcome


# ---------------------------------------------------------------- outputs

def _write_if_changed(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    path.write_bytes(data)


def _write_submission(result: Result, out: Path, key: Key, store: ResultCache | None,
                      key_hash: str | None, overrides: list[Override]) -> None:
    """result.json and feedback.html; skipped when neither the result nor its overrides changed."""
    from grader.report import result_json
    from grader.report.html import feedback_page

    folder = out / result.submission
    stamp = None
    if store is not None and key_hash is not None:
        stamp = hashlib.sha256(json.dumps([key_hash, str(out.resolve()), [vars(o) for o in overrides]],
                                          sort_keys=True, default=str).encode()).hexdigest()
        if (store.get_stamp(result.submission) == stamp and (folder / "result.json").exists()
                and (folder / "feedback.html").exists()):
            return
    folder.mkdir(parents=True, exist_ok=True)
    _write_if_changed(folder / "result.json", result_json(result))
    _write_if_changed(folder / "feedback.html", feedback_page(result, key))
    if stamp is not None and store is not None:
        store.put_stamp(result.submission, stamp)


def write_reports(outcome: BatchOutcome, rubric: Rubric, key: Key, out: Path,
                  similarity: bool = True) -> None:
    from grader.report.gradebook import gradebook_csv, summary_stats
    from grader.report.html import summary_page

    out.mkdir(parents=True, exist_ok=True)
    for result in outcome.results:
        if result.submission not in outcome.written:
            _write_submission(result, out, key, None, None, [])
    part_ids = [p.id for p in rubric.parts]
    _write_if_changed(out / "gradebook.csv", gradebook_csv(outcome.results, outcome.failures, part_ids))
    pairs = []
    if similarity:
        from grader.similarity import find_similar, similarity_csv

        pairs = find_similar(outcome.results, rubric)
        _write_if_changed(out / "similarity.csv", similarity_csv(pairs))
    stats = summary_stats(outcome.results, part_ids, rubric=rubric, similar=pairs)
    _write_if_changed(out / "summary.html", summary_page(outcome.results, outcome.failures, rubric, stats))
