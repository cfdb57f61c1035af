"""Segmentation cost per submission (question-text alignment, headings, regions, grid choice).

Not a test. Run: .venv/bin/python bench/bench_segment.py [RUBRIC PDF ...]
By default: the committed fixture submissions graded with the repository's rubric, and, when
../shared/real/ is there, the real submissions with their year's rubric. Each document is read
once; segmentation alone is timed (its per-document cache cleared between runs), reported per
submission and per 10 pages beside the bare PyMuPDF text extraction of the same file.
Target (issue 8): at most 10 ms per submission for a 10-page PDF.
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
from grader.rubric import load_rubric  # noqa: E402
from grader.segment import _OUTLINES, question_text_of, segment  # noqa: E402

REAL = ROOT.parent / "shared" / "real"
RUNS = 15


def cases() -> list[tuple[Path, Path]]:
    if len(sys.argv) > 2:
        rubric = Path(sys.argv[1])
        return [(rubric, Path(p)) for p in sys.argv[2:]]
    rubric = ROOT / "rubrics" / "ift6135-a3.yaml"
    found = [(rubric, p) for p in sorted((ROOT / "tests" / "fixtures").glob("*/*/*.pdf"))]
    if REAL.is_dir():
        for year in sorted(p for p in REAL.iterdir() if (p / "rubric.yaml").exists()):
            found += [(year / "rubric.yaml", pdf) for pdf in sorted((REAL / "subs" / year.name).glob("*/*.pdf"))]
    else:
        print(f"({REAL} is not here: fixtures only)")
    return found


def median_ms(fn) -> float:
    times = []
    for _ in range(RUNS):
        started = time.process_time()
        fn()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    rows = []
    loaded: dict = {}  # one rubric and its question text per rubric file, as a batch has
    for rubric_path, pdf in cases():
        if rubric_path not in loaded:
            rubric = load_rubric(rubric_path)
            loaded[rubric_path] = rubric, question_text_of(rubric)
        rubric, context = loaded[rubric_path]
        data = pdf.read_bytes()
        doc = read_pdf_bytes(data, pdf.name, DEFAULT_LIMITS)

        def run() -> None:
            _OUTLINES.clear()
            segment(doc, rubric, context)

        def bare() -> None:
            with pymupdf.open(stream=data, filetype="pdf") as d:
                for page in d:
                    page.get_text()

        seg, floor = median_ms(run), median_ms(bare)
        pages = doc.pages or 1
        rows.append((pdf.name[:40], pages, seg, seg * 10 / pages, floor))
    print(f"{'file':40} {'pages':>5} {'segment ms':>10} {'per 10 p':>9} {'bare text ms':>12}")
    for name, pages, seg, per10, floor in rows:
        print(f"{name:40} {pages:5d} {seg:10.1f} {per10:9.1f} {floor:12.1f}")
    per10 = [r[3] for r in rows if r[1] >= 3]
    if per10:
        print(f"median per 10 pages (documents of 3+ pages): {statistics.median(per10):.1f} ms (target <= 10 ms)")


if __name__ == "__main__":
    main()
