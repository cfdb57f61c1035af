"""The review workspace without a browser: the store, the app's pages and guards, decisions applied
by the next grade, export and import. The browser test is tests/test_review_browser.py."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import threading

import pytest
import yaml

from grader.cli import main
from grader.review import ReviewError, export_decisions, import_decisions, make_app
from grader.review.store import FILENAME, Store, decisions_as_overrides
from grader.score import load_overrides
from tests.conftest import EXAMPLES, ROOT

starlette_testclient = pytest.importorskip("starlette.testclient")

SEED = "000_af16c1991d1beaae"
PORT = 8123
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory):
    """The examples copied and graded once; each test gets its own copy of both."""
    root = tmp_path_factory.mktemp("graded")
    shutil.copytree(EXAMPLES, root / "subs")
    assert main(["grade", str(root / "subs"), "--out", str(root / "out")]) == 0
    return root


@pytest.fixture
def graded(graded_once, tmp_path):
    shutil.copytree(graded_once / "subs", tmp_path / "subs")
    shutil.copytree(graded_once / "out", tmp_path / "out")
    for result in (tmp_path / "out").glob("*/result.json"):  # point the copies at the copied files
        data = json.loads(result.read_text(encoding="utf-8"))
        data["source"] = str(tmp_path / "subs")
        result.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return tmp_path


@pytest.fixture
def client(graded, rubric, key):
    app, ws = make_app(graded / "out", rubric, key, ta="Ada", port=PORT)
    with starlette_testclient.TestClient(app, base_url=f"http://127.0.0.1:{PORT}", follow_redirects=False) as c:
        c.ws = ws
        yield c
    ws.sources.close()


def _login(client):
    response = client.get(f"/?token={client.ws.token}")
    assert response.status_code == 303 and "token" not in response.headers["location"]
    return response


def _decide(client, part, members, score, items=(), comment="", **extra):
    data = {"csrf": client.ws.csrf, "part": part, "member": list(members), "score": str(score),
            "item": list(items), "comment": comment, **extra}
    return client.post("/decide", data=data)


# ---------------------------------------------------------------- access

def test_every_page_needs_the_token(client):
    assert client.get("/").status_code == 403
    assert client.get(f"/grade/1.1/{SEED}").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    _login(client)
    page = client.get("/")
    assert page.status_code == 200 and "1.1" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_token_cookie_is_httponly_and_samesite(client):
    header = _login(client).headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header


def test_posts_need_the_form_token_and_this_origin(client):
    _login(client)
    assert _decide(client, "1.1", [SEED], 5, csrf="").status_code == 403
    forged = client.post("/decide", data={"csrf": client.ws.csrf, "part": "1.1", "member": SEED, "score": "5"},
                         headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    cross = client.post("/decide", data={"csrf": client.ws.csrf, "part": "1.1", "member": SEED, "score": "5"},
                        headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert client.ws.store.decisions() == {}


def test_another_host_name_is_refused(client):
    _login(client)
    assert client.get("/", headers={"Host": "attacker.example:8123"}).status_code == 403


def test_no_file_outside_the_reports_is_served(client):
    _login(client)
    assert client.get("/reports/summary.html").status_code == 200
    assert client.get(f"/reports/{SEED}/feedback.html").status_code == 200
    for path in ("/reports/../review.sqlite", "/reports/%2e%2e/%2e%2e/etc/passwd", "/reports/review.sqlite",
                 f"/reports/{SEED}/result.json", "/reports/..%2fsubs/perfect-sheet.yaml", "/static/../app.py"):
        assert client.get(path).status_code == 404, path


def test_student_text_is_escaped(graded, rubric, key):
    hostile = graded / "subs" / "hostile.md"
    hostile.write_text("## 3.2 (a)\n<script>alert(1)</script> <img src=x onerror=alert(2)> ELBO\n", encoding="utf-8")
    assert main(["grade", str(graded / "subs"), "--out", str(graded / "out")]) == 0
    app, ws = make_app(graded / "out", rubric, key, ta="Ada", port=PORT)
    with starlette_testclient.TestClient(app, base_url=f"http://127.0.0.1:{PORT}", follow_redirects=False) as c:
        c.get(f"/?token={ws.token}")
        page = c.get("/grade/3.2a/hostile").text + c.get("/source/3.2a/hostile").text
    ws.sources.close()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<img src=x" not in page


# ---------------------------------------------------------------- grading screens

def test_a_screen_shows_statement_answer_key_and_suggestion(client):
    _login(client)
    page = client.get(f"/grade/1.1/{SEED}").text
    assert "Receptive field of pixel 33" in page  # the rubric title
    assert "Question 1" in page  # the question text
    assert "Not read automatically" in page and "Key" in page  # the unread grid, and the key's picture
    assert "highlights were lost" in page  # why a TA must look
    assert "Q1.1)" in client.get(f"/source/1.1/{SEED}").text  # the answer's text, read again from the student's file
    prose = client.get(f"/grade/3.4a/{SEED}").text
    assert "Jensen" in prose and 'class="checklist"' in prose


def test_confirming_moves_on_and_clears_the_queue(client):
    _login(client)
    first = client.get("/part/1.1")
    assert first.status_code == 303
    url = first.headers["location"]
    seen = []
    while url.startswith("/grade/"):
        sub = url.rsplit("/", 1)[1].split("?")[0]
        seen.append(sub)
        assert client.get(url).status_code == 200
        response = _decide(client, "1.1", [sub], 5, comment="Grid checked in the PDF")
        assert response.status_code == 303
        url = response.headers["location"]
    assert url == "/part/1.1?done=1" and seen
    assert "queue cleared" in client.get(url).text
    decisions = client.ws.store.decisions("1.1")
    assert {s for s, _ in decisions} == set(seen)
    decision = decisions[(seen[0], "1.1")]
    assert decision.ta == "Ada" and decision.score == 5 and decision.automatic_score == 0


def test_rubric_items_set_the_score_and_editing_one_changes_everyone(client):
    _login(client)
    items = client.ws.store.items("3.4a")
    assert [i.origin for i in items][:4] == ["rubric"] * 4
    jensen = next(i for i in items if "Jensen" in i.label)
    _decide(client, "3.4a", [SEED], jensen.points + 1, items=[jensen.id])
    _decide(client, "3.4a", ["markdown-student"], jensen.points, items=[jensen.id])
    added = client.post("/items", data={"csrf": client.ws.csrf, "part": "3.4a", "label": "Sign error in the bound",
                                        "points": "-1"}).json()
    assert added["id"].startswith("ta-")
    _decide(client, "3.4a", ["mistakes-sheet"], 0, items=[added["id"]])
    edited = client.post("/items/edit", data={"csrf": client.ws.csrf, "part": "3.4a", "id": jensen.id,
                                              "label": "Jensen on the concave log", "points": "3"}).json()
    assert edited["decisions"] == 2
    after = client.ws.store.decisions("3.4a")
    assert after[(SEED, "3.4a")].score == 4  # base 1 + the item's new 3 points
    assert after[("markdown-student", "3.4a")].score == 3
    assert after[("mistakes-sheet", "3.4a")].score == 0  # never below zero
    assert "Jensen on the concave log (+3)" in after[(SEED, "3.4a")].feedback


def test_answer_groups_grade_equal_answers_at_once_and_split(graded, rubric, key):
    twin = graded / "subs" / "twin-sheet.yaml"
    shutil.copy(graded / "subs" / "mistakes-sheet.yaml", twin)
    assert main(["grade", str(graded / "subs"), "--out", str(graded / "out")]) == 0
    app, ws = make_app(graded / "out", rubric, key, ta="Ada", port=PORT)
    part = "4.6a"  # an expression: equal answers form a group
    cards = ws.folder.cards(part, everyone=True)
    group = next(c for c in cards if len(c.members) > 1)
    assert {"mistakes-sheet", "twin-sheet"} <= set(group.members)
    with starlette_testclient.TestClient(app, base_url=f"http://127.0.0.1:{PORT}", follow_redirects=False) as c:
        c.get(f"/?token={ws.token}")
        page = c.get(f"/grade/{part}/{group.id}?all=1").text
        assert "Answer group" in page
        c.post("/decide", data={"csrf": ws.csrf, "part": part, "member": group.members, "score": "2"})
        assert {s for s, _ in ws.store.decisions(part)} == set(group.members)
        c.post("/split", data={"csrf": ws.csrf, "part": part, "member": ["twin-sheet"]})
        assert all(len(c.members) == 1 or "twin-sheet" not in c.members for c in ws.folder.cards(part, everyone=True))
        assert "Group equal answers again" in c.get(f"/grade/{part}/twin-sheet?all=1").text
        c.post("/split", data={"csrf": ws.csrf, "part": part, "member": ["twin-sheet"], "regroup": "1"})
        assert any({"mistakes-sheet", "twin-sheet"} <= set(c.members) for c in ws.folder.cards(part, everyone=True))
    ws.sources.close()


def test_search_finds_a_student(client):
    _login(client)
    response = client.get("/find/1.1?q=markdown")
    assert response.status_code == 303 and response.headers["location"].endswith("/markdown-student")


def test_the_students_pdf_page_is_rendered(tmp_path, rubric, key):
    shutil.copytree(FIXTURES / "alice_cellcolor", tmp_path / "subs" / "alice")
    assert main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out")]) == 0
    app, ws = make_app(tmp_path / "out", rubric, key, ta="Ada", port=PORT)
    with starlette_testclient.TestClient(app, base_url=f"http://127.0.0.1:{PORT}", follow_redirects=False) as c:
        c.get(f"/?token={ws.token}")
        assert c.get("/grade/1.2/alice?all=1").status_code == 200
        assert "/page/1.2/alice.png" in c.get("/source/1.2/alice").text
        image = c.get("/page/1.2/alice.png")
    ws.sources.close()
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.headers["x-page"].endswith("/" + image.headers["x-page"].split("/")[1])


# ---------------------------------------------------------------- decisions are data

def test_store_is_wal_and_keeps_history(graded):
    store = Store(graded / "out")
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.decide([SEED], "1.1", 4, 5, [], "first", "Ada", {SEED: (0.0, "needs_review", "h")})
    store.decide([SEED], "1.1", 3, 5, [], "second", "Ben", {SEED: (0.0, "needs_review", "h")})
    store.withdraw([SEED], "1.1", "Ben")
    assert store.decisions() == {}
    actions = [(h["action"], h["ta"]) for h in store.history()]
    assert actions[:3] == [("withdraw", "Ben"), ("decide", "Ben"), ("decide", "Ada")]


def test_two_tas_at_once(graded):
    Store(graded / "out")  # created once, as the server does
    errors = []

    def grade_part(ta: str, part: str):
        try:
            store = Store(graded / "out")
            for i in range(25):
                store.decide([f"s{i}"], part, 1, 5, [], ta, ta, {})
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=grade_part, args=(ta, part)) for ta, part in (("Ada", "1.1"), ("Ben", "1.2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(Store(graded / "out").decisions()) == 50


def test_the_next_grade_applies_decisions_and_flags_a_changed_answer(graded, rubric, key):
    out = graded / "out"
    app, ws = make_app(out, rubric, key, ta="Ada", port=PORT)
    ws.sources.close()
    auto = {sub: ws.folder.submissions[sub].parts["1.1"] for sub in (SEED, "mistakes-sheet")}
    for sub, part in auto.items():
        ws.store.decide([sub], "1.1", 4, 5, [], "Checked by hand", "Ada", {sub: (part.score, part.status, part.fingerprint)})
    assert main(["grade", str(graded / "subs"), "--out", str(out)]) == 0
    result = json.loads((out / SEED / "result.json").read_text(encoding="utf-8"))
    part = next(p for p in result["parts"] if p["id"] == "1.1")
    assert part["score"] == 4 and part["override"]["ta"] == "Ada" and "recheck" not in part["override"]
    assert part["override"]["automatic_score"] == 0
    rows = {r["Submission"]: r for r in csv.DictReader((out / "gradebook.csv").open(encoding="utf-8"))}
    assert rows[SEED]["1.1"] == "4"
    assert "Checked by hand" in (out / SEED / "feedback.html").read_text(encoding="utf-8")
    # the student's file changes: the decision still wins, and asks to be checked again
    seed = graded / "subs" / f"{SEED}.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\n\nA late addition.\n", encoding="utf-8")
    sheet = graded / "subs" / "mistakes-sheet.yaml"
    data = yaml.safe_load(sheet.read_text(encoding="utf-8"))
    data["answers"]["1.1"] = {"cells": ["11", "12"]}
    sheet.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["grade", str(graded / "subs"), "--out", str(out)]) == 0
    for sub in (SEED, "mistakes-sheet"):
        result = json.loads((out / sub / "result.json").read_text(encoding="utf-8"))
        part = next(p for p in result["parts"] if p["id"] == "1.1")
        assert part["score"] == 4 and part["override"].get("recheck") is True, sub
    app, ws = make_app(out, rubric, key, ta="Ada", port=PORT)
    ws.sources.close()
    row = next(r for r in ws.folder.progress() if r["part"].id == "1.1")
    assert row["recheck"] == 2


def test_a_decision_wins_over_the_overrides_file(graded):
    out = graded / "out"
    Store(out).decide([SEED], "1.1", 2, 5, [], "from the workspace", "Ada", {})
    overrides = graded / "o.yaml"
    overrides.write_text(yaml.safe_dump([{"submission": SEED, "part": "1.1", "score": 5, "comment": "file"},
                                         {"submission": SEED, "part": "1.2", "score": 5, "comment": "file"}]))
    assert main(["grade", str(graded / "subs"), "--out", str(out), "--overrides", str(overrides)]) == 0
    parts = {p["id"]: p for p in json.loads((out / SEED / "result.json").read_text())["parts"]}
    assert parts["1.1"]["score"] == 2 and parts["1.2"]["score"] == 5


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_export_then_import_round_trips(graded, rubric, key, suffix):
    out = graded / "out"
    store = Store(out)
    store.decide([SEED], "1.1", 4.5, 5, [], "Grid checked, 'quoted' and, comma", "Ada", {})
    item = store.add_item("3.4a", "Missing the final inequality", -1, "Ada")
    store.decide(["perfect-sheet"], "3.4a", 6, 7, [item.id], "", "Ada", {})
    exported = graded / f"decisions{suffix}"
    assert export_decisions(out, rubric, key, exported) == 2
    read = {(o.submission, o.part): o for o in load_overrides(exported)}  # the format grade --overrides reads
    assert read[(SEED, "1.1")].score == 4.5 and read[(SEED, "1.1")].comment == "Grid checked, 'quoted' and, comma"
    assert read[("perfect-sheet", "3.4a")].comment == "Missing the final inequality (-1)."
    assert {o.ta for o in read.values()} == {"Ada"} and all(o.time for o in read.values())
    decided_at = {(o.submission, o.part): o.at for o in decisions_as_overrides(out)}
    (out / FILENAME).unlink()
    assert import_decisions(out, rubric, key, exported, ta="Ben") == 2
    again = decisions_as_overrides(out)  # who decided and when survive the round trip
    assert {(o.submission, o.part, o.score, o.ta) for o in again} == {(SEED, "1.1", 4.5, "Ada"),
                                                                      ("perfect-sheet", "3.4a", 6, "Ada")}
    assert {(o.submission, o.part): o.at for o in again} == decided_at


def test_import_records_the_importer_when_the_file_names_no_ta(graded, rubric, key):
    out = graded / "out"
    plain = graded / "plain.yaml"
    plain.write_text(yaml.safe_dump([{"submission": SEED, "part": "1.1", "score": 3}]))
    assert import_decisions(out, rubric, key, plain, ta="Ben") == 1
    assert [(o.ta, bool(o.at)) for o in decisions_as_overrides(out)] == [("Ben", True)]


def test_import_refuses_unknown_submissions_and_parts(graded, rubric, key):
    bad = graded / "bad.yaml"
    bad.write_text(yaml.safe_dump([{"submission": "nobody", "part": "1.1", "score": 1},
                                   {"submission": SEED, "part": "9.9", "score": 1}]))
    with pytest.raises(ReviewError, match="unknown submission 'nobody'.*unknown part '9.9'"):
        import_decisions(graded / "out", rubric, key, bad)
    assert Store(graded / "out").decisions() == {}


def test_review_cli_export_and_errors(graded, capsys):
    out = graded / "out"
    Store(out).decide([SEED], "1.1", 3, 5, [], "", "Ada", {})
    assert main(["review", str(out), "--export", str(graded / "d.csv")]) == 0
    assert "1 decisions" in capsys.readouterr().out
    assert main(["review", str(graded / "nothing-here")]) == 5
    assert "no such folder" in capsys.readouterr().err
