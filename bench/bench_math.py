"""Formula reading per page, beside the bare PyMuPDF floor get_text("rawdict") on the same pages.

Not a test. Run: .venv/bin/python bench/bench_math.py [file.pdf ...]
Default: the formula corpus (tests/fixtures/formulas/formulas*.pdf, one per TeX engine) and the
answers graded from PDFs; give real submissions' PDFs as arguments to measure them.

Two figures per file, CPU time (steadier than wall time on a shared machine), best of several runs:
- formula reading: what the math reader adds on a page with math fonts (drawings, regrouping the
  lines into rows, reading each formula: rewrite_lines), beside the rawdict floor; target <= 2x;
- whole ingest: read_pdf_bytes (text layer, formulas, grids, hidden text), beside the same floor.
Pages without a math font are not read this way and cost what they cost before (bench_ingest.py).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pymupdf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.ingest.limits import DEFAULT_LIMITS  # noqa: E402
from grader.ingest.pdf import read_pdf_bytes  # noqa: E402
from grader.ingest.pdf.layout import _page_lines  # noqa: E402
from grader.ingest.pdf.math import math_fonts, rewrite_lines  # noqa: E402

FORMULAS = ROOT / "tests" / "fixtures" / "formulas"
RUNS = 9
FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_CID_FOR_UNKNOWN_UNICODE


def best(fn) -> float:
    """Best CPU time in ms over RUNS runs (after one to warm up)."""
    fn()
    times = []
    for _ in range(RUNS):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times) * 1000


def measure(data: bytes) -> tuple[int, int, float, float, float]:
    doc = pymupdf.open(stream=data, filetype="pdf")
    fonts = {p.number: math_fonts(p) for p in doc}
    pages = [p for p in doc if fonts[p.number]]
    lines = {}
    for page in pages:
        flags = FLAGS | (pymupdf.TEXT_ACCURATE_BBOXES if "umath" in fonts[page.number] else 0)
        lines[page.number] = _page_lines(page.get_text("rawdict", flags=flags)["blocks"], page.rect,
                                         page.number + 1, raw=True)[0]

    def floor():
        for page in pages:
            page.get_text("rawdict", flags=FLAGS)

    def formulas():
        for page in pages:
            rewrite_lines([ln for ln in lines[page.number]], page)

    floor_ms, reading_ms = best(floor), best(formulas)
    whole_ms = best(lambda: read_pdf_bytes(data, "b.pdf", DEFAULT_LIMITS))
    return doc.page_count, len(pages), floor_ms, reading_ms, whole_ms


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted(FORMULAS.glob("*.pdf"))
    print(f"{'file':32} {'pages':>5} {'math':>4} {'rawdict ms/p':>12} {'formulas ms/p':>13} {'ratio':>6} "
          f"{'ingest ms/p':>11} {'ratio':>6}")
    reading_ratios, whole_ratios = [], []
    for path in paths:
        pages, math_pages, floor_ms, reading_ms, whole_ms = measure(path.read_bytes())
        if not math_pages:
            print(f"{path.name[:32]:32} {pages:5} {0:4}   (no math font: not read for formulas)")
            continue
        reading_ratios.append(reading_ms / floor_ms)
        whole_ratios.append(whole_ms / floor_ms)
        print(f"{path.name[:32]:32} {pages:5} {math_pages:4} {floor_ms / math_pages:12.1f} "
              f"{reading_ms / math_pages:13.1f} {reading_ms / floor_ms:6.2f} {whole_ms / math_pages:11.1f} "
              f"{whole_ms / floor_ms:6.2f}")
    print(f"median over files: formula reading {statistics.median(reading_ratios):.2f}x the rawdict floor "
          f"(target <= 2x); whole ingest {statistics.median(whole_ratios):.2f}x; best CPU time of {RUNS} runs")


if __name__ == "__main__":
    main()
