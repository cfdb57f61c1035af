"""The red team's attacks on what an answer says (bench/red_team.py runs them, with those of
red_team_attacks.py): hedges, struck-out options, keyword lists and negations, a definition
restated, and constructs the reader cannot evaluate."""

from __future__ import annotations

from red_team import Context, Finding, SubmissionAttack, attack, latex, markdown
from red_team_attacks import CHOICE, _choice, _HiddenInTex, _other


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


class _ProseAttack(SubmissionAttack):
    family = "keywords"

    def run(self, ctx):
        self.__class__.parts = (_prose_part(ctx)[0],)
        return super().run(ctx)

    def files(self, ctx, correct):
        return {"answers.md": markdown({_prose_part(ctx)[0]: self.text(_prose_part(ctx)[1])})}

    def text(self, items: list[str]) -> str:
        raise NotImplementedError


@attack
class KeywordList(_ProseAttack):
    description = "the checklist's words as a bare list, no sentence"

    def text(self, items: list[str]) -> str:
        return "Keywords: " + ", ".join(sorted({w.strip(".,;:()") for d in items for w in d.split() if len(w) > 4}))


@attack
class NegatedSteps(_ProseAttack):
    description = "every checklist step stated, and negated"

    def text(self, items: list[str]) -> str:
        return " ".join(f"It is not the case that {d}." for d in items)


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
