"""The expander: the student's own macros and environments expanded, and the text TeX does not read
left out, with caps against macros that never end.

Definitions are read in order (definitions.py); a use is replaced by its body with the arguments
substituted, and the result expanded again. Conditionals are read as TeX reads them: a conditional
opens, the branch TeX reads is expanded, a branch it skips is written to the hidden-text log
(hidden.py) with a marker where it was, and the skipping goes on across macro bodies until the
matching \\fi, counting the conditionals met on the way. What a condition is comes from
conditionals.py; a condition the reader cannot know makes every branch "unsure".

Also left out, and logged: comment environments (comment, `\\excludecomment`, versions), the body of an
environment that drops it (environ without `\\BODY`, xparse without its "b" argument), the argument
a macro drops (`\\newcommand\\hide[1]{}`, `\\let\\hide\\@gobble`, `\\def\\hide#1\\endhide{}`), and the
uses of a macro defined in a branch the reader could not decide.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from grader.ingest.limits import Limits, RejectedFile
from grader.ingest.tex import conditionals
from grader.ingest.tex.arguments import (ENDS_IN_WORD, after_word, braced_next, env_end, read_arg, read_args,
                                         substitute)
from grader.ingest.tex.definitions import DEFINERS, Definitions, Macro
from grader.ingest.tex.hidden import HiddenLog, HiddenRecord
from grader.ingest.tex.source import CS, VERB_START, read_braced, skip_spaces, verbatim_end

MAX_EXPANSIONS = 50_000
MAX_EXPANSION_DEPTH = 60
MAX_OPEN_CONDITIONALS = 200
_CS_NAME = re.compile(r"\\([a-zA-Z@]+)")
_BRACE = re.compile(r"[{}]")
_BODY = re.compile(r"\\BODY(?![a-zA-Z@])")


@dataclass
class _Conditional:
    """A conditional TeX has opened and not yet closed."""

    value: bool | int | None  # \ifcase: the case number; None: the reader cannot know
    what: str  # "\\ifnum on a number the reader cannot know", for the reports
    case: bool = False
    branch: int = 0  # which branch the text is in: 0, 1 after an \or ..., -1 after \else
    done: bool = False  # a branch was read already (\ifcase)
    skipping: bool = False
    nested: int = 0  # conditionals opened inside the skipped text
    record: HiddenRecord | None = None
    undecided_text: str = ""  # what an undecided branch holds: its definitions become uncertain

    def reads(self, branch: int) -> bool | None:
        """Whether TeX reads this branch (None: unknown)."""
        if self.value is None:
            return None
        if self.case:
            return self.value == branch if branch >= 0 else not self.done
        return bool(self.value) == (branch == 0)


class MacroExpander(Definitions):
    """Expands user-defined macros and environments, TeX-style, and leaves out what TeX does not read."""

    def __init__(self, limits: Limits | None = None, log: HiddenLog | None = None,
                 file_exists: Callable[[str], bool] | None = None):
        super().__init__()
        self.expansions = 0
        self.max_chars = (limits.max_text_chars if limits else 2_000_000)
        self.log = log if log is not None else HiddenLog()
        self.file_exists = file_exists or (lambda name: False)
        self.conds: list[_Conditional] = []
        self.unfinished: str | None = None  # a macro at the end of a body that needs the text after it
        self.spliced = 0
        self.size = 0
        self.started = time.monotonic()
        self.seconds = limits.parse_seconds if limits else 20.0

    # -- the loop -------------------------------------------------------------------------------------

    def expand(self, src: str, depth: int = 0) -> str:
        if depth > MAX_EXPANSION_DEPTH:
            raise RejectedFile(f"a macro expands into itself more than {MAX_EXPANSION_DEPTH} times")
        out: list[str] = []
        i = 0
        n = len(src)
        while i < n:
            if self.conds and self.conds[-1].skipping:
                i = self._skip(src, i, out)
                continue
            j = src.find("\\", i)
            if j < 0:
                self._text(src[i:], out)
                break
            self._text(src[i:j], out)
            m = CS.match(src, j)
            if m is None:  # a backslash at the very end
                out.append(src[j:])
                break
            i = self._control(src, j, m.group(1), m.end(), depth, out)
            if self.unfinished is not None and (depth == 0 or i < n):
                # a macro at the end of a body took the text that follows it: read on from there
                src = self.unfinished + src[i:]
                self.unfinished = None
                self.spliced += len(src)
                if self.spliced > 20 * self.max_chars:
                    raise RejectedFile("macros re-read the text too many times")
                i, n = 0, len(src)
        return "".join(out)

    def expand_text(self, text: str) -> str:
        """A small text expanded for a test (\\equal): nothing is logged."""
        keeping, self.log.keeping = self.log.keeping, False
        conds, self.conds = self.conds, []
        try:
            return self.expand(text, MAX_EXPANSION_DEPTH - 2)
        except RejectedFile:
            return text
        finally:
            self.log.keeping, self.conds = keeping, conds
            self.unfinished = None

    def _text(self, text: str, out: list[str]) -> None:
        if not text:
            return
        out.append(text)
        if "{" in text or "}" in text:
            for brace in _BRACE.findall(text):
                self.open_group() if brace == "{" else self.close_group()

    def _control(self, src: str, j: int, name: str, k: int, depth: int, out: list[str]) -> int:
        """Read the control sequence `\\name` (src[j:k]); where the text goes on."""
        if name in ("verb", "begin", "end"):
            return self._environment_edge(src, j, name, k, depth, out)
        if name in ("fi", "else", "or") or self.lets.get(name) in ("fi", "else", "or"):
            self._branch_end(self.lets.get(name, name), out)
            return after_word(src, k)
        if name == "unless" or conditionals.is_conditional(name, self):
            if conditionals.is_known_conditional(name, self):
                return self._open_conditional(src, j, name, k, out)
            # a package's \ifsomething: its branches in braces (babel's \iflanguage{..}{..}{..}), or up
            # to a \fi; with neither it is some other macro, left as written
            if braced_next(src, k):
                return self._branch_macro(src, j, name, k, depth, out)
            fis = _fi_positions(src)
            if bisect.bisect_left(fis, k) < len(fis):
                return self._open_conditional(src, j, name, k, out)
            out.append(src[j:k])
            return k
        if name in conditionals.BRANCH_MACROS or conditionals.UNKNOWN_TEST.search(name):
            return self._branch_macro(src, j, name, k, depth, out)
        if name in DEFINERS:
            i = self.define(src, name, k)
            if i > k or name in {"def", "gdef", "edef", "xdef", "let"}:
                return i
            out.append(src[j:k])
            return k
        if self.set_flag(name):
            return k
        if name == "global":
            self.global_next = True
            return k
        if name in ("begingroup", "bgroup", "endgroup", "egroup"):
            self.open_group() if name in ("begingroup", "bgroup") else self.close_group()
            out.append(src[j:k])
            return k
        if name == "comment":  # \comment ... \endcomment
            end = src.find("\\endcomment", k)
            stop = len(src) if end < 0 else end + len("\\endcomment")
            out.append(self.log.add(src[k:stop - (len("\\endcomment") if end >= 0 else 0)],
                                    "in a comment (\\comment)", latex=True))
            return stop
        if name == "csname":  # \csname hide\endcsname is \hide
            m = re.compile(r"\s*([a-zA-Z@]+)\s*\\endcsname").match(src, k)
            if m and (m.group(1) in self.macros or m.group(1) in self.uncertain):
                src2 = f"\\{m.group(1)}" + src[m.end():]
                self.unfinished = src2
                return len(src)
        if name in self.uncertain:
            return self._uncertain_use(src, j, name, k, out)
        macro = self.macros.get(name)
        if macro is None:
            out.append(src[j:k])
            return k
        args, i = read_args(src, k, macro)
        if args is None:
            if depth > 0 and skip_spaces(src, k) >= len(src):
                self.unfinished = src[j:]  # its arguments follow the body it ends: read on there
                return len(src)
            out.append(src[j:k])  # the arguments are missing: leave it as written
            return k
        self._count(1)
        body, used = substitute(macro.body, args)
        for index, arg in enumerate(args):
            given = not (index == 0 and arg is macro.default)  # a default left unused is no hidden text
            if index + 1 not in used and arg.strip() and given:
                out.append(self.log.add(arg, f"dropped by {_display(name)}, which does not print its argument",
                                        latex=True))
        piece = self.expand(body, depth + 1)
        self._output(piece, src, i, out)
        return i

    def _output(self, piece: str, src: str, i: int, out: list[str]) -> None:
        out.append(piece)
        if i < len(src) and src[i].isalpha() and ENDS_IN_WORD.search(piece[-40:]):
            out.append(" ")  # a control word must stay apart from the letters after it
        self.size += len(piece)
        if self.size > self.max_chars:
            raise RejectedFile(f"macros expand to more than {self.max_chars:,} characters")

    def _count(self, n: int) -> None:
        self.expansions += n
        if self.expansions > MAX_EXPANSIONS:
            raise RejectedFile(f"macros expand more than {MAX_EXPANSIONS:,} times")
        if self.expansions % 500 == 0 and time.monotonic() - self.started > self.seconds:
            raise RejectedFile(f"reading this LaTeX file took longer than {self.seconds:g} s")

    # -- arguments -------------------------------------------------------------------------------------

    # -- environments ----------------------------------------------------------------------------------

    def _environment_edge(self, src: str, j: int, name: str, k: int, depth: int, out: list[str]) -> int:
        got = read_braced(src, k)
        env = got[0].strip() if got else ""
        if name == "begin" and env in self.comment_envs:
            stop, after = env_end(src, env, got[1])
            out.append(self.log.add(src[got[1]:stop], f"in a {env} environment, which LaTeX leaves out", latex=True))
            return after
        if name in ("verb", "begin"):
            v = VERB_START.match(src, j)
            if v and (v.group("d") or v.group("env")):
                stop = verbatim_end(src, v)
                out.append(src[j:stop])
                return stop
        if got is None:
            out.append(src[j:k])
            return k
        if env == "document":
            if name == "begin":
                self.log.keeping = True
            out.append(src[j:got[1]])
            return got[1]
        if name == "begin" and env in self.uncertain_envs:
            stop, after = env_end(src, env, got[1])
            out.append(self.log.add(src[j:after], f"the {env} environment is defined in a branch the reader "
                                                  "cannot decide", unsure=True, latex=True))
            return after
        user = self.envs.get(env)
        if name == "end":
            if user is not None and user.body is None:
                piece = self.expand(user.end, depth + 1)
                self._output(piece, src, got[1], out)
            else:
                out.append(src[j:got[1]])
            self.close_group()
            return got[1]
        self.open_group()
        if user is None:
            out.append(src[j:got[1]])
            return got[1]
        args, i = read_args(src, got[1], user)
        if args is None:
            args, i = [], got[1]
        self._count(1)
        if user.body is None:
            body, _ = substitute(user.begin, args)
            self._output(self.expand(body, depth + 1), src, i, out)
            return i
        # the environment takes its body: the whole of it, up to its \end
        stop, after = env_end(src, env, i)
        text = src[i:stop]
        code = user.begin + user.end
        if user.body == "\\BODY":
            body, _ = substitute(code, args)
            used = bool(_BODY.search(body))
            body = _BODY.sub(lambda _m: text, body)
        else:
            position = int(user.body[1:]) - 1
            body, used_args = substitute(code, args[:position] + [text] + args[position:])
            used = position + 1 in used_args
        if not used and text.strip():
            out.append(self.log.add(text, f"in a {env} environment, which does not print its body", latex=True))
        self._output(self.expand(body, depth + 1), src, after, out)
        self.close_group()
        return after

    # -- conditionals ----------------------------------------------------------------------------------

    def _open_conditional(self, src: str, j: int, name: str, k: int, out: list[str]) -> int:
        negate = False
        if name == "unless":
            m = _CS_NAME.match(src, skip_spaces(src, k))
            if m is None or not conditionals.is_conditional(m.group(1), self):
                return k
            negate, name, k = True, m.group(1), m.end()
        value, i, what = conditionals.evaluate(name, src, k, self)
        case = self.lets.get(name, name) == "ifcase"
        if negate:
            value = None if value is None or case else not value
            what = f"\\unless{what}"
        if len(self.conds) >= MAX_OPEN_CONDITIONALS:
            raise RejectedFile(f"more than {MAX_OPEN_CONDITIONALS} conditionals are open at once")
        cond = _Conditional(value, what, case)
        self.conds.append(cond)
        if cond.reads(0) is True:
            cond.done = True
        else:
            self._start_skipping(cond, out)
        return after_word(src, i) if ENDS_IN_WORD.search(src[j:i]) else i

    def _start_skipping(self, cond: _Conditional, out: list[str]) -> None:
        cond.skipping = True
        unsure = cond.value is None
        reason = (f"in a conditional the reader cannot decide ({cond.what}): a TA reads it" if unsure
                  else f"in a branch TeX skips ({cond.what})")
        cond.record, mark = self.log.open(reason, unsure=unsure, latex=True)
        out.append(mark)

    def _skipped(self, cond: _Conditional, text: str) -> None:
        self.log.extend(cond.record, text)
        if cond.value is None and len(cond.undecided_text) < 100_000:
            cond.undecided_text += text

    def _stop_skipping(self, cond: _Conditional) -> None:
        cond.skipping = False
        if cond.value is None:
            self.taint(cond.undecided_text)  # also in the preamble, where nothing is logged
            cond.undecided_text = ""
        cond.record = None

    def _branch_end(self, token: str, out: list[str]) -> None:
        """\\else, \\or or \\fi met in a branch TeX reads: the other branches are skipped."""
        if not self.conds or (token == "or" and not self.conds[-1].case):
            return  # a stray one
        cond = self.conds[-1]
        if token == "fi":
            self.conds.pop()
            return
        cond.branch = -1 if token == "else" else cond.branch + 1
        cond.done = True
        self._start_skipping(cond, out)

    def _skip(self, src: str, i: int, out: list[str]) -> int:
        """Text TeX skips: up to the \\else, \\or or \\fi that ends the branch, counting the
        conditionals opened on the way (macros are not expanded here, as in TeX)."""
        cond = self.conds[-1]
        for m in _CS_NAME.finditer(src, i):
            name = m.group(1)
            token = self.lets.get(name, name)
            if token == "fi":
                if cond.nested:
                    cond.nested -= 1
                    continue
            elif token in ("else", "or"):
                if cond.nested or (token == "or" and not cond.case):
                    continue
            elif name != "unless" and conditionals.is_conditional(name, self) and (
                    conditionals.is_known_conditional(name, self) or not braced_next(src, m.end())):
                cond.nested += 1
                continue
            else:
                continue
            self._skipped(cond, src[i:m.start()])
            self._stop_skipping(cond)
            if token == "fi":
                self.conds.pop()
            else:
                cond.branch = -1 if token == "else" else cond.branch + 1
                if cond.reads(cond.branch) is True:
                    cond.done = True
                else:
                    self._start_skipping(cond, out)
            return after_word(src, m.end())
        self._skipped(cond, src[i:])
        return len(src)

    def _branch_macro(self, src: str, j: int, name: str, k: int, depth: int, out: list[str]) -> int:
        """\\ifthenelse{test}{yes}{no} and its kin: the branch the test picks is read; the other is
        logged (both, as unsure, when the test cannot be known)."""
        known = conditionals.BRANCH_MACROS.get(name)
        if known is None:  # an expl3-style test the reader does not know: take the braced groups that follow
            test = None
            groups: list[str] = []
            i = k
            while len(groups) < 6 and (got := read_arg(src, i)) is not None and src[skip_spaces(src, i)] == "{":
                groups.append(got[0])
                i = got[1]
            shape = "TF" if name.endswith("TF") or len(groups) > 2 else ("T" if name.endswith("T") else "F")
            branches = groups[-len(shape):] if len(groups) >= len(shape) else groups
            args: list[str] = []
        else:
            count, test, shape = known
            args, i = read_args(src, k, Macro(count + len(shape), ""))
            if args is None:
                if depth > 0 and skip_spaces(src, k) >= len(src):
                    self.unfinished = src[j:]
                    return len(src)
                out.append(src[j:k])
                return k
            args, branches = args[:count], args[count:]
        self._count(1)
        value = test(args, self) if test is not None else None
        what = f"\\{name}"
        for branch_shape, text in zip(shape, branches):
            reads = None if value is None else (value if branch_shape == "T" else not value)
            if reads:
                self._output(self.expand(text, depth + 1), src, i, out)
            elif reads is None:
                out.append(self.log.add(text, f"in a conditional the reader cannot decide ({what}): a TA reads it",
                                        unsure=True, latex=True))
                self.taint(text)
            else:
                out.append(self.log.add(text, f"in a branch TeX skips ({what})", latex=True))
        return i

    def _uncertain_use(self, src: str, j: int, name: str, k: int, out: list[str]) -> int:
        """A macro defined in a branch the reader could not decide: what it prints is unknown."""
        macro = self.macros.get(name)
        i = k
        if macro is not None:
            args, end = read_args(src, k, macro)
            i = end if args is not None else k
        else:  # no certain definition: its arguments are the groups that follow
            while (got := read_arg(src, i)) is not None and src[skip_spaces(src, i)] in "{[":
                i = got[1]
        out.append(self.log.add(src[j:i], f"\\{name} is defined in a branch the reader cannot decide: a TA "
                                          "reads it", unsure=True, latex=True))
        return i


@lru_cache(maxsize=64)
def _fi_positions(src: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\\fi(?![a-zA-Z@])", src)]


def _display(name: str) -> str:
    """How a report names a macro: `\\hide`, or the active character `|` (catcodes.py)."""
    m = re.fullmatch(r"@active([a-p]+)", name)
    if m:
        return "the active character " + repr(chr(int("".join(f"{ord(c) - 97:x}" for c in m.group(1)), 16)))
    return f"\\{name}"


def expand_macros(src: str, limits: Limits | None = None) -> str:
    return MacroExpander(limits).expand(src)
