"""`\\input`/`\\include`/`\\usepackage{<local .sty>}` spliced in, for files inside the submission
folder only (never `..` or absolute paths), with depth and size caps. A file `\\includeonly` leaves
out is spliced inside `\\iffalse ... \\fi` (hidden text: TeX does not read it);
`\\InputIfFileExists{f}{yes}{no}` becomes `\\IfFileExists{f}{<f> yes}{no}`, decided by the expander."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from grader.ingest.limits import Limits, RejectedFile
from grader.ingest.tex.source import PRIVATE, strip_comments, verbatim_regions
from grader.ingest.text import decode

MAX_INCLUDE_DEPTH = 8
MAX_INCLUDES = 200

_GROUP = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_INCLUDE = re.compile(
    rf"\\InputIfFileExists\s*\{{(?P<maybe>[^{{}}\n]*)\}}\s*(?P<yes>{_GROUP})\s*(?P<no>{_GROUP})"
    r"|\\(?P<cmd>input|include|subfile|InputIfFileExists)\s*\{(?P<arg>[^{}\n]*)\}"
    r"|\\(?P<pkg>usepackage|RequirePackage)\s*(?:\[[^\]]*\])?\s*\{(?P<pkgs>[^{}]*)\}"
    r"|\\input\s+(?P<bare>[^\s{}\\]+)")


@dataclass
class IncludeState:
    root: Path
    base: Path
    limits: Limits
    problems: list[str]
    count: int = 0
    size: int = 0
    only: frozenset[str] | None = None  # \includeonly's list


def exists_in_submission(name: str, st: IncludeState) -> bool:
    """\\IfFileExists: whether TeX would find the file among the submission's own."""
    return _safe_file(name, replace(st, problems=[]), ("", ".tex")) is not None


def _safe_file(name: str, st: IncludeState, suffixes: tuple[str, ...]) -> Path | None:
    """The file `name` refers to, if it lies inside the submission; otherwise None (noted)."""
    name = name.strip().strip('"')
    if not name:
        return None
    if name.startswith(("/", "\\", "~")) or re.match(r"^[a-zA-Z]:", name) or ".." in Path(name).parts:
        st.problems.append(f"\\input{{{name}}} points outside the submission folder; it was not read")
        return None
    root = st.root.resolve()
    for suffix in suffixes:
        candidate = st.base / (name + suffix)
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            continue
        if not resolved.is_relative_to(root):
            st.problems.append(f"{name} points outside the submission folder; it was not read")
            return None
        if resolved.is_file():
            return resolved
    return None


def resolve_includes(src: str, st: IncludeState, depth: int = 0, stack: tuple[Path, ...] = ()) -> str:
    """Splice \\input/\\include files and local packages into the (comment-stripped) source."""

    if st.only is None:
        only = re.search(r"\\includeonly\s*\{([^{}]*)\}", src)
        if only:
            st.only = frozenset(n.strip() for n in only.group(1).split(","))

    def splice(m: re.Match) -> str:
        if m.group("maybe") is not None:
            path = _safe_file(m.group("maybe"), st, ("", ".tex"))
            content = load(path, f"\\InputIfFileExists{{{m.group('maybe').strip()}}}") if path else ""
            return f"\\IfFileExists{{{m.group('maybe')}}}{{{content}{m.group('yes')[1:-1]}}}{m.group('no')}"
        if m.group("pkg"):
            kept = []
            spliced = []
            for pkg in (p.strip() for p in m.group("pkgs").split(",")):
                if not pkg:
                    continue
                path = _safe_file(pkg, st, (".sty",)) if re.fullmatch(r"[\w\-./]+", pkg) else None
                if path is None:
                    kept.append(pkg)
                else:
                    spliced.append(load(path, f"\\usepackage{{{pkg}}}"))
            head = f"\\{m.group('pkg')}{{{','.join(kept)}}}" if kept else ""
            return head + "\n".join(spliced)
        name = m.group("arg") if m.group("cmd") else m.group("bare")
        path = _safe_file(name, st, ("", ".tex"))
        if path is None:
            if not any(name.strip() in p for p in st.problems):
                st.problems.append(f"\\input{{{name.strip()}}}: no such file in the submission")
            return ""
        content = load(path, f"\\input{{{name.strip()}}}")
        if m.group("cmd") == "include" and st.only is not None and name.strip() not in st.only:
            return f"\\iffalse{content}\\fi "  # \includeonly leaves it out
        return content

    def load(path: Path, what: str) -> str:
        if depth + 1 > MAX_INCLUDE_DEPTH or path in stack:
            st.problems.append(f"{what} is nested too deeply (or includes itself); it was not read")
            return ""
        st.count += 1
        if st.count > MAX_INCLUDES:
            raise RejectedFile(f"more than {MAX_INCLUDES} files are \\input")
        raw = path.read_bytes()
        st.size += len(raw)
        if st.size > st.limits.max_text_chars:
            raise RejectedFile(f"the LaTeX sources together are larger than {st.limits.max_text_chars:,} characters")
        text, problems = decode(raw, path.name)
        st.problems.extend(problems)
        text = strip_comments(PRIVATE.sub("", text))
        return resolve_includes(text, st, depth + 1, stack + (path,)) + "\n"

    return _outside_verbatim(src, _INCLUDE, splice)


def _outside_verbatim(src: str, pattern: re.Pattern, repl) -> str:
    out = []
    last = 0
    for start, stop in verbatim_regions(src) + [(len(src), len(src))]:
        out.append(pattern.sub(repl, src[last:start]))
        out.append(src[start:stop])
        last = stop
    return "".join(out)


def included_by_main(path: Path, root: Path) -> str | None:
    """The main file (with \\documentclass) in the submission that \\input's `path`, if any."""
    try:
        candidates = sorted(p for p in root.rglob("*.tex") if p != path)[:50]
    except OSError:
        return None
    pattern = re.compile(r"\\(?:input|include|subfile)\s*\{\s*(?:[^{}]*/)?" + re.escape(path.stem)
                         + r"(?:\.tex)?\s*\}")
    for other in candidates:
        try:
            head = other.read_bytes()[:200_000].decode("utf-8", "replace")
        except OSError:
            continue
        if "\\documentclass" in head and pattern.search(head):
            return other.name
    return None
