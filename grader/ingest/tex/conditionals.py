"""Conditionals, decided the way TeX would without running it, or left undecided.

TeX's own conditionals (`\\iftrue`, `\\iffalse`, `\\ifx`, `\\ifnum`, `\\ifdim`, `\\ifodd`, `\\ifcase`,
`\\ifdefined`, `\\ifcsname`, a `\\newif`'s `\\iffoo`, `\\unless`) are read by the expander as TeX does:
the condition here, the branches by the expander (macros.py), which skips the text of a branch TeX
does not read. The macros that take their branches as arguments (`\\ifthenelse` of ifthen,
`\\IfFileExists`, etoolbox's `\\ifbool`, `\\ifstrequal`..., xparse's `\\IfBooleanTF`...) are decided
here from their arguments.

A condition is True, False, or None when the reader cannot know it (a counter, the page number, a
macro of a package, a file TeX may have found on the student's machine): the expander then keeps
every branch out of the text as "unsure", so the part goes to a TA and earns nothing from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from grader.ingest.tex.source import CS, read_braced, skip_spaces

if TYPE_CHECKING:
    from grader.ingest.tex.macros import MacroExpander

Value = bool | None

# TeX's conditionals (TeX, e-TeX, pdfTeX, XeTeX, LuaTeX): the tokens the expander counts when it
# skips a branch, as TeX does.
PRIMITIVE_IFS = {"if", "ifcat", "ifnum", "ifdim", "ifodd", "ifvmode", "ifhmode", "ifmmode", "ifinner", "ifvoid",
                 "ifhbox", "ifvbox", "ifx", "ifeof", "iftrue", "iffalse", "ifcase", "ifdefined", "ifcsname",
                 "iffontchar", "ifincsname", "ifpdfprimitive", "ifpdfabsnum", "ifpdfabsdim", "ifprimitive",
                 "ifabsnum", "ifabsdim", "ifpdf", "ifxetex", "ifluatex", "ifPDFTeX", "ifXeTeX", "ifLuaTeX"}
# names that start with "if" but are no conditional: a symbol, and macros that take their branches
NOT_CONDITIONALS = {"iff", "ifthenelse", "ifboolexpr", "ifboolexpe", "ifdefmacro", "ifdefempty", "ifdefvoid",
                    "ifdefequal", "ifdefstring", "ifdefstrequal", "ifcsmacro", "ifcsempty", "ifcsvoid",
                    "ifcsequal", "ifcsstring", "ifcsstrequal", "ifstrmatch", "ifltxcounter", "ifdeflength",
                    "ifdefcounter", "ifdefprotected", "ifdefparam", "ifinlist", "ifinlistcs", "ifrmnum"}
_UNDECIDABLE = {"ifvmode", "ifhmode", "ifmmode", "ifinner", "ifvoid", "ifhbox", "ifvbox", "ifeof", "iffontchar",
                "ifincsname", "ifpdfprimitive", "ifprimitive", "ifpdf", "ifxetex", "ifluatex", "ifPDFTeX",
                "ifXeTeX", "ifLuaTeX"}


def is_conditional(name: str, expander: MacroExpander) -> bool:
    """Whether TeX counts `\\name` as a conditional when it skips text."""
    alias = expander.lets.get(name)
    if alias is not None:
        return alias in PRIMITIVE_IFS
    if name in PRIMITIVE_IFS or name[2:] in expander.bools:
        return True
    return name.startswith("if") and name not in NOT_CONDITIONALS and name not in expander.macros \
        and name not in BRANCH_MACROS


def is_known_conditional(name: str, expander: MacroExpander) -> bool:
    """A conditional of TeX's, a \\newif's, or a name \\let to one: not a package's guess."""
    return name == "unless" or name in PRIMITIVE_IFS or name[2:] in expander.bools or \
        expander.lets.get(name) in PRIMITIVE_IFS


# --- TeX's conditionals ------------------------------------------------------------------------------

