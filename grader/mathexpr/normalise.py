r"""One spelling for the many ways students write the same LaTeX, before the grammar sees it.

Spacing and sizing commands go (\, \quad \left \big ...), fonts are unwrapped (\mathrm{d}x -> dx,
\mathbf{x} -> x), accents keep one form (\widehat{x} -> \hat{x}), synonyms become one command
(\mathbb{E}, \operatorname{E}, E_{..}[ -> \E; \ln, log -> \log; \dfrac -> \frac; \intercal -> \top),
upright words become one name (\mathrm{KL}, D_{KL} -> \name{KL}; \operatorname{tr} -> \tr), bars
are paired (|x| -> \lvert x \rvert, \|x\| -> \lVert x \rVert, and the one \| inside KL(p \| q) is
a comma), braces of sets are told from grouping braces (\{a, b\} -> \lset a, b \rset), and Unicode
from PDF text becomes LaTeX (− · ∼ ½ 𝔼 μ ± ᵀ). What is left must be known to the grammar: any
other command is reported by name, never dropped.

A context adds to these rules through a Lexicon: the words it declares are read as one name
(ELBO, not E·L·B·O) and the letters it subscripts with a digit are read so in plain text (p0 -> p_0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.mathexpr.tree import ParseError

MAX_CHARS = 2000  # one side of one equation; longer is not an answer to read automatically
MAX_NESTING = 40
MAX_NUMBER_DIGITS = 30


@dataclass(frozen=True)
class Lexicon:
    """What a context adds to the spelling rules (hashable: part of the parser's cache key)."""

    words: frozenset[str] = frozenset()  # multi-letter names read as one name: ELBO, MSE
    digit_letters: frozenset[str] = frozenset()  # letters whose digit subscript may be written p0


PLAIN = Lexicon()

_UNICODE = {
    "−": "-", "–": "-", "—": "-", "·": r"\cdot ", "⋅": r"\cdot ", "×": r"\times ", "∗": "*", "⋆": "*",
    "∼": r"\sim ", "½": r"{\frac{1}{2}}", "¼": r"{\frac{1}{4}}", "¾": r"{\frac{3}{4}}", "∞": r"\infty ",
    "∫": r"\int ", "∑": r"\sum ", "∏": r"\prod ", "𝔼": r"\E ", "±": r"\pm ", "∓": r"\mp ",
    "μ": r"\mu ", "µ": r"\mu ", "π": r"\pi ", "θ": r"\theta ", "ϕ": r"\phi ", "φ": r"\phi ", "α": r"\alpha ",
    "β": r"\beta ", "γ": r"\gamma ", "δ": r"\delta ", "ε": r"\epsilon ", "η": r"\eta ", "λ": r"\lambda ",
    "σ": r"\sigma ", "τ": r"\tau ", "ω": r"\omega ", "ρ": r"\rho ", "ξ": r"\xi ", "Σ": r"\Sigma ", "Δ": r"\Delta ",
    "‖": r"\|", "≈": r"\approx ", "√": r"\sqrt ", "⁎": "*", "′": "'", "″": "''", "ᵀ": r"^{\top}",
    "²": "^{2}", "³": "^{3}", "⁻¹": "^{-1}", "\u00a0": " ", "\u2009": " ", "\u200b": "",
}
_UNICODE_RE = re.compile("|".join(re.escape(k) for k in sorted(_UNICODE, key=len, reverse=True)))

_SPACING = re.compile(
    r"(?<!\\)\\[,;:! ]|\\(?:quad|qquad|displaystyle|textstyle|scriptstyle|scriptscriptstyle|limits|nolimits|"
    r"nonumber|notag|hline)(?![a-zA-Z])|\\(?:h|v)space\*?\{[^{}]*\}|\\(?:label|tag)\*?\{[^{}]*\}")
_SIZING = re.compile(r"\\(?:left|right|middle|[bB]igg?[lrm]?)(?![a-zA-Z])\s*\.?")
_DELIMITERS = [(re.compile(r"(?<!\\)\\(?:lbrace(?![a-zA-Z])|\{)"), r" \\lset "),
               (re.compile(r"(?<!\\)\\(?:rbrace(?![a-zA-Z])|\})"), r" \\rset "),
               (re.compile(r"\\lbrack(?![a-zA-Z])"), "["), (re.compile(r"\\rbrack(?![a-zA-Z])"), "]"),
               (re.compile(r"\\lparen(?![a-zA-Z])"), "("), (re.compile(r"\\rparen(?![a-zA-Z])"), ")"),
               (re.compile(r"\\langle(?![a-zA-Z])"), "("), (re.compile(r"\\rangle(?![a-zA-Z])"), ")")]
_ARRAY_SPEC = re.compile(r"(\\begin\{array\})\s*(?:\[[a-z]\])?\s*\{[^{}]*\}")
_MATRIX_STAR = re.compile(r"\\(begin|end)\{([pbvBV]?matrix)\*\}(?:\[[lcr]\])?")
_ROW_SPACE = re.compile(r"\\\\\s*\[[^\]]*\]")
_WORD_FONTS = r"\\(?:text|mathrm|operatorname\*?|textrm|mathit|textit|mathsf|textsf|textnormal|mbox|rm)"
_SUBSCRIPT_WORD = re.compile(r"_\s*(\{\s*)?" + _WORD_FONTS + r"\s*\{\s*([A-Za-z]+)\s*\}(?(1)\s*\})")  # p_{\mathrm{data}}
_OLD_FONT = re.compile(r"\{\s*\\rm\s+([A-Za-z]+)\s*\}")
_WORD_IN_FONT = re.compile(r"(" + _WORD_FONTS + r")\s*\{\s*([A-Za-z]+)\s*\}")
# Fonts that change nothing of a name's meaning; accents that make another name of it.
_FONTS = r"\\(?:mathbf|boldsymbol|bm|vec|mathnormal|pmb)"
_ACCENT_NAMES = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "bar",
                 "overline": "bar", "check": "check", "breve": "breve", "dot": "dot", "ddot": "ddot"}
