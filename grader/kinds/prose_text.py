"""How a prose answer is read: cut into quotable units, its formulas in one plain spelling
(LaTeX typed in a .tex and LaTeX rebuilt from a PDF's glyphs alike), and what a chain of
(in)equalities proves. The prose kind (grader/kinds/prose.py) matches checklist hints on these."""

from __future__ import annotations

import os.path
import re
from functools import lru_cache

_DISPLAY = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\begin\{(equation|align|gather|multline|eqnarray)\*?\}.*?\\end\{\1\*?\}",
                      re.S)
# Opens on the space after a sentence and looks behind it from there: a pattern that opens on a
# lookbehind is tried at every position of the text.
_SENTENCE_END = re.compile(r"\s(?<=[.!?]\s)(?<!i\.e\.\s)(?<!e\.g\.\s)(?<!cf\.\s)\s*(?=[A-Z\\$(\"“])|\n\s*\n")


# A word a PDF hyphenated at a line's end ("con-\ncavity"): a hint looks for the whole word.
_LINE_END_HYPHEN = re.compile(r"(?<=[^\W\d_])-[ \t]*\n[ \t]*(?=[^\W\d_])")
_WORD_END = re.compile(r"[^\W\d_]+$")
_WORD_START = re.compile(r"[^\W\d_]+")


def dehyphenated(text: str) -> str:
    """The text with the words broken at a line's end made whole: "con-\ncavity" reads "concavity".
    The hyphen stays where the next part starts with a capital ("Jensen-\nShannon") or where the
    text writes the word with its hyphen elsewhere ("self-\nsupervised" beside "self-supervised")."""
    if "-" not in text or _LINE_END_HYPHEN.search(text) is None:
        return text
    lowered = text.lower()

    def join(m: re.Match) -> str:
        before = _WORD_END.search(text, max(0, m.start() - 40), m.start())
        after = _WORD_START.match(text, m.end())
        if not before or not after or after.group(0)[0].isupper():
            return "-"
        return "-" if f"{before.group(0)}-{after.group(0)}".lower() in lowered else ""

    return _LINE_END_HYPHEN.sub(join, text)


def units(text: str, raw: bool = False) -> list[str]:
    """The text cut into quotable units: sentences, and each displayed equation on its own (with
    their line breaks when `raw`, else on one line)."""
    out: list[str] = []
    position = 0
    for m in _DISPLAY.finditer(text):
        out += _sentences(text[position:m.start()])
        out.append(m.group(0))
        position = m.end()
    out += _sentences(text[position:])
    return _chained([u.strip() if raw else " ".join(u.split()) for u in out if u.strip()])


# A unit opening on a relation continues the formula above it: "L_K = E[...]" then "≤ log E[...]",
# a chain a PDF sets over several lines (and its reader rebuilds line by line).
_CONTINUES = re.compile(r"^(?:\$|\\\[|\s)*(?:=|≤|≥|<|>|≈|\\(?:le|leq|ge|geq|approx|Rightarrow|implies)(?![a-zA-Z]))")


def _chained(found: list[str]) -> list[str]:
    out: list[str] = []
    for unit in found:
        if out and _CONTINUES.match(unit) and len(out[-1]) < 2000:
            out[-1] = f"{out[-1]} {unit}"
        else:
            out.append(unit)
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s and s.strip()]