def evaluate(name: str, src: str, i: int, expander: MacroExpander) -> tuple[Value | int, int, str]:
    """(the condition's value, where its operands end, what was tested) for `\\name` whose operands
    start at i. \\ifcase gives its number. None: the reader cannot know."""
    what = f"\\{name}"
    alias = expander.lets.get(name, name)
    if alias == "iftrue":
        return True, i, what
    if alias == "iffalse":
        return False, i, what
    if alias not in PRIMITIVE_IFS and name[2:] in expander.bools:
        return expander.bools[name[2:]], i, what
    if alias in _COMPARISONS:  # \ifnum 1<2, \ifdim 1pt>2pt, and their absolute-value forms
        read = _COMPARISONS[alias]
        a, j = read(src, i, expander)
        rel, j = _relation(src, j)
        b, j = read(src, j, expander)
        if a is None or b is None or rel is None:
            return None, j, f"{what} on a {'number' if read is number else 'length'} the reader cannot know"
        if "abs" in alias:
            a, b = abs(a), abs(b)
        return _compare(a, rel, b), j, what
    if alias in ("ifodd", "ifcase"):
        n, j = number(src, i, expander)
        if n is None:
            return None, j, f"{what} on a number the reader cannot know"
        return (n % 2 == 1 if alias == "ifodd" else n), j, what
    if alias == "ifx":
        a, j = _token(src, i)
        b, j = _token(src, j)
        return _same_meaning(a, b, expander), j, what
    if alias in ("if", "ifcat"):
        a, j = _expanded_token(src, i, expander)
        b, j = _expanded_token(src, j, expander)
        if a is None or b is None:
            return None, j, f"{what} on a macro the reader cannot expand"
        return (a == b if alias == "if" else _catcode(a) == _catcode(b)), j, what
    if alias == "ifdefined":
        token, j = _token(src, i)
        return (expander.defined(token[1:]) if token.startswith("\\") else True), j, what
    if alias == "ifcsname":
        m = re.compile(r"\s*([a-zA-Z@]+)\s*\\endcsname").match(src, i)
        if m is None:
            end = src.find("\\endcsname", i)
            return None, (len(src) if end < 0 else end + len("\\endcsname")), what
        return expander.defined(m.group(1)), m.end(), what
    return None, i, f"{what}, which the reader cannot evaluate" if alias in _UNDECIDABLE else \
        f"{what}, a conditional the reader does not know"


def _compare(a: float, rel: str, b: float) -> bool:
    return a < b if rel == "<" else a > b if rel == ">" else a == b


def _relation(src: str, i: int) -> tuple[str | None, int]:
    i = skip_spaces(src, i)
    if i < len(src) and src[i] in "<=>":
        return src[i], i + 1
    return None, i


def _token(src: str, i: int) -> tuple[str, int]:
    """The next token without expansion: a control sequence ("\\\\name") or a character."""
    i = skip_spaces(src, i)
    if i >= len(src):
        return "", i
    m = CS.match(src, i)
    if m:
        end = m.end()
        return m.group(0), skip_spaces(src, end) if m.group(1)[0].isalpha() else end
    return src[i], i + 1


def _expanded_token(src: str, i: int, expander: MacroExpander) -> tuple[str | None, int]:
    """\\if expands what follows: a character, or the first character of a macro without arguments."""
    token, j = _token(src, i)
    if not token.startswith("\\"):
        return token, j
    macro = expander.macros.get(token[1:])
    if macro is None or macro.nargs or macro.delimiters:
        return None, j
    body = expander.expand_text(macro.body)
    return (body[0] if body and body[0] != "\\" else None), j


def _catcode(char: str) -> int:
    return 11 if char.isalpha() else 10 if char.isspace() else 12


def _same_meaning(a: str, b: str, expander: MacroExpander) -> Value:
    if a == b:
        return True
    if not a.startswith("\\") and not b.startswith("\\"):
        return False  # two characters
    meanings = [expander.meaning(t[1:]) if t.startswith("\\") else ("char", t) for t in (a, b)]
    if any(m is None for m in meanings):
        return None  # a macro of a package, or the letter it may have been \let to
    return meanings[0] == meanings[1]


_INTEGER = re.compile(r"\s*([-+\s]*)(?:(\d+)|\"([0-9A-F]+)|'([0-7]+)|`\\?(.))")