_ACCENTS = r"\\(?:" + "|".join(_ACCENT_NAMES) + r")(?![a-zA-Z])"
_SYMBOL_FONT = re.compile(_FONTS + r"\s*(?:\{\s*([A-Za-z]|\\[A-Za-z]+)\s*\}|([A-Za-z])(?![A-Za-z]))")
_GROUP_FONT = re.compile(_FONTS + r"\s*\{")
# An accent on one letter or command keeps it (\hat{x} is another name than x), its subscript moved
# outside (\hat{x_1} -> \hat{x}_1); on more, the accent is dropped and the braces stay as a group.
_ACCENT_ONE = re.compile(r"(" + _ACCENTS + r")\s*(?:\{\s*([A-Za-z]|\\[A-Za-z]+)\s*(_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*\}"
                         r"|([A-Za-z])(?![A-Za-z])|(\\[A-Za-z]+))")
_ACCENT_GROUP = re.compile(_ACCENTS + r"\s*\{(?!\s*(?:[A-Za-z]|\\[A-Za-z]+)\s*\})")
_CALLIGRAPHIC = re.compile(r"\\mathcal\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z])(?![A-Za-z]))")
_EXPECT = re.compile(r"\\(?:mathbb|mathbf|mathrm|mathcal|operatorname\*?|text|textbf)\s*\{\s*E\s*\}|\\(?:mathbb|mathbf)\s+E(?![a-zA-Z])|\\(?:Exp|EE|Ex|expect|expectation|expectedvalue)(?![a-zA-Z])")
_BARE_E = re.compile(r"(?<![\\A-Za-z])E(?=\s*(?:_|\[|\\left\s*\[|\\big\s*\[))")
_KL = re.compile(r"(?:\\mathrm\{D\}|(?<![\\A-Za-z])D)\s*_\s*\{?\s*(?:\\(?:mathrm|text|operatorname|textrm)\s*\{\s*)?KL\s*\}?\s*\}?")
_FUNCTION_WORDS = {"log": "log", "ln": "log", "exp": "exp", "det": "det", "tr": "tr", "Tr": "tr", "trace": "tr",
                   "sin": "sin", "cos": "cos", "tan": "tan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
                   "arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan", "max": "max", "min": "min",
                   "Re": "Re", "Im": "Im"}
