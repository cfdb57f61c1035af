"""Whether a checklist hint found in an answer is a step the answer shows: not a term dropped in a
list of keywords ("Keywords: change of variables, Jacobian, cancel"; a bullet list of bare words),
not a concept the answer negates ("is not unbiased", "without using Jensen", "n'est pas sans
biais", "it is not the case that the Jacobian terms cancel").

Hints are regexes written by TAs and French answers are matched through an English gloss, so
neither looks inside a hint: a list is told from a sentence by its items, and a negation by the
words before the match within its clause (and a sentence-wide "it is not the case that ...").
A hint for a step that is itself negative ("the integral cannot be computed") names its
negation ('cannot\\s+be\\s+computed'): the words inside a match are never read as negating it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Math is one token of its item: its commas separate nothing.
_MATH_SPAN = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\[.*?\\\]|\\\(.*?\\\)|\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S)
# What separates the items of a list, outside brackets: commas, semicolons, line breaks and bullets.
_SEPARATOR = re.compile(r"[,;]|\n[ \t]*(?:[-*+•]|\d+[.)])?[ \t]*")
_STOP = re.compile(r"[,;\n(\[{]")
# "Keywords:", "Key steps:", "Mots-clés :": a short label before the list.
_LABEL = re.compile(r"^\W*(?:[^\W\d_][\w'’-]*\s*){1,4}:\s*")
# Words that make an item a clause (a subject, an auxiliary, a verb of reasoning), in English and French:
# "we use the change of variables" states a step, "change of variables" names one.
_CLAUSE_WORDS = frozenset("""we i it this these that which they one is are was were be been being has have had
can could will would should must may might does do did gives give holds hold follows follow yields yield
shows show becomes become equals equal implies imply means get gets obtain obtains apply applies using use
substitute substituting rewrite write nous on il elle ils elles je j tu vous ce cela ceci qui que est sont
était a ont avons peut peuvent donne donnent devient vaut obtient obtenons applique appliquons utilise
utilisons""".split())
# Items that only link or close an argument: neither a term nor a step.
_MARKERS = frozenset("""hence thus therefore so then finally qed q.e.d done as shown required i.e ie e.g eg
note also and or etc donc ainsi alors finalement cqfd enfin""".split())
# A relation makes an item an equation or an inequality; a formula without one is a term ("D_KL[P‖Q]").
_RELATION = re.compile(r"[=<>≤≥≈∝→⇒↦∼≠]|\\(?:leq?|geq?|approx|propto|to|implies|Rightarrow|neq?|sim|le|ge)(?![a-zA-Z])")
_WORD = re.compile(r"[^\W\d_]+(?:[’'.-][^\W\d_]+)*")
_FORMULA_TOKEN = re.compile(r"[_^\\{}\[\]()|‖=\d]")  # "D_KL[P‖Q]", "F^{-1}(x)": a formula, not words
_TERM_WORDS = 3
_BRACKET_CHARS = 80  # a term is a few words ("change of variables", "Jacobian determinant")
_MIN_TERMS = 3


@dataclass(frozen=True)
class Piece:
    """A part of a unit (a sentence, an equation, a list) and whether a hint found in it counts."""

    text: str
    counts: bool


def _closers(text: str) -> dict[int, int]:
    """Each bracket that is closed, by its position: where it closes."""
    pairs, stack = {}, []
    for m in _BRACKET.finditer(text):
        if m.group() in "([{":
            stack.append(m.start())
        elif stack:
            pairs[stack.pop()] = m.start()
    return pairs


_BRACKET = re.compile(r"[()\[\]{}]")


def _items(unit: str) -> list[str]:
    """The unit cut at its separators, outside math and outside brackets that close soon (a
    formula's arguments); an unclosed bracket ("F^{-1}(x, Jacobian, ...") protects nothing."""
    masked = _MATH_SPAN.sub(lambda m: "\x00" * len(m.group(0)), unit)
    closers = _closers(masked)
    items: list[str] = []
    start = position = 0
    while position < len(masked):
        stop = _STOP.search(masked, position)  # only a bracket or a separator's first character acts
        if stop is None:
            break
        position = stop.start()
        close = closers.get(position)
        if close is not None and close - position <= _BRACKET_CHARS:
            position = close + 1
            continue
        m = _SEPARATOR.match(masked, position)
        if m:
            items.append(unit[start:position])
            start = position = m.end()
            continue
        position += 1
    items.append(unit[start:])
    return [i.strip() for i in items if i.strip()]


def _kind(item: str) -> str:
    """'stated' (an equation, a clause, or more words than a term), 'marker' (a linking word, or no
    word at all) or 'term'."""
    if _RELATION.search(item):
        return "stated"
    plain = " ".join(t for t in _MATH_SPAN.sub(" ", item).split() if not _FORMULA_TOKEN.search(t))
    words = [w.lower() for w in _WORD.findall(plain)]
    if any(w in _CLAUSE_WORDS for w in words):
        return "stated"
    content = [w for w in words if w.strip(".") not in _MARKERS and len(w) > 1]
    if not content:  # "hence", "QED"; or a formula's stray symbols ("k", a limit set apart by a PDF)
        return "marker"
    return "term" if len(content) <= _TERM_WORDS else "stated"


def pieces(unit: str) -> list[Piece]:
    """The unit as one piece that counts, or, when it is a list of keywords (three bare terms or
    more and at most one item that states something: a clause, an equation, a longer phrase; or
    two terms or more and nothing stated), its items, of which only what states something counts."""
    label = _LABEL.match(unit)
    body = unit[label.end():] if label else unit
    items = _items(body)
    kinds = [_kind(i) for i in items]
    terms, stated = kinds.count("term"), kinds.count("stated")
    if not (terms >= _MIN_TERMS and stated <= 1 or terms >= 2 and stated == 0):
        return [Piece(unit, True)]
    return ([Piece(label.group(0), False)] if label else []) + [Piece(i, k == "stated") for i, k in zip(items, kinds)]


# A negation of the words right after it: within three words before a match, in its clause.
_NEGATION = re.compile(
    r"\b(?:not(?!\s+only\b)|no(?!\s+(?:doubt|matter)\b)|never|none|nor|neither|without(?!\s+loss\s+of\s+generality)|"
    r"cannot|can\s*not|\w+n[’']t|fails?\s+to|failed\s+to|lacks?|lacking|absence\s+of|instead\s+of|rather\s+than|"
    r"pas|ne|sans|jamais|aucune?|ni|non(?![-‐]))(?=\W|$)|\bn[’'](?=\w)", re.I)
# A negation of all its clause holds after it ("we never use the Jacobian terms cancel", "without
# the change of variables formula"), where a plain "not" negates the few words after it only
# ("the terms that do not depend on θ cancel").
_SCOPE_NEGATION = re.compile(
    r"\b(?:without(?!\s+loss\s+of\s+generality)|never|neither|nor|no\s+need|sans|jamais|"
    r"(?:not|\w+n[’']t)\s+(?:use|using|need|needing|rely|relying|apply|applying|assume|assuming|require|"
    r"requiring|invoke|invoking))\b", re.I)
# The end of a clause before a match: punctuation, or a word that opens another clause.
_CLAUSE_END = re.compile(
    r"[.;:!?,\n]|\b(?:but|because|since|so|hence|thus|therefore|while|whereas|although|though|however|yet|"
    r"then|which|where|when|whereby|thereby|mais|car|puisque|donc|ainsi|alors|tandis|lorsque|quand)\b", re.I)
# A negation of a whole proposition: "it is not the case that ...", "I do not think that ...".
_PROPOSITION_NEGATED = re.compile(
    r"\b(?:is|[’']s)\s+not\s+(?:the\s+case|true)\b|\bisn[’']t\s+(?:the\s+case|true)\b|\bit\s+is\s+(?:false|untrue|wrong)\s+"
    r"(?:that|to\s+say)\b|\b(?:i|we)\s+(?:do\s+not|don[’']t|cannot|can[’']t)\s+(?:think|believe|claim|say|agree)\b"
    r"|\b(?:ce\s+n[’']est\s+pas|il\s+est\s+faux)\s+(?:le\s+cas\s+|vrai\s+)?que?\b", re.I)
# A turn in a sentence: what follows it is no longer under the negation before it.
_CONTRAST = re.compile(r";|\b(?:but|however|yet|instead|rather|mais|cependant|pourtant|plutôt)\b", re.I)
_NEAR_WORDS = 3
_NEAR_WORD = re.compile(r"(?<!\S)[^\s=_^\\{}\[\]()|‖<>≤≥]*[^\W\d_][^\s=_^\\{}\[\]()|‖<>≤≥]*(?!\S)")  # no formula


def negated(text: str, start: int) -> bool:
    """Whether the words before text[start:] negate it: a negation among the three words before
    it within its clause, a negation of the whole clause before it ("without", "never", "do not
    use"), or a negated proposition the sentence opens with before it ("it is not the case that")."""
    before = text[:start]
    sentence = before[before.rfind(". ") + 1:]
    proposition = None
    for proposition in _PROPOSITION_NEGATED.finditer(sentence):
        pass
    if proposition is not None and not _CONTRAST.search(sentence, proposition.end()):
        return True
    ends = list(_CLAUSE_END.finditer(before))
    clause = before[ends[-1].end():] if ends else before
    if _SCOPE_NEGATION.search(clause):
        return True
    words = list(_NEAR_WORD.finditer(clause))[-_NEAR_WORDS:]  # words, not a formula's symbols
    return bool(words) and bool(_NEGATION.search(clause[words[0].start():]))


def continues(between: str) -> bool:
    """Whether text between two mentions only continues the first one's phrase ("formula for the
    flow's density, with its"): no clause of its own, no turn, no sentence end."""
    words = [w.lower() for w in _WORD.findall(between)]
    return (not _CONTRAST.search(between) and not re.search(r"[.!?]\s", between)
            and not any(w in _CLAUSE_WORDS for w in words))
