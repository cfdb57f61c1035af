"""A choice written with option letters: checkboxes ("[x] (b)"), verdicts beside the options
("(b) False", "c) is correct"), a stated answer ("Answer: (b)", "I would choose (B)", "Réponse :
(b)") with the options listed after it, and letters in parentheses.

A list of options is read as it is written ("(b) or (d)", "either (a) or (c)", "(b), (a), (c),
(d)"): what a hedge earns is the kind's grade() to decide (the rubric's `on_hedge`). An option
rejected where it is named ("(d), not (b)", "I do not think (b) is correct") is no part of the
answer. A stated answer that the verdicts written beside the options contradict ("Answer: (b)",
then "(b) False") goes to a TA with both quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader.kinds.base import Extracted
from grader.kinds.choice_prose import rejected_before

if TYPE_CHECKING:
    from grader.kinds.choice import ChoiceSettings

_POSITIVE = {"correct", "true", "right", "yes", "selected", "chosen", "vrai", "vraie", "correcte"}
_VERDICT_WORDS = r"incorrect|correct|true|false|wrong|right|vraie?|fausse|faux|correcte|incorrecte"
_VERDICT = re.compile(
    r"(?:^|\n)[ \t>*-]*(?:\*\*)?(?:(?:Answer|Question)\s*\d+\s*[.:)]?\s*)?(?:Q?\d+(?:\.\d+)*\.?\s*)?[(\[]?(?P<opt>[a-hA-H])\s*[)\].:][):.\-–—\s]*(?:\*\*)?\s*"
    rf"(?:is\s+|this\s+is\s+|est\s+)?(?P<verdict>{_VERDICT_WORDS})\b", re.I)
# "(a) False. (b) True. (c) False." on one line: a parenthesised letter directly followed by a verdict.
_INLINE_VERDICT = re.compile(
    rf"(?<![\w\\])\((?P<opt>[a-hA-H])\)\s*[:.\-–—]?\s*(?:(?:is|est)\s+(?:also\s+|aussi\s+)?)?(?P<verdict>{_VERDICT_WORDS})\b",
    re.I)
# "(d) would also work", "(d) could be right too", "(d) est aussi possible": another option held right.
_RIGHT = r"(?:right|correct|valid|true|possible|acceptable|vraie?|correcte|valide|possible|juste)"
_ALSO_RIGHT = re.compile(
    r"(?<![\w\\])\((?P<opt>[a-hA-H])\)\s*(?:(?:is|would\s+be|could\s+be|might\s+be|est|serait|pourrait\s+être)\s+"
    rf"(?:also|aussi|également)\s+(?:an?\s+)?{_RIGHT}|(?:also|aussi)\s+(?:works?|holds?|marche|fonctionne)"
    rf"|(?:would|could|might|may)\s+(?:also\s+)?(?:work|hold|be\s+{_RIGHT})|(?:is\s+)?{_RIGHT}\s+(?:too|as\s+well)"
    r"|works?\s+(?:too|as\s+well))\b", re.I)
# A letter with nothing after it but punctuation, the end of the line, or a word that joins or
# explains ("b, d", "b or d", "b because"): "the answer is a bit long" names no option.
_BARE_END = (r"(?![\w'’-])(?=[ \t]*(?:[,;.:!?)\]/]|$)|\s+(?:is|est|and|or|et|ou|nor|because|since|as|car|"
             r"parce|puisque)\b)")
_STATED = re.compile(
    r"(?:answers?|choices?|options?|solutions?|r[ée]ponses?|choix)\s*(?:is|are|would\s+be|est|serait|sont|:|=)"
    r"\s*(?:option\s*|l['’]option\s*)?(?:[(\[]\s*(?P<opt>[a-hA-H])\s*[)\]]|(?P<bare>[a-hA-H])\)?" + _BARE_END + ")"
    r"|(?:choose|chose|select|selected|pick|picked|opt\s+for|go\s+with|choisis|choisit|choisir|choisissons|"
    r"opte\s+pour|optons\s+pour|retiens|s[ée]lectionne)\b[^.\n]{0,120}?[(\[](?P<opt2>[a-hA-H])[)\]]",
    re.I | re.M)
# What joins the options of a list: a comma, a slash, "and", "or", "or maybe", "and/or", "ou bien",
# "soit" (a semicolon opens a clause of its own: "(b); (a) fails because...").
_JOIN = re.compile(
    r"[ \t]*(?P<sep>(?:[,/&+][ \t]*)?(?:(?:and/or|et/ou|and|or|nor|et|ou|soit|voire|sinon)\b[ \t]*"
    r"(?:(?:maybe|perhaps|possibly|probably|potentially|also|even|else|bien|peut[- ]être|encore|aussi|même)\b[ \t]*)?)?)",
    re.I)
_PAREN_ITEM = re.compile(r"[(\[]\s*(?P<opt>[a-hA-H])\s*[)\]]")
_BARE_ITEM = re.compile(r"(?<![\w\\'’-])(?P<opt>[a-hA-H])\)?" + _BARE_END, re.M)
_CHECKBOX = re.compile(r"\[(?P<mark>[xX✓✗■ ])\]\s*[(\[]?(?P<opt>[a-hA-H])[)\]]")
_PAREN = re.compile(r"(?<![\w\\])\((?P<opt>[a-hA-H])\)")
# "(c) is wrong", "(c) is not", "(c) est fausse", "(a) being false": a letter rejected right after it is named.
_REJECTED_AFTER = re.compile(
    r"\s*(?:(?:is|are|est|was|being|étant|sont)\s+(?:wrong|false|incorrect|not\b|faux|fausse|incorrecte)"
    r"|isn[’']t\b|aren[’']t\b|n['’]est\s+pas\b)", re.I)


@dataclass(frozen=True)
class _Listed:
    """Options written one after another, joined ("(b) or (d)"): where the list ends, and its words."""

    options: tuple[str, ...]
    end: int
    words: str


def _listed_after(text: str, first: str, start: int, end: int, letters: set[str]) -> _Listed:
    """The list an option at text[start:end] opens: the options joined to it, up to one that is
    rejected where it is named ("(d), not (b)", "(d), (b) being wrong")."""
    options = [first]
    while True:
        join = _JOIN.match(text, end)
        item = _PAREN_ITEM.match(text, join.end()) or (_BARE_ITEM.match(text, join.end()) if join["sep"].strip() else None)
        if item is None or item["opt"].lower() not in letters or _REJECTED_AFTER.match(text, item.end()):
            break
        options.append(item["opt"].lower())
        end = item.end()
    return _Listed(tuple(dict.fromkeys(options)), end, " ".join(text[start:end].split()))


def checkboxes(text: str, letters: set[str]) -> Extracted | None:
    marks = {m["opt"].lower(): m["mark"].strip() != "" for m in _CHECKBOX.finditer(text) if m["opt"].lower() in letters}
    if marks and any(marks.values()):
        chosen = sorted(o for o, on in marks.items() if on)
        return Extracted({"choices": chosen}, "checkboxes", 0.9, evidence=tuple(f"[x] ({o})" for o in chosen))
    return None


@dataclass(frozen=True)
class _Verdicts:
    said: dict[str, set[bool]]  # option -> the verdicts written beside it (True: correct)
    evidence: tuple[str, ...]


def _verdicts(text: str, letters: set[str]) -> _Verdicts | None:
    said: dict[str, set[bool]] = {}
    evidence = []
    matches = {m.start("opt"): (m, False) for m in _VERDICT.finditer(text)}
    for regex in (_INLINE_VERDICT, _ALSO_RIGHT):
        matches.update({m.start("opt"): (m, True) for m in regex.finditer(text) if m.start("opt") not in matches})
    for _, (m, inline) in sorted(matches.items()):
        opt = m["opt"].lower()
        if opt not in letters:
            continue
        positive = m.re is _ALSO_RIGHT or m["verdict"].lower() in _POSITIVE
        if inline and rejected_before(text, m.start()):  # "I do not think (b) is correct"
            positive = not positive
        said.setdefault(opt, set()).add(positive)
        evidence.append(" ".join(text[max(0, text.rfind("\n", 0, m.start()) + 1) if inline else m.start():m.end()].split())[-120:])
    return _Verdicts(said, tuple(evidence)) if said else None


def _by_verdicts(verdicts: _Verdicts, letters: set[str], settings: ChoiceSettings) -> Extracted | None:
    if any(len(v) > 1 for v in verdicts.said.values()):
        return Extracted(None, "per-option verdicts", 0.0, evidence=verdicts.evidence,
                         problem="an option is marked both true and false")
    want = settings.chosen_verdict == "true"
    chosen = sorted(o for o, v in verdicts.said.items() if (True in v) == want)
    if not chosen:
        return None
    complete = len(verdicts.said) == len(letters)
    return Extracted({"choices": chosen}, "a verdict written beside each option" if complete
                     else "verdicts written beside some options", 0.95 if complete else 0.85,
                     evidence=verdicts.evidence)


def stated(text: str, letters: set[str]) -> Extracted | None:
    """"Answer: (b)", "the answer is (b) or (d)", "I would choose (B)": each statement with the
    options listed after it. One statement listing several options is read as listed; statements
    that name different options go to a TA."""
    statements: list[_Listed] = []
    for m in _STATED.finditer(text):
        group = "opt" if m["opt"] else ("bare" if m["bare"] else "opt2")
        opt = m[group].lower()
        if opt not in letters or rejected_before(text, m.start(), m.group(0)[:-3]):  # "not choose (A)"
            continue
        listed = _listed_after(text, opt, m.start(), m.end(), letters)
        if _REJECTED_AFTER.match(text, listed.end):  # "Answer: (b) and (d) are wrong"
            continue
        statements.append(listed)
    if not statements:
        return None
    evidence = tuple(s.words for s in statements)
    if len({frozenset(s.options) for s in statements}) > 1:
        named = sorted({o for s in statements for o in s.options})
        return Extracted(None, "stated choice", 0.0, evidence=evidence,
                         problem=f"the answer is stated more than once, naming different options: {', '.join(named)}")
    chosen = sorted(statements[0].options)
    how = "a stated choice" if len(chosen) == 1 else f"the options listed as your answer: '{statements[0].words[:80]}'"
    return Extracted({"choices": chosen}, how, 0.9, evidence=evidence)


def parenthesised(text: str, letters: set[str], settings: ChoiceSettings) -> Extracted | None:
    """Letters in parentheses, not rejected where they are named: one option is the answer (a
    multiple choice takes them all); several in one list and nowhere else ("either (a) or (c)")
    are read as listed; several here and there are left to the reading of the sentences."""
    lists: list[_Listed] = []
    consumed = 0
    for m in _PAREN.finditer(text):
        opt = m["opt"].lower()
        if m.start() < consumed or opt not in letters:
            continue
        listed = _listed_after(text, opt, m.start(), m.end(), letters)
        consumed = listed.end
        if rejected_before(text, m.start()) or _REJECTED_AFTER.match(text, listed.end):
            continue
        lists.append(listed)
    found = sorted({o for listed in lists for o in listed.options})
    if len(found) == 1 or (found and settings.multiple):
        return Extracted({"choices": found}, "an option letter in parentheses", 0.8,
                         evidence=tuple(listed.words for listed in lists))
    if len(lists) == 1 and len(found) > 1:
        return Extracted({"choices": found}, f"the options listed as your answer: '{lists[0].words[:80]}'", 0.8,
                         evidence=(lists[0].words,))
    return None


def read_letters(text: str, letters: set[str], settings: ChoiceSettings) -> Extracted | None:
    """The choice written with letters, or None when the letters say nothing (the sentences may)."""
    found = checkboxes(text, letters)
    if found is not None:
        return found
    verdicts = _verdicts(text, letters)
    by_verdicts = _by_verdicts(verdicts, letters, settings) if verdicts else None
    said = stated(text, letters)
    if said is None or not said.readable:
        return said or by_verdicts or parenthesised(text, letters, settings)
    if verdicts is None:
        return said
    if by_verdicts is not None and not by_verdicts.readable:
        return by_verdicts
    want = settings.chosen_verdict == "true"
    chosen = set(said.value["choices"])
    # an option stated as the answer with the opposite verdict beside it, or the other way round
    against = sorted(o for o, v in verdicts.said.items() if (o in chosen) != ((True in v) == want))
    if against:
        return Extracted(None, "a stated choice and verdicts beside the options", 0.0,
                         evidence=said.evidence + verdicts.evidence,
                         problem=f"the answer stated ({', '.join(f'({o})' for o in sorted(chosen))}) and the verdicts "
                                 f"written beside the options disagree about {', '.join(f'({o})' for o in against)}")
    return Extracted(said.value, said.how, max(said.confidence, by_verdicts.confidence if by_verdicts else 0.0),
                     evidence=said.evidence + verdicts.evidence)
