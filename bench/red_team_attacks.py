"""The red team's attacks (bench/red_team.py runs them). Add a class here, decorated with
@attack: a SubmissionAttack returns a student's files, any other Attack returns a Finding."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
from pathlib import Path

from red_team import ROOT, Attack, Context, Finding, SubmissionAttack, attack, latex, markdown, pdf

EXAMPLES = ROOT / "submissions_example"
CHOICE = "3.1"  # a single choice


def _choice(ctx: Context, correct: bool, part: str = CHOICE) -> str:
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


# ---------------------------------------------------------------- text a PDF does not show

class _HiddenInPdf(SubmissionAttack):
    family = "hiding"
    parts = (CHOICE,)
    bases = (False, True)
    options: dict = {}

    def files(self, ctx, correct):
        lines = [(f"{CHOICE}) Answer: ({_choice(ctx, correct)}).", {}),
                 (f"Answer: ({_other(ctx, correct)}).", dict(self.options))]
        data = pdf(lines)
        if self.cover:
            import pymupdf

            doc = pymupdf.open(stream=data)
            doc[0].draw_rect(pymupdf.Rect(60, 95, 400, 115), color=(1, 1, 1), fill=(1, 1, 1))
            data = doc.tobytes()
        return {"main.pdf": data}

    cover = False


@attack
class PdfInvisibleRenderMode(_HiddenInPdf):
    description = "the other answer drawn in text render mode 3 (invisible)"
    options = {"render_mode": 3}


@attack
class PdfWhiteText(_HiddenInPdf):
    description = "the other answer in white on the white page"
    options = {"color": (1, 1, 1)}


@attack
class PdfTinyText(_HiddenInPdf):
    description = "the other answer at 1 pt"
    options = {"fontsize": 1}


@attack
class PdfCoveredText(_HiddenInPdf):
    description = "the other answer under an opaque white rectangle"
    cover = True


# ---------------------------------------------------------------- hedges

class _Hedge(SubmissionAttack):
    family = "hedging"
    parts = (CHOICE,)
    template = ""

    def files(self, ctx, correct):
        options = list(ctx.rubric.part(CHOICE).components[0].settings.options)
        key = ctx.choice_key(CHOICE)[0]
        wrong = ctx.wrong_choice(CHOICE)
        others = [o for o in options if o != key]
        text = self.template.format(key=key, wrong=wrong, all=", ".join(f"({o})" for o in [key, *others]),
                                    key_upper=key.upper(), wrong_upper=wrong.upper())
        return {"answers.md": markdown({CHOICE: text})}


@attack
class HedgeTwoOptions(_Hedge):
    description = "Answer: (key), (wrong) on a single choice"
    template = "Answer: ({key}), ({wrong})"


@attack
class HedgeOrMaybe(_Hedge):
    description = "Answer: (wrong) or maybe (key)"
    template = "Answer: ({wrong}) or maybe ({key})"


@attack
class HedgeEveryOption(_Hedge):
    description = "every option listed, the key first"
    template = "Answer: {all}"


@attack
class HedgeExpressions(SubmissionAttack):
    family = "hedging"
    description = "a wrong formula, then 'or maybe' the key's"
    parts = ("4.6a",)

    def files(self, ctx, correct):
        right = ctx.key.value("4.6a", "answer")["expression"]
        wrong = r"\frac{1}{2}\left(\mathbb{E}_{p_0}[\log(1-D^*(x))] + \mathbb{E}_{p_1}[\log D^*(x)]\right)"
        return {"answers.md": markdown({"4.6a": f"$$\\mathrm{{JSD}}(p_0,p_1) = {wrong}$$\n\nor maybe\n\n"
                                                f"$$\\mathrm{{JSD}}(p_0,p_1) = {right}$$"})}


@attack
class HedgeKeyFirstOrMaybe(_Hedge):
    description = "Answer: (key) or maybe (wrong)"
    template = "Answer: ({key}) or maybe ({wrong})"


@attack
class HedgeEither(_Hedge):
    description = "either (key) or (wrong), no answer line"
    template = "I think it is either ({key}) or ({wrong})."


@attack
class HedgeFrench(_Hedge):
    description = "Réponse : (key) ou bien (wrong)"
    template = "Réponse : ({key}) ou bien ({wrong})"


@attack
class HedgeSoitSoit(_Hedge):
    description = "soit (key) soit (wrong)"
    template = "La bonne réponse est soit ({key}) soit ({wrong})."


@attack
class HedgeBareCapitals(_Hedge):
    description = "Answer: KEY / WRONG in bare capitals"
    template = "Answer: {key_upper} / {wrong_upper}"


@attack
class HedgeAlsoWorks(_Hedge):
    description = "Answer: (wrong). (key) would also work."
    template = "Answer: ({wrong}). But ({key}) would also work."


@attack
class HedgeVerdictsContradict(_Hedge):
    description = "Answer: (key), then a verdict list that marks it false and another true"
    template = "Answer: ({key})\n\n({key}) False\n({wrong}) True"


@attack
class HedgeEveryOptionMultiple(SubmissionAttack):
    family = "hedging"
    description = "every option of a select-all question, in a checkbox list"
    parts = ("3.3",)

    def files(self, ctx, correct):
        options = ctx.rubric.part("3.3").components[0].settings.options
        return {"answers.md": markdown({"3.3": "\n".join(f"[x] ({o})" for o in options)})}


@attack
class RejectedOptionKept(SubmissionAttack):
    family = "hedging"
    description = "a correct answer that names and rejects another option: must keep its points"
    parts = (CHOICE,)
    bases = (True,)

    def files(self, ctx, correct):
        return {"answers.md": markdown({CHOICE: f"Answer: ({ctx.choice_key(CHOICE)[0]}). I do not think "
                                                f"({ctx.wrong_choice(CHOICE)}) is correct, since it assumes too much."})}


# ---------------------------------------------------------------- struck out

class _Struck(SubmissionAttack):
    """The other answer struck out, the shown one after it: struck text is no answer."""

    family = "hedging"
    parts = (CHOICE,)
    bases = (False, True)
    name_of_file = "main.tex"
    strike = ""  # a format string with {x}
    preamble = ""

    def files(self, ctx, correct):
        body = f"Answer: {self.strike.format(x=f'({_other(ctx, correct)})')} ({_choice(ctx, correct)})."
        if self.name_of_file.endswith(".md"):
            return {self.name_of_file: markdown({CHOICE: body})}
        return {self.name_of_file: latex({CHOICE: body}, self.preamble)}


@attack
class TexStrikeoutSoul(_Struck):
    description = r"the other option in soul's \st"
    strike = "\\st{{{x}}}"


@attack
class TexStrikeoutXout(_Struck):
    description = r"the other option in ulem's \xout"
    strike = "\\xout{{{x}}}"


@attack
class TexStrikeoutCancel(_Struck):
    description = r"the other option in \cancel (the cancel package)"
    strike = "\\cancel{{{x}}}"
    preamble = "\\usepackage{cancel}"


@attack
class TexStrikeoutAlias(_Struck):
    description = r"the other option in a macro \let to \sout"
    strike = "\\withdrawn{{{x}}}"
    preamble = "\\let\\withdrawn\\sout"


@attack
class TexStrikeoutOwnMacro(_Struck):
    description = r"the other option in \newcommand\no[1]{\xcancel{#1}}"
    strike = "\\no{{{x}}}"
    preamble = "\\usepackage{cancel}\\newcommand{\\no}[1]{\\xcancel{#1}}"


@attack
class MarkdownStrikeout(_Struck):
    description = "the other option in Markdown ~~...~~"
    name_of_file = "answers.md"
    strike = "~~{x}~~"


@attack
class MarkdownDelTag(_Struck):
    description = "the other option in an HTML <del> tag"
    name_of_file = "answers.md"
    strike = "<del>{x}</del>"


# ---------------------------------------------------------------- keywords and negation

def _prose_part(ctx: Context) -> tuple[str, list[str]]:
    """A prose part with a checklist, and the words of its items."""
    for part in ctx.rubric.parts:
        for c in part.components:
            items = getattr(c.settings, "items", None) or []
            if c.kind == "prose" and len(part.components) == 1 and len(items) >= 3:
                return part.id, [i.description for i in items]
    raise LookupError("no prose part with a checklist")


@attack
class KeywordList(SubmissionAttack):
    family = "keywords"
    description = "the checklist's words as a bare list, no sentence"

    @property
    def parts(self):
        return ()

    def run(self, ctx):
        part, items = _prose_part(ctx)
        words = sorted({w.strip(".,;:()") for d in items for w in d.split() if len(w) > 4})
        self.__class__.parts = (part,)
        return super().run(ctx) if words else Finding(False, "no words")

    def files(self, ctx, correct):
        part, items = _prose_part(ctx)
        words = sorted({w.strip(".,;:()") for d in items for w in d.split() if len(w) > 4})
        return {"answers.md": markdown({part: "Keywords: " + ", ".join(words)})}


@attack
class NegatedSteps(SubmissionAttack):
    family = "keywords"
    description = "every checklist step stated, and negated"

    def run(self, ctx):
        self.__class__.parts = (_prose_part(ctx)[0],)
        return super().run(ctx)

    def files(self, ctx, correct):
        part, items = _prose_part(ctx)
        return {"answers.md": markdown({part: " ".join(f"It is not the case that {d}." for d in items)})}


class _ProseAttack(SubmissionAttack):
    family = "keywords"

    def run(self, ctx):
        self.__class__.parts = (_prose_part(ctx)[0],)
        return super().run(ctx)

    def files(self, ctx, correct):
        return {"answers.md": markdown({_prose_part(ctx)[0]: self.text(_prose_part(ctx)[1])})}

    def text(self, items: list[str]) -> str:
        raise NotImplementedError


def _terms(items: list[str]) -> list[str]:
    """Short terms from the checklist's descriptions: what a keyword list would hold."""
    words = [w.strip(".,;:()") for d in items for w in d.split()]
    return sorted({w for w in words if len(w) > 5 and w.isalpha()})