BUILTIN_WORDS = frozenset({"KL"})  # multi-letter names every context knows
_BARE_FUNCTION = re.compile(r"(?<![\\A-Za-z])(ln|log|exp)(?![A-Za-z])"
                            r"|(?<![\\A-Za-z])(det|tr|Tr|sinh|cosh|tanh|sin|cos|tan|arcsin|arccos|arctan|max|min)(?=\s*[(\[_])")
_WORDS = [(re.compile(r"\\ln(?![a-zA-Z])"), r"\\log"),
          (re.compile(r"\\[dtc]frac(?![a-zA-Z])"), r"\\frac"),
          (re.compile(r"\\(?:cdotp|centerdot|bullet)(?![a-zA-Z])"), r"\\cdot "),
          (re.compile(r"\\(?:thicksim|backsim)(?![a-zA-Z])"), r"\\sim "),
          (re.compile(r"\\intercal(?![a-zA-Z])"), r"\\top "),
          (re.compile(r"\^\s*\{?\s*\\prime\s*\}?|\\prime(?![a-zA-Z])"), "'"),
          (re.compile(r"\\(?:mathbb|mathbf)\s*\{\s*1\s*\}"), "1"),
          (re.compile(r"\\mathbb\s*\{\s*I\s*\}"), "I"),
          (re.compile(r"\+/-"), r"\\pm ")]
