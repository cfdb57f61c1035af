"""The red team's attacks (bench/red_team.py runs them). Add a class here, decorated with
@attack: a SubmissionAttack returns a student's files, any other Attack returns a Finding."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
from pathlib import Path

from red_team import ROOT, Attack, Context, Finding, SubmissionAttack, attack, latex, markdown

EXAMPLES = ROOT / "submissions_example"
CHOICE = "3.1"  # a single choice


def _choice(ctx: Context, correct: bool, part: str = CHOICE) -> str:
    """The option a student shows: the key on the correct base, a wrong one on the wrong base."""
    return ctx.choice_key(part)[0] if correct else ctx.wrong_choice(part)


def _other(ctx: Context, correct: bool, part: str = CHOICE) -> str:
    """The option a student hides, or hedges with: the key on the wrong base, a wrong one on the correct base."""
    return ctx.wrong_choice(part) if correct else ctx.choice_key(part)[0]


# ---------------------------------------------------------------- text TeX does not show

class _HiddenInTex(SubmissionAttack):
    family = "hiding"
    parts = (CHOICE,)
    bases = (False, True)
    hide = ""  # a format string with {answer}
    preamble = ""

    def files(self, ctx, correct):
        shown = f"Answer: ({_choice(ctx, correct)})."
        hidden = self.hide.format(answer=f"Answer: ({_other(ctx, correct)}).")
        return {"main.tex": latex({CHOICE: f"{shown}\n{hidden}"}, self.preamble)}


@attack
class TexIffalse(_HiddenInTex):
    description = r"the other answer inside \iffalse ... \fi"
    hide = "\\iffalse\n{answer}\n\\fi"


@attack
class TexWhiteText(_HiddenInTex):
    description = r"the other answer in \color{white}"
    hide = "{{\\color{{white}} {answer}}}"


@attack
class TexPhantom(_HiddenInTex):
    description = r"the other answer in \phantom"
    hide = "\\phantom{{{answer}}}"


@attack
class TexCommentEnvironment(_HiddenInTex):
    description = "the other answer in a comment environment"
    hide = "\\begin{{comment}}\n{answer}\n\\end{{comment}}"


@attack
class TexStrikeout(SubmissionAttack):
    family = "hedging"
    description = r"the key struck out with \sout, a wrong option after it"
    parts = (CHOICE,)

    def files(self, ctx, correct):
        return {"main.tex": latex({CHOICE: f"Answer: \\sout{{({ctx.choice_key(CHOICE)[0]})}} ({ctx.wrong_choice(CHOICE)})."})}


# ---------------------------------------------------------------- files

@attack
class LinkOutOfTheSubmission(SubmissionAttack):
    family = "files"
    description = "a symbolic link to a file outside the submission, holding the key"
    parts = (CHOICE,)

    def files(self, ctx, correct):
        outside = ctx.work / "outside-answers.md"
        outside.write_bytes(markdown({CHOICE: f"Answer: ({ctx.choice_key(CHOICE)[0]})"}))
        return {}

    def run(self, ctx):
        folder = ctx.folder(self.name)
        outside = ctx.work / "outside-answers.md"
        self.files(ctx, False)
        (folder / "answers.md").symlink_to(outside)
        part = next(p for p in ctx.grade(folder).parts if p.id == CHOICE)
        return Finding(part.score > 0, f"{CHOICE}: {part.score:g} ({part.status})",
                       0.0 if part.provisional else part.score, part.score if part.provisional else 0.0)


# ---------------------------------------------------------------- the key, leaving the TA's side

@attack
class GradescopeVisibleFeedback(Attack):
    family = "key-leak"
    description = "read the key from Gradescope's visible feedback before the due date"

    def run(self, ctx):
        from grader.gradescope import results_json
        from grader.leaks import find_leaks

        data = results_json(ctx.grade(EXAMPLES / "mistakes-sheet.yaml"), 1.0, ctx.key, early=True)
        visible = "\n".join(t["output"] for t in data["tests"] if t["visibility"] == "visible")
        leaks = find_leaks({"visible feedback": visible.encode()}, ctx.rubric, ctx.key)
        return Finding(bool(leaks), "; ".join(leaks) or "no key element in the visible feedback")


@attack
class StudentBundle(Attack):
    family = "key-leak"
    description = "read the key from any file of the students' self-check bundle"

    def run(self, ctx):
        from grader.bundle import student_files
        from grader.leaks import find_leaks

        leaks = find_leaks(student_files(ctx.rubric), ctx.rubric, ctx.key)
        return Finding(bool(leaks), "; ".join(leaks[:5]) or "no key element in the bundle")


def _far_from_the_key(ctx: Context) -> bytes:
    """An answer sheet as far from the key as it gets: every grid its complement, every choice wrong."""
    import yaml

    from grader.kinds.grid import labels

    answers = {}
    for part in ctx.rubric.parts:
        values = {}
        for c in part.components:
            value = ctx.key.value(part.id, c.id)
            if isinstance(value, dict) and "cells" in value:
                values[c.id] = [cell for cell in labels(c.settings.size) if cell not in value["cells"]]
            elif isinstance(value, dict) and "choices" in value:
                values[c.id] = [ctx.wrong_choice(part.id, c.id)]
        if values:
            answers[part.id] = values["answer"] if list(values) == ["answer"] else values
    return yaml.safe_dump({"answers": answers}).encode()


@attack
class SelfCheckOutput(Attack):
    family = "key-leak"
    description = "read the key from `grader check` on a submission far from it"

    def run(self, ctx):
        from grader.check import checked_report
        from grader.ingest.submission import discover
        from grader.leaks import find_leaks

        sheet = ctx.folder(self.name) / "far.yaml"
        sheet.write_bytes(_far_from_the_key(ctx))
        report = checked_report(discover([sheet], as_one=True)[0], ctx.rubric)
        leaks = find_leaks({"check output": report.encode()}, ctx.rubric, ctx.key)
        return Finding(bool(leaks), "; ".join(leaks) or "no key element in the self-check")


# ---------------------------------------------------------------- a results folder, tampered with

def _grade_cli(args: list[str]) -> tuple[int, str]:
    from grader.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue() + err.getvalue()


def _wrong_batch(ctx: Context, name: str) -> tuple[Path, Path]:
    folder = ctx.folder(name)
    subs = folder / "subs"
    subs.mkdir()
    (subs / "wrong-sheet.yaml").write_bytes((EXAMPLES / "mistakes-sheet.yaml").read_bytes())
    (subs / "other-sheet.yaml").write_bytes((EXAMPLES / "perfect-sheet.yaml").read_bytes())
    return subs, folder / "out"


def _final(out: Path, sid: str) -> float:
    return json.loads((out / sid / "result.json").read_text())["final_score"]


@attack
class TamperedCacheEntry(Attack):
    family = "cache"
    description = "edit one's cache entry to full marks, then let a rerun use it"

    def run(self, ctx):
        subs, out = _wrong_batch(ctx, self.name)
        _grade_cli(["grade", str(subs), "--out", str(out)])
        honest = _final(out, "wrong-sheet")
        entry = out / ".cache" / "wrong-sheet.json"
        head, body = entry.read_bytes().split(b"\n", 1)
        result = json.loads(body)
        for part in result["parts"]:
            part["score"], part["status"], part["review"] = part["max_score"], "correct", None
            for c in part["components"]:
                c["score"], c["status"] = c["max_score"], "correct"
        entry.write_bytes(head + b"\n" + json.dumps(result).encode())
        for index in (out / ".cache").glob("run-*.json"):
            index.unlink()
        _grade_cli(["grade", str(subs), "--out", str(out)])
        now = _final(out, "wrong-sheet")
        return Finding(now > honest, f"final score {honest:g} before, {now:g} after the edit", max(0.0, now - honest))


@attack
class ForgedGradebook(Attack):
    family = "cache"
    description = "edit gradebook.csv and the rerun index's digest of it, hoping a rerun keeps it"

    def run(self, ctx):
        import hashlib

        subs, out = _wrong_batch(ctx, self.name)
        _grade_cli(["grade", str(subs), "--out", str(out)])
        book = out / "gradebook.csv"
        forged = book.read_text().replace("wrong-sheet,", "wrong-sheet,5,", 1).encode()
        book.write_bytes(forged)
        for index in (out / ".cache").glob("run-*.json"):
            data = json.loads(index.read_text())
            data["outputs"]["gradebook.csv"] = hashlib.sha256(forged).hexdigest()
            index.write_text(json.dumps(data))
        _grade_cli(["grade", str(subs), "--out", str(out)])
        kept = book.read_bytes() == forged
        return Finding(kept, "the forged gradebook survived the rerun" if kept else "the rerun rewrote it")


# ---------------------------------------------------------------- overrides a TA mistyped

class _OverrideMistake(Attack):
    family = "overrides"
    row = ""

    def run(self, ctx):
        subs, out = _wrong_batch(ctx, self.name)
        overrides = out.parent / "overrides.yaml"
        overrides.write_text(self.row)
        code, printed = _grade_cli(["grade", str(subs), "--out", str(out), "--overrides", str(overrides)])
        # the TA meant to take points away; a run that goes on without them leaves the points in place
        silently = code == 0
        return Finding(silently, f"exit {code}: {printed.strip().splitlines()[-1][:160] if printed.strip() else ''}")


@attack
class OverrideMisspeltSubmission(_OverrideMistake):
    description = "a penalty for 'wrong-shet' (a typo) in the overrides file"
    row = "- {submission: wrong-shet, part: '3.3', score: 0, comment: copied}\n"


@attack
class OverrideMisspeltField(_OverrideMistake):
    description = "a penalty whose score field is spelt 'scor'"
    row = "- {submission: wrong-sheet, part: '3.3', scor: 0, score: 3, comment: copied}\n"


@attack
class OverrideDuplicate(_OverrideMistake):
    description = "two decisions for one part: which one wins?"
    row = ("- {submission: wrong-sheet, part: '3.3', score: 0}\n"
           "- {submission: wrong-sheet, part: '3.3', score: 3}\n")


# ---------------------------------------------------------------- CSV and YAML

@attack
class CsvFormulaInjection(Attack):
    family = "csv"
    description = "a submission id and a student name that start a spreadsheet formula"

    def run(self, ctx):
        folder = ctx.folder(self.name)
        subs = folder / "subs"
        for sid in ("=HYPERLINK(\"http://x\")", "@SUM(A1)"):
            (subs / sid).mkdir(parents=True)
            text = (EXAMPLES / "markdown-student.md").read_text().replace("Grace Hopper", "+cmd|' /C calc'!A0")
            (subs / sid / "answers.md").write_text(text)
        _grade_cli(["grade", str(subs), "--out", str(folder / "out"), "--no-cache"])
        hot = []
        for name in ("gradebook.csv", "similarity.csv"):
            path = folder / "out" / name
            for row in csv.reader(io.StringIO(path.read_text() if path.exists() else "")):
                hot += [f"{name}: {v[:30]!r}" for v in row if v[:1] in ("=", "+", "-", "@", "\t", "\r") and v != "-"]
        return Finding(bool(hot), "; ".join(hot[:4]) or "every cell neutralised")


BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))


@attack
class AliasBombSheet(Attack):
    family = "yaml"
    description = "an answer sheet that is a 600-byte YAML alias bomb"

    def run(self, ctx):
        folder = ctx.folder(self.name)
        sheet = folder / "bomb.yaml"
        sheet.write_text(BOMB + "answers:\n  '1.1': *i\n")
        started = time.monotonic()
        code, printed = _grade_cli(["grade", str(sheet), "--out", str(folder / "out"), "--timeout", "30"])
        check, said = _grade_cli(["check", str(sheet), "--timeout", "30"])
        seconds = time.monotonic() - started
        broke = seconds > 20 or code != 0 or check not in (0, 5)
        return Finding(broke, f"grade exit {code}, check exit {check}, {seconds:.1f} s: "
                              f"{'alias bomb' if 'alias bomb' in printed + said else 'no word of it'}")
