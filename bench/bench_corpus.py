"""Grid accuracy on the shared development corpus (../shared/corpus/grids): for each document, the
grids read from the .tex and from the .pdf against *_truth.json. Not a test; skips when the corpus
is absent (a clone of the project alone has no ../shared).

Run: .venv/bin/python bench/bench_corpus.py [-v]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.ingest.limits import DEFAULT_LIMITS  # noqa: E402
from grader.ingest.pdf import read_pdf  # noqa: E402
from grader.ingest.tex import read_tex  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "grids"


def key(heading: str | None) -> str | None:
    return heading.split()[0].rstrip(")") if heading else None


def score(docs, truth: dict[str, set[str]], verbose: bool, label: str) -> int:
    found = {key(g.heading): g for d in docs for g in d.grids}
    exact = 0
    for heading, cells in truth.items():
        g = found.get(heading)
        got = None if g is None else g.cells
        ok = got == cells
        # a grid marked only by bold/coloured text: reading it (low confidence) or sending it to
        # review are both right (corpus README); an empty reading is wrong
        review_ok = g is not None and got is None and bool(g.note)
        exact += ok
        if verbose or not ok:
            state = "exact" if ok else ("review (accepted)" if review_ok else "WRONG")
            how = f"{g.method} {g.confidence:.2f}" if g else "not found"
            print(f"  {label:4} {heading:7} {state:18} {how:22} got {sorted(got) if got else got}"
                  + ("" if ok else f" want {sorted(cells)}"))
    return exact


def main() -> None:
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent")
        return
    verbose = "-v" in sys.argv
    total = tex_ok = pdf_ok = 0
    for truth_file in sorted(CORPUS.glob("*_truth.json")):
        name = truth_file.name[:-len("_truth.json")]
        truth = {k.rstrip(")"): set(v) for k, v in json.loads(truth_file.read_text()).items()}
        t = score(read_tex(CORPUS / f"{name}.tex", DEFAULT_LIMITS, CORPUS), truth, verbose, "tex")
        p = score(read_pdf(CORPUS / f"{name}.pdf", DEFAULT_LIMITS, CORPUS), truth, verbose, "pdf")
        print(f"{name:10} {len(truth):3} grids   tex {t:3} exact   pdf {p:3} exact")
        total, tex_ok, pdf_ok = total + len(truth), tex_ok + t, pdf_ok + p
    print(f"{'all':10} {total:3} grids   tex {tex_ok:3} exact   pdf {pdf_ok:3} exact")


if __name__ == "__main__":
    main()
