"""Prose, derivations and proofs: a checklist of rubric items, each found by concept hints.

The score is a suggestion with the evidence quoted: a TA confirms it (status `needs_review`)
unless the rubric marks the component automatic. Known false proofs carry their own message.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from grader.analyses.language import gloss, language
from grader.kinds.base import Extracted, Fragment, Kind, Outcome, Status, StrictModel, register, status_for
from grader.kinds.prose_claims import continues, negated, pieces
from grader.kinds.prose_text import (MATHY, as_expectations, canonical, dehyphenated, derived_relations, named_steps,
                                     normalise_math, quote, readable,
                                     stated_formulas, units, word_count)


class ProseItem(StrictModel):
    id: str
    points: float = Field(gt=0)  # weight within the component
    description: str
    # Regexes (case-insensitive), each tried on every sentence as written and in normalised math
    # (see normalise_math: "\geq" and ">=" read "≥", "\frac{a}{b}" reads "(a)/(b)", "\mathbb{E}" reads "E").
    hints: list[str] = Field(min_length=1)
    min_hits: int = Field(1, ge=1)  # how many different hints must match


class FalseProof(StrictModel):
    id: str
    patterns: list[str] = Field(min_length=1)  # all must match
    unless: list[str] = Field(default_factory=list)  # none of these may match
    message: str
    cap: float = Field(0.5, ge=0, le=1)  # the suggested score is capped at this share
    quote: str | None = None  # regex of the sentence to quote as evidence (default: the first pattern)


class WordRange(StrictModel):
    min: int = 0
    max: int | None = None


# A sentence that only states what is to be shown, or asks a question, proves no step: students
# paraphrase the question ("We want to show that L_k is a lower bound"), and it must not count.
DEFAULT_GOALS = [
    r"^\W*(?:we|i)\s+(?:want|need|aim|have|wish|are\s+asked|must|will|shall|would\s+like)\s+to\s+"
    r"(?:show|prove|demonstrate|derive|establish|verify|find)\b",
    r"^\W*(?:let\s+us|let's)\s+(?:show|prove|demonstrate|verify)\s+that\b",
    r"^\W*(?:show|prove|demonstrate|derive)\s+that\b",
    r"^\W*(?:our|the)\s+(?:goal|aim|task|objective\s+here|question)\s+(?:is|asks)\b",
    r"^\W*(?:to\s+(?:show|prove|demonstrate)\s+that)\b",
    r"\?\s*$",
]


class ProseSettings(StrictModel):
    items: list[ProseItem] = Field(default_factory=list)
    false_proofs: list[FalseProof] = Field(default_factory=list)
    words: WordRange = WordRange()
    # Points of found items that earn the whole component (default: all of them); a review need not
    # answer every guiding question.
    full_credit_at: float | None = Field(None, gt=0)
    goals: list[str] = Field(default_factory=lambda: list(DEFAULT_GOALS))  # sentences that prove nothing
    # What a bare mention of a step earns: a term in a list of keywords ("Keywords: Jacobian, cancel")
    # or a concept negated where it is named ("is not unbiased"). earn_nothing: a derivation shows
    # its steps; count: a review's judgments are such mentions ("Strengths: simple method", "not
    # novel"). Default: count in the sections of the rubric's `review:`, earn_nothing elsewhere.
    bare_mentions: Literal["earn_nothing", "count"] | None = None
    _review_section: bool = PrivateAttr(default=False)

    def mark_review_section(self) -> None:
        """The rubric's `review:` names this component's part as one of its sections."""
        self._review_section = True

    @property
    def mentions_count(self) -> bool:
        return (self.bare_mentions or ("count" if self._review_section else "earn_nothing")) == "count"

    @model_validator(mode="after")
    def _compile(self) -> ProseSettings:
        for pattern in ([h for i in self.items for h in i.hints] + self.goals
                        + [p for f in self.false_proofs for p in [*f.patterns, *f.unless, f.quote or ""]]):
            re.compile(pattern, re.I)  # the flags grading uses: re's cache then serves grading
        return self


class ProseWhen(StrictModel):
    pass


# ---------------------------------------------------------------- sentences and math


class _Sentences:
    """The units of an answer with their normalised math, goal statements set aside. A unit that is
    a list of keywords is kept as its items, and only a clause or an equation among them counts;
    a hint matched where the words before it negate it shows no step (prose_claims.py)."""

    def __init__(self, text: str, goals: list[str], mentions_count: bool = False):
        goals_found = [_regex(g, re.I).search for g in goals]
        raw, self.units = [], []
        for u in units(dehyphenated(text), raw=True):
            spaced = " ".join(u.split())
            if not any(goal(spaced) for goal in goals_found):
                raw.append(u)
                self.units.append(spaced)
        self.normalised = [normalise_math(u) if MATHY.search(u) else u for u in self.units]
        # a French answer is also read through its English gloss: most rubrics' hints are English
        self.language = language(text)
        self.glossed = [gloss(u) for u in self.normalised] if self.language == "fr" else []
        # what each unit's chain proves, the identities its formulas name, its integrals as expectations
        self.derived = [_derived(n) for n in self.normalised]
        self.mentions_count = mentions_count
        # per unit: its pieces (a list of keywords is cut into its items) and whether each counts
        self.pieces = [[(self.units[i], True)] if mentions_count else
                       [(" ".join(p.text.split()), p.counts) for p in pieces(u)] for i, u in enumerate(raw)]
        # every hint of every item is tried on every unit: each unit's forms, and whether the words
        # before a match negate it, are worked out once
        self._forms_of: dict[int, list[tuple[str, bool]]] = {}
        self._negated: dict[tuple[int, int, int], bool] = {}
        self._joined: str | None = None

    def _forms(self, index: int) -> list[tuple[str, bool]]:
        forms = self._forms_of.get(index)
        if forms is None:
            forms = self._forms_of[index] = self._unit_forms(index)
        return forms

    def _unit_forms(self, index: int) -> list[tuple[str, bool]]:
        """The unit's forms (as written, normalised, derived, glossed), or its pieces' when it is a list."""
        if len(self.pieces[index]) == 1:
            forms = [self.units[index], self.normalised[index], *self.derived[index]]
            return [(form, True) for form in forms + ([self.glossed[index]] if self.glossed else [])]
        out = []
        for words, counts in self.pieces[index]:
            normalised = normalise_math(words) if MATHY.search(words) else words
            out += [(words, counts), (normalised, counts)] + ([(gloss(normalised), counts)] if self.glossed else [])
        return out

    def find(self, pattern: str) -> tuple[str, re.Match] | None:
        """The first match of a pattern, as the answer writes it (for quoting)."""
        return next(((self.units[i], m) for i, _, m, _ in self.matches(pattern)), None)

    def matches(self, pattern: str) -> list[tuple[int, int, re.Match, str | None]]:
        """Every match of a hint: (its unit, which form of it, the match, why it shows no step:
        'keywords' when it is a term in a list of keywords, 'negated' when the words before it
        negate it, else None)."""
        out = []
        rx = _regex(pattern, re.I)
        if not _sees_around(pattern) and rx.search(self._all_forms()) is None:
            return out  # found in no form: most hints, for most sentences
        finditer = rx.finditer
        for index in range(len(self.units)):
            for number, (form, counts) in enumerate(self._forms(index)):
                for m in finditer(form):
                    why = None if self.mentions_count else (
                        "keywords" if not counts else "negated" if self._negated_at(index, number, form, m.start())
                        else None)
                    out.append((index, number, m, why))
        return out

    def _all_forms(self) -> str:
        """Every form of every unit, one a line: a pattern without anchors or lookarounds that
        matches in a form matches here too (a line break is no word character), so one search
        tells that a hint is nowhere."""
        if self._joined is None:  # each different form once: as written and normalised are often alike
            self._joined = "\n".join(dict.fromkeys(form for index in range(len(self.units))
                                                   for form, _ in self._forms(index)))
        return self._joined

    def _negated_at(self, index: int, number: int, form: str, start: int) -> bool:
        key = (index, number, start)
        found = self._negated.get(key)
        if found is None:
            found = self._negated[key] = negated(form, start)
        return found

    def step(self, hints: list[str]) -> tuple[list[tuple[str, re.Match]], str | None]:
        """Where a checklist item's hints show its step: the first match of each hint that counts,
        and why none does when none does. A match that only continues a negated mention of the
        same step ("without the change-of-variables formula, with its Jacobian") is negated too."""
        found = [self.matches(hint) for hint in hints]
        negations = [(i, f, m) for matches in found for i, f, m, why in matches if why == "negated"]

        def continues_a_negation(i: int, f: int, m: re.Match) -> bool:
            return any(i == j and f == g and n.end() <= m.start() and continues(m.string[n.end():m.start()])
                       for j, g, n in negations)

        hits, refused = [], None
        for matches in found:
            hit = next(((self.units[i], m) for i, f, m, why in matches
                        if why is None and not continues_a_negation(i, f, m)), None)
            if hit:
                hits.append(hit)
            elif matches:
                refused = refused or next((why for *_, why in matches if why), "negated")
        return hits, None if hits else refused

    def states(self, description: str) -> str | None:
        """The unit that writes out a formula the description states (compared loosely: spacing,
        brackets, subscripts and arguments aside), or None."""
        wanted = [canonical(f) for f in stated_formulas(description)]
        if not wanted:
            return None
        for index, unit in enumerate(self.units):
            forms = [canonical(form) for form in (self.normalised[index], *self.derived[index])]
            if any(w in form for w in wanted for form in forms) and not self._formula_negated(index):
                return unit
        return None

    def _formula_negated(self, index: int) -> bool:
        """Whether the words before a unit's first relation negate it ("it is not the case that
        D_KL[P‖Q] = ...", "we do not get A = B"): the formula stated is then no step either."""
        if self.mentions_count:
            return False
        normalised = self.normalised[index]
        relation = re.search(r"[=≤≥<>]", normalised)
        if relation is None:
            return negated(normalised, len(normalised))
        left = re.search(r"\S+\s*$", normalised[:relation.start()])  # the relation's left side starts the formula
        return negated(normalised, left.start() if left else relation.start())

    def whole(self, pattern: str) -> bool:
        """For patterns spanning sentences (false proofs): the whole answer, as written, normalised,
        or glossed."""
        texts = [" ".join(self.units), " ".join(self.normalised)] + ([" ".join(self.glossed)] if self.glossed else [])
        search = _regex(pattern, re.I | re.S).search
        return any(search(t) for t in texts)


