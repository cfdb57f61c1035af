"""What a math glyph means: its LaTeX, its role in a formula, and, for TeX's extension font, its
true height and depth.

A PDF maps most glyphs to Unicode, but not all: pdflatex's Computer Modern extension font (cmex,
and Latin Modern's lmex, same layout) names its big delimiters, sums and integrals with glyph names
no Unicode table knows, and PyMuPDF then hands over the glyph's code in the font. Those codes are
read here by font family and code; everything else by its Unicode character. Roles:

    ord    letters, digits, ordinary symbols         bin    binary operators (+ − · ×)
    rel    relations (= ≤ → ∈)                        punct  , ; :
    open / close / fence                              delimiters, fence for | and ‖
    op     big operators with limits (∑ ∏ ⋃)          int    integrals (scripts at the side)
    radical √                                         accent ˆ ˜ ¯ ˙ ⃗ and wide hats/tildes
    piece  a piece of an extensible delimiter         unknown  no meaning known
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Families of fonts, from the base font name (the subset prefix "ABCDEF+" removed).
_FAMILIES = [
    ("ex", re.compile(r"^(?:cmex|lmex|txex|pxex|newtxex|ntxexx?|zpzex|mtex|rmtmex)", re.I)),
    ("sy", re.compile(r"^(?:cmsy|cmbsy|lmsy|lmbsy)", re.I)),
    ("mi", re.compile(r"^(?:cmmi|lmmi|cmmib|lmmib|newtxmi|ntxmi|txmi|pxmi|zplmr|zpzmi|mtmi|rmtmi|eurm|eurb)", re.I)),
    ("sym", re.compile(r"^(?:standardsym|symbol|txsy|pxsy|newtxsy|ntxsy|zpzsy|mtsy|rmtmsy)", re.I)),
    ("bb", re.compile(r"^msbm|^bbold|^dsrom", re.I)),
    ("am", re.compile(r"^msam", re.I)),
    ("frak", re.compile(r"^eu[fr][mb]", re.I)),
    ("scr", re.compile(r"^(?:rsfs|eus[mb])", re.I)),
    ("umath", re.compile(r"math|^stix|^xits|^cambria(?:math)?$|^asana", re.I)),
]
MATH_FAMILIES = frozenset({"ex", "sy", "mi", "bb", "am", "frak", "scr", "umath", "sym"})
_BOLD = re.compile(r"bold|^cm(?:mi)?b|^cmbx|^lmbx|bx\d|[-,]b(?:old)?$", re.I)


@lru_cache(maxsize=256)
def family(font: str) -> str:
    """'ex', 'sy', 'mi', 'bb', 'am', 'frak', 'scr', 'umath' (OpenType math), or 'text'."""
    name = font.split("+", 1)[-1]
    for fam, pattern in _FAMILIES:
        if pattern.search(name):
            return fam
    return "text"


@lru_cache(maxsize=256)
def is_bold(font: str) -> bool:
    return bool(_BOLD.search(font.split("+", 1)[-1]))


def is_math_font(font: str) -> bool:
    return family(font) in MATH_FAMILIES


# ---------------------------------------------------------------------------- cmex (by code)

# (latex, role) of each cmex code; sizes are in _EX_DEPTH. Delimiters come in four sizes
# (big 0x00-0x0F, Big 0x10-0x11 and 0x44-0x45, 0x68-0x6F, bigg 0x12-0x1F, Bigg 0x20-0x2F) and as
# pieces of extensible ones (0x30-0x43, 0x74-0x7F).
_DELIMS = ["(", ")", "[", "]", r"\lfloor", r"\rfloor", r"\lceil", r"\rceil", r"\{", r"\}", r"\langle",
           r"\rangle"]
_EX: dict[int, tuple[str, str]] = {}
for _start in (0x00, 0x12, 0x20):
    for _i, _d in enumerate(_DELIMS):
        _EX[_start + _i] = (_d, "open" if _i % 2 == 0 else "close")
_EX.update({0x0C: ("|", "fence"), 0x0D: (r"\|", "fence"), 0x0E: ("/", "ord"), 0x0F: (r"\backslash", "ord"),
            0x10: ("(", "open"), 0x11: (")", "close"), 0x1E: ("/", "ord"), 0x1F: (r"\backslash", "ord"),
            0x2C: ("/", "ord"), 0x2D: (r"\backslash", "ord"), 0x2E: ("/", "ord"), 0x2F: (r"\backslash", "ord"),
            0x44: (r"\langle", "open"), 0x45: (r"\rangle", "close")})
for _i, _d in enumerate(["[", "]", r"\lfloor", r"\rfloor", r"\lceil", r"\rceil", r"\{", r"\}"]):
    _EX[0x68 + _i] = (_d, "open" if _i % 2 == 0 else "close")
# pieces of extensible delimiters: top, bottom, extension, middle
for _code, _d in [(0x30, "("), (0x31, ")"), (0x32, "["), (0x33, "]"), (0x34, "["), (0x35, "]"), (0x36, "["),
                  (0x37, "]"), (0x38, r"\{"), (0x39, r"\}"), (0x3A, r"\{"), (0x3B, r"\}"), (0x3C, r"\{"),
                  (0x3D, r"\}"), (0x3E, r"\{"), (0x3F, "|"), (0x40, "("), (0x41, ")"), (0x42, "("), (0x43, ")"),
                  (0x77, r"\|"), (0x78, r"\uparrow"), (0x79, r"\downarrow"), (0x7E, r"\Uparrow"),
                  (0x7F, r"\Downarrow")]:
    _EX[_code] = (_d, "piece")
for _i, _op in enumerate([r"\bigsqcup", r"\oint", r"\bigodot", r"\bigoplus", r"\bigotimes"]):
    _EX[0x46 + 2 * _i] = _EX[0x47 + 2 * _i] = (_op, "int" if _op == r"\oint" else "op")
for _i, _op in enumerate([r"\sum", r"\prod", r"\int", r"\bigcup", r"\bigcap", r"\biguplus", r"\bigwedge",
                          r"\bigvee"]):
    _EX[0x50 + _i] = _EX[0x58 + _i] = (_op, "int" if _op == r"\int" else "op")
_EX.update({0x60: (r"\coprod", "op"), 0x61: (r"\coprod", "op"),
            0x62: (r"\widehat", "accent"), 0x63: (r"\widehat", "accent"), 0x64: (r"\widehat", "accent"),
            0x65: (r"\widetilde", "accent"), 0x66: (r"\widetilde", "accent"), 0x67: (r"\widetilde", "accent"),
            0x70: (r"\sqrt", "radical"), 0x71: (r"\sqrt", "radical"), 0x72: (r"\sqrt", "radical"),
            0x73: (r"\sqrt", "radical"), 0x74: (r"\sqrt", "radical"), 0x75: (r"\sqrt", "piece"),
            0x76: (r"\sqrt", "piece"), 0x7A: (r"\overbrace", "piece"), 0x7B: (r"\overbrace", "piece"),
            0x7C: (r"\underbrace", "piece"), 0x7D: (r"\underbrace", "piece")})

# Height and depth (in em) of each cmex glyph below its origin, from the font's metrics (cmex10.tfm):
# TeX hangs these glyphs from their origin, so the text layer's box says nothing of their size.
_EX_DEPTH = {}
for _code in range(128):
    if _code in (0x0C, 0x0D, 0x36, 0x37, 0x3F, 0x42, 0x43, 0x75, 0x77, 0x78, 0x79, 0x7E, 0x7F):
        _EX_DEPTH[_code] = (0.0, 0.6)
    elif _code < 0x10 or _code == 0x70:
        _EX_DEPTH[_code] = (0.04, 1.16)
    elif _code < 0x12 or 0x2E <= _code <= 0x35 or 0x40 <= _code <= 0x45 or 0x68 <= _code <= 0x6F or _code == 0x71:
        _EX_DEPTH[_code] = (0.04, 1.76)
    elif _code < 0x20 or _code == 0x72:
        _EX_DEPTH[_code] = (0.04, 2.36)
    elif _code < 0x2E or _code == 0x73:
        _EX_DEPTH[_code] = (0.04, 2.96)
    elif 0x38 <= _code <= 0x3B:
        _EX_DEPTH[_code] = (0.0, 0.9)
    elif _code in (0x3C, 0x3D, 0x74):
        _EX_DEPTH[_code] = (0.0, 1.8)
    elif _code == 0x3E:
        _EX_DEPTH[_code] = (0.0, 0.3)
    elif _code in (0x49,):
        _EX_DEPTH[_code] = (0.0, 2.22)
    elif _code == 0x5A:
        _EX_DEPTH[_code] = (0.0, 2.22)
    elif _code in (0x48, 0x52):
        _EX_DEPTH[_code] = (0.0, 1.11)
    elif 0x46 <= _code <= 0x61:
        _EX_DEPTH[_code] = (0.1, 1.5) if (_code >= 0x58 or _code % 2 == 1) and _code != 0x60 else (0.0, 1.0)
    elif 0x62 <= _code <= 0x67:
        _EX_DEPTH[_code] = (0.75, 0.0)  # wide accents sit on their origin
    elif 0x7A <= _code <= 0x7D:
        _EX_DEPTH[_code] = (0.12, 0.0)
    else:
        _EX_DEPTH[_code] = (0.04, 0.6)
_EX_DEPTH[0x76] = (0.04, 0.56)


# The pieces of extensible delimiters have glyph names (bracelefttp, parenrightex ...) that the Adobe
# Glyph List maps to private-use codes (after the Symbol font): a PDF from pdflatex then hands over
# U+F8EB..U+F8FE for a \left\{ around a tall formula. Each is its cmex code's piece.
_PRIVATE_PIECES = {"\uf8eb": 0x30, "\uf8ec": 0x42, "\uf8ed": 0x40, "\uf8ee": 0x32, "\uf8ef": 0x36, "\uf8f0": 0x34,
                   "\uf8f1": 0x38, "\uf8f2": 0x3C, "\uf8f3": 0x3A, "\uf8f4": 0x3E, "\uf8f6": 0x31, "\uf8f7": 0x43,
                   "\uf8f8": 0x41, "\uf8f9": 0x33, "\uf8fa": 0x37, "\uf8fb": 0x35, "\uf8fc": 0x39, "\uf8fd": 0x3D,
                   "\uf8fe": 0x3B}


def ex_code(ch: str) -> int | None:
    """The code in the extension font of a glyph the text layer hands over: its own code below 128,
    or the piece a private-use code names; None for anything else."""
    if len(ch) != 1:
        return None
    return ord(ch) if ord(ch) < 128 else _PRIVATE_PIECES.get(ch)


def ex_piece_starts(ch: str) -> bool:
    """A top piece of an extensible delimiter (nothing of its stack lies above it)."""
    return ex_code(ch) in (0x30, 0x31, 0x32, 0x33, 0x38, 0x39)


def ex_piece_ends(ch: str) -> bool:
    """A bottom piece of an extensible delimiter (nothing of its stack lies below it)."""
    return ex_code(ch) in (0x34, 0x35, 0x3A, 0x3B, 0x40, 0x41)


def ex_extent(code: int | None) -> tuple[float, float]:
    """(height above, depth below) the origin of a cmex glyph, in em (a code not known: a middle size)."""
    return _EX_DEPTH.get(code, (0.04, 1.16))


# ---------------------------------------------------------------------------- cmsy, msam, msbm (by code)

_SY = {0x00: ("-", "bin"), 0x01: (r"\cdot", "bin"), 0x02: (r"\times", "bin"), 0x03: ("*", "bin"),
       0x04: (r"\div", "bin"), 0x05: (r"\diamond", "bin"), 0x06: (r"\pm", "bin"), 0x07: (r"\mp", "bin"),
       0x08: (r"\oplus", "bin"), 0x09: (r"\ominus", "bin"), 0x0A: (r"\otimes", "bin"), 0x0B: (r"\oslash", "bin"),
       0x0C: (r"\odot", "bin"), 0x0D: (r"\bigcirc", "bin"), 0x0E: (r"\circ", "bin"), 0x0F: (r"\bullet", "bin"),
       0x10: (r"\asymp", "rel"), 0x11: (r"\equiv", "rel"), 0x12: (r"\subseteq", "rel"), 0x13: (r"\supseteq", "rel"),
       0x14: (r"\le", "rel"), 0x15: (r"\ge", "rel"), 0x16: (r"\preceq", "rel"), 0x17: (r"\succeq", "rel"),
       0x18: (r"\sim", "rel"), 0x19: (r"\approx", "rel"), 0x1A: (r"\subset", "rel"), 0x1B: (r"\supset", "rel"),
       0x1C: (r"\ll", "rel"), 0x1D: (r"\gg", "rel"), 0x1E: (r"\prec", "rel"), 0x1F: (r"\succ", "rel"),
       0x20: (r"\leftarrow", "rel"), 0x21: (r"\to", "rel"), 0x22: (r"\uparrow", "rel"), 0x23: (r"\downarrow", "rel"),
       0x24: (r"\leftrightarrow", "rel"), 0x25: (r"\nearrow", "rel"), 0x26: (r"\searrow", "rel"),
       0x27: (r"\simeq", "rel"), 0x28: (r"\Leftarrow", "rel"), 0x29: (r"\Rightarrow", "rel"),
       0x2A: (r"\Uparrow", "rel"), 0x2B: (r"\Downarrow", "rel"), 0x2C: (r"\Leftrightarrow", "rel"),
       0x2D: (r"\nwarrow", "rel"), 0x2E: (r"\swarrow", "rel"), 0x2F: (r"\propto", "rel"), 0x30: ("'", "prime"),
       0x31: (r"\infty", "ord"), 0x32: (r"\in", "rel"), 0x33: (r"\ni", "rel"), 0x34: (r"\triangle", "ord"),
       0x35: (r"\nabla", "ord"), 0x36: (r"\not", "not"), 0x37: (r"\mapsto", "mapsto"), 0x38: (r"\forall", "ord"),
       0x39: (r"\exists", "ord"), 0x3A: (r"\neg", "ord"), 0x3B: (r"\emptyset", "ord"), 0x3C: (r"\Re", "ord"),
       0x3D: (r"\Im", "ord"), 0x3E: (r"\top", "ord"), 0x3F: (r"\perp", "rel"), 0x40: (r"\aleph", "ord"),
       0x5B: (r"\cup", "bin"), 0x5C: (r"\cap", "bin"), 0x5D: (r"\uplus", "bin"), 0x5E: (r"\wedge", "bin"),
       0x5F: (r"\vee", "bin"), 0x60: (r"\vdash", "rel"), 0x61: (r"\dashv", "rel"), 0x62: (r"\lfloor", "open"),
       0x63: (r"\rfloor", "close"), 0x64: (r"\lceil", "open"), 0x65: (r"\rceil", "close"), 0x66: (r"\{", "open"),
       0x67: (r"\}", "close"), 0x68: (r"\langle", "open"), 0x69: (r"\rangle", "close"), 0x6A: ("|", "fence"),
       0x6B: (r"\|", "fence"), 0x6C: (r"\updownarrow", "rel"), 0x6D: (r"\Updownarrow", "rel"),
       0x6E: (r"\setminus", "bin"), 0x6F: (r"\wr", "bin"), 0x70: (r"\sqrt", "radical"), 0x71: (r"\amalg", "bin"),
       0x72: (r"\nabla", "ord"), 0x73: (r"\int", "int"), 0x74: (r"\sqcup", "bin"), 0x75: (r"\sqcap", "bin"),
       0x76: (r"\sqsubseteq", "rel"), 0x77: (r"\sqsupseteq", "rel"), 0x78: (r"\S", "ord"), 0x79: (r"\dagger", "bin"),
       0x7A: (r"\ddagger", "bin"), 0x7B: (r"\P", "ord")}
_AM = {0x00: (r"\boxdot", "bin"), 0x01: (r"\boxplus", "bin"), 0x02: (r"\boxtimes", "bin"), 0x03: (r"\square", "ord"), 0x04: (r"\blacksquare", "ord"), 0x26: (r"\gtrsim", "rel"),
       0x29: (r"\therefore", "rel"), 0x2A: (r"\because", "rel"), 0x2C: (r"\triangleq", "rel"),
       0x2E: (r"\lesssim", "rel"), 0x35: (r"\leqq", "rel"), 0x36: (r"\leqslant", "rel"), 0x3D: (r"\geqq", "rel"),
       0x3E: (r"\geqslant", "rel"), 0x58: (r"\checkmark", "ord")}

# ---------------------------------------------------------------------------- Unicode

_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ϵ": "epsilon", "ε": "varepsilon", "ζ": "zeta",
          "η": "eta", "θ": "theta", "ϑ": "vartheta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
          "µ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ϖ": "varpi", "ρ": "rho", "ϱ": "varrho", "σ": "sigma",
          "ς": "varsigma", "τ": "tau", "υ": "upsilon", "ϕ": "phi", "φ": "varphi", "χ": "chi", "ψ": "psi",
          "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi",
          "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega", "∆": "Delta"}
_UNICODE: dict[str, tuple[str, str]] = {ch: ("\\" + name, "ord") for ch, name in _GREEK.items()}
for _chars, _role in [
    ({"+": "+", "−": "-", "-": "-", "–": "-", "±": r"\pm", "∓": r"\mp", "×": r"\times", "÷": r"\div",
      "·": r"\cdot", "⋅": r"\cdot", "∗": "*", "*": "*", "⋆": r"\star", "∘": r"\circ", "◦": r"\circ",
      "•": r"\bullet", "∙": r"\cdot", "⊕": r"\oplus", "⊗": r"\otimes", "⊙": r"\odot", "∪": r"\cup", "∩": r"\cap",
      "∧": r"\wedge", "∨": r"\vee", "∖": r"\setminus", "⊎": r"\uplus", "⋄": r"\diamond", "†": r"\dagger",
      "⊠": r"\boxtimes", "⊡": r"\boxdot", "⊞": r"\boxplus", "⊟": r"\boxminus"}, "bin"),
    ({"=": "=", "≠": r"\neq", "<": "<", ">": ">", "≤": r"\le", "≥": r"\ge", "⩽": r"\leqslant", "⩾": r"\geqslant",
      "≦": r"\leqq", "≧": r"\geqq", "≪": r"\ll", "≫": r"\gg", "≈": r"\approx", "∼": r"\sim", "~": r"\sim",
      "≃": r"\simeq", "≅": r"\cong", "≡": r"\equiv", "∝": r"\propto", "∈": r"\in", "∉": r"\notin", "∋": r"\ni",
      "⊂": r"\subset", "⊃": r"\supset", "⊆": r"\subseteq", "⊇": r"\supseteq", "→": r"\to", "←": r"\leftarrow",
      "↔": r"\leftrightarrow", "⇒": r"\Rightarrow", "⇐": r"\Leftarrow", "⇔": r"\Leftrightarrow",
      "↦": r"\mapsto", "⟶": r"\longrightarrow", "⟹": r"\implies", "⟺": r"\iff", "⊥": r"\perp", "≜": r"\triangleq",
      "≔": ":=", "≐": r"\doteq", "≲": r"\lesssim", "≳": r"\gtrsim", "∣": r"\mid", "≺": r"\prec", "≻": r"\succ",
      "⪯": r"\preceq", "⪰": r"\succeq", "∴": r"\therefore", "∵": r"\because", "↑": r"\uparrow",
      "↓": r"\downarrow", "⊢": r"\vdash", "⊨": r"\models", "≍": r"\asymp"}, "rel"),
    ({"∞": r"\infty", "∂": r"\partial", "∇": r"\nabla", "∀": r"\forall", "∃": r"\exists", "¬": r"\neg",
      "∅": r"\emptyset", "ℓ": r"\ell", "ℏ": r"\hbar", "ℵ": r"\aleph", "…": r"\dots", "⋯": r"\cdots",
      "⋮": r"\vdots", "⋱": r"\ddots", "°": r"^\circ", "⊤": r"\top", "□": r"\square", "■": r"\blacksquare",
      "✓": r"\checkmark", "△": r"\triangle", "ı": r"\imath", "ȷ": r"\jmath", "℘": r"\wp", "ℜ": r"\Re",
      "ℑ": r"\Im", "♯": r"\sharp", "♭": r"\flat", "%": r"\%", "#": r"\#", "&": r"\&", "$": r"\$", "_": r"\_",
      "§": r"\S", "¶": r"\P", "!": "!", "?": "?", ".": ".", "/": "/", "@": "@"}, "ord"),
    ({",": ",", ";": ";", ":": ":", "∶": ":"}, "punct"),
    ({"(": "(", "[": "[", "{": r"\{", "⟨": r"\langle", "⌊": r"\lfloor", "⌈": r"\lceil", "⟦": r"\llbracket"}, "open"),
    ({")": ")", "]": "]", "}": r"\}", "⟩": r"\rangle", "⌋": r"\rfloor", "⌉": r"\rceil", "⟧": r"\rrbracket"},
     "close"),
    ({"|": "|", "‖": r"\|", "∥": r"\|"}, "fence"),
    ({"∑": r"\sum", "⅀": r"\sum", "∏": r"\prod", "∐": r"\coprod", "⋃": r"\bigcup", "⋂": r"\bigcap",
      "⨁": r"\bigoplus", "⨂": r"\bigotimes", "⨀": r"\bigodot", "⋁": r"\bigvee", "⋀": r"\bigwedge",
      "⨆": r"\bigsqcup", "⨄": r"\biguplus"}, "op"),
    ({"∫": r"\int", "∬": r"\iint", "∭": r"\iiint", "∮": r"\oint", "⨌": r"\iiiint"}, "int"),
    ({"√": r"\sqrt", "∛": r"\sqrt[3]", "∜": r"\sqrt[4]"}, "radical"),
    ({"′": "'", "″": "''", "‴": "'''", "'": "'", "’": "'"}, "prime"),
]:
    for _ch, _tex in _chars.items():
        _UNICODE[_ch] = (_tex, _role)
# Accents: spacing forms (Computer Modern's glyphs) and combining forms (OpenType math).
ACCENTS = {"ˆ": r"\hat", "˜": r"\tilde", "¯": r"\bar", "ˉ": r"\bar", "˙": r"\dot",
           "¨": r"\ddot", "ˇ": r"\check", "˘": r"\breve", "´": r"\acute", "`": r"\grave", "⃗": r"\vec",
           "\u0302": r"\hat", "\u0303": r"\tilde", "\u0304": r"\bar", "\u0305": r"\overline", "\u0307": r"\dot",
           "\u0308": r"\ddot", "\u030c": r"\check", "\u0306": r"\breve", "\u0301": r"\acute", "\u0300": r"\grave",
           "\u20d6": r"\overleftarrow", "\u0332": r"\underline"}
_NEGATED = {"=": r"\neq", r"\in": r"\notin", "<": r"\nless", ">": r"\ngtr", r"\le": r"\nleq", r"\ge": r"\ngeq",
            r"\sim": r"\nsim", r"\equiv": r"\not\equiv", r"\subset": r"\not\subset", r"\subseteq": r"\nsubseteq",
            r"\approx": r"\not\approx", r"\mid": r"\nmid", r"\|": r"\nparallel"}


def negated(tex: str) -> str:
    return _NEGATED.get(tex, r"\not" + tex)


_STYLES = [("DOUBLE-STRUCK", r"\mathbb"), ("BOLD SCRIPT", r"\mathcal"), ("SCRIPT", r"\mathcal"),
           ("BOLD FRAKTUR", r"\mathfrak"), ("FRAKTUR", r"\mathfrak"), ("SANS-SERIF", r"\mathsf"),
           ("MONOSPACE", r"\mathtt"), ("BOLD", r"\mathbf"), ("ITALIC", ""), ("", "")]
_LETTERLIKE = {"ℂ": (r"\mathbb", "C"), "ℕ": (r"\mathbb", "N"), "ℙ": (r"\mathbb", "P"), "ℚ": (r"\mathbb", "Q"),
               "ℝ": (r"\mathbb", "R"), "ℤ": (r"\mathbb", "Z"), "ℬ": (r"\mathcal", "B"), "ℰ": (r"\mathcal", "E"),
               "ℱ": (r"\mathcal", "F"), "ℋ": (r"\mathcal", "H"), "ℐ": (r"\mathcal", "I"), "ℒ": (r"\mathcal", "L"),
               "ℳ": (r"\mathcal", "M"), "ℛ": (r"\mathcal", "R"), "ℊ": (r"\mathcal", "g"), "ℯ": (r"\mathcal", "e"),
               "ℴ": (r"\mathcal", "o"), "ℭ": (r"\mathfrak", "C"), "ℌ": (r"\mathfrak", "H"),
               "ℑ": (r"\mathfrak", "I"), "ℜ": (r"\mathfrak", "R"), "ℨ": (r"\mathfrak", "Z"), "ℎ": ("", "h")}
_GREEK_NAMES = {v.upper() if k.islower() else "CAPITAL " + v.upper(): "\\" + v for k, v in _GREEK.items()
                if not v.startswith("var")}
_GREEK_NAMES.update({"LAMDA": r"\lambda", "CAPITAL LAMDA": r"\Lambda", "EPSILON SYMBOL": r"\epsilon", "THETA SYMBOL": r"\vartheta", "PHI SYMBOL": r"\phi",
                     "PI SYMBOL": r"\varpi", "RHO SYMBOL": r"\varrho", "KAPPA SYMBOL": r"\varkappa",
                     "EPSILON": r"\varepsilon", "PHI": r"\varphi", "FINAL SIGMA": r"\varsigma",
                     "NABLA": r"\nabla", "PARTIAL DIFFERENTIAL": r"\partial", "CAPITAL THETA SYMBOL": r"\Theta"})


@lru_cache(maxsize=4096)
def _alphanumeric(ch: str) -> tuple[str, str] | None:
    """A letter or digit of Unicode's mathematical alphabets: (font command or '', base)."""
    if ch in _LETTERLIKE:
        return _LETTERLIKE[ch]
    if not "\U0001d400" <= ch <= "\U0001d7ff":
        return None
    name = unicodedata.name(ch, "")
    if not name.startswith("MATHEMATICAL "):
        return None
    rest = name[len("MATHEMATICAL "):]
    for style, command in _STYLES:
        if rest.startswith(style):
            rest = rest[len(style):].strip()
            break
    m = re.fullmatch(r"(CAPITAL|SMALL) ([A-Z])|DIGIT (\w+)", rest)
    if m and m.group(2):
        return command, m.group(2) if m.group(1) == "CAPITAL" else m.group(2).lower()
    if m and m.group(3):
        digits = ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"]
        return command, str(digits.index(m.group(3))) if m.group(3) in digits else None
    greek = rest.replace("SMALL ", "")
    if greek in _GREEK_NAMES:
        return (r"\boldsymbol" if command == r"\mathbf" else ""), _GREEK_NAMES[greek]
    return None


