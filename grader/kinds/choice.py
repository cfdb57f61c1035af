"""Single and multiple choice, read from a sheet, from per-option verdicts ("2.3.c): is correct",
"1.4.d) False."), from a stated choice ("the correct answer is c", "I would choose ... (B)",
"Answer: (b)"), from checkboxes ("[x] (b)") or, with less confidence, from the options' own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import Field, model_validator

from grader.analyses.language import gloss, language
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
    # Regexes for an option written as a formula ("D_KL[P_X || P_F(U)]"). In prose, words decide and
    # a formula beside them that reads as another option sends the choice to review.
    notation: dict[str, list[str]] = Field(default_factory=dict)

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


_POSITIVE = {"correct", "true", "right", "yes", "selected", "chosen"}
_NEGATIVE = {"incorrect", "false", "wrong", "no", "not"}
_VERDICT = re.compile(
    r"(?:^|\n)[ \t>*-]*(?:\*\*)?(?:(?:Answer|Question)\s*\d+\s*[.:)]?\s*)?(?:Q?\d+(?:\.\d+)*\.?\s*)?[(\[]?(?P<opt>[a-hA-H])\s*[)\].:][):.\-–—\s]*(?:\*\*)?\s*"
    r"(?:is\s+|this\s+is\s+)?(?P<verdict>incorrect|correct|true|false|wrong|right)\b", re.I)
_STATED = re.compile(
    r"(?:answers?|choices?|options?|solutions?)\s*(?:is|are|would\s+be|:|=)\s*(?:option\s*)?[(\[]?\s*(?P<opt>[a-hA-H])\b\s*[)\]]?"
    r"|(?:choose|chose|select|selected|pick|picked|opt\s+for|go\s+with)\b[^.\n]{0,120}?[(\[](?P<opt2>[a-hA-H])[)\]]",
    re.I)
# "(a) False. (b) True. (c) False." on one line: a parenthesised letter directly followed by a verdict.
_INLINE_VERDICT = re.compile(
    r"(?<![\w\\])\((?P<opt>[a-hA-H])\)\s*[:.\-–—]?\s*(?:is\s+)?(?P<verdict>incorrect|correct|true|false|wrong|right)\b",
    re.I)
# More options after a stated one: "Answer: (a), (b) and (d)".
_MORE_OPTIONS = re.compile(r"\s*(?:,|;|&|\+|and)\s*[(\[]?\s*(?P<opt>[a-hA-H])\b\s*[)\]]?", re.I)
_CHECKBOX = re.compile(r"\[(?P<mark>[xX✓✗■ ])\]\s*[(\[]?(?P<opt>[a-hA-H])[)\]]")
_PAREN = re.compile(r"(?<![\w\\])\((?P<opt>[a-hA-H])\)")

# ---- reading a choice stated in prose ("we would use the reverse KL", "(B), because ...")
# Clauses: sentence ends, line breaks, table cells, and the words that open a reason or a contrast.
_CLAUSE = re.compile(
    # (?<!\s) makes each whitespace run one attempt: no quadratic backtracking on long runs
    r"(?<=[.!?;])\s+|\n+|\s[|&]\s|(?<!\s)\s*(?:→|=>|->|\\Rightarrow|\\implies)\s*"
    r"|(?<!\s)\s+(?=(?:because|since|so|but|while|whereas|hence|thus|therefore|however|although|though|"
    r"yet|given|due to|which means)\b)|(?<!\s),?\s+(?=(?:as|and)\s+(?:we|I|it|this|there|p_|P_|in|for|the)\b)", re.I)
# Said of a mention, before it in its clause: the option is rejected.
_NEG_BEFORE = re.compile(
    r"\b(?:not|never|cannot|can\s*not|[a-z]+n[’']t|rather\s+than|instead\s+of|unlike|as\s+opposed\s+to|over|"
    r"against|avoid\w*|neither|nor|than|without|impossible\s+to|infeasible\s+to|unable\s+to|ne\s+\w+\s+pas|"
    r"plutôt\s+que|au\s+lieu\s+d[eu])\b", re.I)
# Said after a mention, in its clause: the option is rejected or criticised.
_NEG_AFTER = re.compile(
    r"\b(?:is|are|was|were|would\s+be|will\s+be|becomes?|seems?)\s+(?:\w+\s+){0,2}?(?:not|no\s+longer|never)\b"
    r"|\b(?:isn[’']t|aren[’']t|wasn[’']t|cannot|can\s*not|can[’']t|couldn[’']t|won[’']t|wouldn[’']t)\s+(?:\w+\s+){0,2}?(?:be|work|help)\b"
    r"|\b(?:infeasible|intractable|impossible|impractical|unusable|inapplicable|unavailable|out\s+of\s+the\s+question|"
    r"fails?|would\s+fail|not\s+an\s+option|saturates?|vanish\w*|stalls?|suffers?|struggles?|"
    r"(?:is|are)\s+(?:\w+\s+)?(?:worse|slower|weaker|unstable|problematic|inappropriate|unsuitable))\b"
    r"|\b(?:requires?|needs?|depends?\s+on|relies\s+on)\b[^.;]{0,80}\b(?:which|that|but|and)\b[^.;]{0,40}"
    r"\b(?:don[’']t|do\s+not|cannot|can\s*not|can[’']t|unable|isn[’']t|is\s+not|not)\b", re.I)
# A decision for the option: a verb or "objective is" before it, or a verdict after it.
_DECIDE_BEFORE = re.compile(
    r"\b(?:use|using|choose|choosing|chose|select|selecting|pick|picking|opt(?:ing)?\s+for|go(?:ing)?\s+(?:with|for)|"
    r"prefer|preferring|optimi[sz]e|optimi[sz]ing|minimi[sz]e|minimi[sz]ing|recommend|employ|adopt|rely\s+on|"
    r"train(?:ing)?\s+(?:with|on|by)|utili[sz]e|utilis|would\s+be|should\s+be|j['’]utiliserais|utiliser|choisir|choisis)\b"
    r"|\b(?:objective|answer|choice|loss|criterion|solution|preference|pick)\b(?:\s+\w+){0,4}?\s*(?:is|would\s+be|will\s+be|should\s+be|:|=)", re.I)
_DECIDE_AFTER = re.compile(
    r"^[^.;]{0,40}?\b(?:is|would\s+be|will\s+be|seems|should\s+be|must\s+be|makes)\s+(?:\w+\s+){0,2}?(?:the\s+)?"
    r"(?:right|correct|best|better|appropriate|suitable|natural|preferable|preferred|good|ideal|way\s+to\s+go|objective|"
    r"choice|one\s+to\s+use|sensible|adequate|feasible|tractable|possible|computable|valid|applicable|usable|practical)\b"
    r"|^[^.;]{0,40}?\b(?:can|could)\s+be\s+(?:used|computed|estimated|evaluated|optimi[sz]ed|minimi[sz]ed|approximated)\b"
    r"|^[^.;]{0,40}?\b(?:should|must)\s+be\s+used\b|^\s*(?:is|was)\s+(?:used|chosen|selected|preferred)\b", re.I)
_HYPOTHETICAL = re.compile(r"\b(?:if|whether|unless|suppose|compared\s+(?:to|with)|between|either|both|si)\b", re.I)
_WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
_MATH = re.compile(r"\$\$?[^$]*\$?\$|\\[A-Za-z]+|\b[A-Za-z]_\{?[\w^{}\-()]*\}?|\([^()]*\)")
_LABEL_WORDS = {"the", "an", "kl", "divergence", "objective", "loss", "kullback", "leibler", "cost", "function",
                "here", "case", "scenario", "ie", "eg", "which", "is", "this", "option", "answer", "we", "use"}


def _content_words(text: str) -> int:
    """Words of a clause outside formulas and parentheses, less the words a label may carry."""
    return sum(w.lower() not in _LABEL_WORDS for w in _WORD.findall(_MATH.sub(" ", text)))


def _rejected_before(text: str, start: int, also: str = "") -> bool:
    """A negation in the few words before `start`, within its clause: "rather than (A)"."""
    clause_start = max(text.rfind(c, 0, start) for c in ".;\n") + 1
    return bool(_NEG_BEFORE.search(text[max(clause_start, start - 40):start] + " " + also))


# "(c) is wrong", "(c) is not", "(c) est fausse": a letter rejected right after it is named.
_REJECTED_AFTER = re.compile(r"\s*(?:is|are|est|was)\s+(?:wrong|false|incorrect|not\b|faux|fausse|incorrecte)", re.I)


def _letter_patterns(option: str) -> list[str]:
    """An option letter as students cite it: "(B)", "option B", "B)" or a bare capital "B." / "B,"."""
    if len(option) != 1:
        return []
    low, up = option.lower(), option.upper()
    return [rf"\(\s*[{low}{up}]\s*\)", rf"\b(?:option|choice|answer|cost|function|réponse)\s+\(?[{low}{up}]\b\)?",
            rf"(?<![\w\\(]){up}\)", rf"(?-i:(?<![\w\\]){up}(?=\s*[.,:;](?!\d)|\s*$))"]


@dataclass(frozen=True)
class _Verdict:
    option: str | None  # None: several options without a clear winner
    confidence: float
    evidence: tuple[str, ...]


class _Tally:
    """Scores of the options mentioned in a text, one polarity per option and clause."""

    DECISION, MENTION, ELIMINATION, REJECTION = 3.0, 1.0, 1.5, -2.0

    def __init__(self, options: list[str]):
        self.options = options
        self.scores: dict[str, float] = {}
        self.decided: set[str] = set()
        self.evidence: dict[str, list[str]] = {}
        self.first = True

    def read(self, clause: str, patterns: dict[str, list[str]]) -> None:
        mentions = sorted({(m.start(), m.end(), option) for option, regexes in patterns.items()
                           for regex in regexes for m in re.finditer(regex, clause, re.I)})
        kept: list[tuple[int, int, str]] = []
        for mention in mentions:  # an alias and a letter on the same words are one mention
            if kept and mention[0] < kept[-1][1]:
                continue
            kept.append(mention)
        seen: set[str] = set()
        for i, (start, end, option) in enumerate(kept):
            if option in seen:
                continue
            seen.add(option)
            others_before = [e for s, e, o in kept[:i] if o != option]
            window_start = max([0, *others_before, *(clause.rfind(c, 0, start) + 1 for c in ",:()")])
            before = clause[window_start:start][-50:]
            next_other = next((s for s, _, o in kept[i + 1:] if o != option), len(clause))
            after = clause[end:next_other][:120]
            if _NEG_BEFORE.search(before) or _NEG_AFTER.search(after):
                self._add(option, self.REJECTION, clause)
                if len(self.options) == 2:
                    other = next(o for o in self.options if o != option)
                    self._add(other, self.ELIMINATION, clause, decided=True)
            elif _HYPOTHETICAL.search(clause[window_start:start]):
                continue
            elif (_DECIDE_BEFORE.search(before) or _DECIDE_AFTER.search(after)
                  or (_content_words(clause[end:]) <= 1 and _content_words(clause[:start]) <= 3)):
                # a decision, or a bare label: "Scenario 1: reverse KL.", "| 2 | forward KL |"
                self._add(option, self.DECISION, clause, decided=True)
            else:
                self._add(option, self.MENTION + (0.5 if self.first else 0.0), clause)
            self.first = False

    def _add(self, option: str, weight: float, clause: str, decided: bool = False) -> None:
        self.scores[option] = self.scores.get(option, 0.0) + weight
        if decided:
            self.decided.add(option)
        quotes = self.evidence.setdefault(option, [])
        if weight > 0 and len(quotes) < 2 and clause[:200] not in quotes:
            quotes.append(" ".join(clause.split())[:200])

    def verdict(self) -> _Verdict | None:
        if not self.scores:
            return None
        ranked = sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0]))
        best, top = ranked[0]
        if top <= 0:
            return None
        margin = top - max(0.0, ranked[1][1]) if len(ranked) > 1 else top
        if margin < 1.0:
            return _Verdict(None, 0.0, tuple(q for o, _ in ranked if o in self.evidence for q in self.evidence[o][:1]))
        strong = best in self.decided
        confidence = (0.9 if margin >= 2 else 0.8) if strong else 0.65
        return _Verdict(best, confidence, tuple(self.evidence.get(best, [])))


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
        found = self._in_prose(text, settings, component.within)
        if found is None and language(text) == "fr":  # "on choisit la KL inverse": read in English
            found = self._in_prose(gloss(text), settings, component.within)
            if found is not None:
                found = replace(found, how=f"{found.how}, read through an English gloss of your French",
                                confidence=min(found.confidence, 0.8))
        return found or Extracted(None, "text", 0.0, problem="no choice was found (write, e.g., 'Answer: (b)')")

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
        matches = {m.start("opt"): m for m in _VERDICT.finditer(text)}
        matches.update({m.start("opt"): m for m in _INLINE_VERDICT.finditer(text) if m.start("opt") not in matches})
        for _, m in sorted(matches.items()):
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
            if opt in letters and not _rejected_before(text, m.start(), m.group(0)[:-3]):  # "not choose (A)"
                found.append((opt, m.group(0).strip()))
                end = m.end()
                while m["opt"] and settings.multiple and (more := _MORE_OPTIONS.match(text, end)):
                    if more["opt"].lower() in letters:
                        found.append((more["opt"].lower(), more.group(0).strip()))
                    end = more.end()
        chosen = sorted({o for o, _ in found})
        if not chosen:
            return None
        if len(chosen) > 1 and not settings.multiple:
            return Extracted(None, "stated choice", 0.0, evidence=tuple(e for _, e in found),
                             problem=f"several options are stated as the answer: {', '.join(chosen)}")
        return Extracted({"choices": chosen}, "a stated choice", 0.9, evidence=tuple(e for _, e in found))

    @staticmethod
    def _parenthesised(text, letters, settings) -> Extracted | None:
        found = sorted({m["opt"].lower() for m in _PAREN.finditer(text)
                        if not _rejected_before(text, m.start()) and not _REJECTED_AFTER.match(text, m.end())} & letters)
        if len(found) == 1 or (found and settings.multiple):
            return Extracted({"choices": found}, "an option letter in parentheses", 0.8,
                             evidence=tuple(f"({o})" for o in found))
        return None

    @staticmethod
    def _in_prose(text: str, settings: ChoiceSettings, locators: list[str]) -> Extracted | None:
        """A choice stated in sentences, weighed clause by clause.

        Every mention of an option (its aliases, its letter, its own text; formulas separately) is
        read in its clause: a decision ("we use", "is the right objective", a bare label such as
        "Scenario 1: reverse KL") counts 3, a plain mention 1, a hypothetical ("if we used") 0, and a
        rejection ("we would not use X", "X is infeasible", "rather than X") counts against X and,
        between two options, for the other. Words decide; a formula decides when words do not, and a
        formula that contradicts the words lowers the confidence so that a TA looks.
        """
        for pattern in locators:  # "scenario 1", "the first case" locate the answer; they name no option
            text = re.sub(pattern, lambda m: " " * len(m.group(0)), text, flags=re.I | re.M)
        words = {o: settings.aliases.get(o, []) + _letter_patterns(o) + ([re.escape(t)] if len(t) > 3 else [])
                 for o, t in settings.options.items()}
        words_tally = _Tally(list(settings.options))
        math_tally = _Tally(list(settings.options))
        for clause in (c.strip() for c in _CLAUSE.split(text) if c and c.strip()):
            for tally, patterns in ((words_tally, words), (math_tally, settings.notation)):
                tally.read(clause, patterns)
        by_words, by_math = words_tally.verdict(), math_tally.verdict()
        if by_words is None and by_math is None:
            return None
        if by_words is not None and by_words.option is None and (by_math is None or by_math.option is None):
            return Extracted(None, "the options named in your sentences", 0.0, evidence=by_words.evidence,
                             problem="the text names several options without a clear choice")
        if by_words is None or by_words.option is None:
            assert by_math is not None and by_math.option is not None
            return Extracted({"choices": [by_math.option]}, "the formula you wrote for your choice",
                             by_math.confidence if by_words is None else 0.7, evidence=by_math.evidence)
        how, confidence, evidence = "the option named in your sentences", by_words.confidence, by_words.evidence
        if by_math is not None and by_math.option == by_words.option:  # words and formula agree
            confidence = max(confidence, by_math.confidence)
        if by_math is not None and by_math.option not in (None, by_words.option):
            confidence = min(confidence, 0.6)
            how = (f"the words name ({by_words.option}), but the formula written with them reads as "
                   f"({by_math.option}): '{by_math.evidence[0][:80]}'")
            evidence = evidence + by_math.evidence[:1]
        return Extracted({"choices": [by_words.option]}, how, confidence, evidence=evidence)

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
        """The key, its complement (every option decided wrongly: no credit under any policy), and
        for partial policies an answer one decision away from the key; a declared mistake on the
        same selection, with its credit, sets the status instead."""
        settings: ChoiceSettings = component.settings
        wanted = sorted(key["choices"])
        others = [o for o in settings.options if o not in wanted]
        cases: list[tuple[list[str], Status]] = [(wanted, "correct"), (others, "incorrect")]
        if settings.multiple and settings.policy == "each_answer":
            cases.append((sorted(wanted + others[:1]) if others else wanted[:-1], "partial"))
        elif settings.multiple and settings.policy == "net_correct" and len(wanted) > 1:
            cases.append((wanted[:-1], "partial"))
        out: list[tuple[Any, Status]] = []
        for chosen, status in cases:
            for mistake in component.mistakes:
                credit = mistake.credit
                if credit is not None and set(component.when(mistake).selected) == set(chosen) and chosen != wanted:
                    status = "correct" if credit >= 1 else ("partial" if credit > 0 else "incorrect")
            out.append((chosen, status))
        return out + [(["zz"], "needs_review")]