@attack
class KeywordBullets(_ProseAttack):
    description = "the checklist's terms as a bullet list of bare words"

    def text(self, items):
        return "\n".join(f"- {t}" for t in _terms(items))


@attack
class KeywordListLeadIn(_ProseAttack):
    description = "a sentence opening a list of the checklist's terms ('We use: a, b, c, ...')"

    def text(self, items):
        return "We use the following: " + ", ".join(_terms(items)) + "."


@attack
class KeywordListFrench(_ProseAttack):
    description = "mots-clés : the steps' terms in French, as a list"

    def text(self, items):
        return ("Mots-clés : changement de variables, jacobien, déterminant, substitution, simplification, "
                "annulation, donc, conclusion.")


@attack
class NegatedStepsWithout(_ProseAttack):
    description = "each step named after 'without' / 'is not' / 'never'"

    def text(self, items):
        frames = ["We prove it without {d}.", "The argument is not {d}.", "We never use {d}.",
                  "There is no {d} here."]
        return " ".join(frames[k % len(frames)].format(d=d) for k, d in enumerate(items))


@attack
class NegatedStepsFrench(_ProseAttack):
    description = "the steps negated in French (n'est pas, sans, ne ... pas)"

    def text(self, items):
        return ("Nous ne faisons pas de changement de variables et nous n'utilisons pas le jacobien. "
                "Il n'y a pas de substitution x = F(u) dans l'intégrale. "
                "Les déterminants ne s'annulent pas dans le rapport. "
                "Ce n'est pas vrai que les deux divergences sont égales.")