_MATH_RULES = [(re.compile(p), r) for p, r in [
    (r"\\(?:overset|stackrel)\s*\{[^{}]*\}\s*\{([^{}]*)\}", r"\1"),  # \overset{(b)}{\ge}: the relation
    (r"\\(?:begin|end)\s*\{[a-zA-Z*]*\}|\\\\(?:\[[^\]]*\])?|&|\\(?:nonumber|notag)(?![a-zA-Z])", " "),  # rows of an align
    (r"\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])|\\displaystyle|\\limits|\\nolimits", ""),
    (r"\\\{", "["), (r"\\\}", "]"),  # E\{...\}: an expectation in braces reads as E[...]
    (r"\\[,;:! ]|\\q?quad\b|~", " "),
    # after a command, a space: "\sum\mathbb{E}[x]" must not become the word "sumE"
    (r"(\\[a-zA-Z]+)?\\(?:mathbf|mathrm|mathbb|mathcal|mathit|boldsymbol|bm|text|textrm|textbf|textit|operatorname|mathsf)"
     r"\s*\{([^{}]*)\}", lambda m: f"{m.group(1)} {m.group(2)}" if m.group(1) else m.group(2)),
    (r"\\(?:geq?|geqslant)(?![a-zA-Z])|>=|⩾", "≥"), (r"\\(?:leq?|leqslant)(?![a-zA-Z])|<=|⩽", "≤"),
    (r"\\(?:ln|log)(?![a-zA-Z])|\bln\b", "log"), (r"\\exp(?![a-zA-Z])", "exp"),
    (r"\\sum(?![a-zA-Z])|∑", "Σ"), (r"\\prod(?![a-zA-Z])|∏", "Π"), (r"\\int(?![a-zA-Z])", "∫"),
    (r"\\(?:\||parallel(?![a-zA-Z])|Vert(?![a-zA-Z]))|\|\|", "‖"), (r"\\(?:mid|vert)(?![a-zA-Z])", "|"),
    (r"\^\s*\{\s*(?:\\ast|\*)\s*\}|\^\s*(?:\\ast|\*)|\\ast(?![a-zA-Z])", "*"),
    (r"\\sim(?![a-zA-Z])|~(?=\s*[qpN])", "∼"), (r"\\approx(?![a-zA-Z])", "≈"), (r"\\(?:to|rightarrow)(?![a-zA-Z])|->", "→"),
    (r"\\forall(?![a-zA-Z])", "∀"), (r"\\in(?![a-zA-Z])", "∈"), (r"\\partial(?![a-zA-Z])", "∂"),
    (r"\\det(?![a-zA-Z])", "det"), (r"\\(?:cdot|times)(?![a-zA-Z])", "·"), (r"[−–]", "-"),
    (r"\\(?:neq|ne)(?![a-zA-Z])", "≠"), (r"\\infty(?![a-zA-Z])", "∞"), (r"\\E(?![a-zA-Z])", "E"),
    (r"\\theta(?![a-zA-Z])", "θ"), (r"\\phi(?![a-zA-Z])", "φ"), (r"\\mu(?![a-zA-Z])", "μ"),
    (r"\\(?:mathcal\s*)?L(?![a-zA-Z])", "L"), (r"\$", " "),
]]
MATHY = re.compile(r"[\\$^_{}<>=|~−–∑]|\bln\b")  # a unit without these normalises to itself
_FRAC = re.compile(r"\\[dt]?frac\s*(?=\{)")
_FRAC_SHORT = re.compile(r"\\[dt]?frac\s*([0-9a-zA-Z])\s*([0-9a-zA-Z])")  # \frac12, \frac1k


def _braced(text: str, start: int) -> tuple[str, int] | None:
    """The content of the {...} group opening at `start`, and the index after it."""
    if start >= len(text) or text[start] != "{":
        return None
    depth = 0
    for i in range(start, min(len(text), start + 2000)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1:i], i + 1
    return None


@lru_cache(maxsize=4096)  # the same sentences are normalised for every checklist, extract and report
def normalise_math(text: str) -> str:
    """LaTeX and PDF-extracted math in one spelling, for hints: a plain rewrite, never evaluated."""
    text = _FRAC_SHORT.sub(r"(\1)/(\2)", text)
    position = 0
    for _ in range(200):  # \frac{a}{b} -> (a)/(b), outermost first; bounded for hostile input
        m = _FRAC.search(text, position)
        if not m:
            break
        first = _braced(text, m.end())
        second = _braced(text, first[1]) if first else None
        position = m.start()  # an inner \frac is in what replaces this one: search on from here
        if not second:
            text = text[:m.start()] + text[m.end():]
            continue
        text = f"{text[:m.start()]}({first[0]})/({second[0]}){text[second[1]:]}"
    for _ in range(3):  # nested \mathbf{\mathbb{...}}: repeat while something changes
        before = text
        for pattern, replacement in _MATH_RULES:
            text = pattern.sub(replacement, text)
        if text == before:
            break
    text = re.sub(r"([_^])\{([^{}]*)\}", r"\1\2", text)
    text = re.sub(r"[{}]", "", text)
    text = re.sub(r"\\(?:\[|\]|\(|\))", " ", text)  # display and inline delimiters
    text = re.sub(r"\\([a-zA-Z]+)", r" \1 ", text)  # any other command: its name, as a word (\arg\max -> arg max)
    return " ".join(text.split())


