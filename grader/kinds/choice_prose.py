"""A choice stated in sentences ("we would use the reverse KL", "(B), because ..."), weighed clause
by clause: decisions, plain mentions, hypotheticals and rejections of each option (read_in_prose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader.kinds.base import Extracted

if TYPE_CHECKING:
    from grader.kinds.choice import ChoiceSettings

# Clauses: sentence ends, line breaks, table cells, and the words that open a reason or a contrast.
_CLAUSE = re.compile(
    # (?<!\s) makes each whitespace run one attempt: no quadratic backtracking on long runs
    r"(?<=[.!?;])\s+|\n+|\s[|&]\s|(?<!\s)\s*(?:→|=>|->|\\Rightarrow|\\implies)\s*"
    r"|(?<!\s)\s+(?=(?:because|since|so|but|while|whereas|hence|thus|therefore|however|although|though|"
    r"yet|given|due to|which means)\b)|(?<!\s),?\s+(?=(?:as|and)\s+(?:we|I|it|this|there|p_|P_|in|for|the)\b)", re.I)
# Said of a mention, before it in its clause: the option is rejected.
NEG_BEFORE = re.compile(
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


def rejected_before(text: str, start: int, also: str = "") -> bool:
    """A negation in the few words before `start`, within its clause: "rather than (A)"."""
    clause_start = max(text.rfind(c, 0, start) for c in ".;\n") + 1
    return bool(NEG_BEFORE.search(text[max(clause_start, start - 40):start] + " " + also))



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
            if NEG_BEFORE.search(before) or _NEG_AFTER.search(after):
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


def read_in_prose(text: str, settings: ChoiceSettings, locators: list[str]) -> Extracted | None:
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