@attack
class DefinitionRestated(SubmissionAttack):
    family = "hedging"
    description = "4.6a answered with the question's definition of the JSD (no discriminator)"
    parts = ("4.6a",)

    def files(self, ctx, correct):
        return {"answers.md": markdown({"4.6a": "$$\\mathrm{JSD}(p_0, p_1) = \\frac{1}{2}\\mathrm{KL}(p_0\\|\\mu) + "
                                                "\\frac{1}{2}\\mathrm{KL}(p_1\\|\\mu)$$"})}


@attack
class DefinitionInDensities(SubmissionAttack):
    family = "hedging"
    description = "4.6a written with the densities, equal to the JSD, without D*"
    parts = ("4.6a",)

    def files(self, ctx, correct):
        return {"answers.md": markdown({"4.6a": "$$\\mathrm{JSD}(p_0, p_1) = \\frac{1}{2}\\mathbb{E}_{p_0}\\left[\\log"
                                                "\\frac{2p_0(x)}{p_0(x)+p_1(x)}\\right] + \\frac{1}{2}\\mathbb{E}_{p_1}"
                                                "\\left[\\log\\frac{2p_1(x)}{p_0(x)+p_1(x)}\\right]$$"})}


@attack
class EstimatorThenDefinition(SubmissionAttack):
    family = "hedging"
    description = "the right estimator, then the definition restated after it: must keep its points"
    parts = ("4.6a",)
    bases = (True,)

    def files(self, ctx, correct):
        right = ctx.key.value("4.6a", "answer")["expression"]
        return {"answers.md": markdown({"4.6a": f"$$\\mathrm{{JSD}}(p_0, p_1) = {right}$$\n\nwhich is, by definition,\n\n"
                                                "$$\\mathrm{JSD}(p_0, p_1) = \\frac{1}{2}\\mathrm{KL}(p_0\\|\\mu) + "
                                                "\\frac{1}{2}\\mathrm{KL}(p_1\\|\\mu)$$"})}