_MATH_SEGMENT = re.compile(r"\\\[.*?\\\]|\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)", re.S)


def readable(text: str) -> str:
    """The answer with its formulas in plain words and symbols ("arg max_D E_(x∼p1)[log D(x)]"), as
    a report shows it: LaTeX rebuilt from a PDF, or typed in a .tex, is no reading for a person."""
    if "$" not in text and "\\" not in text:
        return text
    return _MATH_SEGMENT.sub(lambda m: normalise_math(m.group(0)), text)


def quote(unit: str, match: re.Match | None = None) -> str:
    if len(unit) <= 220:
        return unit
    if match is None or match.string != unit or match.start() < 150:
        return unit[:217] + "…"
    start = max(0, match.start() - 100)
    return "…" + unit[start:start + 216] + "…"


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-zÀ-ÿ]{2,}", text))


# A chain's relations, at the top level of brackets: "L_K = E[...] ≤ log E[...] = ... = log p(x)".
_RELATION = re.compile(r"(?<![<>≤≥=!])(=|≤|≥|<|>)(?![<>≤≥=])")
_OPENERS, _CLOSERS = "([{", ")]}"
_CHAIN_CHARS = re.compile(r"[(\[{)\]}=≤≥<>]")
# The bounds of a sum or product flattened by normalise_math ("Σ_j = 1^k"): its "=" is no relation.
_BOUND = re.compile(r"(?<=[ΣΠ]_)[ \w]{1,12}=(?=\s*\w{1,12}\s*\^)")
# Where a shared context may end: a side's inner term starts after a space, a bracket or an operator.
_CONTEXT_END = re.compile(r"[\s(\[{/^_·+\-Σ∫]")
_SUM_BOUNDS = re.compile(r"[ΣΠ]_[ \w]{1,12}(?:=\s*\w{1,12}\s*)?\^(?:\d+|\w)")  # "Σ_j = 1^k", then the term


def _bounds_masked(normalised: str) -> str:
    """The text with the "=" of sum bounds ("Σ_j = 1^k") masked: it relates nothing."""
    return _BOUND.sub(lambda m: m.group(0).replace("=", "\x00"), normalised)


def _top_level(text: str):
    """(index, character) of each character outside brackets (brackets themselves aside)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
        elif depth == 0:
            yield i, ch


def _sides(normalised: str) -> tuple[list[str], list[str]]:
    """A chain's sides and the relations between them, split at relations outside brackets."""
    masked = _bounds_masked(normalised)
    sides, relations, depth, last = [], [], 0, 0
    for m in _CHAIN_CHARS.finditer(masked):  # only brackets and relations change anything
        ch, i = m.group(), m.start()
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth = max(0, depth - 1)
        elif depth == 0 and _RELATION.match(masked, i):
            sides.append(normalised[last:i])
            relations.append(ch)
            last = i + 1
    sides.append(normalised[last:])
    return sides, relations


def _combined(relations: list[str]) -> str | None:
    """What relations in a row prove together: "=" for equalities alone, "≤" for ≤ and =, None
    when ≤ and ≥ are mixed."""
    strict = {r for r in relations if r != "="}
    if not strict:
        return "="
    if strict <= {"≤", "<"}:
        return "<" if "<" in strict else "≤"
    if strict <= {"≥", ">"}:
        return ">" if ">" in strict else "≥"
    return None


