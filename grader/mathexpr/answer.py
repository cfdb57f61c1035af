r"""Which equation of a derivation is the answer, and whether that choice is clear-cut.

A derivation holds many equations; the answer is the one that gives the asked quantity (a side
names it: `Q(a, b) = ... = <answer>`, or `<answer> = f_1(x)`), and among several:

1. the one the student boxed (\boxed{...});
2. else the last one after a word of conclusion ("thus", "hence", "therefore", "so", "finally",
   "we get", "donc", "ainsi", "d'où", "on obtient", ⇒);
3. else the last one.

Readable answers are preferred over unreadable ones. Earlier steps of the derivation may differ
from the answer (a slip the grade can name); the choice is not clear-cut, and goes to a TA with the
candidates named, when
- the answer's own chain disagrees with itself: `Q = A = B` where A and B differ in value;
- another answer marked as final (boxed as well, or after a word of conclusion too), one written
  after the chosen one, or one offered beside it ("or maybe", "alternatively"), gives the quantity a
  different value: never "the last one" silently;
- the formula was rebuilt from a PDF's glyphs with a low confidence (Document.math).

The module knows nothing of the rubric: the expression kind passes what names the quantity, how
readable a side is, and whether two sides have the same value.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from grader.mathexpr import tree as t
from grader.mathexpr.equations import MAX_EQUATIONS, Equation, find_equations
from grader.mathexpr.tree import ParseError

MAX_NAME_CHARS = 120  # a quantity's name is short: longer sides are not parsed to find one
UNCLEAR = 0.6  # the confidence of a choice a TA must confirm (below the kinds' LOW_CONFIDENCE)
MAX_COMPARISONS = 24
_CONCLUSION = re.compile(
    r"(?:\b(?:thus|hence|therefore|so|finally|consequently|we\s+(?:get|obtain|find)|which\s+gives|"
    r"donc|ainsi|finalement|par\s+cons[ée]quent|on\s+(?:obtient|a|trouve)|d['’]o[uù])\b|⇒|⟹|∴|"
    r"\\(?:Rightarrow|implies|therefore|Longrightarrow)(?![a-zA-Z]))[\s,:]*(?:that\s+|que\s+)?[^.!?\n]{0,40}$",
    re.I)


# An answer offered beside another one ("Q = A ... or maybe Q = B"): both are answers, a hedge.
_ALTERNATIVE = re.compile(
    r"(?:\b(?:or\s+(?:maybe|perhaps|possibly|else|alternatively)|alternatively|another\s+(?:answer|option)|"
    r"ou\s+(?:bien|peut[- ][êe]tre|alors)|sinon)\b|\bor\s*[:,]?\s*$)[\s,:]*[^.!?\n]{0,40}$", re.I)


@dataclass(frozen=True)
class Candidate:
    latex: str  # the side that gives the quantity
    how: str
    confidence: float
    order: int  # its equation's place in the answer
    rank: int  # 2: reads, evaluates, allowed names (3: and the required ones); 1: reads; 0: does not read
    boxed: bool = False
    concluded: bool = False  # after a word of conclusion
    chain: tuple[str, ...] = ()  # the other sides on the answer's side of the quantity (A in `Q = A = B`)
    alternative: bool = False  # offered beside another answer ("or maybe", "alternatively", "ou peut-être")


@dataclass(frozen=True)
class Choice:
    latex: str | None  # the answer chosen (None: none found; `problem` says why)
    how: str
    confidence: float
    problem: str | None = None
    earlier: tuple[str, ...] = ()  # other readable answers given before it, for known-mistake pointers
    review: str | None = None  # why a TA must confirm the choice, in words


def _short(latex: str, limit: int = 40) -> str:
    text = " ".join(latex.split())
    return text if len(text) <= limit else text[:limit - 3] + "…"


def _flat(latex: str) -> str:
    return "".join(latex.split())


def reading_confidence(latex: str, readings: Sequence) -> tuple[float, str]:
    """The lowest confidence of the PDF readings (MathSpan) the formula came from, and their notes."""
    flat = _flat(latex)
    if not flat:
        return 1.0, ""
    found = [r for r in readings if flat in _flat(r.latex)]
    if not found:
        return 1.0, ""
    worst = min(found, key=lambda r: r.confidence)
    return worst.confidence, "; ".join(worst.notes)


def _concluded(text: str, eq: Equation) -> bool:
    before = text[max(0, eq.offset - 90):eq.offset]
    return _CONCLUSION.search(before) is not None


def _alternative(text: str, eq: Equation) -> bool:
    before = text[max(0, eq.offset - 90):eq.offset]
    return _ALTERNATIVE.search(before) is not None


def candidates(text: str, names: Callable[[str], bool], rank: Callable[[str], int], readings: Sequence = (),
               equations: list[Equation] | None = None) -> list[Candidate]:
    """Every equation that gives the quantity, as the side giving it."""
    out = []
    for order, eq in enumerate(equations if equations is not None else find_equations(text)):
        sides = eq.sides
        if len(sides) < 2:
            continue
        named = [i for i, side in enumerate(sides[:-1]) if names(side)]
        if named and not names(sides[-1]):
            latex, chain = sides[-1], sides[named[-1] + 1:-1]
            how, confidence = f"the equation '{_short(sides[0])} = …' ({eq.where})", 0.95
        elif names(sides[-1]):
            latex, chain = sides[0], sides[1:-1]
            how, confidence = f"the equation '… = {_short(sides[-1])}' ({eq.where})", 0.9
        else:
            continue
        if eq.where == "inline math":
            confidence -= 0.05
        elif eq.where == "a line of text":
            confidence = 0.7
        read, notes = reading_confidence(latex, readings)
        if read < 1.0:
            how += f"; rebuilt from the PDF's glyphs with confidence {read:.2f}" + (f" ({notes})" if notes else "")
            confidence = min(confidence, read)
        if eq.boxed:
            how += ", boxed"
        concluded = _concluded(text, eq)
        out.append(Candidate(latex, how, confidence, order, rank(latex), eq.boxed, concluded, chain,
                             alternative=_alternative(text, eq)))
    return out


def choose(text: str, names: Callable[[str], bool], rank: Callable[[str], int],
           same: Callable[[str, str], bool | None], readings: Sequence = (), time_limit: float = 1.0,
           what: str = "the quantity", shown: Callable[[str], str] | None = None) -> Choice:
    """The answer in `text` for the quantity `names` recognises (see the module doc).

    `same(a, b)` says whether two answers have the same value (None: cannot tell); `what` names
    the quantity in the reasons given, `shown` spells an answer there (default: its LaTeX)."""
    deadline = time.perf_counter() + time_limit
    equations = find_equations(text)
    if len(equations) >= MAX_EQUATIONS:
        return Choice(None, "text", 0.0, problem=f"more than {MAX_EQUATIONS} formulas: too many to read automatically")
    found = candidates(text, names, rank, readings, equations)
    if time.perf_counter() > deadline:
        return Choice(None, "text", 0.0, problem=f"reading the formulas took longer than {time_limit:g} s")
    if not found:
        bare = [eq for eq in equations if len(eq.sides) == 1 and eq.where == "display math"]
        if bare:
            latex = bare[-1].sides[0]
            confidence, notes = reading_confidence(latex, readings)
            how = f"the last displayed formula (no equation names {what})"
            if confidence < 1.0:
                how += f"; rebuilt from the PDF's glyphs with confidence {confidence:.2f}"
            return Choice(latex, how, min(0.6, confidence))
        return Choice(None, "text", 0.0, problem=f"no equation giving {what} was found")
    best_rank = max(c.rank for c in found)
    pool = [c for c in found if c.rank == best_rank]
    boxed = [c for c in pool if c.boxed]
    concluded = [c for c in pool if c.concluded]
    chosen = boxed[-1] if boxed else (concluded[-1] if concluded else pool[-1])
    how = chosen.how
    if len(found) > 1:
        how += (", the boxed one" if boxed else ", the one after a word of conclusion" if concluded
                else ", the last") + f" of {len(found)} equations for it"
    review = _disagreement(chosen, found, boxed, same, deadline, what, shown or _short)
    confidence = min(chosen.confidence, UNCLEAR) if review else chosen.confidence
    if review:
        how += f"; {review}"
    earlier = tuple(dict.fromkeys(c.latex for c in found if c.rank >= 2 and c.order < chosen.order
                                  and c.latex != chosen.latex))
    return Choice(chosen.latex, how, confidence, earlier=earlier[-3:], review=review)


def _disagreement(chosen: Candidate, found: list[Candidate], boxed: list[Candidate],
                  same: Callable[[str, str], bool | None], deadline: float, what: str,
                  shown: Callable[[str], str]) -> str | None:
    """Why the answer is not clear-cut: its own chain disagrees, or another answer differs."""
    comparisons = 0
    for side in chosen.chain:
        comparisons += 1
        if comparisons > MAX_COMPARISONS or time.perf_counter() > deadline:
            return f"too many expressions for {what} to compare in time"
        if same(side, chosen.latex) is False:
            return (f"the same equation gives {what} two different values, {_short(shown(side), 70)} and "
                    f"{_short(shown(chosen.latex), 70)}: a TA will choose")
    for other in reversed(found):
        # steps of a derivation before the answer may differ from it (grade() names a known mistake
        # in them); another answer marked as final, or one after it, may not
        final_too = other.boxed if boxed else (other.concluded or other.order > chosen.order
                                               or chosen.alternative or other.alternative)
        if other is chosen or not final_too or other.rank < 2 or other.latex == chosen.latex:
            continue
        comparisons += 1
        if comparisons > MAX_COMPARISONS or time.perf_counter() > deadline:
            return f"too many expressions for {what} to compare in time"
        if same(other.latex, chosen.latex) is False:
            return (f"{what} is also given as {_short(shown(other.latex), 70)}, which differs from "
                    f"{_short(shown(chosen.latex), 70)}: a TA will choose")
    return None


def values_one_by_one(equations: Sequence[Equation], target: t.Node,
                      parse: Callable[[str], t.Node]) -> dict[str, str]:
    """λ_1 = 1 + iα, λ_2 = 1 − iα: the values of a target named without a subscript (λ), given one
    by one under indexed names; {index: the last side of the last equation for it}, in index order.
    Empty when the target has a subscript of its own, or fewer than two values are given."""
    if not isinstance(target, t.Sym) or target.sub is not None:
        return {}
    found: dict[str, str] = {}
    for eq in equations:
        if len(eq.sides) < 2 or len(eq.sides[0]) > MAX_NAME_CHARS:
            continue
        try:
            side = parse(eq.sides[0])
        except ParseError:
            continue
        if isinstance(side, t.Sym) and side.sub is not None and \
                (side.base, side.star, side.accent) == (target.base, target.star, target.accent):
            found[side.sub] = eq.sides[-1]
    return {k: found[k] for k in sorted(found)} if len(found) >= 2 else {}
