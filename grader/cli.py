"""Command line: argument parsing only; each command calls one function.

Exit codes: 0 success (also when some submissions could not be read: they are listed);
1 internal error; 2 bad usage; 3 broken rubric; 4 missing or stale answer key;
5 a PATH or overrides file that cannot be used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_RUBRIC, EXIT_KEY, EXIT_INPUT = 0, 1, 2, 3, 4, 5


class CliError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _rubric_path(args) -> Path:
    from grader.bundle import bundled_rubric_path
    from grader.paths import RubricError, default_rubric_path

    try:  # an installed bundle (student self-check, Gradescope) carries its rubric inside the package
        return Path(args.rubric or bundled_rubric_path() or default_rubric_path())
    except RubricError as exc:
        raise CliError(str(exc), EXIT_RUBRIC) from None


def _rubric(args):
    from grader.rubric import RubricError, load_rubric

    try:
        rubric = load_rubric(_rubric_path(args))
    except RubricError as exc:
        raise CliError(str(exc), EXIT_RUBRIC) from None
    for note in rubric.notes:  # deprecations: the old form still works, the note names the new one
        print(f"grader: note: {rubric.path.name}: {note}", file=sys.stderr)
    return rubric


def _key(rubric):
    from grader.key import KeyError_, load_key

    try:
        return load_key(rubric)
    except KeyError_ as exc:
        raise CliError(str(exc), EXIT_KEY) from None


def _limits(args):
    from grader.ingest.limits import Limits

    return Limits(max_file_bytes=int(args.max_mb * 1e6), max_pages=args.max_pages)


def cmd_grade(args) -> int:
    from grader.ingest.submission import DiscoveryError, discover
    from grader.output import OutputBusy, OutputLock
    from grader.score import OverrideError, load_overrides

    try:
        overrides = load_overrides(args.overrides)
        subs = discover(args.paths)
    except (OverrideError, DiscoveryError) as exc:
        raise CliError(str(exc), EXIT_INPUT) from None
    out = Path(args.out)
    overrides = _with_review_decisions(overrides, out)
    cache = None if args.no_cache else Path(args.cache) if args.cache else out / ".cache"
    try:
        with OutputLock(out):
            return _grade_locked(args, subs, overrides, out, cache)
    except OutputBusy as exc:
        raise CliError(str(exc), EXIT_INPUT) from None


def _grade_locked(args, subs, overrides, out: Path, cache: Path | None) -> int:
    from grader import rerun

    if cache is not None:
        table = rerun.unchanged(cache, out, _rubric_path(args), _limits(args), subs, overrides)
        if table is not None:  # nothing changed since the last complete run: nothing to do
            print("\n".join([*table, _footer(len(subs), len(subs), 0, out)]))
            return EXIT_OK
        rerun.forget(cache, out)
    from grader.batch import grade_all
    from grader.report.folder import earlier_submissions, write_reports
    from grader.score import OverrideError, check_overrides

    rubric = _rubric(args)
    key = _key(rubric)
    try:
        check_overrides(overrides, {s.id for s in subs} | earlier_submissions(out), rubric)
    except OverrideError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None
    outcome = _with_progress(lambda progress: grade_all(subs, rubric, key, overrides, args.jobs, _limits(args), progress,
                                                        cache_dir=cache, out=out, timeout=args.timeout or None),
                             len(subs))
    notes = outcome.notes + write_reports(outcome, rubric, key, out, store=_store(cache))
    table = _table(outcome)
    print("\n".join([*table, _footer(len(outcome.results), outcome.cached, len(outcome.failures), out)]))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if cache is not None and not outcome.failures and not notes:
        rerun.record(cache, out, rubric, _limits(args), subs, overrides, table)
    return EXIT_OK


def _with_review_decisions(overrides, out: Path):
    """The review workspace's decisions in OUT (grader review) win over the overrides file."""
    import sqlite3

    from grader.review.store import with_decisions

    try:
        return with_decisions(overrides, out)
    except sqlite3.Error as exc:
        raise CliError(f"{out / 'review.sqlite'}: cannot read the review decisions: {exc}", EXIT_INPUT) from None