# \int_{\mathbb{R}} f dx and \int_x f dx integrate over the whole line: the same as no limits
_INT_DOMAIN = re.compile(r"\\int\s*_\s*(?:\{\s*(?:\\mathbb\s*\{?\s*R\s*\}?|\\mathcal\s*\{?\s*X\s*\}?|\\R|[xyztu])\s*\}|(?:\\mathbb\s*\{?\s*R\s*\}?|[xyztu](?![a-zA-Z])))")
_STAR_AFTER_LETTER = re.compile(r"(?<=[A-Za-z])\*(?=\s*[()\]}=,+-]|\s*\\|\s*$)")  # D*(x) -> D^*(x)
_TILDE_SIM = re.compile(r"(?<=[A-Za-z0-9}])\s*~\s*(?=[A-Za-z\\])")
_SUM_WITHOUT_BOUNDS = re.compile(r"\\(sum|prod)(?!\s*_\s*\{[^{}=]*=[^{}]*\}\s*\^)")
_COMMAND = re.compile(r"\\([a-zA-Z]+)|\\(.)")
_NUMBER = re.compile(r"\d[\d.]*")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{([^{}]*)\}")
_MATRIX_ENVIRONMENTS = {"pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "matrix", "smallmatrix", "array"}

GREEK = ("alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "pi", "varpi", "rho", "varrho", "sigma", "varsigma", "tau", "upsilon",
         "phi", "varphi", "chi", "psi", "omega", "ell", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
         "Upsilon", "Phi", "Psi", "Omega")
KNOWN_COMMANDS = {
    "frac", "sqrt", "log", "exp", "det", "tr", "sin", "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos",
    "arctan", "max", "min", "Re", "Im", "E", "int", "sum", "prod", "infty", "cdot", "times", "ast", "star", "sim",
    "pm", "mp", "top", "name", "lset", "rset", "lvert", "rvert", "lVert", "rVert", "begin", "end", "mathcal",
    "hat", "tilde", "bar", "check", "breve", "dot", "ddot", *GREEK,
}
_KNOWN_SYMBOLS = {"\\"}  # \\ (a matrix row)

_EXPLAIN = {
    "text": "there is text inside the formula",
    "mathbb": "this set or blackboard letter is not part of an answer's value",
    "partial": "derivatives are not computed: only the derivative of a name (∂ℓ/∂w) names a quantity",
    "nabla": "gradients are not computed: only the gradient of a name (∇_w ℓ) names a quantity",
    "approx": "only one side of an equation can be read",
    "mid": "conditional probabilities are not read automatically",
    "dots": "'…' cannot be evaluated: write the terms or a \\sum with its bounds",
    "cdots": "'…' cannot be evaluated: write the terms or a \\sum with its bounds",
    "ldots": "'…' cannot be evaluated: write the terms or a \\sum with its bounds",
}


# A derivative of a name is another name: ∇_w ℓ, \nabla \ell, \partial_w \ell, \frac{\partial \ell}{\partial w}
# all become \nabla_{w}{\ell} (\nabla{\ell} without a variable), the name of a gradient a rubric may
# ask for (target '\nabla_w \ell') or declare. A derivative of anything else (\nabla \log p) is left
# as written, and reported: derivatives are not computed.
_DERIVED = r"(?:\\mathcal\{[A-Za-z]\}|\\(?:" + "|".join(GREEK) + r")(?![a-zA-Z])|[A-Za-z](?![A-Za-z]))"
_VARIABLE = r"(?:\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z])"
_PARTIAL_FRACTION = re.compile(r"\\frac\s*\{\s*\\partial\s*(?P<f>" + _DERIVED + r")\s*(?P<fsub>_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?"
                               r"\s*(?:\([^(){}]*\))?\s*\}\s*\{\s*\\partial\s*(?P<v>" + _VARIABLE + r")\s*\}")
_PARTIAL_OPERATOR = re.compile(r"\\frac\s*\{\s*\\partial\s*\}\s*\{\s*\\partial\s*(?P<v>" + _VARIABLE + r")\s*\}")
_PARTIAL_SUB = re.compile(r"\\partial\s*_\s*(?P<v>" + _VARIABLE + r")")
_NABLA = re.compile(r"\\nabla\s*(?:_\s*(?P<v>" + _VARIABLE + r"))?\s*(?P<f>" + _DERIVED + r")")
GRADIENT_TOKEN = re.compile(r"\\nabla(?:_\{[^{}]*\})?\{(?:\\mathcal\{[A-Za-z]\}|\\[A-Za-z]+|[A-Za-z])\}")


def _variable(text: str | None) -> str:
    return "" if text is None else "_{" + "".join(text.strip("{}").split()) + "}"


def _derivatives(text: str) -> str:
    out = _PARTIAL_FRACTION.sub(lambda m: f"\\nabla{_variable(m['v'])}{{{m['f']}}}{m['fsub'] or ''} ", text)
    out = _PARTIAL_OPERATOR.sub(lambda m: f"\\nabla{_variable(m['v'])} ", out)
    out = _PARTIAL_SUB.sub(lambda m: f"\\nabla{_variable(m['v'])} ", out)
    return _NABLA.sub(lambda m: f"\\nabla{_variable(m['v'])}{{{m['f']}}} ", out)


def _fonts(text: str) -> str:
    out = text
    for _ in range(3):  # nested fonts (\hat{\mathbf{x}}) unwrap from the inside out
        out = _SYMBOL_FONT.sub(lambda m: (m.group(1) or m.group(2)) + " ", out)
    out = _GROUP_FONT.sub("{", out)
    out = _ACCENT_ONE.sub(_accent, out)
    return _ACCENT_GROUP.sub("{", out)


def _accent(m: re.Match) -> str:
    name = _ACCENT_NAMES[m.group(1)[1:]]
    inner = m.group(2) or m.group(4) or m.group(5)
    return f"\\{name}{{{inner}}}" + (m.group(3) or "") + " "


def _word(m: re.Match, lexicon: Lexicon) -> str:
    """An upright word: a letter stays a letter, a function word becomes the function, any other word a
    name (\\text{..} only when the word is known: "\\text{ where }" must stay, and be reported as text)."""
    font, word = m.group(1), m.group(2)
    if len(word) == 1:
        return word + " "
    if word in _FUNCTION_WORDS:
        return f"\\{_FUNCTION_WORDS[word]} "
    if word == "E":
        return r"\E "
    known = word in BUILTIN_WORDS or word in lexicon.words
    if known or not re.match(r"\\(?:text|textit|mbox)\b", font):
        return f"\\name{{{word}}} "
    return m.group(0)


def _bare_words(text: str, lexicon: Lexicon) -> str:
    words = sorted(BUILTIN_WORDS | lexicon.words, key=len, reverse=True)
    pattern = re.compile(r"(?<![\\A-Za-z])(?<!\\name\{)(" + "|".join(map(re.escape, words)) + r")(?![A-Za-z])")
    return pattern.sub(lambda m: f"\\name{{{m.group(1)}}} ", text)


def normalise(text: str, lexicon: Lexicon = PLAIN) -> str:
    """Rewrite one side of an equation into the grammar's spelling, or raise ParseError."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"the expression is too long to read automatically ({len(text)} characters)")
    out = re.sub(r"(?<!\\)%[^\n]*", " ", text)  # LaTeX comments
    out = _UNICODE_RE.sub(lambda m: _UNICODE[m.group(0)], out)
    out = _SPACING.sub(" ", out)
    out = _SIZING.sub("", out)
    out = _ROW_SPACE.sub(r"\\\\", out)
    out = _ARRAY_SPEC.sub(r"\1", out)
    out = _MATRIX_STAR.sub(r"\\\1{\2}", out)
    for pattern, replacement in _DELIMITERS:
        out = pattern.sub(replacement, out)
    out = _EXPECT.sub(r"\\E ", out)
    out = _OLD_FONT.sub(r"\1", out)
    out = _SUBSCRIPT_WORD.sub(lambda m: "_{" + m.group(2) + "}", out)
    out = _KL.sub(r"\\name{KL} ", out)
    out = _WORD_IN_FONT.sub(lambda m: _word(m, lexicon), out)  # \mathrm{d} -> d, \operatorname{tr} -> \tr
    out = _BARE_E.sub(r"\\E ", out)
    out = _CALLIGRAPHIC.sub(lambda m: "\\mathcal{" + (m.group(1) or m.group(2)) + "} ", out)
    out = _fonts(out)
    out = _derivatives(out)
    for pattern, replacement in _WORDS:
        out = pattern.sub(replacement, out)
    out = _BARE_FUNCTION.sub(lambda m: "\\" + _FUNCTION_WORDS[m.group(1) or m.group(2)] + " ", out)
    out = _bare_words(out, lexicon)
    out = _INT_DOMAIN.sub(r"\\int ", out)
    if lexicon.digit_letters:
        letters = "".join(sorted(re.escape(c) for c in lexicon.digit_letters))
        out = re.sub(rf"(?<![\\A-Za-z_^{{])([{letters}])(\d)(?![\d.])", r"\1_\2", out)  # p0 -> p_0 (plain-text habit)
    out = _STAR_AFTER_LETTER.sub("^*", out)
    out = _TILDE_SIM.sub(r" \\sim ", out)
    out = out.replace("~", " ")
    out = pair_bars(out)
    out = " ".join(out.split())
    _check(out)
    return out


# ------------------------------------------------------------------ bars

_BAR_TOKEN = re.compile(r"\\lVert|\\rVert|\\lvert|\\rvert|\\Vert(?![a-zA-Z])|\\parallel(?![a-zA-Z])|\\\||\|\||"
                        r"\\vert(?![a-zA-Z])|\||\\[a-zA-Z]+|\\.|\s+|.", re.S)
_OPENERS = {"(", "[", "{", "\\lset"}
_CLOSERS = {")", "]", "}", "\\rset"}


def pair_bars(text: str) -> str:
    """|x| -> \\lvert x \\rvert and \\|x\\| -> \\lVert x \\rVert; the single \\| directly inside the
    brackets of an application (KL(p \\| q), D_{KL}[p \\| q]) separates its arguments: a comma. A bar
    left without a partner stays as written (a conditional p(x|z) is then reported, not misread)."""
    tokens = _BAR_TOKEN.findall(text)
    kinds: list[str | None] = []
    for tok in tokens:
        if tok in ("\\lVert", "\\rVert", "\\lvert", "\\rvert"):
            kinds.append(tok)
        elif tok in ("\\Vert", "\\parallel", "\\|", "||"):
            kinds.append("double")
        elif tok in ("\\vert", "|"):
            kinds.append("single")
        else:
            kinds.append(None)
    # 1. separators: exactly one double bar directly inside an applied bracket pair
    groups: list[tuple[int, bool, list[int]]] = []  # (opening index, applied, double bars inside)
    previous = ""
    for i, tok in enumerate(tokens):
        if tok.isspace():
            continue
        if tok in ("(", "["):
            applied = bool(re.fullmatch(r"[A-Za-z}*']|\\[A-Za-z]+", previous)) and previous not in ("\\sum", "\\prod")
            groups.append((i, applied, []))
        elif tok in (")", "]") and groups:
            _, applied, bars = groups.pop()
            if applied and len(bars) == 1:
                tokens[bars[0]], kinds[bars[0]] = ",", None
        elif tok in _OPENERS:
            groups.append((i, False, []))
        elif tok in _CLOSERS and groups:
            groups.pop()
        elif kinds[i] == "double" and groups:
            groups[-1][2].append(i)
        previous = tok
    # 2. the other bars, paired within their bracket level
    open_bars: list[tuple[str, int, int]] = []  # (kind, depth, index)
    depth = 0
    for i, tok in enumerate(tokens):
        if tok in _OPENERS:
            depth += 1
        elif tok in _CLOSERS:
            depth = max(0, depth - 1)
        kind = kinds[i]
        if kind not in ("single", "double"):
            continue
        if open_bars and open_bars[-1][0] == kind and open_bars[-1][1] == depth and not _just_opened(tokens, i, open_bars[-1][2]):
            _, _, start = open_bars.pop()
            tokens[start] = " \\lvert " if kind == "single" else " \\lVert "
            tokens[i] = " \\rvert " if kind == "single" else " \\rVert "
        else:
            open_bars.append((kind, depth, i))
    return "".join(tokens)


def _just_opened(tokens: list[str], i: int, start: int) -> bool:
    """||x|| written with single bars reads |(|x|)|: a bar right after its partner opens a new pair."""
    return all(tok.isspace() for tok in tokens[start + 1:i])


# ------------------------------------------------------------------ what is left must be known

def _check(text: str) -> None:
    if _SUM_WITHOUT_BOUNDS.search(text):
        raise ParseError("a sum or product must show its bounds, as in \\sum_{j=1}^{k}")
    for m in _ENVIRONMENT.finditer(text):
        if m.group(1) not in _MATRIX_ENVIRONMENTS:
            raise ParseError(f"the environment {m.group(1)!r} cannot be read inside a formula")
    for m in _COMMAND.finditer(GRADIENT_TOKEN.sub(" ", text)):
        name = m.group(1) or m.group(2)
        if m.group(1) and name not in KNOWN_COMMANDS or m.group(2) and name not in _KNOWN_SYMBOLS:
            hint = _EXPLAIN.get(name, "it is not part of what the grader reads")
            raise ParseError(f"'\\{name}' cannot be read: {hint}")
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_NESTING:
        raise ParseError(f"the expression is nested more than {MAX_NESTING} levels deep")
    for m in _NUMBER.finditer(text):
        if len(m.group(0)) > MAX_NUMBER_DIGITS:
            raise ParseError(f"a number with {len(m.group(0))} digits is too long")


# ------------------------------------------------------------------ an optimum written as its operator

# "max_D V(D)" or "arg max_D V(D)" where the value at the optimum is meant (a divergence written as
# the maximum of an objective, its value at the optimal D*): the grammar reads no optimisation, so a
# reading that fails on one may be retried without it, as the value of what is optimised, and only
# for a TA to confirm.
_ARG_OPT = (r"(?:\\arg\s*\\(?:max|min)(?![a-zA-Z])|\\(?:argmax|argmin)(?![a-zA-Z])"
            r"|\\(?:operatorname\*?|mathrm|text|textrm)\s*\{\s*arg\s*(?:\\[,;! ]|~|\s)*(?:max|min)\s*\})")
_OPTIMUM = re.compile(r"(?P<arg>" + _ARG_OPT + r")(?:\s*\\limits)?(?:\s*_\s*(?:\{[^{}]{0,40}\}|\\[A-Za-z]+|[A-Za-z0-9]))?"
                      r"|\\(?:max|min|sup|inf)(?:\s*\\limits)?\s*_\s*(?:\{[^{}]{0,40}\}|\\[A-Za-z]+|[A-Za-z0-9])")


def without_optimum(text: str) -> tuple[str, str] | None:
    """The formula with its optimisation operators taken out (arg max_D, max_D, sup_θ ...), and
    what was read so, or None when it has none. max(a, b) without a subscript is a function and stays."""
    found = list(_OPTIMUM.finditer(text))
    if not found:
        return None
    arg = any(m.group("arg") for m in found)
    what = " ".join(dict.fromkeys(" ".join(m.group(0).split()) for m in found))
    note = (f"'{what}' is read as the value of what it optimises, at the optimum"
            + (" (arg max names where the maximum is reached, not the maximum itself)" if arg else ""))
    for _ in range(10):  # taking one out may join two pieces of another ("\arg" + "\max")
        text, count = _OPTIMUM.subn(" ", text)
        if not count:
            break
    return text, note

