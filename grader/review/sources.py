"""The student's own files, read and rendered in a child process with time and memory limits.

A submission is hostile until read: reading it again (for the text around each answer) and
rendering a PDF page (PyMuPDF) run in a separate process, so a file that hangs or crashes the
PDF library costs one screen its picture, never the server. A call that runs past its time is
killed and the process replaced.

Which page shows a part's answer: the part's `where` in result.json when the grader recorded it,
else the page of a grid read from the PDF, else the first page whose text holds the answer's
opening words, else the first page.
"""

from __future__ import annotations

import multiprocessing as mp
import re
import threading
from pathlib import Path
from typing import Any

from grader.ingest.limits import DEFAULT_LIMITS

PAGE_WIDTH_PX = 1100  # a rendered page is this wide at most
PAGE_PIXELS = 1100 * 3000  # and never more pixels than this (a hostile page can be 5 m tall)
MEMORY_BYTES = 2 * 1024 ** 3


# ---------------------------------------------------------------- in the child process

_RUBRICS: dict[str, Any] = {}


def read_parts(folder: str, files: list[str], rubric_path: str) -> dict[str, dict[str, Any]]:
    """Per part: the text of the answer region as segmented, the file it came from, grid pages."""
    from grader.ingest.submission import Submission, read_submission
    from grader.pipeline import fragments_for
    from grader.rubric import load_rubric

    if rubric_path not in _RUBRICS:
        _RUBRICS[rubric_path] = load_rubric(rubric_path)
    rubric = _RUBRICS[rubric_path]
    root = Path(folder)
    sub = Submission(root.name, [root / f for f in files], root)
    docs, _ = read_submission(sub, DEFAULT_LIMITS)
    out = {}
    for part_id, fragment in fragments_for(docs, rubric).items():
        text = fragment.text if fragment.text.strip() else (
            fragment.structured if isinstance(fragment.structured, str) else "")
        out[part_id] = {"text": text[:20000], "source": fragment.source, "how": fragment.how,
                        "grid_pages": sorted({g.page for g in fragment.grids if g.page})}
    return out


def _search_phrases(text: str) -> list[str]:
    """A few runs of plain words from the answer, which a PDF's text layer is likely to hold as they are:
    its first line (a heading such as '3.4 (a)'), then runs of four words or more between formulas."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    phrases = [lines[0][:60]] if lines and len(lines[0]) >= 2 else []
    for line in lines:
        for run in re.split(r"\$[^$]*\$|\\[a-zA-Z]+|[{}_^=()\[\]|$\\]", line):
            words = run.split()
            if len(words) >= 4 and all(re.fullmatch(r"[A-Za-zÀ-ÿ'’,.;:-]+", w) for w in words):
                phrases.append(" ".join(words[:7]).rstrip(",.;:"))
                break
        if len(phrases) >= 5:
            break
    return phrases


def render_page(path: str, page: int | None, bbox: list[float] | None, text: str) -> dict[str, Any]:
    """A PNG of the page holding the answer (1-based `page`, or found from `text`), cropped around
    `bbox`, or else around the first place the answer's words are found on the page."""
    import pymupdf

    with pymupdf.open(path) as doc:
        if doc.needs_pass:
            raise ValueError("the PDF is encrypted")
        count = doc.page_count
        number = page if page and 1 <= page <= count else None
        how = "where the grader found the answer" if number else ""
        phrases = _search_phrases(text)
        anchor = None
        pages = [number - 1] if number else range(min(count, DEFAULT_LIMITS.max_pages))
        for phrase in phrases:  # the most specific first: the part's own heading
            for pno in pages:
                hits = doc[pno].search_for(phrase)
                if hits:
                    number, anchor = pno + 1, hits[0]
                    how = how or "the page holding the answer's words"
                    break
            if anchor is not None:
                break
        if number is None:
            number, how = 1, "first page (the answer's place was not found)"
        pg = doc[number - 1]
        rect = pg.rect
        clip = None
        if bbox and len(bbox) == 4:
            x0, y0, x1, y1 = (float(v) for v in bbox)
            clip = pymupdf.Rect(rect.x0, max(rect.y0, y0 - 40), rect.x1, min(rect.y1, y1 + 40))
        elif anchor is not None:  # from the answer's first words down, about half a page
            clip = pymupdf.Rect(rect.x0, max(rect.y0, anchor.y0 - 14), rect.x1,
                                min(rect.y1, anchor.y0 + 0.5 * rect.height))
        if clip is not None and clip.is_empty:
            clip = None
        area = clip or rect
        zoom = min(PAGE_WIDTH_PX / max(area.width, 1), (PAGE_PIXELS / max(area.width * area.height, 1)) ** 0.5, 3.0)
        pix = pg.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=clip, alpha=False)
        return {"png": pix.tobytes("png"), "page": number, "pages": count, "how": how}