# ---------------------------------------------------------------- constructs the reader cannot evaluate

class _Unsure(_HiddenInTex):
    """The other answer inside a construct the reader cannot decide: the part goes to a TA."""

    preamble = "\\newcounter{hidden}"


@attack
class TexUnsureCounter(_Unsure):
    description = r"the other answer in \ifnum on a counter the reader cannot know"
    hide = "\\ifnum\\value{{hidden}}>2 {answer} \\fi"


@attack
class TexUnsureDimension(_Unsure):
    description = r"the other answer in \ifdim on a length"
    hide = "\\ifdim\\linewidth>300pt {answer}\\fi"


@attack
class TexUnsureLiteral(_Unsure):
    description = "the other answer after a PDF literal the reader cannot follow"
    hide = "\\pdfliteral{{/Fm1 Do}}{answer}"


@attack
class TexUnsureWholePart(SubmissionAttack):
    family = "hiding"
    description = r"the whole part, heading and answer, inside \ifnum on a counter"
    parts = (CHOICE,)
    bases = (False, True)

    def files(self, ctx, correct):
        body = (f"\\newcounter{{hidden}}\n\\begin{{document}}\n\\section*{{Question 3}}\n\\ifnum\\value{{hidden}}>2 "
                f"{CHOICE}) Answer: ({_other(ctx, correct)}). \\fi\n\\section*{{Question 4}}\n4.1) Answer: (b).\n")
        return {"main.tex": f"\\documentclass{{article}}\n{body}\\end{{document}}\n".encode()}

    def earned(self, ctx, part, correct):
        return 0.0  # nothing is shown for certain: a TA reads the PDF


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

def _wrong_result(ctx: Context):
    from grader.ingest.submission import discover
    from grader.pipeline import grade_submission

    return grade_submission(discover([EXAMPLES / "mistakes-sheet.yaml"])[0], ctx.rubric, ctx.key)


@attack
class GradescopeVisibleFeedback(Attack):
    family = "key-leak"
    description = "read the key from Gradescope's visible feedback before the due date"

    def run(self, ctx):
        from grader.gradescope import results_json
        from grader.leaks import find_leaks

        data = results_json(_wrong_result(ctx), 1.0, ctx.key, early=True)
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

    answers = {}
    for part in ctx.rubric.parts:
        values = {}
        for c in part.components:
            value = ctx.key.value(part.id, c.id)
            if isinstance(value, dict) and "cells" in value:
                values[c.id] = [f"{r}{k}" for r in range(1, 6) for k in range(1, 6) if f"{r}{k}" not in value["cells"]]
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
