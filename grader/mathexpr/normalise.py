r"""One spelling for the many ways students write the same LaTeX, before the grammar sees it.

Spacing and sizing commands go (\, \quad \left \big ...), fonts are unwrapped (\mathrm{d}x -> dx,
\mathbf{x} -> x), synonyms become one command (\mathbb{E}, \operatorname{E}, E_{..}[ -> \E;
\text{JSD}, D_{JS} -> \JSD; D_{\mathrm{KL}}, \text{KL} -> \KL; \ln, log -> \log; \dfrac -> \frac),
Unicode from PDF text becomes LaTeX (− · ∼ ½ 𝔼 μ). What is left must be known to the grammar:
any other command is reported by name, never dropped.
"""

from __future__ import annotations

import re

from grader.mathexpr.tree import ParseError

MAX_CHARS = 2000  # one side of one equation; longer is not an answer to read automatically
MAX_NESTING = 40
MAX_NUMBER_DIGITS = 30

_UNICODE = {
    "−": "-", "–": "-", "—": "-", "·": r"\cdot ", "⋅": r"\cdot ", "×": r"\times ", "∗": "*", "⋆": "*",
    "∼": r"\sim ", "½": r"{\frac{1}{2}}", "¼": r"{\frac{1}{4}}", "∞": r"\infty ", "∫": r"\int ",
    "𝔼": r"\E ", "μ": r"\mu ", "µ": r"\mu ", "π": r"\pi ", "θ": r"\theta ", "ϕ": r"\phi ", "φ": r"\phi ",
    "‖": r"\|", "≈": r"\approx ", "√": r"\sqrt ", "⁎": "*", "′": "'", "\u00a0": " ", "\u2009": " ",
    "\u200b": "",
}
_UNICODE_RE = re.compile("|".join(re.escape(k) for k in _UNICODE if len(k) == 1))

_SPACING = re.compile(
    r"\\[,;:! ]|\\(?:quad|qquad|displaystyle|textstyle|scriptstyle|scriptscriptstyle|limits|nolimits|"
    r"nonumber|notag)(?![a-zA-Z])|\\(?:h|v)space\*?\{[^{}]*\}|\\(?:label|tag)\*?\{[^{}]*\}")
_SIZING = re.compile(r"\\(?:left|right|middle|[bB]igg?[lrm]?)(?![a-zA-Z])\s*\.?")
_DELIMITERS = [(re.compile(r"\\(?:lbrace|\{)"), "("), (re.compile(r"\\(?:rbrace|\})"), ")"),
               (re.compile(r"\\lbrack(?![a-zA-Z])"), "["), (re.compile(r"\\rbrack(?![a-zA-Z])"), "]"),
               (re.compile(r"\\lparen(?![a-zA-Z])"), "("), (re.compile(r"\\rparen(?![a-zA-Z])"), ")")]
_WORD_FONTS = r"\\(?:text|mathrm|operatorname\*?|textrm|mathit|textit|mathsf|textsf|mbox|rm)"
# Only names the grammar knows are unwrapped: "\text{ where }" must stay, and be reported as text.
_WORD_FONT = re.compile(_WORD_FONTS + r"\s*\{\s*(JSD|JS|KL|E|log|ln|exp|[A-Za-z])\s*\}")
_SUBSCRIPT_WORD = re.compile(r"_\s*(\{\s*)?" + _WORD_FONTS + r"\s*\{\s*([A-Za-z]+)\s*\}(?(1)\s*\})")  # p_{\mathrm{data}}
_OLD_FONT = re.compile(r"\{\s*\\rm\s+([A-Za-z]+)\s*\}")
_FONTS = r"\\(?:mathbf|boldsymbol|bm|vec|mathit|mathnormal|hat|widehat|tilde|widetilde|bar|overline)"
# A font on one letter or command goes with its braces (\hat{D}(x) must stay an application);
# on more, the braces stay as a group.
_SYMBOL_FONT = re.compile(_FONTS + r"\s*(?:\{\s*([A-Za-z]|\\[A-Za-z]+)\s*\}|([A-Za-z])(?![A-Za-z]))")
_GROUP_FONT = re.compile(_FONTS + r"\s*\{")
_EXPECT = re.compile(r"\\(?:mathbb|mathbf|mathrm|mathcal|operatorname\*?|text|textbf)\s*\{\s*E\s*\}|\\(?:mathbb|mathbf)\s+E(?![a-zA-Z])|\\(?:Exp|EE|Ex|expect|expectation|expectedvalue)(?![a-zA-Z])")
_BARE_E = re.compile(r"(?<![\\A-Za-z])E(?=\s*(?:_|\[|\\left\s*\[|\\big\s*\[))")
_KL = re.compile(r"(?:\\mathrm\{D\}|(?<![\\A-Za-z])D)\s*_\s*\{?\s*(?:\\(?:mathrm|text|operatorname|textrm)\s*\{\s*)?KL\s*\}?\s*\}?|(?<![\\A-Za-z])KL(?![A-Za-z])")
_JSD = re.compile(r"(?:\\mathrm\{D\}|(?<![\\A-Za-z])D)\s*_\s*\{?\s*(?:\\(?:mathrm|text|operatorname|textrm)\s*\{\s*)?JSD?\s*\}?\s*\}?|(?<![\\A-Za-z])JSD?(?![A-Za-z])")
_WORDS = [(re.compile(r"(?<![\\A-Za-z])(?:ln|log)(?![A-Za-z])|\\ln(?![a-zA-Z])"), r"\\log"),
          (re.compile(r"(?<![\\A-Za-z])exp(?![A-Za-z])"), r"\\exp"),
          (re.compile(r"\\[dtc]frac(?![a-zA-Z])"), r"\\frac"),
          (re.compile(r"\\(?:cdotp|centerdot|bullet)(?![a-zA-Z])"), r"\\cdot "),
          (re.compile(r"\\(?:thicksim|backsim)(?![a-zA-Z])"), r"\\sim "),
          (re.compile(r"\\(?:Vert|parallel)(?![a-zA-Z])|\|\||\\\|"), r"\\|"),
          (re.compile(r"\\(?:mathbb|mathbf)\s*\{\s*1\s*\}"), "1")]