@lru_cache(maxsize=8192)
def meaning(ch: str, font: str) -> tuple[str, str]:
    """(latex, role) of one glyph as the text layer gives it, in the font it is set in.

    Letters are 'ord' with a font command when the font says so (\\mathbb{E}, \\mathcal{L});
    unknown glyphs are ('?', 'unknown')."""
    fam = family(font)
    code = ord(ch) if len(ch) == 1 else -1
    if fam == "ex" and (ex := ex_code(ch)) is not None:
        return _EX.get(ex, ("?", "unknown"))
    if ch in _PRIVATE_PIECES:  # a piece in another font: what it is, without cmex's metrics
        return _EX[_PRIVATE_PIECES[ch]]
    if fam == "sy":
        if "A" <= ch <= "Z":
            return rf"\mathcal{{{ch}}}", "ord"
        if 0 <= code < 128 and ch not in "|{}\\":
            return _SY.get(code, ("?", "unknown"))
    if fam == "am" and 0 <= code < 128:
        return _AM.get(code, ("?", "unknown"))
    if fam == "bb" and ch.isascii() and ch.isalpha():
        return (rf"\mathbb{{{ch}}}" if ch.isupper() else r"\Bbbk" if ch == "k" else ch), "ord"
    if fam == "frak" and ch.isascii() and ch.isalpha():
        return rf"\mathfrak{{{ch}}}", "ord"
    if fam == "scr" and ch.isascii() and ch.isalpha():
        return rf"\mathcal{{{ch}}}", "ord"
    if ch == "\ufffd" or (0 <= code < 32):
        return "?", "unknown"
    if ch in ACCENTS:
        return ACCENTS[ch], "accent"
    if ch == "\u0338":
        return r"\not", "not"
    if ch.isascii() and ch.isalnum():
        return (rf"\mathbf{{{ch}}}" if is_bold(font) and fam != "mi" and ch.isalpha() else ch), "ord"
    found = _UNICODE.get(ch)
    if found:
        return found
    alpha = _alphanumeric(ch)
    if alpha and alpha[1]:
        command, base = alpha
        return (f"{command}{{{base}}}" if command else base), "ord"
    if unicodedata.category(ch).startswith("L"):
        return ch, "ord"
    return "?", "unknown"


