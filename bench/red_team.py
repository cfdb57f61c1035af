"""Red team (a measuring tool, not a test): attacks on the grader, as a student competing for
points, or anyone with a hand on a results folder, would try them. It prints, per attack, what
the grader gave and what a TA reading the PDF would give, and how many attacks earned a point
they should not have (or leaked the key, or broke the batch). Attacks that still succeed are
reported as they are: that is the point of a measure.

    python bench/red_team.py [--family reading] [--only NAME ...] [--list] [--work DIR]

Adding an attack: subclass `SubmissionAttack` (it returns a student's files; the framework grades
them and compares each target part's score with what the TA would give) or `Attack` (its `run`
returns a `Finding`), and decorate it with `@attack`. Attacks live in bench/red_team_attacks.py
(what a .tex hides, the key, results folders, CSV, YAML), bench/red_team_pdf_attacks.py (what a
PDF hides or strikes, unseen grid fills, a .tex its PDF contradicts) and bench/red_team_answers.py
(hedges, strikeouts, keywords, negations, definitions restated, constructs the reader cannot evaluate);
a family (reading, hiding, hedging, keywords, key-leak, cache, overrides, csv, yaml, files) groups
them in the table. Each submission attack is graded twice when it says so: built on a correct
answer (no attack should cost points there either) and on a wrong one (no attack should earn any).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- what an attack is

@dataclass
class Finding:
    """What one attack achieved: `succeeded` means an unearned point, a leak or a broken batch."""

    succeeded: bool
    detail: str
    unearned: float = 0.0  # points the grader gave that a TA would not (automatic ones)
    suggested: float = 0.0  # points only suggested (awaiting review): not unearned yet, but shown
    lost: float = 0.0  # points a correct answer lost to the attack (automatically): a defence too eager


@dataclass
class Context:
    rubric: object
    key: object
    work: Path
    counter: list[int] = field(default_factory=lambda: [0])

    def folder(self, name: str) -> Path:
        self.counter[0] += 1
        path = self.work / f"{self.counter[0]:03d}-{name}"
        path.mkdir(parents=True)
        return path

    def choice_key(self, part: str, component: str = "answer") -> list[str]:
        return list(self.key.value(part, component)["choices"])

    def wrong_choice(self, part: str, component: str = "answer") -> str:
        options = self.rubric.part(part).components[0].settings.options if component == "answer" else \
            next(c for c in self.rubric.part(part).components if c.id == component).settings.options
        return next(o for o in options if o not in self.choice_key(part, component))

    def grade(self, folder: Path):
        from grader.ingest.submission import discover
        from grader.pipeline import grade_submission

        return grade_submission(discover([folder], as_one=True)[0], self.rubric, self.key)


REGISTRY: list[type[Attack]] = []


def attack(cls: type[Attack]) -> type[Attack]:
    """Register an attack class (the one place every attack is listed)."""
    REGISTRY.append(cls)
    return cls


class Attack:
    family: ClassVar[str] = ""
    description: ClassVar[str] = ""

    @property
    def name(self) -> str:
        return type(self).__name__

    def run(self, ctx: Context) -> Finding:
        raise NotImplementedError


class SubmissionAttack(Attack):
    """A student's files. `files(ctx, correct)` builds them on the correct answer (correct=True)
    or on a wrong one; `earned(ctx, correct)` is what a TA reading the PDF gives for the target
    parts (by default: their full points on the correct base, 0 on the wrong one)."""

    parts: ClassVar[tuple[str, ...]] = ()
    bases: ClassVar[tuple[bool, ...]] = (False,)  # which bases to build on: False wrong, True correct

    def files(self, ctx: Context, correct: bool) -> dict[str, bytes]:
        raise NotImplementedError

    def earned(self, ctx: Context, part: str, correct: bool) -> float:
        return ctx.rubric.part(part).points if correct else 0.0

    def run(self, ctx: Context) -> Finding:
        unearned = suggested = lost = 0.0
        details = []
        for correct in self.bases:
            folder = ctx.folder(self.name + ("-correct" if correct else "-wrong"))
            for name, data in self.files(ctx, correct).items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(data)
            result = ctx.grade(folder)
            for pid in self.parts:
                part = next(p for p in result.parts if p.id == pid)
                fair = self.earned(ctx, pid, correct)
                extra = max(0.0, part.score - fair)
                if part.provisional:
                    suggested += extra
                else:
                    unearned += extra
                    lost += max(0.0, fair - part.score) if correct else 0.0
                details.append(f"{pid} on the {'correct' if correct else 'wrong'} base: {part.score:g} "
                               f"({'suggested, ' if part.provisional else ''}{part.status}), fair {fair:g}")
        return Finding(unearned > 0, "; ".join(details), unearned, suggested, lost)


# ---------------------------------------------------------------- helpers for writing attacks

def markdown(sections: dict[str, str]) -> bytes:
    """A Markdown submission with one heading per part."""
    return ("# Assignment\n\n" + "".join(f"### {pid})\n\n{body}\n\n" for pid, body in sections.items())).encode()


def latex(sections: dict[str, str], preamble: str = "") -> bytes:
    body = "".join(f"\\subsection*{{{pid})}}\n{text}\n\n" for pid, text in sections.items())
    return (f"\\documentclass{{article}}\n\\usepackage{{xcolor,ulem,soul}}\n{preamble}\n\\begin{{document}}\n"
            f"{body}\\end{{document}}\n").encode()


# ---------------------------------------------------------------- running

def run(attacks: list[Attack], ctx: Context, out=print) -> list[tuple[Attack, Finding]]:
    rows = []
    for a in attacks:
        try:
            finding = a.run(ctx)
        except Exception as exc:  # an attack that crashes the grader has broken something
            finding = Finding(True, f"the attack crashed the grader: {type(exc).__name__}: {exc}")
        rows.append((a, finding))
        mark = "EARNED/LEAKED" if finding.succeeded else "blocked"
        extra = f" (+{finding.unearned:g} unearned)" if finding.unearned else ""
        extra += f" (+{finding.suggested:g} only suggested)" if finding.suggested else ""
        extra += f" (-{finding.lost:g} from a correct answer)" if finding.lost else ""
        out(f"[{a.family:9}] {a.name:34} {mark}{extra}: {finding.detail[:300]}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="grader red team: how many attacks earn an unearned point")
    parser.add_argument("--family", action="append", help="only these families")
    parser.add_argument("--only", nargs="+", help="only these attack names")
    parser.add_argument("--list", action="store_true", help="list the attacks and stop")
    parser.add_argument("--work", type=Path, help="keep the generated submissions here")
    args = parser.parse_args(argv)

    import red_team_answers  # noqa: F401  (registers every attack, with those of red_team_attacks)
    import red_team_pdf_attacks  # noqa: F401

    from grader.key import load_key
    from grader.rubric import default_rubric_path, load_rubric

    chosen = [cls() for cls in REGISTRY if (not args.family or cls.family in args.family)
              and (not args.only or cls.__name__ in args.only)]
    if args.list:
        for a in chosen:
            print(f"[{a.family:9}] {a.name:34} {a.description}")
        return 0
    rubric = load_rubric(default_rubric_path())
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="grader-red-team-"))
    if args.work and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    ctx = Context(rubric, load_key(rubric), work)
    rows = run(chosen, ctx)
    won = [a for a, f in rows if f.succeeded]
    unearned = sum(f.unearned for _, f in rows)
    suggested = sum(f.suggested for _, f in rows)
    lost = sum(f.lost for _, f in rows)
    families = sorted({a.family for a, _ in rows})
    print()
    for family in families:
        mine = [(a, f) for a, f in rows if a.family == family]
        print(f"  {family:9} {sum(f.succeeded for _, f in mine)} of {len(mine)} succeeded")
    print(f"\n{len(won)} of {len(rows)} attacks earned an unearned point, leaked the key or broke the batch "
          f"({unearned:g} unearned automatic points; {suggested:g} more only suggested, awaiting a TA; "
          f"{lost:g} points taken from correct answers)")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import red_team  # one copy of the registry, shared with the attack modules

    sys.exit(red_team.main())
