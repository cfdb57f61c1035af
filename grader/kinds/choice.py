"""Single and multiple choice, read from a sheet, from per-option verdicts ("3.1.b): is correct",
"4.1.b) False."), from a stated choice ("the correct answer is b", "I would choose ... (B)",
"Answer: (b)"), from checkboxes ("[x] (b)") or, with less confidence, from the options' own words.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from grader.kinds.base import (LOW_CONFIDENCE, Extracted, Fragment, Kind, Outcome, Status,
                               StrictModel, register)


class ChoiceSettings(StrictModel):
    options: dict[str, str]  # option id ("a", "forward") -> its text, as the question gives it
    multiple: bool = False
    # all_or_nothing; each_answer: every option rightly selected or left out earns 1/n;
    # net_correct: (right selections - wrong selections) / number of right options, floor 0.
    policy: Literal["all_or_nothing", "each_answer", "net_correct"] = "all_or_nothing"
    # Which verdict written beside an option means "this is my choice": "true" for "select all
    # that apply", "false" for "which proposition is false?".
    chosen_verdict: Literal["true", "false"] = "true"
    aliases: dict[str, list[str]] = Field(default_factory=dict)  # extra regexes naming an option

    @model_validator(mode="after")
    def _valid(self) -> ChoiceSettings:
        unknown = set(self.aliases) - set(self.options)
        if unknown:
            raise ValueError(f"aliases for unknown options: {sorted(unknown)}")
        if not self.multiple and self.policy != "all_or_nothing":
            raise ValueError("a single choice is all or nothing; set multiple: true for partial credit")
        for patterns in self.aliases.values():
            for pattern in patterns:
                re.compile(pattern)
        return self


class ChoiceWhen(StrictModel):
    selected: list[str]  # the answer selects exactly these


def _normalise(value: Any) -> list[str] | None:
    if isinstance(value, dict):
        value = value.get("choices", value.get("choice"))
    if isinstance(value, str):
        value = re.split(r"[\s,;]+", value.strip())
    if not isinstance(value, (list, tuple, set)):
        return None
    return sorted({str(v).strip().strip("()").lower() for v in value if str(v).strip()})


_POSITIVE = {"correct", "true", "right", "yes", "selected", "chosen"}
_NEGATIVE = {"incorrect", "false", "wrong", "no", "not"}
_VERDICT = re.compile(
    r"(?:^|\n)[ \t>*-]*(?:\*\*)?(?:(?:Answer|Question)\s*\d+\s*[.:)]?\s*)?(?:Q?\d+(?:\.\d+)*\.?\s*)?[(\[]?(?P<opt>[a-hA-H])\s*[)\].:][):.\-–—\s]*(?:\*\*)?\s*"
    r"(?:is\s+|this\s+is\s+)?(?P<verdict>incorrect|correct|true|false|wrong|right)\b", re.I)
_STATED = re.compile(
    r"(?:answer|choice|option|solution)\s*(?:is|would\s+be|:|=)\s*(?:option\s*)?[(\[]?\s*(?P<opt>[a-hA-H])\b\s*[)\]]?"
    r"|(?:choose|chose|select|selected|pick|picked|opt\s+for|go\s+with)\b[^.\n]{0,120}?[(\[](?P<opt2>[a-hA-H])[)\]]",
    re.I)
_CHECKBOX = re.compile(r"\[(?P<mark>[xX✓✗■ ])\]\s*[(\[]?(?P<opt>[a-hA-H])[)\]]")
_PAREN = re.compile(r"(?<![\w\\])\((?P<opt>[a-hA-H])\)")
_DECISION = re.compile(r"\b(use|choose|chose|select|optimi[sz]e|objective|would|prefer|pick|answer|go with|opt for)\b", re.I)
_NEGATION = re.compile(r"\b(not|cannot|can't|infeasible|impossible|instead of|rather than|unlike)\b", re.I)


@register
class ChoiceKind(Kind):
    name = "choice"
    Settings = ChoiceSettings
    When = ChoiceWhen
    TEMPLATE = """
<table class="choices">
  <tr><th>Option</th><th>You selected</th>{% if ctx.show_key %}<th>Expected</th>{% endif %}</tr>
  {% for o in ctx.options %}
  <tr class="{{ o.css }}"><td><b>({{ o.id }})</b> {{ o.text }}</td><td>{{ "✔" if o.selected else "" }}</td>{% if ctx.show_key %}<td>{{ "✔" if o.expected else "" }}</td>{% endif %}</tr>
  {% endfor %}
