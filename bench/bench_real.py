"""The real-submissions benchmark: ../shared/real/run.sh on this checkout, its figures printed.

Not a test. Run: .venv/bin/python bench/bench_real.py [OUT]
Real student submissions to earlier years of the first assignment, with what a careful TA reads in
each, live outside the project (../shared/real/, third-party work, for measuring only). When that
folder is absent this says so and exits 0.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT.parent / "shared" / "real" / "run.sh"


def main() -> int:
    if not RUN.exists():
        print(f"{RUN} is not here: no real submissions to measure on.")
        return 0
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="real-"))
    env = {**os.environ, "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(RUN), str(ROOT), str(out)], env=env, capture_output=True, text=True)
    print(done.stdout[-6000:])
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
    print(f"(outputs in {out}; per part: python3 {RUN.parent / 'show.py'} {out}/<year>)")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