def cmd_review(args) -> int:
    from grader.review import ReviewError, export_decisions, import_decisions, serve

    rubric = _rubric(args)
    key = _key(rubric)
    folder = Path(args.dir)
    try:
        if args.export_file:
            count = export_decisions(folder, rubric, key, Path(args.export_file))
            print(f"wrote {count} decisions to {args.export_file} (grader grade --overrides reads it)")
        elif args.import_file:
            from grader.score import OverrideError

            try:
                count = import_decisions(folder, rubric, key, Path(args.import_file), args.ta)
            except OverrideError as exc:
                raise CliError(str(exc), EXIT_INPUT) from None
            print(f"imported {count} decisions into {folder / 'review.sqlite'}")
        else:
            serve(folder, rubric, key, port=args.port, ta=args.ta)
    except ReviewError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None
    return EXIT_OK


def _store(cache: Path | None):
    from grader.cache import ResultCache

    return ResultCache(cache) if cache is not None else None


def _with_progress(run, total: int):
    if total < 5 or not sys.stderr.isatty():
        return run(None)
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("grading", total=total)
        return run(lambda _sid: bar.advance(task))


def _table(outcome) -> list[str]:
    """The short table `grade` prints: one row per submission (final score, parts awaiting review)."""
    failed = {f["submission"]: f["reason"] for f in outcome.failures}
    rows = [(r.submission, f"{r.final_score:g}/{r.max_score:g}" if r.submission not in failed else "—",
             f"{r.score:g}" if r.submission not in failed else "—",
             str(sum(p.provisional for p in r.parts)),
             (failed.get(r.submission) or "; ".join(r.problems))[:70]) for r in outcome.results]
    listed = {r.submission for r in outcome.results}
    rows += [(f["submission"], "—", "—", "—", f["reason"][:70]) for f in outcome.failures if f["submission"] not in listed]
    # final: confirmed points only; with suggestions: what the parts awaiting review would add
    header = ("submission", "final", "with suggestions", "review", "problems")
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    return lines + ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]


def _footer(total: int, cached: int, failed: int, out: Path) -> str:
    return (f"\n{total} submissions: {cached} cached, {total - cached} graded, {failed} failed; reports in {out}/ "
            "(gradebook.csv, summary.html, similarity.csv, <id>/result.json, <id>/feedback.html)")


def cmd_check(args) -> int:
    from grader.check import checked_report
    from grader.ingest.submission import DiscoveryError, discover
    from grader.processes import ChildFailed, call_with_timeout

    rubric = _rubric(args)
    try:
        subs = discover([args.path], as_one=True)
    except DiscoveryError as exc:
        raise CliError(str(exc), EXIT_INPUT) from None
    try:  # in a child process stopped at the limit: a hostile file cannot hang the check
        print(call_with_timeout(checked_report, subs[0], rubric, _limits(args), timeout=args.timeout or None))
    except ChildFailed as exc:
        raise CliError(f"{args.path}: the self-check could not read it: {str(exc).splitlines()[0]}", EXIT_INPUT) from None
    return EXIT_OK


def cmd_key_build(args) -> int:
    from grader.key import KeyBuildError, build_key, write_key

    rubric = _rubric(args)
    try:
        key = build_key(rubric)
    except KeyBuildError as exc:
        raise CliError(f"cannot build the key: {exc}", EXIT_KEY) from None
    path = write_key(rubric, key)
    print(f"wrote {path} ({len(key['parts'])} parts with keys, {len(key['numbers'])} blocks of reference numbers)")
    return EXIT_OK


