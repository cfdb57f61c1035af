"""The student's own macros and environments expanded (`\\newcommand`, `\\def`, `\\newenvironment`,
... with arguments), with caps against macros that never end."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.ingest.limits import Limits, RejectedFile
from grader.ingest.tex.source import (CS, VERB_START, find_braced_after, read_braced, read_bracketed, skip_spaces,
                                      verbatim_end)

MAX_EXPANSIONS = 50_000
MAX_EXPANSION_DEPTH = 60


@dataclass
class Macro:
    nargs: int
    body: str
    default: str | None = None  # the first argument is optional with this default


@dataclass
class Env:
    nargs: int
    begin: str
    end: str
    default: str | None = None


_DEFINERS = {"newcommand", "renewcommand", "providecommand", "DeclareRobustCommand",
             "DeclareMathOperator", "newenvironment", "renewenvironment", "def", "gdef",
             "edef", "xdef", "let", "NewDocumentCommand", "RenewDocumentCommand",
             "DeclareDocumentCommand", "ProvideDocumentCommand"}


class MacroExpander:
    """Expands user-defined macros and environments, TeX-style: definitions are read in order,
    uses are replaced by their bodies with arguments substituted, and the result is expanded again."""

    def __init__(self, limits: Limits | None = None):
        self.macros: dict[str, Macro] = {}
        self.envs: dict[str, Env] = {}
        self.expansions = 0
        self.max_chars = (limits.max_text_chars if limits else 2_000_000)

    def expand(self, src: str, depth: int = 0) -> str:
        if depth > MAX_EXPANSION_DEPTH:
            raise RejectedFile(f"a macro expands into itself more than {MAX_EXPANSION_DEPTH} times")
        out: list[str] = []
        size = 0
        i = 0
        n = len(src)
        while i < n:
            j = src.find("\\", i)
            if j < 0:
                out.append(src[i:])
                break
            out.append(src[i:j])
            m = CS.match(src, j)
            if m is None:  # a backslash at the very end
                out.append(src[j:])
                break
            name = m.group(1)
            k = m.end()
            if name in ("verb", "begin"):
                v = VERB_START.match(src, j)
                if v and (v.group("d") or v.group("env")):
                    stop = verbatim_end(src, v)
                    out.append(src[j:stop])
                    i = stop
                    continue
                env = read_braced(src, k)
                if env and env[0].strip() in self.envs:
                    piece, i = self._use_env(src, env[0].strip(), env[1])
                    out.append(self.expand(piece, depth + 1))
                    continue
            elif name == "end":
                env = read_braced(src, k)
                if env and env[0].strip() in self.envs:
                    out.append(self.expand(self.envs[env[0].strip()].end, depth + 1))
                    i = env[1]
                    continue
            if name in _DEFINERS:
                i = self._define(src, name, k)
                if i > k or name in {"def", "gdef", "edef", "xdef", "let"}:
                    continue
                out.append(src[j:k])
                i = k
                continue
            macro = self.macros.get(name)
            if macro is None:
                out.append(src[j:k])
                i = k
                continue
            args, i = self._read_args(src, k, macro)
            if args is None:  # the arguments are missing (end of text): leave it as written
                out.append(src[j:k])
                i = k
                continue
            self.expansions += 1
            if self.expansions > MAX_EXPANSIONS:
                raise RejectedFile(f"macros expand more than {MAX_EXPANSIONS:,} times")
            piece = self.expand(_substitute(macro.body, args), depth + 1)
            out.append(piece)
            if i < n and src[i].isalpha() and _ENDS_IN_WORD.search(piece[-40:]):
                out.append(" ")  # a control word must stay apart from the letters after it
            size += len(piece)
            if size > self.max_chars:
                raise RejectedFile(f"macros expand to more than {self.max_chars:,} characters")
        return "".join(out)

    def _read_args(self, src: str, i: int, macro: Macro | Env) -> tuple[list[str] | None, int]:
        args: list[str] = []
        count = macro.nargs
        if macro.default is not None and count:
            opt = read_bracketed(src, skip_spaces(src, i))
            if opt is not None:
                args.append(opt[0])
                i = opt[1]
            else:
                args.append(macro.default)
            count -= 1
        for _ in range(count):
            i = skip_spaces(src, i)
            if i >= len(src):
                return None, i
            if src[i] == "{":
                got = read_braced(src, i)
                if got is None:
                    return None, i
                args.append(got[0])
                i = got[1]
            elif src[i] == "\\":
                m = CS.match(src, i)
                if m is None:  # a backslash at the very end
                    return None, i
                args.append(m.group(0))
                i = m.end()
            elif src[i] in "}":
                return None, i
            else:
                args.append(src[i])
                i += 1
        return args, i

    def _use_env(self, src: str, name: str, after: int) -> tuple[str, int]:
        env = self.envs[name]
        args, i = self._read_args(src, after, env)
        if args is None:
            args, i = [], after
        return _substitute(env.begin, args), i

    def _define(self, src: str, name: str, k: int) -> int:
        """Record a definition starting after `\\name` at k; return where it ends (k if unreadable)."""
        i = k
        if name in {"def", "gdef", "edef", "xdef"}:
            m = CS.match(src, skip_spaces(src, i))
            if not m:
                return k
            target = m.group(1)
            params = re.match(r"(?:#\d)*", src[m.end():])
            after = m.end() + params.end()
            if after >= len(src) or src[after] != "{":
                # delimited parameters (\def\x#1.{...}) are not expanded: skip the definition
                got = find_braced_after(src, after)
                return got if got is not None else k
            body = read_braced(src, after)
            if body is None:
                return k
            self.macros[target] = Macro(len(params.group(0)) // 2, body[0])
            return body[1]
        if name == "let":
            m = re.compile(r"\s*\\([a-zA-Z@]+|.)\s*=?\s*\\([a-zA-Z@]+|.)").match(src, i)
            if not m:
                return k
            if m.group(2) in self.macros:
                self.macros[m.group(1)] = self.macros[m.group(2)]
            return m.end()
        star = src.startswith("*", i)
        if star:
            i += 1
        i = skip_spaces(src, i)
        if name in {"newenvironment", "renewenvironment"}:
            target = read_braced(src, i)
            if target is None:
                return k
            i = target[1]
            nargs, default, i = _read_arg_count(src, i)
            begin = read_braced(src, skip_spaces(src, i))
            if begin is None:
                return k
            end = read_braced(src, skip_spaces(src, begin[1]))
            if end is None:
                return k
            self.envs[target[0].strip()] = Env(nargs, begin[0], end[0], default)
            return end[1]
        # \newcommand{\name} or \newcommand\name
        if src.startswith("{", i):
            target = read_braced(src, i)
            if target is None:
                return k
            cs = CS.match(target[0].strip())
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
            self.macros[tname] = Macro(0, f"\\operatorname{{{body[0]}}}")
            return body[1]
        if name.endswith("DocumentCommand"):
            spec = read_braced(src, skip_spaces(src, i))
            if spec is None:
                return k
            kinds = re.findall(r"[mo]|O\{[^}]*\}", spec[0])
            body = read_braced(src, skip_spaces(src, spec[1]))
            if body is None:
                return k
            default = None
            if kinds and kinds[0] != "m":
                default = kinds[0][2:-1] if kinds[0].startswith("O") else ""
            if name != "ProvideDocumentCommand" or tname not in self.macros:
                self.macros[tname] = Macro(len(kinds), body[0], default)
            return body[1]
        nargs, default, i = _read_arg_count(src, i)
        body = read_braced(src, skip_spaces(src, i))
        if body is None:
            return k
        if name != "providecommand" or tname not in self.macros:
            self.macros[tname] = Macro(nargs, body[0], default)
        return body[1]


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


_ENDS_IN_WORD = re.compile(r"\\[a-zA-Z@]+$")


def _substitute(body: str, args: list[str]) -> str:
    """#1..#9 -> arguments, ## -> #. TeX tokenizes before substituting, so a control word before
    an argument that starts with a letter must stay apart from it: a space keeps them apart."""
    out: list[str] = []
    last = 0
    for m in re.finditer(r"##|#([1-9])", body):
        out.append(body[last:m.start()])
        if m.group(0) == "##":
            out.append("#")
        else:
            index = int(m.group(1)) - 1
            value = args[index] if index < len(args) else ""
            if value[:1].isalpha() and _ENDS_IN_WORD.search(body[max(0, m.start() - 40):m.start()]):
                out.append(" ")
            out.append(value)
        last = m.end()
    out.append(body[last:])
    return "".join(out)


def expand_macros(src: str, limits: Limits | None = None) -> str:
    return MacroExpander(limits).expand(src)