def _inner_steps(sides: list[str], relations: list[str]) -> list[str]:
    """The steps a chain takes inside a context it keeps: "log (1/k) Σ E[w_j] = log (1/k) Σ ∫ p dz
    = log (1/k) Σ p(x)" rewrites E[w_j] into p(x) under "log (1/k) Σ", so it shows E[w_j] = p(x),
    as a TA reads it. Each run of equalities whose sides open alike (and close alike) gives its
    first and last inner terms; each line that rewrites one term of a sum it keeps, that term's
    rewriting (_term_step)."""
    out = []
    i = 0
    while i < len(relations):
        j = i
        while j < len(relations) and relations[j] == "=":
            j += 1
        run = [side.strip() for side in sides[i:j + 1]]
        a = 0
        while a < len(run) - 1:  # the longest stretches of the run that keep a context
            b = a + 1
            inner = _without_context(run[a:b + 1])
            while inner and b + 1 < len(run) and (wider := _without_context(run[a:b + 2])):
                b, inner = b + 1, wider
            if inner and inner[0] and inner[-1] and inner[0] != inner[-1]:
                out.append(f"{inner[0]} = {inner[-1]}")
            a = b if inner else a + 1
        out += [step for pair in zip(run, run[1:]) if (step := _term_step(*pair)) and step not in out]
        i = j + 1
    return out


def _terms(side: str) -> list[str] | None:
    """A side's terms at the top level of brackets, each with its sign ("+a", "-b"); None when a
    side is too long to be one line of a derivation."""
    if len(side) > 600:
        return None
    terms, start = [], 0
    for i, ch in _top_level(side):
        # "a - b": only a sign set apart by spaces separates terms ("1-D", "e^-x" stay whole)
        if ch in "+-" and i > start and side[i - 1] == " " and side[i + 1:i + 2] == " ":
            terms.append(side[start:i])
            start = i
    terms.append(side[start:])
    out = []
    for term in terms:
        term = " ".join(term.split())
        sign = "-" if term.startswith("-") else "+"
        out.append(sign + term.lstrip("+- ").strip())
    return out


def _term_step(before: str, after: str) -> str | None:
    """The one term a line of a derivation rewrites in a sum it otherwise keeps ("log p(x) + A − A
    = A − A + ∫ q(z|x) log p(x) dz" shows log p(x) = ∫ q(z|x) log p(x) dz), or None."""
    a, b = _terms(before), _terms(after)
    if not a or not b or len(a) < 2 or len(b) < 2:
        return None
    left, right = list(a), list(b)
    for term in a:
        if term in right:
            right.remove(term)
            left.remove(term)
    if len(left) != 1 or len(right) != 1 or left[0][0] != right[0][0]:
        return None
    return f"{left[0][1:]} = {right[0][1:]}"


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _first_at_top(text: str, pattern: re.Pattern) -> int:
    """Where `pattern` first matches outside brackets in `text`, or len(text)."""
    return next((i for i, _ in _top_level(text) if pattern.match(text, i)), len(text))


_SIDE_END = re.compile(r"[,;]\s|\.\s")


def _without_context(run: list[str]) -> list[str] | None:
    """The sides without the prefix and suffix they all share (cut where a term may start), or
    None when they share no prefix of substance."""
    prefix = os.path.commonprefix(run)
    cut = max([m.end() for m in _CONTEXT_END.finditer(prefix)]
              + [m.end() for m in _SUM_BOUNDS.finditer(prefix)], default=0)
    prefix = prefix[:cut]
    if len(prefix.strip()) < 3 or not re.search(r"[A-Za-zΣΠ∫]", prefix):
        return None
    inner = [side[len(prefix):] for side in run]
    suffix = os.path.commonprefix([side[::-1] for side in inner])[::-1]
    if suffix and not re.fullmatch(r"[\s)\]}]*", suffix):  # only closing brackets the prefix opened
        suffix = ""
    inner = [side[:len(side) - len(suffix)].strip() if suffix else side.strip() for side in inner]
    # the context cut a bracket in two ("log p(" of "log p(x)" and "log p(x) + A"): no term of its own
    return inner if all(_balanced(side) for side in inner) else None