</table>"""

    def prepare(self, key: Any, settings: ChoiceSettings) -> dict:
        choices = _normalise(key)
        if not choices:
            raise ValueError("choice key must name at least one option")
        unknown = set(choices) - set(settings.options)
        if unknown:
            raise ValueError(f"choice key names unknown options {sorted(unknown)}")
        if not settings.multiple and len(choices) != 1:
            raise ValueError("a single-choice key names exactly one option")
        return {"choices": choices}

    def extract(self, fragment: Fragment, component) -> Extracted:
        settings: ChoiceSettings = component.settings
        options = {o.lower() for o in settings.options}
        if fragment.structured is not None:
            chosen = _normalise(fragment.structured)
            if chosen is None:
                return Extracted(None, "answer sheet", 0.0, problem="expected an option such as 'b' or a list")
            unknown = set(chosen) - options
            if unknown:
                return Extracted(None, "answer sheet", 0.0, problem=f"unknown options {sorted(unknown)}")
            return Extracted({"choices": chosen}, "answer sheet", 1.0)
        text = fragment.text
        letters = {o for o in options if len(o) == 1}
        for reader in (self._checkboxes, self._verdicts, self._stated, self._parenthesised):
            found = reader(text, letters, settings)
            if found is not None:
                return found
        return self._by_words(text, settings) or Extracted(
            None, "text", 0.0, problem="no choice was found (write, e.g., 'Answer: (b)')")

    @staticmethod
    def _checkboxes(text, letters, settings) -> Extracted | None:
        marks = {m["opt"].lower(): m["mark"].strip() != "" for m in _CHECKBOX.finditer(text) if m["opt"].lower() in letters}
        if marks and any(marks.values()):
            chosen = sorted(o for o, on in marks.items() if on)
            return Extracted({"choices": chosen}, "checkboxes", 0.9,
                             evidence=tuple(f"[x] ({o})" for o in chosen))
        return None

    @staticmethod
    def _verdicts(text, letters, settings) -> Extracted | None:
        verdicts: dict[str, set[bool]] = {}
        evidence = []
        for m in _VERDICT.finditer(text):
            opt = m["opt"].lower()
            if opt not in letters:
                continue
            positive = m["verdict"].lower() in _POSITIVE
            verdicts.setdefault(opt, set()).add(positive)
            evidence.append(m.group(0).strip())
        if not verdicts:
            return None
        if any(len(v) > 1 for v in verdicts.values()):
            return Extracted(None, "per-option verdicts", 0.0, evidence=tuple(evidence),
                             problem="an option is marked both true and false")
        want = settings.chosen_verdict == "true"
        chosen = sorted(o for o, v in verdicts.items() if (True in v) == want)
        if not chosen:
            return None
        complete = len(verdicts) == len(letters)
        return Extracted({"choices": chosen}, "a verdict written beside each option" if complete
                         else "verdicts written beside some options", 0.95 if complete else 0.85,
                         evidence=tuple(evidence))

    @staticmethod
    def _stated(text, letters, settings) -> Extracted | None:
        found = []
        for m in _STATED.finditer(text):
            opt = (m["opt"] or m["opt2"]).lower()
            if opt in letters:
                found.append((opt, m.group(0).strip()))
        chosen = sorted({o for o, _ in found})
        if not chosen:
            return None
        if len(chosen) > 1 and not settings.multiple:
            return Extracted(None, "stated choice", 0.0, evidence=tuple(e for _, e in found),
                             problem=f"several options are stated as the answer: {', '.join(chosen)}")
        return Extracted({"choices": chosen}, "a stated choice", 0.9, evidence=tuple(e for _, e in found))

    @staticmethod
    def _parenthesised(text, letters, settings) -> Extracted | None:
        found = sorted({m["opt"].lower() for m in _PAREN.finditer(text)} & letters)
        if len(found) == 1 or (found and settings.multiple):
            return Extracted({"choices": found}, "an option letter in parentheses", 0.8,
                             evidence=tuple(f"({o})" for o in found))
        return None

    @staticmethod
    def _by_words(text, settings: ChoiceSettings) -> Extracted | None:
        """Score option mentions per sentence; a decision sentence counts, a negated one does not."""
        scores: dict[str, float] = {}
        evidence: dict[str, str] = {}
        for sentence in re.split(r"(?<=[.!?;])\s+|\n{2,}", text):
            for option, text_of_option in settings.options.items():
                patterns = settings.aliases.get(option, []) + ([re.escape(text_of_option)] if len(text_of_option) > 3 else [])
                if not any(re.search(p, sentence, re.I) for p in patterns):
                    continue
                if _NEGATION.search(sentence):
                    continue
                weight = 2.0 if _DECISION.search(sentence) else 1.0
                if option not in scores:
                    weight += 0.5  # the first affirmative mention is usually the choice
                scores[option] = scores.get(option, 0.0) + weight
                evidence.setdefault(option, sentence.strip()[:200])
        if not scores:
            return None
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < 1.0:
            return Extracted(None, "the options' own words", 0.0, evidence=tuple(evidence.values()),
                             problem="the text names several options without a clear choice")
        best = ranked[0][0]
        confidence = 0.8 if ranked[0][1] >= 2.5 else 0.6
        return Extracted({"choices": [best]}, "the options' own words", confidence, evidence=(evidence[best],))

    def grade(self, answer: Extracted, key: dict, component) -> Outcome:
        settings: ChoiceSettings = component.settings
        chosen, wanted = set(answer.value["choices"]), set(key["choices"])
        notes, messages = [], []
        if not settings.multiple and len(chosen) > 1:
            fraction = 0.0
            messages.append("Only one option may be selected: selecting several earns no credit.")
            notes.append("several-selected")
        elif chosen == wanted:
            fraction = 1.0
        elif settings.policy == "each_answer":
            fraction = sum((o in chosen) == (o in wanted) for o in settings.options) / len(settings.options)
        elif settings.policy == "net_correct":
            fraction = max(0.0, (len(chosen & wanted) - len(chosen - wanted)) / len(wanted))
        else:
            fraction = 0.0
        if not chosen:
            fraction = 0.0
        for mistake in component.mistakes:
            if set(component.when(mistake).selected) == chosen:
                messages.append(mistake.message)
                notes.append(mistake.id)
                if mistake.credit is not None:
                    fraction = mistake.credit
        if chosen == wanted:
            messages.insert(0, "Correct.")
        elif settings.multiple:
            wrongly = sorted(chosen - wanted)
            left_out = sorted(wanted - chosen)
            if wrongly:
                messages.append(f"Selected but not right: {', '.join(f'({o})' for o in wrongly)}.")
            if left_out:
                messages.append(f"Also right, not selected: {', '.join(f'({o})' for o in left_out)}.")
        elif not messages:
            messages.append(f"({', '.join(sorted(chosen))}) is not the right option.")
        status: Status = "correct" if fraction == 1.0 else ("partial" if fraction > 0 else "incorrect")
        if answer.confidence < LOW_CONFIDENCE:
            status = "needs_review"
            messages.append(f"Your choice was read with low confidence ({answer.how}); a TA will confirm it.")
        return Outcome(fraction, status, " ".join(messages), tuple(notes), suggested=status == "needs_review")

    def describe(self, answer: Extracted) -> str:
        if not answer.readable:
            return f"not read: {answer.problem}"
        return "selected: " + ", ".join(f"({c})" for c in answer.value["choices"])

    def render_context(self, answer, key, outcome, component) -> dict:
        chosen = set(answer.value["choices"]) if answer and answer.readable else set()
        wanted = set(key["choices"]) if key else set()
        options = []
        for option, text in component.settings.options.items():
            css = ""
            if key is not None and option in chosen:
                css = "hit" if option in wanted else "extra"
            elif key is not None and option in wanted:
                css = "missing"
            options.append({"id": option, "text": text, "selected": option in chosen,
                            "expected": option in wanted, "css": css})
        return {"options": options, "show_key": key is not None}

    def self_test(self, component, key) -> list[tuple[Any, Status]]:
        wanted = list(key["choices"])
        others = [o for o in component.settings.options if o not in wanted]
        cases: list[tuple[Any, Status]] = [(wanted, "correct"), ([others[0]], "incorrect"),
                                           (["zz"], "needs_review")]
        if not component.settings.multiple:
            cases.append((list(component.settings.options), "incorrect"))  # everything: no credit
        elif component.settings.policy != "all_or_nothing" and len(wanted) > 1:
            cases.append((wanted[:-1], "partial"))
        return cases
