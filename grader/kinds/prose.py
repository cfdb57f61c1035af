"""Prose, derivations and proofs: a checklist of rubric items, each found by concept hints.

The score is a suggestion with the evidence quoted: a TA confirms it (status `needs_review`)
unless the rubric marks the component automatic. Known false proofs carry their own message.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from grader.analyses.language import gloss, language
from grader.kinds.base import Extracted, Fragment, Kind, Outcome, Status, StrictModel, register
from grader.kinds.prose_text import (MATHY, canonical, derived_relation, normalise_math, quote, readable,  # noqa: F401
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
    """The units of an answer with their normalised math, goal statements set aside."""

    def __init__(self, text: str, goals: list[str]):
        self.units = [u for u in units(text) if not any(re.search(g, u, re.I) for g in goals)]
        self.normalised = [normalise_math(u) if MATHY.search(u) else u for u in self.units]
        # a French answer is also read through its English gloss: most rubrics' hints are English
        self.language = language(text)
        self.glossed = [gloss(u) for u in self.normalised] if self.language == "fr" else []
        self.derived = [derived_relation(n) for n in self.normalised]

    def _forms(self, index: int) -> tuple[str, ...]:
        forms = (self.units[index], self.normalised[index])
        if self.derived[index]:
            forms += (self.derived[index],)
        return forms + (self.glossed[index],) if self.glossed else forms

    def find(self, pattern: str) -> tuple[str, re.Match] | None:
        for index, unit in enumerate(self.units):
            for form in self._forms(index):
                m = re.search(pattern, form, re.I)
                if m:
                    return unit, m
        return None

    def states(self, description: str) -> str | None:
        """The unit that writes out a formula the description states (compared loosely: spacing,
        brackets, subscripts and arguments aside), or None."""
        wanted = [canonical(f) for f in stated_formulas(description)]
        if not wanted:
            return None
        for index, unit in enumerate(self.units):
            forms = [canonical(form) for form in (self.normalised[index], self.derived[index]) if form]
            if any(w in form for w in wanted for form in forms):
                return unit
        return None

    def whole(self, pattern: str) -> bool:
        """For patterns spanning sentences (false proofs): the whole answer, as written, normalised,
        or glossed."""
        texts = [" ".join(self.units), " ".join(self.normalised)] + ([" ".join(self.glossed)] if self.glossed else [])
        return any(re.search(pattern, t, re.I | re.S) for t in texts)


@register
class ProseKind(Kind):
    name = "prose"
    Settings = ProseSettings
    When = ProseWhen
    needs_key = False
    TEMPLATE = """
{% if ctx["items"] %}<ul class="checklist">
  {% for item in ctx["items"] %}<li class="{{ 'found' if item.found else 'notfound' }}">{{ "✔" if item.found else "✘" }} {{ item.description }}
    {% for quote in item.evidence %}<blockquote>{{ quote }}</blockquote>{% endfor %}</li>{% endfor %}
</ul>{% endif %}
{% for quote in ctx.get("false_proofs", []) %}<p class="small"><b>Known false argument:</b></p><blockquote>{{ quote }}</blockquote>{% endfor %}
<p class="muted">{{ ctx.words }} words.</p>"""

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
        sentences = sentences or _Sentences(text, settings.goals)
        found = []
        for item in settings.items:
            hits = [hit for h in item.hints if (hit := sentences.find(h))]
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
                          "found": ok, "evidence": quotes[:2]})
        return found

    def grade(self, answer: Extracted, key: Any, component) -> Outcome:
        settings: ProseSettings = component.settings
        text = answer.value.get("latex") or answer.value["text"]
        sentences = _Sentences(text, settings.goals)
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
        evidence = tuple(proof_evidence) + tuple(q for i in items if i["found"] for q in i["evidence"][:1])
        if component.automatic and not component.settings.items and not settings.false_proofs:
            status: Status = "correct"
        elif component.automatic:
            status = "correct" if fraction == 1 else ("partial" if fraction > 0 else "incorrect")
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
