"""Definitions, read in the order TeX reads them: macros (`\\newcommand`, `\\def` with delimited
parameters, xparse), environments (`\\newenvironment`, environ's `\\NewEnviron`, xparse), `\\let`,
booleans (`\\newif`, ifthen, etoolbox), comment environments (comment, versions), and what was
defined in a branch the reader could not decide. The expander (macros.py) reads the text with them;
conditionals.py asks what is defined and what a name means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.ingest.tex.source import CS, read_braced, read_bracketed, skip_spaces
from grader.ingest.tex.vocabulary import LET_SUFFIX, STRIKES


@dataclass(frozen=True)
class Macro:
    nargs: int
    body: str
    default: str | None = None  # the first argument is optional with this default
    # \def\x#1.#2\end{...}: the text that ends each argument ("" for a plain one), and what must
    # come before the first ("\def\x.#1{...}")
    delimiters: tuple[str, ...] = ()
    prefix: str = ""
    # xparse's argument types, one per argument ("m", "o", "O{default}", "s", "t*"), when it has any
    # other than plain mandatory and a first optional
    xparse: tuple[str, ...] = ()


@dataclass(frozen=True)
class Env:
    nargs: int
    begin: str
    end: str
    default: str | None = None
    # the environment takes its body (environ's \BODY, xparse's "b" argument): where it goes
    body: str | None = None


# LaTeX's own macros that drop or pick arguments: `\let\hide\@gobble` is a classic way to hide text
KERNEL_MACROS = {
    "@gobble": Macro(1, ""), "@gobbletwo": Macro(2, ""), "@gobblethree": Macro(3, ""),
    "@gobblefour": Macro(4, ""), "@firstofone": Macro(1, "#1"), "@firstoftwo": Macro(2, "#1"),
    "@secondoftwo": Macro(2, "#2"), "@empty": Macro(0, ""), "empty": Macro(0, ""),
}
# what a name can be \let to that matters when text is skipped or tested
_PRIMITIVES = {"iftrue", "iffalse", "fi", "else", "or", "relax", "ifx", "ifnum", "ifdim", "ifodd", "ifcase",
               "if", "ifcat", "ifdefined", "ifcsname", "undefined", "@undefined", "bgroup", "egroup"}
_MACRO_DEFINERS = {"newcommand", "renewcommand", "providecommand", "DeclareRobustCommand", "DeclareMathOperator",
                   "newenvironment", "renewenvironment", "def", "gdef", "edef", "xdef", "let", "NewDocumentCommand",
                   "RenewDocumentCommand", "DeclareDocumentCommand", "ProvideDocumentCommand", "NewEnviron",
                   "RenewEnviron", "NewDocumentEnvironment", "RenewDocumentEnvironment",
                   "DeclareDocumentEnvironment", "ProvideDocumentEnvironment"}
_DECLARERS = {"newif", "newboolean", "provideboolean", "setboolean", "newbool", "providebool", "booltrue",
              "boolfalse", "setbool", "newtoggle", "providetoggle", "toggletrue", "togglefalse", "settoggle",
              "excludecomment", "includecomment", "excludeversion", "includeversion", "specialcomment"}
DEFINERS = _MACRO_DEFINERS | _DECLARERS
# a definition or a boolean set, in text the reader could not decide whether TeX reads
_TAINTED = re.compile(r"\\(?:(?:re)?newcommand|providecommand|DeclareRobustCommand|[gex]?def|let|"
                      r"(?:New|Renew|Declare|Provide)DocumentCommand)\s*\*?\s*\{?\s*\\([a-zA-Z@]+)"
                      r"|\\(?:re)?newenvironment\*?\s*\{([^{}]+)\}|\\(?:New|Renew)Environ\s*\{([^{}]+)\}"
                      r"|\\newif\s*\\if([a-zA-Z@]+)|\\([a-zA-Z@]+?)(?:true|false)(?![a-zA-Z@])"
                      r"|\\(?:setboolean|setbool|booltrue|boolfalse|newboolean|newbool|settoggle|toggletrue|"
                      r"togglefalse)\s*\{([^{}]+)\}")


class Definitions:
    """What is defined at this point of the text."""

    def __init__(self) -> None:
        self.macros: dict[str, Macro] = dict(KERNEL_MACROS)
        self.envs: dict[str, Env] = {}
        self.lets: dict[str, str] = {}  # name -> the primitive it was \let to (\fi, \iffalse, \relax...)
        self.bools: dict[str, bool | None] = {}  # \newif\iffoo, \newboolean{foo}: foo -> value (None: unknown)
        self.toggles: dict[str, bool | None] = {}  # etoolbox's \newtoggle
        self.comment_envs = {"comment"}
        self.uncertain: set[str] = set()  # macros defined in a branch the reader could not decide
        self.uncertain_envs: set[str] = set()
        self.group_depth = 0
        self.saved: list[tuple[int, dict, str, object]] = []  # local assignments, undone when their group ends
        self.global_next = False  # \global before an assignment

    # -- what a name is ----------------------------------------------------------------------------

    def defined(self, name: str) -> bool | None:
        """True when the name is defined here; None when a package may have defined it."""
        if name in self.macros or name in self.envs or name in self.lets or name[2:] in self.bools:
            return name not in self.lets or self.lets[name] not in ("undefined", "@undefined")
        if name in ("undefined", "@undefined"):
            return False
        return None

    def meaning(self, name: str) -> tuple | None:
        """What \\ifx compares, when the reader knows it."""
        if name in self.uncertain:
            return None
        if name in self.macros:
            m = self.macros[name]
            return ("macro", m.nargs, m.body, m.default, m.delimiters, m.prefix)
        if name in self.lets:
            return ("primitive", self.lets[name])
        if name in _PRIMITIVES:
            return ("primitive", name)
        return None

    # -- groups and local assignments ------------------------------------------------------------------

    def assign(self, table: dict, name: str, value: object) -> None:
        """A local assignment (TeX undoes it at the end of the group), or a global one after \\global.
        _ABSENT removes the name."""
        if self.group_depth > 0 and not self.global_next:
            self.saved.append((self.group_depth, table, name, table.get(name, _ABSENT)))
        if value is _ABSENT:
            table.pop(name, None)
        else:
            table[name] = value
        self.global_next = False

    def open_group(self) -> None:
        self.group_depth += 1

    def close_group(self) -> None:
        if self.group_depth == 0:
            return
        while self.saved and self.saved[-1][0] >= self.group_depth:
            _, table, name, old = self.saved.pop()
            if old is _ABSENT:
                table.pop(name, None)
            else:
                table[name] = old
        self.group_depth -= 1

    def taint(self, text: str) -> None:
        """Text the reader could not decide whether TeX reads: what it defines or sets is unknown."""
        for m in _TAINTED.finditer(text):
            macro, env, environ, newif, setter, named = m.groups()
            if macro:
                self.uncertain.add(macro)
            if env or environ:
                self.uncertain_envs.add((env or environ).strip())
            for flag in (newif, setter, named and named.strip()):
                if flag and (flag in self.bools or newif):
                    self.bools[flag] = None
                if flag and flag in self.toggles:
                    self.toggles[flag] = None

    # -- reading a definition --------------------------------------------------------------------------

    def define(self, src: str, name: str, k: int) -> int:
        """Record the definition or declaration starting after `\\name` at k; where it ends (k if
        unreadable)."""
        if name in _DECLARERS:
            return self._declare(src, name, k)
        if name in {"def", "gdef", "edef", "xdef"}:
            self.global_next = self.global_next or name in ("gdef", "xdef")
            return self._def(src, k)
        if name == "let":
            return self._let(src, k)
        i = skip_spaces(src, k + (1 if src.startswith("*", k) else 0))
        if name in {"newenvironment", "renewenvironment", "NewEnviron", "RenewEnviron"} or name.endswith("Environment"):
            return self._environment(src, name, i, k)
        if src.startswith("{", i):  # \newcommand{\name} or \newcommand\name
            target = read_braced(src, i)
            cs = CS.match(target[0].strip()) if target else None
            if not cs:
                return k
            tname, i = cs.group(1), target[1]
        else:
            cs = CS.match(src, i)
            if not cs:
                return k
            tname, i = cs.group(1), cs.end()
        if name == "DeclareMathOperator":
            body = read_braced(src, skip_spaces(src, i))
            if body is None:
                return k
            self._set_macro(tname, Macro(0, f"\\operatorname{{{body[0]}}}"))
            return body[1]
        if name.endswith("DocumentCommand"):
            spec = read_braced(src, skip_spaces(src, i))
            body = read_braced(src, skip_spaces(src, spec[1])) if spec else None
            if body is None:
                return k
            kinds = tuple(k.lstrip("+") for k in re.findall(XPARSE_ARGUMENT, spec[0]))
            default = None
            if kinds and kinds[0] != "m":
                default = kinds[0][2:-1] if kinds[0].startswith("O") else ""
            plain = all(k == "m" for k in kinds[1:]) and (not kinds or kinds[0] in ("m", "o") or kinds[0][0] == "O")
            if name != "ProvideDocumentCommand" or tname not in self.macros:
                self._set_macro(tname, Macro(len(kinds), body[0], default, xparse=() if plain else kinds))
            return body[1]
        nargs, default, i = _read_arg_count(src, i)
        body = read_braced(src, skip_spaces(src, i))
        if body is None:
            return k
        if name != "providecommand" or tname not in self.macros:
            self._set_macro(tname, Macro(nargs, body[0], default))
        return body[1]

    def _set_macro(self, name: str, macro: Macro) -> None:
        """Definitions are local to their group, as in TeX (\\gdef and \\global are not)."""
        global_next = self.global_next
        self.assign(self.macros, name, macro)
        if name in self.lets:
            self.global_next = global_next
            self.assign(self.lets, name, _ABSENT)
        self.uncertain.discard(name)

    def _def(self, src: str, k: int) -> int:
        m = CS.match(src, skip_spaces(src, k))
        if not m:
            return k
        brace = src.find("{", m.end(), m.end() + 300)
        if brace < 0:
            return k
        params = src[m.end():brace]
        body = read_braced(src, brace)
        if body is None:
            return k
        pieces = re.split(r"#[1-9]", params)
        nargs = len(pieces) - 1
        delimiters = tuple(p.strip() for p in pieces[1:])
        prefix = pieces[0].strip()
        if any(delimiters) or prefix:
            self._set_macro(m.group(1), Macro(nargs, body[0], None, delimiters, prefix))
        else:
            self._set_macro(m.group(1), Macro(nargs, body[0]))
        return body[1]

    def _let(self, src: str, k: int) -> int:
        m = re.compile(r"\s*\\([a-zA-Z@]+|.)\s*=?\s?\s*\\([a-zA-Z@]+|.)").match(src, k)
        if not m:
            return k
        target, source = m.group(1), m.group(2)
        alias = self.lets.get(source, source)
        global_next = self.global_next
        if target.startswith("if") and target[2:] in self.bools and alias in ("iftrue", "iffalse"):
            self.assign(self.bools, target[2:], alias == "iftrue")  # what \footrue does
        elif source in self.macros:
            self._set_macro(target, self.macros[source])
        elif source in STRIKES:  # the walker strikes `\sout@let` out as it does `\sout`
            self._set_macro(target, Macro(0, f"\\{source}{LET_SUFFIX} "))
        else:
            for table, value in ((self.macros, _ABSENT),
                                 (self.lets, alias if alias in _PRIMITIVES or source in self.lets else _ABSENT)):
                self.global_next = global_next
                self.assign(table, target, value)
            if source in self.uncertain:
                self.uncertain.add(target)
            else:
                self.uncertain.discard(target)
        self.global_next = False
        return m.end()

    def _environment(self, src: str, name: str, i: int, k: int) -> int:
        target = read_braced(src, i)
        if target is None:
            return k
        env = target[0].strip()
        i = target[1]
        if name.endswith("DocumentEnvironment"):
            spec = read_braced(src, skip_spaces(src, i))
            begin = read_braced(src, skip_spaces(src, spec[1])) if spec else None
            end = read_braced(src, skip_spaces(src, begin[1])) if begin else None
            if end is None:
                return k
            kinds = [k.lstrip("+") for k in re.findall(XPARSE_ARGUMENT, spec[0])]
            body_at = next((n for n, kind in enumerate(kinds) if kind.endswith("b")), None)
            default = None
            if kinds and kinds[0] not in ("m", "b"):
                default = kinds[0][2:-1] if kinds[0].startswith("O") else ""
            if name != "ProvideDocumentEnvironment" or env not in self.envs:
                body = None if body_at is None else f"#{body_at + 1}"
                self._set_env(env, Env(len(kinds) - (body_at is not None), begin[0], end[0], default, body))
            return end[1]
        nargs, default, i = _read_arg_count(src, i)
        begin = read_braced(src, skip_spaces(src, i))
        if begin is None:
            return k
        if name in ("NewEnviron", "RenewEnviron"):  # \NewEnviron{name}[n][default]{code}[end code]
            end = read_bracketed(src, skip_spaces(src, begin[1]))
            self._set_env(env, Env(nargs, begin[0], end[0] if end else "", default, "\\BODY"))
            return end[1] if end else begin[1]
        end = read_braced(src, skip_spaces(src, begin[1]))
        if end is None:
            return k
        if re.fullmatch(r"\s*\\(?:comment|begin\s*\{comment\})\s*", begin[0]):
            # \newenvironment{hide}{\comment}{\endcomment}: the verbatim/comment packages then skip
            # the body up to \end{hide}
            self.envs.pop(env, None)
            self.comment_envs.add(env)
            return end[1]
        self._set_env(env, Env(nargs, begin[0], end[0], default))
        return end[1]

    def _set_env(self, name: str, env: Env) -> None:
        self.assign(self.envs, name, env)
        self.uncertain_envs.discard(name)
        self.comment_envs.discard(name)

    def _declare(self, src: str, name: str, k: int) -> int:
        if name == "newif":
            m = re.compile(r"\s*\\if([a-zA-Z@]+)").match(src, k)
            if not m:
                return k
            self.bools[m.group(1)] = False
            return m.end()
        arg = read_braced(src, k)
        if arg is None:
            return k
        key, i = arg[0].strip(), arg[1]
        table = self.toggles if "toggle" in name else self.bools
        if name in ("newboolean", "newbool", "newtoggle") or (name.startswith("provide") and key not in table):
            table[key] = False
        elif name in ("booltrue", "toggletrue", "boolfalse", "togglefalse"):
            self.assign(table, key, name.endswith("true"))
        elif name in ("setboolean", "setbool", "settoggle"):
            value = read_braced(src, i)
            if value is None:
                return k
            i = value[1]
            word = value[0].strip().lower()
            self.assign(table, key, True if word == "true" else False if word == "false" else None)
        elif name in ("excludecomment", "excludeversion"):
            self.comment_envs.add(key)
            self.envs.pop(key, None)
        elif name in ("includecomment", "includeversion"):
            self._set_env(key, Env(0, "", ""))
        elif name == "specialcomment":  # shown, between its "before" and "after" code
            before = read_braced(src, i)
            after = read_braced(src, before[1]) if before else None
            if after is None:
                return k
            self._set_env(key, Env(0, before[0], after[0]))
            i = after[1]
        return i

    def set_flag(self, name: str) -> bool:
        """`\\footrue` / `\\foofalse` for a \\newif'd foo; False when the name is no such setter."""
        for suffix, value in (("true", True), ("false", False)):
            if name.endswith(suffix) and name[:-len(suffix)] in self.bools:
                self.assign(self.bools, name[:-len(suffix)], value)
                return True
        return False


_ABSENT = object()
# xparse argument types: mandatory, optional (with a default), star, a token, a body (environments)
XPARSE_ARGUMENT = r"\+?(?:[mosb]|O\{[^}]*\}|t\S|r\S\S|d\S\S)"


def _read_arg_count(src: str, i: int) -> tuple[int, str | None, int]:
    nargs = 0
    default = None
    opt = read_bracketed(src, skip_spaces(src, i))
    if opt is not None and opt[0].strip().isdigit():
        nargs = min(9, int(opt[0].strip()))
        i = opt[1]
        opt2 = read_bracketed(src, skip_spaces(src, i))
        if opt2 is not None:
            default = opt2[0]
            i = opt2[1]
    return nargs, default, i