def derived_relations(normalised: str) -> list[str]:
    """What a chain of (in)equalities proves: from its first side to its last ("L_K ≤ log p(x)"
    for "L_K = E[…] ≤ log E[…] = log p(x)"; none when it mixes ≤ and ≥, or has fewer than three
    sides), and the steps it takes inside a context it keeps (_inner_steps). A TA reads the chain
    so; a checklist's hint may name only the conclusion, or the step."""
    if len(normalised) > 3000 or not _RELATION.search(normalised):
        return []
    out: list[str] = []
    for chain in _CHAINS_APART.split(normalised):  # "a = b, and c ≤ d": two chains
        sides, relations = _sides(chain)
        relation = _combined(relations)
        if len(sides) >= 3 and relation:
            first = re.split(r"[:;,]\s|\bthus\b|\bhence\b|\bso\b", sides[0])[-1].strip()
            end = sides[-1][:_first_at_top(sides[-1], _SIDE_END)].strip()  # "p(x, z)" is one side
            if first and end:
                out.append(f"{first} {relation} {end}")
        out += [step for step in _inner_steps(sides, relations) if step not in out]
    return out


# Words that end one chain and start another within a sentence.
_CHAINS_APART = re.compile(r"[,;]\s+(?:and|then|so|thus|hence|where|while|whereas|but|et|puis|donc|alors|où|mais)\b"
                           r"|\.\s+(?=[A-Z])")


# ------------------------------------------------------------------ steps a formula names

# Identities students write as formulas where a checklist names them in words ("linearity of
# expectation"): a unit that writes one is also read as naming it, in English and French (an item's
# hints may be in either). Only the valid direction of an inequality is named.
_E = r"E(?:[^=≤≥\[\n(]|\([^()\n]{0,30}\)){0,40}?"  # E, its subscript (brackets in parentheses too: Unif([1, 2])), before its bracket
_NAMED_STEPS = [(re.compile(p), name) for p, name in [
    (rf"{_E}\[[^=≤≥\[\]]{{0,30}}?Σ[^=≤≥]{{0,160}}?\]\s*=\s*(?:\([^=≤≥]{{0,20}}?\)\s*)?Σ[^=≤≥]{{0,60}}?E"
     rf"|Σ[^=≤≥]{{0,60}}?E[^=≤≥]{{0,160}}?=\s*{_E}\[\s*Σ"
     rf"|{_E}\[[^\[\]=≤≥]{{1,80}}\+[^\[\]=≤≥]{{1,80}}\]\s*=\s*{_E}\[[^\[\]=≤≥]{{1,80}}\]\s*\+\s*E",
     "linearity of expectation (linéarité de l'espérance)"),
    # on the log, in words too: what "log E[w] ≥ E[log w]" says (nested expectations: E[E_i[log w_i]])
    (rf"log\s*\(?\s*{_E}\[[^=≤≥]{{0,200}}?≥\s*(?:{_E}\[\s*){{1,3}}log|(?:{_E}\[\s*){{1,3}}log[^=≤≥]{{0,200}}?≤\s*log\s*\(?\s*E",
     "Jensen's inequality: the log of the mean is at least the mean of the logs (inégalité de Jensen : le log de"
     " la moyenne est au moins la moyenne des logs)"),
    (r"f\s*\(\s*E[^=≤≥]{0,80}?≤\s*E[^=≤≥]{0,40}?\[\s*f\s*\(", "Jensen's inequality (inégalité de Jensen)"),
    (r"p\s*\(\s*(\w+)\s*\|\s*(\w+)\s*\)\s*=\s*\(?\s*p\s*\(\s*\2\s*\|\s*\1\s*\)\s*·?\s*p\s*\(\s*\1\s*\)\s*\)?\s*/\s*\(?\s*p\s*\(\s*\2\s*\)"
     r"|p\s*\(\s*(\w+)\s*\|\s*(\w+)\s*\)\s*=\s*\(?\s*p\s*\(\s*(?:\3\s*,\s*\4|\4\s*,\s*\3)\s*\)\s*\)?\s*/\s*\(?\s*p\s*\(\s*\4\s*\)",
     "Bayes' rule (règle de Bayes)"),
]]


