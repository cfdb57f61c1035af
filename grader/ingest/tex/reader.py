"""The LaTeX reader: source -> Document, each stage in the order TeX itself would meet it."""

from __future__ import annotations

import re
import time
from functools import partial
from pathlib import Path

from grader.ingest.document import STRUCK_OUT, Document, GridFinding, HiddenText
from grader.ingest.grids import RGB, checkbox_options, heading_index, nearest_heading, parse_color, parse_color_spec
from grader.ingest.limits import Limits, RejectedFile
from grader.ingest.tex.catcodes import follow_catcodes
from grader.ingest.tex.grid_frames import caption, framed
from grader.ingest.tex.hidden import HiddenLog, HiddenRecord
from grader.ingest.tex.includes import IncludeState, exists_in_submission, included_by_main, resolve_includes
from grader.ingest.tex.macros import MacroExpander
from grader.ingest.tex.source import GRID_OPEN, MARKER, PRIVATE, marker_index, strip_comments
from grader.ingest.tex.visibility import WHITE
from grader.ingest.tex.walker import Walker
from grader.ingest.text import decode, students_from_text


_MARKER_PIECE = re.compile("[\ue000-\ue002\U000F0000-\U000FFFFD]")


def _finish_text(text: str) -> tuple[str, dict[int, int], dict[int, int]]:
    """Checkbox marks -> "[x] (b)", tidy whitespace, and grid and hidden-text anchors -> offsets."""
    text = checkbox_options(text)
    # LaTeX ignores indentation; a regex like [ \t]+\n would be quadratic on long runs of spaces
    text = "\n".join(line.strip(" \t") for line in text.split("\n"))
    # a line that only held hidden text joins the line before, so no blank lines are left behind
    text = re.sub(f"\n((?:{MARKER.pattern})+)(?=\n)", lambda m: m.group(1), text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
    offsets: dict[int, int] = {}
    hidden: dict[int, int] = {}
    out = []
    last = 0
    removed = 0
    for m in [*MARKER.finditer(text), None]:
        piece = text[last:m.start() if m else len(text)]
        kept = _MARKER_PIECE.sub("", piece)  # a marker cut apart is dropped, never shown
        out.append(kept)
        removed += len(piece) - len(kept)
        if m is None:
            break
        (offsets if m.group(1) == GRID_OPEN else hidden).setdefault(marker_index(m), m.start() - removed)
        removed += m.end() - m.start()
        last = m.end()
    return "".join(out), offsets, hidden


def _colors_defined(src: str) -> dict[str, RGB]:
    colors: dict[str, RGB] = {}
    for m in re.finditer(r"\\(definecolor|colorlet)\s*(?:\[[^\]]*\])?\s*\{([^}]*)\}\s*(?:\{([^}]*)\}\s*)?(?:\{([^}]*)\})?", src):
        name = m.group(2).strip()
        if m.group(1) == "definecolor" and m.group(3) is not None and m.group(4) is not None:
            rgb = parse_color_spec(m.group(3).strip(), m.group(4))
        else:
            rgb = parse_color(m.group(3) or "", colors)
        if rgb is not None:
            colors[name] = rgb
    return colors


def _students(walker: Walker, preamble_end: int, text: str) -> list[dict[str, str]]:
    """Students from \\author (one per \\and: name, student id, e-mail), else "Name:" lines."""
    src = walker.src
    m = re.search(r"\\author\s*(?:\[[^\]]*\])?\s*\{", src[:preamble_end]) if preamble_end else None
    m = m or re.search(r"\\author\s*(?:\[[^\]]*\])?\s*\{", src)
    found = []
    if m:
        close = walker.close_of(m.end() - 1, len(src))
        raw = src[m.end():close]
        for part in re.split(r"\\and\b|\\AND\b", raw):
            plain = _to_unicode(part)
            plain = re.sub(r"\\[a-zA-Z@]+\*?|[{}]", " ", plain)
            sid = re.search(r"\b\d{6,10}\b", plain)
            email = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", plain)
            # the name is what remains of the first line once ids, e-mails and labels are removed
            rest = plain
            for found_text in (sid.group(0) if sid else None, email.group(0) if email else None):
                if found_text:
                    rest = rest.replace(found_text, " ")
            rest = re.sub(r"(?i)\b(?:student\s*(?:id|number)|matricule|id|e-?mail|name|nom)\s*[:#]?", " ", rest)
            lines = [re.sub(r"[\s()\[\],;:]+", " ", ln).strip() for ln in rest.split("\n")]
            name = next((ln for ln in lines if re.search(r"[^\W\d_]", ln)), "")
            if name or sid:
                found.append({"name": name, "sid": sid.group(0) if sid else "",
                              "email": email.group(0) if email else ""})
    return found or students_from_text(text)


def _to_unicode(latex: str) -> str:
    """Accents in names (`Jos\\'e`) -> Unicode, with pylatexenc; the markup is left to the caller."""
    try:
        from pylatexenc.latex2text import LatexNodes2Text

        return LatexNodes2Text(keep_braced_groups=True).latex_to_text(latex.replace("\\\\", "\n"))
    except Exception:  # pylatexenc gives up on odd input; the raw text is still usable
        return latex


def read_tex(path: Path, limits: Limits, root: Path | None = None) -> list[Document]:
    root = root or path.parent
    raw = path.read_bytes()
    if len(raw) > limits.max_file_bytes:
        raise RejectedFile(f"{path.name} is {len(raw) / 1e6:.1f} MB, more than the "
                           f"{limits.max_file_bytes / 1e6:.0f} MB allowed")
    src, problems = decode(raw, path.name)
    if "\\documentclass" not in src and included_by_main(path, root):
        return []  # read as part of the main file that \input's it
    return [read_tex_source(src, path.name, limits, root=root, base=path.parent, problems=problems)]


def read_tex_source(src: str, name: str, limits: Limits, root: Path | None = None,
                    base: Path | None = None, problems: list[str] | None = None) -> Document:
    started = time.monotonic()
    problems = list(problems or [])
    if len(src) > limits.max_text_chars:
        raise RejectedFile(f"{name} has {len(src):,} characters, more than the {limits.max_text_chars:,} allowed")
    if not src.strip():
        raise RejectedFile(f"{name} is empty")
    src = strip_comments(PRIVATE.sub("", src))
    file_exists = None
    if root is not None:
        st = IncludeState(root, base or root, limits, problems)
        src = resolve_includes(src, st)
        file_exists = partial(exists_in_submission, st=st)
    begin = re.search(r"\\begin\s*\{document\}", src)
    log = HiddenLog(keeping=begin is None)  # the preamble's skipped branches are no student's answers
    src = follow_catcodes(src, log, begin.start() if begin else 0)
    expanded = MacroExpander(limits, log, file_exists).expand(src)
    log.keeping = True
    colors = _colors_defined(expanded)
    walker = Walker(expanded, colors, started, limits, log)
    begin = re.search(r"\\begin\s*\{document\}", expanded)
    if begin:
        end = re.search(r"\\end\s*\{document\}", expanded[begin.end():])
        body_start, body_end = begin.end(), begin.end() + end.start() if end else len(expanded)
        preamble = (0, begin.start())
    else:
        body_start, body_end = 0, len(expanded)
        preamble = (0, 0)
    walker.title, walker.author = _title_author(walker, preamble)
    _preamble_colours(walker, preamble[1])
    walker.emit(body_start, body_end)
    text, offsets, hidden_at = _finish_text("".join(walker.out))
    if len(text) > limits.max_text_chars:
        raise RejectedFile(f"{name} expands to more than {limits.max_text_chars:,} characters")
    grids = []
    headings = heading_index(text)
    for index, g in enumerate(walker.grids):
        if index not in offsets:
            continue  # the grid sat in hidden text
        offset = offsets[index]
        at = g.get("at", 0)
        grids.append(GridFinding(offset, g["cells"], g["method"], g["confidence"], g["note"],
                                 nearest_heading(text, offset, headings), None, g["labels"],
                                 framed=framed(expanded, at), caption=caption(expanded, at)))
    hidden = [HiddenText(_shown(record, colors, started, limits), record.reason, None, hidden_at.get(k),
                         record.unsure)
              for k, record in enumerate(log.records) if not record.cancelled and record.text.strip()]
    hidden = _at_most(MAX_HIDDEN, [h for h in hidden if h.text])
    if any(not h.unsure and h.reason != STRUCK_OUT for h in hidden):
        reasons = sorted({h.reason.split(" (")[0] for h in hidden if not h.unsure and h.reason != STRUCK_OUT})
        problems.append(f"{name} holds text a reader cannot see ({'; '.join(reasons[:4])}); it was not graded")
    if any(h.reason == STRUCK_OUT for h in hidden):
        problems.append(f"{name} has struck-out text; what is struck out is not an answer, and was not graded")
    if any(h.unsure for h in hidden):
        problems.append(f"{name} holds text the reader cannot tell whether TeX shows; it was not graded, and a TA "
                        "reads the parts that hold it")
    return Document(source=name, kind="tex", text=text, grids=grids, hidden=hidden, problems=problems,
                    students=_students(walker, preamble[1], text))


MAX_HIDDEN = 300  # certain hidden passages reported one by one; the unsure ones are all kept


def _at_most(count: int, hidden: list[HiddenText]) -> list[HiddenText]:
    certain = [h for h in hidden if not h.unsure]
    if len(certain) <= count:
        return hidden
    dropped = certain[count:]
    kept = set(map(id, certain[:count]))
    summary = HiddenText(f"{len(dropped)} more passages", "more text TeX does not show", None, dropped[0].offset)
    return [h for h in hidden if h.unsure or id(h) in kept] + [summary]


_COLOUR_SETTING = re.compile(r"\\(color|pagecolor)\s*(?:\[([^\]]*)\])?\s*\{([^{}]*)\}|\\nopagecolor\b")


def _preamble_colours(walker: Walker, preamble_end: int) -> None:
    """`\\color{white}` or `\\pagecolor{black}` in the preamble (or its \\AtBeginDocument) sets the
    whole document's ink or page."""
    src = walker.src
    groups = [(start, close) for start, close in walker.braces.items() if close < preamble_end]
    at_begin = {m.end() - 1 for m in re.finditer(r"\\AtBeginDocument\s*\{", src[:preamble_end])}
    for m in _COLOUR_SETTING.finditer(src, 0, preamble_end):
        enclosing = [start for start, close in groups if start < m.start() < close]
        if any(start not in at_begin for start in enclosing):
            continue  # inside a group of its own: it ends there
        if m.group(0).startswith("\\nopagecolor"):
            walker.page = WHITE
            continue
        rgb = parse_color_spec(m.group(2), m.group(3)) if m.group(2) else parse_color(m.group(3), walker.colors)
        if rgb is not None:
            setattr(walker, "ink" if m.group(1) == "color" else "page", rgb)
    walker.recolour()


def _shown(record: HiddenRecord, colors: dict[str, RGB], started: float, limits: Limits) -> str:
    """A hidden record's text as a reader would read it: LaTeX source is walked like the document."""
    text = record.text
    if record.latex:
        try:
            walker = Walker(text, colors, started, limits, HiddenLog(keeping=False))
            walker.emit(0, len(text))
            text = "".join(walker.out)
        except RejectedFile:
            pass
    return " ".join(PRIVATE.sub("", text).split())[:300]


def _title_author(walker: Walker, preamble: tuple[int, int]) -> tuple[str | None, str | None]:
    out = []
    for macro in ("title", "author"):
        m = None
        for m in re.finditer(r"\\" + macro + r"\s*(?:\[[^\]]*\])?\s*\{", walker.src[:preamble[1]] if preamble[1] else ""):
            pass
        if m is None:
            out.append(None)
            continue
        open_at = m.end() - 1
        close = walker.close_of(open_at, len(walker.src))
        text = walker.capture(open_at + 1, close)
        text = re.sub(r"\\and\b", ",", text)
        out.append(" ".join(PRIVATE.sub("", text).split()) or None)
    return out[0], out[1]