def _child(conn) -> None:
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(MEMORY_BYTES, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, ValueError, OSError):
        pass
    calls = {"read_parts": read_parts, "render_page": render_page, "warm": warm}
    while True:
        try:
            name, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = ("ok", calls[name](*args))
        except Exception as exc:  # the file's problem, reported to the screen that asked
            answer = ("error", f"{type(exc).__name__}: {str(exc)[:200]}")
        try:
            conn.send(answer)
        except OSError:  # the server went away
            return


def warm(rubric_path: str) -> None:
    """Import the readers and load the rubric now, so that the first screen does not wait for them."""
    import pymupdf  # noqa: F401

    import grader.pipeline  # noqa: F401
    from grader.rubric import load_rubric

    _RUBRICS.setdefault(rubric_path, load_rubric(rubric_path))


# ---------------------------------------------------------------- in the server

class SourceError(Exception):
    pass


class Sandbox:
    """One child process, one call at a time; a call past its time limit kills and replaces it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._proc = None
        self._conn = None

    def _start(self) -> None:
        # The server runs threads: never fork it. A fork server (started once, with the readers
        # imported) forks a fresh child in milliseconds, where spawning one imports everything again.
        ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(["grader.review.sources", "grader.pipeline", "pymupdf"])
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_child, args=(child,), daemon=True)
        self._proc.start()
        child.close()

    def call(self, name: str, *args, timeout: float = 30.0) -> Any:
        with self._lock:
            if self._proc is None or not self._proc.is_alive():
                self._start()
            self._conn.send((name, args))
            if not self._conn.poll(timeout):
                self._kill()
                raise SourceError(f"took longer than {timeout:g} s and was stopped")
            try:
                status, value = self._conn.recv()
            except (EOFError, OSError):
                self._kill()
                raise SourceError("the reader stopped while reading the file") from None
        if status != "ok":
            raise SourceError(value)
        return value

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        with self._lock:
            self._kill()


class Sources:
    """What the screens need from the student's files, cached: the parts' text, and page pictures."""

    def __init__(self, rubric_path: Path):
        self.rubric_path = str(rubric_path)
        self.interactive = Sandbox()  # the screen a TA is looking at
        self.background = Sandbox()  # reading ahead the next screens, never in the TA's way
        self._parts: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
        self._pages: dict[tuple, dict[str, Any]] = {}
        self._ahead = threading.Thread()

    def warm(self) -> None:
        """Start both child processes in the background (each takes a second to import the readers)."""
        def run(sandbox: Sandbox) -> None:
            try:
                sandbox.call("warm", self.rubric_path, timeout=60)
            except SourceError:
                pass  # started again on the first real call

        for sandbox in (self.interactive, self.background):
            threading.Thread(target=run, args=(sandbox,), daemon=True).start()

    def parts(self, folder: Path, files: list[str]) -> dict[str, Any]:
        cache_key = (str(folder), tuple(files))
        if cache_key not in self._parts:
            try:
                self._parts[cache_key] = self.interactive.call("read_parts", str(folder), files, self.rubric_path,
                                                               timeout=60)
            except SourceError as exc:
                self._parts[cache_key] = {"error": str(exc)}
        return self._parts[cache_key]

    def read_ahead(self, folders: list[tuple[Path, list[str]]]) -> None:
        """Read the next screens' submissions in the background (one thread at a time)."""
        todo = [(f, files) for f, files in folders if (str(f), tuple(files)) not in self._parts]
        if not todo or self._ahead.is_alive():
            return

        def run():
            for folder, files in todo:
                cache_key = (str(folder), tuple(files))
                if cache_key in self._parts:
                    continue
                try:
                    self._parts[cache_key] = self.background.call("read_parts", str(folder), files,
                                                                  self.rubric_path, timeout=60)
                except SourceError as exc:
                    self._parts[cache_key] = {"error": str(exc)}

        self._ahead = threading.Thread(target=run, daemon=True)
        self._ahead.start()

    def page(self, path: Path, page: int | None, bbox: list[float] | None, text: str) -> dict[str, Any]:
        stat = path.stat()
        cache_key = (str(path), stat.st_mtime_ns, page, tuple(bbox or ()), text[:400])
        if cache_key not in self._pages:
            if len(self._pages) > 64:
                self._pages.pop(next(iter(self._pages)))
            if stat.st_size > DEFAULT_LIMITS.max_file_bytes:
                raise SourceError(f"{path.name} is larger than the {DEFAULT_LIMITS.max_file_bytes / 1e6:.0f} MB read")
            self._pages[cache_key] = self.interactive.call("render_page", str(path), page, bbox, text, timeout=20)
        return self._pages[cache_key]

    def close(self) -> None:
        self.interactive.close()
        self.background.close()