def number(src: str, i: int, expander: MacroExpander) -> tuple[int | None, int]:
    """A TeX <number> at i: digits, "hex, 'octal, `c, or a macro that expands to one. None for a
    counter, a register or anything else the reader cannot know (its end is still found)."""
    m = _INTEGER.match(src, i)
    if m:
        sign = -1 if m.group(1).count("-") % 2 else 1
        if m.group(2) is not None:
            value = int(m.group(2))
        elif m.group(3) is not None:
            value = int(m.group(3), 16)
        elif m.group(4) is not None:
            value = int(m.group(4), 8)
        else:
            value = ord(m.group(5))
        end = m.end()
        return sign * value, end + 1 if end < len(src) and src[end] == " " else end
    token, j = _token(src, i)
    if not token.startswith("\\"):
        return None, j
    if token in ("\\value", "\\arabic", "\\the"):  # \value{page}, \the\c@page
        got = read_braced(src, j)
        if got is not None:
            j = got[1]
        elif token == "\\the":
            _, j = _token(src, j)
        return None, j
    macro = expander.macros.get(token[1:])
    if macro is not None and not macro.nargs and not macro.delimiters:
        body = expander.expand_text(macro.body).strip()
        if re.fullmatch(r"[-+]?\d+", body):
            return int(body), j
    return None, j


_UNITS = {"pt": 1.0, "bp": 1.00375, "mm": 2.84528, "cm": 28.4528, "in": 72.27, "pc": 12.0, "dd": 1.07001,
          "cc": 12.8401, "sp": 1 / 65536, "em": 10.0, "ex": 4.3, "px": 1.0}


def dimension(src: str, i: int, expander: MacroExpander) -> tuple[float | None, int]:
    """A TeX <dimen> at i in pt, or None for a register or a length the reader cannot know."""
    m = re.compile(r"\s*([-+]?\s*(?:\d*\.\d+|\d+\.?))\s*(pt|bp|mm|cm|in|pc|dd|cc|sp|em|ex|px)\b\s?").match(src, i)
    if m:
        return float(m.group(1).replace(" ", "")) * _UNITS[m.group(2)], m.end()
    token, j = _token(src, i)
    if token.startswith("\\"):
        got = read_braced(src, j) if token == "\\dimexpr" else None
        return None, got[1] if got else j
    return None, j


_COMPARISONS = {"ifnum": number, "ifabsnum": number, "ifpdfabsnum": number,
                "ifdim": dimension, "ifabsdim": dimension, "ifpdfabsdim": dimension}


# --- macros that take their branches ----------------------------------------------------------------

def _ifthen(args: list[str], expander: MacroExpander) -> Value:
    return ifthen(args[0], expander)


def _file(args: list[str], expander: MacroExpander) -> Value:
    # found in the submission: TeX found it too; not found: it may be on the student's machine
    return True if expander.file_exists(args[0].strip()) else None


def _bool(args: list[str], expander: MacroExpander) -> Value:
    return expander.bools.get(args[0].strip())


def _toggle(args: list[str], expander: MacroExpander) -> Value:
    return expander.toggles.get(args[0].strip())


def _strings_equal(args: list[str], expander: MacroExpander) -> Value:
    a, b = args[0].strip(), args[1].strip()  # etoolbox compares unexpanded strings, spaces trimmed
    return a == b if "\\" not in a + b and "#" not in a + b else (True if a == b else None)


def _expanded_equal(a: str, b: str, expander: MacroExpander) -> Value:
    a, b = expander.expand_text(a), expander.expand_text(b)
    if a == b:
        return True
    return None if "\\" in a + b else False  # an unknown macro may expand to make them equal


def _blank(args: list[str], expander: MacroExpander) -> Value:
    text = args[0]
    return not text.strip() if "\\" not in text else None


def _defined(args: list[str], expander: MacroExpander) -> Value:
    token = args[0].strip()
    if not token.startswith("\\"):
        return expander.defined(token)
    return expander.defined(token[1:])


def _undefined(args: list[str], expander: MacroExpander) -> Value:
    value = _defined(args, expander)
    return None if value is None else not value


def _numbers(args: list[str], expander: MacroExpander, rel: str | None = None) -> Value:
    texts = args if rel else [args[0], args[2]]
    rel = rel or args[1].strip()
    values = [number(t, 0, expander) for t in texts]
    if any(v is None or end < len(t.rstrip()) for (v, end), t in zip(values, texts)) or rel not in ("<", "=", ">"):
        return None
    return _compare(values[0][0], rel, values[1][0])


def _odd(args: list[str], expander: MacroExpander) -> Value:
    n, end = number(args[0], 0, expander)
    return None if n is None or end < len(args[0].rstrip()) else n % 2 == 1