def _derived(normalised: str) -> list[str]:
    """A unit's forms beyond its own: what its chains show, the identities its formulas name, and
    these with their integrals against a density as expectations."""
    derived = derived_relations(normalised) + named_steps(normalised)
    expected = [e for form in [normalised, *derived] if (e := as_expectations(form))]
    return derived + [e for e in expected if e not in derived]


@lru_cache(maxsize=4096)
def _sees_around(pattern: str) -> bool:
    """Whether a pattern may match in a form and not in the forms joined by line breaks: it anchors
    (^, $, \\A, \\Z outside a character class) or looks around ((?=, (?!, (?<=, (?<!)."""
    i, in_class, class_start = 0, False, False  # class_start: "]" here is a member, not the end
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if not in_class and pattern[i + 1:i + 2] in ("A", "Z"):
                return True
            i += 2
            class_start = False
            continue
        if in_class:
            if ch == "]" and not class_start:
                in_class = False
            class_start = class_start and ch == "^"
        elif ch == "[":
            in_class, class_start = True, True
        elif ch in "^$" or pattern.startswith(("(?=", "(?!", "(?<"), i):
            return True
        i += 1
    return False


@lru_cache(maxsize=4096)
def _regex(pattern: str, flags: int) -> re.Pattern:
    """A rubric's regex compiled once: re.search(pattern, ...) pays re's cache lookup on every call,
    and grading tries every hint on every form of every sentence."""
    return re.compile(pattern, flags)


