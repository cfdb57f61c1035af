"""Prose, derivations and proofs: a checklist of rubric items, each found by concept hints.

The score is a suggestion with the evidence quoted: a TA confirms it (status `needs_review`)
unless the rubric marks the component automatic. Known false proofs carry their own message.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from grader.kinds.base import Extracted, Fragment, Kind, Outcome, Status, StrictModel, register


class ProseItem(StrictModel):
    id: str
    points: float = Field(gt=0)  # weight within the component
    description: str
    hints: list[str] = Field(min_length=1)  # regexes (case-insensitive) over text and math
    min_hits: int = Field(1, ge=1)  # how many different hints must match


class FalseProof(StrictModel):
    id: str
    patterns: list[str] = Field(min_length=1)  # all must match
    unless: list[str] = Field(default_factory=list)  # none of these may match
    message: str
    cap: float = Field(0.5, ge=0, le=1)  # the suggested score is capped at this share


class WordRange(StrictModel):
    min: int = 0
    max: int | None = None


class ProseSettings(StrictModel):
    items: list[ProseItem] = Field(default_factory=list)
    false_proofs: list[FalseProof] = Field(default_factory=list)
    words: WordRange = WordRange()
    reveal_items: bool = True  # students may see which checklist items were found

    @model_validator(mode="after")
    def _compile(self) -> ProseSettings:
        for pattern in [h for i in self.items for h in i.hints] + [p for f in self.false_proofs for p in f.patterns + f.unless]:
            re.compile(pattern)
        return self


class ProseWhen(StrictModel):
    pass


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z$\\])|\n{2,}")


def _evidence(text: str, match: re.Match) -> str:
    """The sentence around a match, trimmed for quoting."""
    start = max(text.rfind(".", 0, match.start()), text.rfind("\n\n", 0, match.start())) + 1
    end_dot = text.find(".", match.end())
    end = len(text) if end_dot < 0 else end_dot + 1
    quote = " ".join(text[start:end].split())
    return quote if len(quote) <= 220 else quote[:217] + "…"


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-zÀ-ÿ]{2,}", text))


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
<p class="muted">{{ ctx.words }} words.</p>"""

    def extract(self, fragment: Fragment, component) -> Extracted:
        text = fragment.structured if isinstance(fragment.structured, str) else fragment.text
        if fragment.structured is not None and not isinstance(fragment.structured, str):
            return Extracted(None, "answer sheet", 0.0, problem="expected text")
        if not text.strip():
            return Extracted(None, "text", 0.0, problem="no text was found")
        return Extracted({"text": text.strip(), "words": word_count(text)},
                         "answer sheet" if fragment.structured is not None else fragment.how, fragment.confidence)

    def checklist(self, text: str, settings: ProseSettings) -> list[dict]:
        found = []
        for item in settings.items:
            hits = [m for h in item.hints if (m := re.search(h, text, re.I | re.S))]
            found.append({"id": item.id, "description": item.description, "points": item.points,
                          "found": len(hits) >= item.min_hits,
                          "evidence": [_evidence(text, m) for m in hits[:2]]})
        return found

    def grade(self, answer: Extracted, key: Any, component) -> Outcome:
        settings: ProseSettings = component.settings
        text = answer.value["text"]
        items = self.checklist(text, settings)
        weight = sum(i["points"] for i in items)
        fraction = sum(i["points"] for i in items if i["found"]) / weight if weight else 1.0
        messages, notes = [], []
        for proof in settings.false_proofs:
            if all(re.search(p, text, re.I | re.S) for p in proof.patterns) and not any(
                    re.search(p, text, re.I | re.S) for p in proof.unless):
                messages.append(proof.message)
                notes.append(proof.id)
                fraction = min(fraction, proof.cap)
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
            messages.insert(0, f"{found_count} of {len(items)} expected steps found.")
            if missing:
                messages.append("Not found: " + "; ".join(missing) + ".")
        evidence = tuple(q for i in items if i["found"] for q in i["evidence"][:1])
        if component.automatic and not component.settings.items and not settings.false_proofs:
            status: Status = "correct"
        elif component.automatic:
            status = "correct" if fraction == 1 else ("partial" if fraction > 0 else "incorrect")
        else:
            status = "needs_review"
            messages.append("Suggested score; a TA will confirm it.")
        return Outcome(fraction, status, " ".join(messages), tuple(notes), suggested=not component.automatic,
                       evidence=evidence, extra={"items": items, "words": words})

    def describe(self, answer: Extracted) -> str:
        if not answer.readable:
            return f"not read: {answer.problem}"
        return f"{answer.value['words']} words"

    def render_context(self, answer, key, outcome, component) -> dict:
        items = outcome.extra.get("items", []) if outcome else []
        return {"items": items, "words": answer.value["words"] if answer and answer.readable else 0}

    def self_test(self, component, key) -> list[tuple[Any, Status]]:
        off_topic: Status = "needs_review" if not component.automatic else (
            "incorrect" if component.settings.items else "correct")
        return [("An answer that does not address the question at all.", off_topic), (42, "needs_review")]