def _xparse_boolean(args: list[str], expander: MacroExpander) -> Value:
    token = args[0].strip()
    return {"\\BooleanTrue": True, "\\BooleanFalse": False}.get(token)


def _xparse_value(args: list[str], expander: MacroExpander) -> Value:
    token = args[0].strip()
    return False if token == "-NoValue-" else (True if "\\" not in token else None)


def _unknown(args: list[str], expander: MacroExpander) -> Value:
    return None


def _negated(test: Callable[[list[str], MacroExpander], Value]) -> Callable[[list[str], MacroExpander], Value]:
    def negated(args: list[str], expander: MacroExpander) -> Value:
        value = test(args, expander)
        return None if value is None else not value
    return negated


# name -> (how many arguments the test takes, the test, the branches: "TF", "T" or "F")
BRANCH_MACROS: dict[str, tuple[int, Callable[[list[str], MacroExpander], Value], str]] = {
    "ifthenelse": (1, _ifthen, "TF"),
    "IfFileExists": (1, _file, "TF"),
    "ifbool": (1, _bool, "TF"), "notbool": (1, _negated(_bool), "TF"),
    "iftoggle": (1, _toggle, "TF"), "nottoggle": (1, _negated(_toggle), "TF"),
    "ifstrequal": (2, _strings_equal, "TF"), "IfStrEq": (2, lambda a, e: _expanded_equal(a[0], a[1], e), "TF"),
    "ifstrempty": (1, _blank, "TF"), "ifblank": (1, _blank, "TF"), "IfBlankTF": (1, _blank, "TF"),
    "ifdef": (1, _defined, "TF"), "ifundef": (1, _undefined, "TF"), "ifcsdef": (1, _defined, "TF"),
    "ifcsundef": (1, _undefined, "TF"), "@ifundefined": (1, _undefined, "TF"),
    "ifnumcomp": (3, _numbers, "TF"), "ifnumequal": (2, lambda a, e: _numbers(a, e, "="), "TF"),
    "ifnumgreater": (2, lambda a, e: _numbers(a, e, ">"), "TF"),
    "ifnumless": (2, lambda a, e: _numbers(a, e, "<"), "TF"), "ifnumodd": (1, _odd, "TF"),
    "ifboolexpr": (1, _unknown, "TF"), "ifboolexpe": (1, _unknown, "TF"), "ifdimcomp": (3, _unknown, "TF"),
    "IfBooleanTF": (1, _xparse_boolean, "TF"), "IfBooleanT": (1, _xparse_boolean, "T"),
    "IfBooleanF": (1, _xparse_boolean, "F"),
    "IfValueTF": (1, _xparse_value, "TF"), "IfValueT": (1, _xparse_value, "T"), "IfValueF": (1, _xparse_value, "F"),
    "IfNoValueTF": (1, _negated(_xparse_value), "TF"), "IfNoValueT": (1, _negated(_xparse_value), "T"),
    "IfNoValueF": (1, _negated(_xparse_value), "F"),
}
# expl3-style tests the reader does not know ("\IfFooTF{...}{yes}{no}"): every branch is unsure
UNKNOWN_TEST = re.compile(r"(?:If|if|[a-z]+_if)[A-Za-z_@]*(?::[nNVvoxcTF]*)?(?<=TF|:T|:F)$|If[A-Z][A-Za-z]*TF$")


# --- ifthen's condition language -----------------------------------------------------------------------
# \ifthenelse{<test>}: \AND and \OR are read left to right, with no precedence, and \NOT applies to
# the next test or parenthesised group (ifthen.sty evaluates "A \OR B \AND C" as (A or B) and C).