_REFUSED = {"keywords": "only in a list of keywords", "negated": "negated where it is named"}


@register
class ProseKind(Kind):
    name = "prose"
    Settings = ProseSettings
    When = ProseWhen
    needs_key = False
    TEMPLATE = """
{% if ctx["items"] %}<ul class="checklist">
  {% for item in ctx["items"] %}<li class="{{ 'found' if item["found"] else 'notfound' }}">{{ "✔" if item["found"] else "✘" }} {{ item["description"] }}
    {% for quote in item["evidence"] %}<blockquote>{{ quote }}</blockquote>{% endfor %}</li>{% endfor %}
</ul>{% endif %}
{% for quote in ctx.get("false_proofs", []) %}<p class="small"><b>Known false argument:</b></p><blockquote>{{ quote }}</blockquote>{% endfor %}
<p class="muted">{{ ctx["words"] }} words.</p>"""

    def extract(self, fragment: Fragment, component) -> Extracted:
        text = fragment.structured if isinstance(fragment.structured, str) else fragment.text
        if fragment.structured is not None and not isinstance(fragment.structured, str):
            return Extracted(None, "answer sheet", 0.0, problem="expected text")
        if not text.strip():
            return Extracted(None, "text", 0.0, problem="no text was found")
        text = text.strip()
        shown = readable(text)
        value = {"text": shown, "words": word_count(text)}
        if shown != text:  # graded as written (hints may be written in LaTeX), shown in plain words
            value["latex"] = text
        return Extracted(value,
                         "answer sheet" if fragment.structured is not None else fragment.how, fragment.confidence)

    def affinity(self, fragment: Fragment, component) -> float:
        """The share of the checklist's points whose steps the text shows."""
        settings: ProseSettings = component.settings
        if fragment.empty or not settings.items:
            return 0.0
        items = self.checklist(fragment.text, settings)
        weight = sum(i["points"] for i in items)
        return sum(i["points"] for i in items if i["found"]) / weight if weight else 0.0

    def checklist(self, text: str, settings: ProseSettings, sentences: _Sentences | None = None) -> list[dict]:
        sentences = sentences or _Sentences(text, settings.goals, settings.mentions_count)
        found = []
        for item in settings.items:
            hits, refused = sentences.step(item.hints)
            quotes: list[str] = []
            for unit, m in hits:
                said = quote(unit, m)
                if said not in quotes:
                    quotes.append(said)
            ok = len(hits) >= item.min_hits
            if not ok:  # the formula the item states, written out in the answer, is the step too
                unit = sentences.states(item.description)
                if unit is not None:
                    ok, quotes = True, [quote(unit)]
            found.append({"id": item.id, "description": item.description, "points": item.points,
                          "found": ok, "evidence": quotes[:2],
                          # named, and not shown: only among keywords, or negated where it is named
                          "refused": None if ok else refused})
        return found

    def grade(self, answer: Extracted, key: Any, component) -> Outcome:
        settings: ProseSettings = component.settings
        text = answer.value.get("latex") or answer.value["text"]
        sentences = _Sentences(text, settings.goals, settings.mentions_count)
        items = self.checklist(text, settings, sentences)
        weight = sum(i["points"] for i in items)
        earned = sum(i["points"] for i in items if i["found"])
        needed = min(settings.full_credit_at or weight, weight)
        fraction = min(1.0, earned / needed) if needed else 1.0
        messages, notes = [], []
        proof_evidence: list[str] = []
        for proof in settings.false_proofs:
            if all(sentences.whole(p) for p in proof.patterns) and not any(sentences.whole(p) for p in proof.unless):
                messages.append(proof.message)
                notes.append(proof.id)
                fraction = min(fraction, proof.cap)
                hit = sentences.find(proof.quote or proof.patterns[0])
                if hit:
                    proof_evidence.append(quote(*hit))
        words = answer.value["words"]
        if words < settings.words.min:
            messages.append(f"Short: {words} words, where at least {settings.words.min} are expected.")
            notes.append("too-short")
        if settings.words.max is not None and words > settings.words.max:
            messages.append(f"Long: {words} words, where at most {settings.words.max} are expected.")
            notes.append("too-long")
        missing = [i["description"] for i in items if not i["found"]]
        if items:
            found_count = len(items) - len(missing)
            if settings.full_credit_at and needed < weight:
                messages.insert(0, f"{found_count} of {len(items)} checklist items found "
                                   f"({earned:g} of {weight:g} points; {needed:g} earn full credit).")
            else:
                messages.insert(0, f"{found_count} of {len(items)} expected steps found.")
            if missing:
                messages.append("Not found: " + "; ".join(missing) + ".")
            refused = [f"{i['description']} ({_REFUSED[i['refused']]})" for i in items if i["refused"]]
            if refused:
                messages.append("Named but not shown, which earns nothing: " + "; ".join(refused) + ".")
        evidence = tuple(proof_evidence) + tuple(q for i in items if i["found"] for q in i["evidence"][:1])
        if component.automatic and not component.settings.items and not settings.false_proofs:
            status: Status = "correct"
        elif component.automatic:
            status = status_for(fraction)
        else:
            status = "needs_review"
            messages.append("Suggested score; a TA will confirm it.")
        return Outcome(fraction, status, " ".join(messages), tuple(notes), suggested=not component.automatic,
                       evidence=evidence, extra={"items": items, "words": words, "false_proofs": proof_evidence})

    def group_label(self, value: Any) -> str | None:
        return None  # free text: no answer groups

    def describe(self, answer: Extracted) -> str:
        if not answer.readable:
            return f"not read: {answer.problem}"
        return f"{answer.value['words']} words"

    def render_context(self, answer, key, outcome, component) -> dict:
        items = outcome.extra.get("items", []) if outcome else []
        return {"items": items, "words": answer.value["words"] if answer and answer.readable else 0,
                "false_proofs": outcome.extra.get("false_proofs", []) if outcome else []}

    def self_test(self, component, key) -> list[tuple[Any, Status]]:
        off_topic: Status = "needs_review" if not component.automatic else (
            "incorrect" if component.settings.items else "correct")
        return [("An answer that does not address the question at all.", off_topic), (42, "needs_review")]