def cmd_key_show(args) -> int:
    rubric = _rubric(args)
    key = _key(rubric)
    public = key.public()
    if args.json:
        print(json.dumps(public, indent=2, ensure_ascii=False))
    else:
        for part_id, value in public.items():
            print(f"{part_id:6} {json.dumps(value, ensure_ascii=False)}")
        for name, block in key.numbers.items():
            print(f"\n{name}: {block['caption']}")
            for k, v in block["values"].items():
                print(f"  {k}: {v}")
    return EXIT_OK


def cmd_rubric_schema(args) -> int:
    from grader.rubric import json_schema

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def cmd_gradescope_build(args) -> int:
    from grader.gradescope import build

    rubric = _rubric(args)
    path = build(rubric, _key(rubric), Path(args.out))
    print(f"wrote {path}: upload it as the Gradescope autograder (setup.sh and run_autograder at its root)")
    return EXIT_OK


def cmd_gradescope_run(args) -> int:
    from grader.gradescope import run

    run(Path(args.root), Path(args.rubric) if args.rubric else None, timeout=args.timeout or None)
    return EXIT_OK  # results.json says what happened; nothing on stdout


def cmd_bundle_student(args) -> int:
    from grader.bundle import build_student_bundle

    rubric = _rubric(args)
    try:
        path, files = build_student_bundle(rubric, _key(rubric), Path(args.out))
    except ValueError as exc:
        raise CliError(str(exc), EXIT_RUBRIC) from None
    print(f"wrote {path} ({len(files)} files, no answer key): students install it with "
          f"'pip install {path}' and run 'grader check FILE'")
    return EXIT_OK


def cmd_rubric_check(args) -> int:
    from grader.key import KeyError_, load_key, needed
    from grader.selftest import run_self_tests

    rubric = _rubric(args)
    try:
        key = load_key(rubric, complete=False)  # works before `key build`: says what the key will need
    except KeyError_ as exc:
        raise CliError(str(exc), EXIT_KEY) from None
    failures = run_self_tests(rubric, key)
    for failure in failures:
        print(failure)
    if key.missing:
        print(f"the key is not built for parts {', '.join(key.missing)}: their self-tests wait for "
              f"'grader key build', which will compute:")
        for line in needed(rubric):
            print(f"  {line}")
    print(f"{rubric.path.name}: {len(rubric.parts)} parts, {rubric.total:g} points; "
          f"self-tests {'passed' if not failures else f'FAILED ({len(failures)})'}")
    return EXIT_OK if not failures else EXIT_RUBRIC


