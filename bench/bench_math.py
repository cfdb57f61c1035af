"""Formula reading per page, beside the bare PyMuPDF floor get_text("rawdict") on the same pages.

Not a test. Run: .venv/bin/python bench/bench_math.py [file.pdf ...]
Default: the formula corpus (tests/fixtures/formulas/formulas*.pdf, one per TeX engine) and the
answers graded from PDFs. Target (issue 9): the whole ingest of a page with math (text, formulas,
grids, hidden text) within 2x a bare open + get_text("rawdict"). The split shows where the time goes:
the text layer (rawdict), the drawings (fraction bars), and rebuilding rows and formulas.
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

FORMULAS = ROOT / "tests" / "fixtures" / "formulas"
RUNS = 15


def timed(fn) -> tuple[float, float]:
    """Median and best wall-clock time in ms."""
    fn()
    wall = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        wall.append(time.perf_counter() - start)
    return statistics.median(wall) * 1000, min(wall) * 1000


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted(FORMULAS.glob("*.pdf"))
    flags = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_CID_FOR_UNKNOWN_UNICODE
    print(f"{'file':28} {'pages':>5} {'formulas':>8} {'rawdict ms/p':>12} {'+drawings':>10} {'grader ms/p':>11} "
          f"{'ratio':>6} {'best':>6}")
    ratios = []
    for path in paths:
        data = path.read_bytes()

        def bare():
            doc = pymupdf.open(stream=data, filetype="pdf")
            for page in doc:
                page.get_text("rawdict", flags=flags)
            doc.close()

        def drawings():
            doc = pymupdf.open(stream=data, filetype="pdf")
            for page in doc:
                page.get_text("rawdict", flags=flags)
                page.get_cdrawings()
            doc.close()

        pages = pymupdf.open(stream=data, filetype="pdf").page_count
        floor, floor_best = timed(bare)
        with_drawings, _ = timed(drawings)
        ours, ours_best = timed(lambda: read_pdf_bytes(data, path.name, DEFAULT_LIMITS))
        found = len(read_pdf_bytes(data, path.name, DEFAULT_LIMITS).math)
        ratios.append(ours / floor)
        print(f"{path.name:28} {pages:5} {found:8} {floor / pages:12.1f} {with_drawings / pages:10.1f} "
              f"{ours / pages:11.1f} {ours / floor:6.2f} {ours_best / floor_best:6.2f}")
    print(f"grader ingest / bare rawdict: median of files {statistics.median(ratios):.2f}x (target <= 2x); "
          f"median of {RUNS} runs each")


if __name__ == "__main__":
    main()