# Words set upright in math that are operator names (\log, \max ...) or known quantities; a word in
# capitals ("KL", "ELBO") is a named quantity too (named_quantity). (Not words of prose: "mean" or
# "sign" next to a formula stay text.)
OPERATOR_NAMES = frozenset({"log", "ln", "exp", "max", "min", "sup", "inf", "lim", "liminf", "limsup", "arg",
                            "argmax", "argmin", "det", "dim", "tr", "Tr", "sin", "cos", "tan", "sinh", "cosh",
                            "tanh", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "ker", "gcd", "Pr", "var",
                            "Var", "Cov", "cov", "diag", "sgn", "softmax",
                            "ReLU", "sigmoid", "erf", "supp", "Bern", "Unif", "Ber", "logit"})
_BUILTIN_OPERATORS = frozenset({"log", "ln", "exp", "max", "min", "sup", "inf", "lim", "liminf", "limsup", "arg",
                                "det", "dim", "sin", "cos", "tan", "sinh", "cosh", "tanh", "sec", "csc", "cot",
                                "arcsin", "arccos", "arctan", "deg", "ker", "gcd", "Pr"})


def named_quantity(word: str) -> bool:
    """A short word in capitals set upright in math ("KL", "MSE", "ELBO"): a quantity's name."""
    return word.isupper() and 2 <= len(word) <= 5


def operator_latex(word: str) -> str:
    """\\log for LaTeX's own operator names, \\operatorname{argmax} or \\mathrm{KL} for others."""
    if word in _BUILTIN_OPERATORS:
        return "\\" + word
    if word.isupper() or len(word) <= 3:
        return rf"\mathrm{{{word}}}"
    return rf"\operatorname{{{word}}}"


# Symbols set from a math font that mark items in text (checkboxes, check marks, bullets): their
# characters, for the text line (grader/ingest/grids.py reads checkboxes from them).
MARKERS = frozenset("□■☐☑☒✓✔⊠▣⊡•∙◦★⋆✗✘")
_MARKER_OF = {r"\square": "☐", r"\blacksquare": "■", r"\checkmark": "✓", r"\boxtimes": "⊠", r"\boxdot": "⊡",
              r"\bullet": "•", r"\star": "⋆", r"\circ": "◦"}


def marker_text(ch: str, tex: str) -> str:
    """The character a glyph shows in text: itself, or for a bare font code its marker's."""
    if len(ch) == 1 and (ord(ch) < 32 or ch == "\ufffd"):
        return _MARKER_OF.get(tex, "\ufffd")
    return ch