def cmd_rubric_new(args) -> int:
    from grader.scaffold import write_scaffold

    try:
        written = write_scaffold(args.id, Path(args.dir))
    except (FileExistsError, ValueError) as exc:
        raise CliError(str(exc), EXIT_USAGE) from None
    for path in written:
        print(f"wrote {path}")
    print(f"next: edit them, then 'grader rubric check --rubric {written[0]}' and "
          f"'grader key build --rubric {written[0]}'")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade ML theory assignments.")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_rubric(p):
        p.add_argument("--rubric", help="rubric YAML (default: [tool.grader] rubric in pyproject.toml, "
                                        "else the only rubric in rubrics/)")
        return p

    def with_limits(p):
        p.add_argument("--max-mb", type=float, default=20.0, help="largest file read, in MB (default 20)")
        p.add_argument("--max-pages", type=int, default=60, help="most PDF pages read (default 60)")
        return p

    grade = with_limits(with_rubric(sub.add_parser("grade", help="grade submissions and write reports")))
    grade.add_argument("paths", nargs="+", metavar="PATH")
    grade.add_argument("--out", default="reports", help="output folder (default: reports)")
    grade.add_argument("--overrides", help="TA overrides, YAML or CSV (submission, part, score, comment)")
    grade.add_argument("--jobs", type=int, default=1, help="parallel workers (default 1)")
    grade.add_argument("--cache", metavar="DIR", help="result cache (default: OUT/.cache); a rerun grades only what changed")
    grade.add_argument("--no-cache", action="store_true", help="grade everything again, ignoring and not writing the cache")
    grade.add_argument("--timeout", type=float, default=120.0,
                       help="seconds one submission may take before it is stopped and listed (default 120; 0: none)")
    grade.set_defaults(func=cmd_grade)

    check = with_limits(with_rubric(sub.add_parser("check", help="self-check: show what is read, never the key")))
    check.add_argument("path", metavar="PATH")
    check.add_argument("--timeout", type=float, default=120.0,
                       help="seconds the check may take before it is stopped (default 120; 0: none)")
    check.set_defaults(func=cmd_check)

    key = sub.add_parser("key", help="build or show the answer key").add_subparsers(dest="key_command", required=True)
    with_rubric(key.add_parser("build", help="run the reference implementations and write the key")).set_defaults(func=cmd_key_build)
    show = with_rubric(key.add_parser("show", help="print the key"))
    show.add_argument("--json", action="store_true", help="print {part id: canonical answer} as JSON")
    show.set_defaults(func=cmd_key_show)

    rubric = sub.add_parser("rubric", help="rubric tools").add_subparsers(dest="rubric_command", required=True)
    rubric.add_parser("schema", help="print the rubric JSON Schema").set_defaults(func=cmd_rubric_schema)
    with_rubric(rubric.add_parser("check", help="validate a rubric and run every answer kind's self-test")).set_defaults(func=cmd_rubric_check)
    new = rubric.add_parser("new", help="write a commented rubric to start from, its question text and reference file")
    new.add_argument("id", help="the assignment's id, e.g. ml101-a2")
    new.add_argument("--dir", default="rubrics", help="folder to write into (default: rubrics)")
    new.set_defaults(func=cmd_rubric_new)

    gradescope = sub.add_parser("gradescope", help="Gradescope autograder").add_subparsers(dest="gradescope_command", required=True)
    gs_build = with_rubric(gradescope.add_parser("build", help="write the autograder zip (setup.sh, run_autograder)"))
    gs_build.add_argument("--out", default="autograder.zip", help="zip to write (default: autograder.zip)")
    gs_build.set_defaults(func=cmd_gradescope_build)
    gs_run = with_rubric(gradescope.add_parser("run", help="inside the container: grade DIR/submission into DIR/results/results.json"))
    gs_run.add_argument("--root", default="/autograder", help="the autograder folder (default: /autograder)")
    gs_run.add_argument("--timeout", type=float, default=120.0,
                        help="seconds grading may take before it is stopped and left to a TA (default 120; 0: none)")
    gs_run.set_defaults(func=cmd_gradescope_run)

    review = with_rubric(sub.add_parser("review", help="the TA review workspace: a web app over a graded folder"))
    review.add_argument("dir", metavar="DIR", help="a graded output folder (the --out of grader grade)")
    review.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one, printed)")
    review.add_argument("--ta", default="", help="your name, recorded with each decision (default: $GRADER_TA or your login)")
    moves = review.add_mutually_exclusive_group()
    moves.add_argument("--export", dest="export_file", metavar="FILE",
                       help="write the decisions as an overrides file (.yaml or .csv) and exit")
    moves.add_argument("--import", dest="import_file", metavar="FILE",
                       help="read an overrides file (.yaml or .csv) into the decisions and exit")
    review.set_defaults(func=cmd_review)

    bundle = sub.add_parser("bundle", help="installable bundles").add_subparsers(dest="bundle_command", required=True)
    student = with_rubric(bundle.add_parser("student", help="the self-check bundle for students: no key, no hidden feedback"))
    student.add_argument("--out", required=True, help="folder to write, or a .zip")
    student.set_defaults(func=cmd_bundle_student)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `grader ... | head`: the reader left, the work is done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # an internal error is still one clear line (details with GRADER_DEBUG=1)
        if os.environ.get("GRADER_DEBUG"):
            raise
        print(f"grader: internal error: {type(exc).__name__}: {exc} (rerun with GRADER_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL
