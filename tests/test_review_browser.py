"""The review workspace in a real browser (Playwright driving Debian's chromium), as a TA uses it:
grade the examples, open the printed URL, clear one part's queue with the keyboard only, restart
the server, and find the decisions kept, then written into the regraded reports and gradebook.

Skipped only where chromium or Playwright is genuinely absent, and never in CI (CI is set there):
.ci/run installs chromium first.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.cli import main
from tests.conftest import EXAMPLES, ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
SEED = "000_af16c1991d1beaae"


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _missing()
    if missing:
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"the browser test must run in CI, but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


class Server:
    """`grader review DIR` as a TA starts it, reading the URL it prints."""

    def __init__(self, folder: Path):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "GRADER_TA": "Ada"}
        self.proc = subprocess.Popen([sys.executable, "-m", "grader", "review", str(folder)], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        printed = []
        for line in self.proc.stdout:
            printed.append(line)
            m = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", line)
            if m:
                self.url = m.group(0)
                self.base = self.url.split("/?")[0]
                return
        raise AssertionError("grader review printed no URL:\n" + "".join(printed))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


def test_clear_a_part_with_the_keyboard_and_keep_it_across_restart_and_regrade(browser, tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    shutil.copytree(EXAMPLES, subs)
    assert main(["grade", str(subs), "--out", str(out)]) == 0
    queue = [json.loads((out / s / "result.json").read_text())["parts"] for s in
             sorted(p.name for p in out.iterdir() if (p / "result.json").exists())]
    waiting = sum(p["status"] == "needs_review" for parts in queue for p in parts if p["id"] == "3.4a")
    assert waiting >= 2

    server = Server(out)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url)
        assert "token" not in page.url  # the token moved into a cookie
        # the parts list: go down to 3.4a with the keyboard and open it
        rows = page.locator("#parts tbody tr")
        ids = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
        start = ids.index(page.locator("#parts tr.selected td").first.inner_text())
        target = ids.index("3.4a")
        for _ in range(abs(target - start)):
            page.keyboard.press("j" if target > start else "k")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/grade/3\.4a/"))

        decided = {}
        for screen in range(waiting):
            sub = page.url.rsplit("/", 1)[1].split("?")[0]
            if screen == 0:  # apply rubric item 1, write a comment, confirm
                page.keyboard.press("1")
                page.keyboard.press("c")
                page.keyboard.type("Good use of Jensen; say why the average is unbiased.")
                page.keyboard.press("Escape")
            elif screen == 1:  # type a score
                page.keyboard.press("s")
                page.keyboard.type("6")
                page.keyboard.press("Escape")
            decided[sub] = float(page.locator("#score").input_value())
            with page.expect_navigation():
                page.keyboard.press("Enter")
        assert "queue cleared" in page.locator("h1").inner_text()
        assert decided[next(iter(decided))] > 0 and 6.0 in decided.values()
        assert not errors
        page.close()
    finally:
        server.stop()

    server = Server(out)  # a restart: the decisions are still there
    try:
        page = browser.new_page()
        page.goto(server.url)
        row = page.locator("#parts tr", has=page.locator("a", has_text=re.compile(r"^3\.4a$")))
        assert f"0 left of {waiting}" in row.inner_text()
        first = next(iter(decided))
        page.goto(f"{server.base}/grade/3.4a/{first}")
        assert "Decided by Ada" in page.locator(".decided").inner_text()
        assert page.locator("#score").input_value() in (f"{decided[first]:g}", str(decided[first]))
        page.close()
    finally:
        server.stop()

    assert main(["grade", str(subs), "--out", str(out)]) == 0  # the regrade writes them into every report
    gradebook = {r["Submission"]: r for r in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))}
    for sub, score in decided.items():
        part = next(p for p in json.loads((out / sub / "result.json").read_text())["parts"] if p["id"] == "3.4a")
        assert part["score"] == score and part["override"]["ta"] == "Ada"
        assert float(gradebook[sub]["3.4a"]) == score
    assert "say why the average is unbiased" in (out / first / "feedback.html").read_text(encoding="utf-8")