_IFTHEN_GRAMMAR = r"""
?start: expr
expr: operand (OP operand)*
operand: NOT* atom
?atom: LPAR expr RPAR -> group
     | test
test: EQUAL GROUP GROUP           -> equal
    | BOOLEAN GROUP               -> boolean
    | ISODD GROUP                 -> isodd
    | LENGTHTEST GROUP            -> lengthtest
    | ISUNDEFINED (GROUP | CS)    -> isundefined
    | ISEMPTY GROUP               -> isempty
    | ISNAMEDEFINED GROUP         -> isnamedefined
    | ISIN GROUP GROUP            -> isin
    | CNTTEST GROUP GROUP GROUP   -> cnttest
    | num REL num                 -> compare
num: NUMBER | VALUE GROUP | CS
OP.3: /\\(?:AND|and|OR|or)(?![a-zA-Z@])/
NOT.3: /\\(?:NOT|not)(?![a-zA-Z@])/
LPAR.3: /\\\(/
RPAR.3: /\\\)/
EQUAL.3: /\\equal(?![a-zA-Z@])/
BOOLEAN.3: /\\boolean(?![a-zA-Z@])/
ISODD.3: /\\isodd(?![a-zA-Z@])/
LENGTHTEST.3: /\\lengthtest(?![a-zA-Z@])/
ISUNDEFINED.3: /\\isundefined(?![a-zA-Z@])/
ISEMPTY.3: /\\isempty(?![a-zA-Z@])/
ISNAMEDEFINED.3: /\\isnamedefined(?![a-zA-Z@])/
ISIN.3: /\\isin(?![a-zA-Z@])/
CNTTEST.3: /\\cnttest(?![a-zA-Z@])/
VALUE.3: /\\value(?![a-zA-Z@])/
CS: /\\[a-zA-Z@]+/
GROUP: /\{(?:[^{}]|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\})*\}/
NUMBER: /[-+]?\d+/
REL: /[<=>]/
%ignore /\s+/
"""


@lru_cache(maxsize=1)
def _ifthen_parser() -> Lark:
    return Lark(_IFTHEN_GRAMMAR, parser="lalr")


MAX_CONDITION = 2000


def ifthen(condition: str, expander: MacroExpander) -> Value:
    """The value of an \\ifthenelse test, in three-valued logic (None: unknown)."""
    if len(condition) > MAX_CONDITION:
        return None
    try:
        tree = _ifthen_parser().parse(condition)
    except LarkError:
        return None
    return _expr(tree, expander)


def _expr(tree: Tree, expander: MacroExpander) -> Value:
    children = tree.children
    value = _operand(children[0], expander)
    for op, operand in zip(children[1::2], children[2::2]):
        right = _operand(operand, expander)
        value = _or(value, right) if op.lower().endswith("or") else _and(value, right)
    return value


def _operand(tree: Tree, expander: MacroExpander) -> Value:
    *nots, atom = tree.children
    value = _expr(atom.children[1], expander) if atom.data == "group" else _test(atom, expander)
    for _ in nots:
        value = None if value is None else not value
    return value


def _or(a: Value, b: Value) -> Value:
    return True if a is True or b is True else (None if a is None or b is None else False)


def _and(a: Value, b: Value) -> Value:
    return False if a is False or b is False else (None if a is None or b is None else True)


def _group(token: Token) -> str:
    return str(token)[1:-1]


def _test(tree: Tree, expander: MacroExpander) -> Value:
    kind, args = tree.data, tree.children
    groups = [_group(t) for t in args if isinstance(t, Token) and t.type == "GROUP"]
    if kind == "equal":
        return _expanded_equal(groups[0], groups[1], expander)
    if kind == "boolean":
        return expander.bools.get(groups[0].strip())
    if kind == "isodd":
        return _odd(groups, expander)
    if kind == "lengthtest":
        m = re.fullmatch(r"(.*?)([<=>])(.*)", groups[0], re.S)
        if m is None:
            return None
        (a, end_a), (b, end_b) = dimension(m.group(1), 0, expander), dimension(m.group(3), 0, expander)
        if a is None or b is None or end_a < len(m.group(1).rstrip()) or end_b < len(m.group(3).rstrip()):
            return None
        return _compare(a, m.group(2), b)
    if kind == "isundefined":
        token = groups[0].strip() if groups else str(args[1])
        return _undefined([token], expander)
    if kind == "isempty":
        text = expander.expand_text(groups[0])
        return not text.strip() if "\\" not in text else None
    if kind == "isnamedefined":
        return _defined([groups[0].strip()], expander)
    if kind == "isin":
        a, b = expander.expand_text(groups[0]), expander.expand_text(groups[1])
        return (b in a) if "\\" not in a + b else None
    if kind == "cnttest":
        return _numbers(groups, expander)
    # compare: num REL num
    left, rel, right = args
    return _numbers([_num_text(left), _num_text(right)], expander, str(rel))


def _num_text(tree: Tree) -> str:
    return "".join(str(t) for t in tree.children)
