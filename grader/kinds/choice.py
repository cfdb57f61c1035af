"""Single and multiple choice, read from a sheet, from per-option verdicts ("2.3.c): is correct",
"1.4.d) False."), from a stated choice ("the correct answer is c", "I would choose ... (B)",
"Answer: (b)"), from checkboxes ("[x] (b)") or, with less confidence, from the options' own words.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Literal

from pydantic import Field, model_validator

from grader.analyses.language import gloss, language
from grader.kinds.base import (
    LOW_CONFIDENCE,
    Extracted,
    Fragment,
    Kind,
    Outcome,
    Status,
    StrictModel,
    register,
    status_for,
)
from grader.kinds.choice_letters import read_letters
from grader.kinds.choice_prose import read_in_prose


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
    # Regexes for an option written as a formula ("D_KL[P_X || P_F(U)]"). In prose, words decide and
    # a formula beside them that reads as another option sends the choice to review.
    notation: dict[str, list[str]] = Field(default_factory=dict)

    # What an answer that hedges earns (several options where one is asked, or every option of a
    # multiple choice whose key is not all of them): zero, with a message saying why, or a TA's review.
    on_hedge: Literal["zero", "review"] = "zero"

    @model_validator(mode="after")
    def _valid(self) -> ChoiceSettings:
        for field_name, table in (("aliases", self.aliases), ("notation", self.notation)):
            unknown = set(table) - set(self.options)
            if unknown:
                raise ValueError(f"{field_name} for unknown options: {sorted(unknown)}")
        if not self.multiple and self.policy != "all_or_nothing":
            raise ValueError("a single choice is all or nothing; set multiple: true for partial credit")
        for patterns in [*self.aliases.values(), *self.notation.values()]:
            for pattern in patterns:
                re.compile(pattern, re.I)  # the flags grading uses: re's cache then serves grading
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


def _hedge(chosen: set[str], wanted: set[str], settings: ChoiceSettings) -> str | None:
    """Why an answer hedges (None: it does not): several options where one is asked, or every
    option of a multiple choice whose key is not every option."""
    listed = ", ".join(f"({o})" for o in sorted(chosen))
    if not settings.multiple and len(chosen) > 1:
        return (f"Only one option may be selected: an answer that names several ({listed}) hedges between them, "
                f"and earns no credit.")
    if settings.multiple and len(chosen) > 1 and chosen == set(settings.options) and wanted != chosen:
        return "Every option is selected: an answer that selects them all hedges, and earns no credit."
    return None


@register
class ChoiceKind(Kind):
    name = "choice"
    Settings = ChoiceSettings
    When = ChoiceWhen
    TEMPLATE = """
<table class="choices">
  <tr><th>Option</th><th>You selected</th>{% if ctx["show_key"] %}<th>Expected</th>{% endif %}</tr>
  {% for o in ctx["options"] %}
  <tr class="{{ o["css"] }}"><td><b>({{ o["id"] }})</b> {{ o["text"] }}</td><td>{{ "✔" if o["selected"] else "" }}</td>{% if ctx["show_key"] %}<td>{{ "✔" if o["expected"] else "" }}</td>{% endif %}</tr>
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
        found = read_letters(text, letters, settings)
        if found is not None:
            return found
        found = read_in_prose(text, settings, component.within)
        if found is None and language(text) == "fr":  # "on choisit la KL inverse": read in English
            found = read_in_prose(gloss(text), settings, component.within)
            if found is not None:
                found = replace(found, how=f"{found.how}, read through an English gloss of your French",
                                confidence=min(found.confidence, 0.8))
        return found or Extracted(None, "text", 0.0, problem="no choice was found (write, e.g., 'Answer: (b)')")

    def grade(self, answer: Extracted, key: dict, component) -> Outcome:
        settings: ChoiceSettings = component.settings
        chosen, wanted = set(answer.value["choices"]), set(key["choices"])
        notes, messages = [], []
        declared = [m for m in component.mistakes if set(component.when(m).selected) == chosen]
        # a declared mistake with a credit for this very selection is the author's decision
        hedge = None if any(m.credit is not None for m in declared) else _hedge(chosen, wanted, settings)
        if hedge:
            fraction = 0.0
            messages.append(hedge)
            notes.append("hedge")
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
        for mistake in declared:
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
        status: Status = status_for(fraction)
        if hedge and settings.on_hedge == "review":
            status = "needs_review"
            messages.append("A TA will decide what it earns.")
        elif answer.confidence < LOW_CONFIDENCE:
            status = "needs_review"
            messages.append(f"Your choice was read with low confidence ({answer.how}); a TA will confirm it.")
        return Outcome(fraction, status, " ".join(messages), tuple(notes), suggested=status == "needs_review")

    def group_label(self, value: Any) -> str | None:
        return ", ".join(f"({c})" for c in value["choices"]) or "(none selected)"

    def describe(self, answer: Extracted) -> str:
        if not answer.readable:
            return f"not read: {answer.problem}"
        return "selected: " + ", ".join(f"({c})" for c in answer.value["choices"])

    def summary_feedback(self, answer, key, status, component) -> str:
        if not isinstance(answer, dict) or status in ("missing", "needs_review") or not key:
            return super().summary_feedback(answer, key, status, component)
        chosen, wanted = set(answer["choices"]), set(key["choices"])
        if chosen == wanted:
            return "Correct."
        if not component.settings.multiple:
            return "This is not the expected option."
        differ = len(chosen ^ wanted)
        return f"{differ} option{'s are' if differ > 1 else ' is'} not marked as expected."

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
        """The key, its complement (every option decided wrongly: no credit under any policy), for
        partial policies an answer one decision away from the key, and every option (a hedge, unless
        the key is every option); a declared mistake on the same selection, with its credit, sets
        the status instead."""
        settings: ChoiceSettings = component.settings
        wanted = sorted(key["choices"])
        others = [o for o in settings.options if o not in wanted]
        cases: list[tuple[list[str], Status]] = [(wanted, "correct"), (others, "incorrect"),
                                                 (sorted(settings.options), "incorrect")]
        if settings.multiple and settings.policy == "each_answer":
            near = sorted(wanted + others[:1]) if len(others) > 1 else wanted[:-1]
            if near:
                cases.append((near, "partial"))
        elif settings.multiple and settings.policy == "net_correct" and len(wanted) > 1:
            cases.append((wanted[:-1], "partial"))
        out: list[tuple[Any, Status]] = []
        for chosen, status in cases:
            if chosen == wanted:
                status = "correct"
            elif _hedge(set(chosen), set(wanted), settings) and settings.on_hedge == "review":
                status = "needs_review"
            for mistake in component.mistakes:
                credit = mistake.credit
                if credit is not None and set(component.when(mistake).selected) == set(chosen) and chosen != wanted:
                    status = status_for(credit)
            out.append((chosen, status))
        return out + [(["zz"], "needs_review")]
