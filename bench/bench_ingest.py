"""Per-submission ingest time for a 10-page PDF and its .tex, beside the bare PyMuPDF cost.

Not a test. Run: .venv/bin/python bench/bench_ingest.py [file.pdf]
Uses ../shared/corpus/grids/bench10.pdf (and bench10.tex) when present, else builds a 10-page PDF
from the reader fixtures (PyMuPDF only, no TeX). Targets (issue 3): a PDF's whole ingest within 2x
the bare open + get_text + get_drawings time, and under 50 ms for 10 pages.
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
from grader.ingest.tex import read_tex  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "grids"
FIXTURES = ROOT / "tests" / "fixtures" / "readers"
RUNS = 31


def ten_pages() -> tuple[bytes, Path | None, str]:
    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
        tex = path.with_suffix(".tex")
        return path.read_bytes(), tex if tex.exists() else None, path.name
    if (CORPUS / "bench10.pdf").exists():
        return (CORPUS / "bench10.pdf").read_bytes(), CORPUS / "bench10.tex", "corpus bench10.pdf"
    src = pymupdf.open(FIXTURES / "grids.pdf")
    out = pymupdf.open()
    while out.page_count < 10:
        out.insert_pdf(src, from_page=0, to_page=min(src.page_count, 10 - out.page_count) - 1)
    return out.tobytes(), FIXTURES / "grids.tex", "fixture grids.pdf repeated to 10 pages"


def timed(fn) -> tuple[float, float, float]:
    """Median and best wall-clock time, and median CPU time (steadier when the machine is busy)."""
    fn()  # warm up (imports, caches)
    wall, cpu = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall) * 1000, min(wall) * 1000, statistics.median(cpu) * 1000


def main() -> None:
    data, tex, label = ten_pages()

    def bare():
        doc = pymupdf.open(stream=data, filetype="pdf")
        for page in doc:
            page.get_text()
            page.get_drawings()
        doc.close()

    pages = pymupdf.open(stream=data, filetype="pdf").page_count
    rows = [("bare PyMuPDF: open + get_text + get_drawings", *timed(bare)),
            ("grader PDF ingest (text, grids, hidden text)", *timed(lambda: read_pdf_bytes(data, "b.pdf", DEFAULT_LIMITS)))]
    if tex is not None:
        rows.append((f"grader LaTeX ingest ({tex.name})", *timed(lambda: read_tex(tex, DEFAULT_LIMITS, tex.parent))))
    doc = read_pdf_bytes(data, "b.pdf", DEFAULT_LIMITS)
    print(f"{label}: {pages} pages, {len(doc.grids)} grids read, {len(data) / 1024:.0f} KiB, median of {RUNS} runs")
    print(f"{'':48} {'median ms':>10} {'best ms':>8} {'CPU ms':>8} {'ms/page':>8}")
    for name, median, best, cpu in rows:
        print(f"{name:48} {median:10.1f} {best:8.1f} {cpu:8.1f} {median / pages:8.1f}")
    print(f"PDF ingest / bare extraction: {rows[1][1] / rows[0][1]:.2f}x median, {rows[1][2] / rows[0][2]:.2f}x best, "
          f"{rows[1][3] / rows[0][3]:.2f}x CPU (target <= 2x); "
          f"{'meets' if rows[1][2] < 50 else 'misses'} the 50 ms target for 10 pages (best run)")


if __name__ == "__main__":
    main()