# \int_{\mathbb{R}} f dx and \int_x f dx integrate over the whole line: the same as no limits
_INT_DOMAIN = re.compile(r"\\int\s*_\s*(?:\{\s*(?:\\mathbb\s*\{?\s*R\s*\}?|\\mathcal\s*\{?\s*X\s*\}?|\\R|[xyztu])\s*\}|(?:\\mathbb\s*\{?\s*R\s*\}?|[xyztu](?![a-zA-Z])))")
_DENSITY_DIGIT = re.compile(r"(?<![\\A-Za-z_^])([pfPF])([01])(?![\d.])")  # p0 -> p_0 (plain-text habit)
_STAR_AFTER_LETTER = re.compile(r"(?<=[A-Za-z])\*(?=\s*[()\]}=,+-]|\s*\\|\s*$)")  # D*(x) -> D^*(x)
_TILDE_SIM = re.compile(r"(?<=[A-Za-z])\s*~\s*(?=[A-Za-z\\])")
_COMMAND = re.compile(r"\\([a-zA-Z]+)|\\(.)")
_NUMBER = re.compile(r"\d[\d.]*")

KNOWN_COMMANDS = {
    "frac", "sqrt", "log", "exp", "E", "KL", "JSD", "int", "infty", "cdot", "times", "ast", "star", "sim",
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi",
    "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
}
_KNOWN_SYMBOLS = {"|"}  # \| (the KL separator)

_EXPLAIN = {
    "sum": "sums (\\sum) are not read automatically",
    "text": "there is text inside the formula",
    "mathcal": "\\mathcal letters are not known here",
    "partial": "derivatives are not read automatically",
    "approx": "only one side of an equation can be read",
}


def _fonts(text: str) -> str:
    out = text
    for _ in range(3):  # nested fonts (\hat{\mathbf{x}}) unwrap from the inside out
        out = _SYMBOL_FONT.sub(lambda m: (m.group(1) or m.group(2)) + " ", out)
    return _GROUP_FONT.sub("{", out)


def normalise(text: str) -> str:
    """Rewrite one side of an equation into the grammar's spelling, or raise ParseError."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"the expression is too long to read automatically ({len(text)} characters)")
    out = re.sub(r"(?<!\\)%[^\n]*", " ", text)  # LaTeX comments
    out = _UNICODE_RE.sub(lambda m: _UNICODE[m.group(0)], out)
    out = _SPACING.sub(" ", out)
    out = _SIZING.sub("", out)
    for pattern, replacement in _DELIMITERS:
        out = pattern.sub(replacement, out)
    out = _EXPECT.sub(r"\\E ", out)
    out = _OLD_FONT.sub(r"\1", out)
    out = _WORD_FONT.sub(lambda m: m.group(1), out)  # \mathrm{d} -> d, \operatorname{JSD} -> JSD
    out = _SUBSCRIPT_WORD.sub(lambda m: "_{" + m.group(2) + "}", out)
    out = _KL.sub(r"\\KL ", out)
    out = _JSD.sub(r"\\JSD ", out)
    out = _BARE_E.sub(r"\\E ", out)
    out = _fonts(out)
    for pattern, replacement in _WORDS:
        out = pattern.sub(replacement, out)
    out = _INT_DOMAIN.sub(r"\\int ", out)
    out = _DENSITY_DIGIT.sub(r"\1_\2", out)
    out = _STAR_AFTER_LETTER.sub("^*", out)
    out = _TILDE_SIM.sub(r" \\sim ", out)
    out = out.replace("~", " ")
    out = " ".join(out.split())
    _check(out)
    return out


def _check(text: str) -> None:
    for m in _COMMAND.finditer(text):
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