# An integral against a density is an expectation: ∫ q(z|x) log p(x,z) dz is E_q(z|x)[log p(x,z)],
# as a checklist's hints most often write it.
_INTEGRAL = re.compile(r"∫(?:_[^\s∫]{1,12})?\s*(?P<density>[pqπ](?:_\w{1,6})?\s*\((?P<args>[^()]{1,30})\))\s*"
                       r"(?P<body>[^∫=≤≥]{1,200}?)\s*d\s*(?P<var>[a-zθφ](?:_\w{1,4})?)(?![\w(])")


def as_expectations(normalised: str) -> str | None:
    """The unit with its integrals against a density written as expectations, or None when it has
    none: a derivation that integrates shows the same steps as one that takes expectations."""
    if "∫" not in normalised or len(normalised) > 3000:
        return None

    def expectation(m: re.Match) -> str:
        if not re.search(rf"(?<![\w]){re.escape(m['var'])}(?![\w])", m["args"]):
            return m.group(0)  # dz with a density of something else: not its expectation
        body = m["body"].strip()
        if body.startswith("[") and body.endswith("]") and body.count("[") == 1:
            body = body[1:-1].strip()
        return f"E_{''.join(m['density'].split())}[{body}]"

    rewritten = _INTEGRAL.sub(expectation, normalised)
    return rewritten if rewritten != normalised else None


def named_steps(normalised: str) -> list[str]:
    """The names of the identities a unit writes as formulas (E[Σ x] = Σ E[x]: linearity of
    expectation), for hints that name them."""
    if len(normalised) > 3000 or not _RELATION.search(normalised):  # a unit, not a whole hostile page
        return []
    masked = _bounds_masked(normalised)
    return [name for pattern, name in _NAMED_STEPS if pattern.search(masked)]


# ------------------------------------------------------------------ formulas a checklist item states

# A formula in an item's description: its relation and the math-like words around it. The words of
# prose around it ("the conclusion", "by concavity of log") are not part of it.
_DESCRIPTION_RELATION = re.compile(r"[=≤≥<>]")
_PROSE_WORD = re.compile(r"^[A-Za-z][a-z]{2,}$")
_MATH_WORDS = frozenset("log ln exp det max min sup inf lim argmax argmin tr var".split())


def stated_formulas(description: str) -> list[str]:
    """The formulas an item's description writes out ("the conclusion L_k ≤ log p(x)" ->
    "L_k ≤ log p(x)"): each clause holding a relation, without its leading and trailing words."""
    out = []
    for clause in re.split(r"[;:]\s+|,\s+(?=[a-z]{3,}\b)|\s+\(or\s+|\bthen\b", description):
        if not (_DESCRIPTION_RELATION.search(clause) or re.search(r"[\[(][^\])]*[_|][^\])]*[\])]", clause)):
            continue
        words = clause.split()
        while words and _PROSE_WORD.match(words[0]) and words[0] not in _MATH_WORDS:
            words.pop(0)
        while words and _PROSE_WORD.match(words[-1]) and words[-1] not in _MATH_WORDS:
            words.pop()
        formula = " ".join(words).strip(" .")
        if len(canonical(formula)) >= 5:
            out.append(formula)
    return out


_CANON = [(re.compile(p), r) for p, r in [
    (r"⁻¹", "^-1"), (r"[⁰¹²³⁴⁵⁶⁷⁸⁹]", ""), (r"[−–]", "-"), (r"‖|\|\|", "|"), (r"\\(?:cdot|times)|[·×]", ""),
    (r"\\ast|∗", "*"), (r"\\left|\\right", ""), (r"\\(?:mathrm|mathbb|mathcal|operatorname|text)", ""),
    (r"\\", ""), (r"[\s_{}()\[\]]", ""),
]]


def canonical(text: str) -> str:
    """A formula with spacing, subscript marks, brackets and multiplication signs taken out: the
    same formula written loosely ("f1 = f0 D*/(1 − D*)") and typeset ("f_1(x) = f_0(x)
    \\frac{D^*(x)}{1 - D^*(x)}", normalised) compare equal once arguments like "(x)" are gone too."""
    text = re.sub(r"\((?:x|z|u|y|t|i|j|k)\)", "", text)
    for pattern, replacement in _CANON:
        text = pattern.sub(replacement, text)
    return text.lower()
