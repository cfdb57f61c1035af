"""Zip submissions: hostile archives are refused or trimmed, safe ones are read member by member,
and a .tex with its .pdf grades from the source with the grids of both compared."""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from grader.ingest.archive import read_zip, unpack
from grader.ingest.limits import DEFAULT_LIMITS, Limits, RejectedFile
from grader.ingest.submission import discover, read_submission
from grader.pipeline import fragments_for, grade_submission
from grader.record import record_fragments
from grader.segment import segment

FIXTURES = Path(__file__).parent / "fixtures" / "readers"
SOURCE_FILES = ["grids.tex", "grids.pdf", "stumacros.sty", "parts/q14.tex"]


def make_zip(path: Path, members: dict[str, bytes | str], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def fixture_members() -> dict[str, bytes]:
    return {name: (FIXTURES / name).read_bytes() for name in SOURCE_FILES}


def test_zip_slip_and_symlinks_are_not_extracted(tmp_path):
    archive = make_zip(tmp_path / "sub.zip", {
        "notes.txt": "Q1.1) cells 11 12",
        "../evil.txt": "escaped",
        "/abs/evil.txt": "absolute",
        "a/../../evil2.txt": "escaped",
        "C:/evil3.txt": "drive",
    }, symlinks={"link.txt": "/etc/passwd"})
    dest = tmp_path / "out"
    dest.mkdir()
    members, problems = unpack(archive, dest, DEFAULT_LIMITS)
    assert [name for name, _ in members] == ["notes.txt"]
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "evil2.txt").exists()
    assert sorted(p.name for p in dest.rglob("*")) == ["notes.txt"]
    assert sum("outside the archive" in p for p in problems) == 4
    assert any("symbolic link" in p for p in problems)


def test_zip_bomb_is_refused(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {"answers.txt": b"0" * 5_000_000})
    with pytest.raises(RejectedFile, match="zip bomb"):
        read_zip(archive, DEFAULT_LIMITS, tmp_path)
    with pytest.raises(RejectedFile, match="unpacks to"):
        read_zip(archive, Limits(max_submission_bytes=1_000_000), tmp_path)


def test_member_count_and_member_size_caps(tmp_path):
    many = make_zip(tmp_path / "many.zip", {f"f{i}.txt": "x" for i in range(30)})
    with pytest.raises(RejectedFile, match="30 files"):
        read_zip(many, Limits(max_files=20), tmp_path)
    big = make_zip(tmp_path / "big.zip", {"big.txt": bytes(range(256)) * 400, "small.txt": "Q1.1) 11 12"})
    docs = read_zip(big, Limits(max_file_bytes=50_000), tmp_path)
    assert [d.source for d in docs] == ["small.txt"]
    assert any("big.txt" in p and "MB" in p for p in docs[0].problems)


def test_nested_archives_are_not_opened(tmp_path):
    inner = make_zip(tmp_path / "inner.zip", {"a.txt": "Q1.1) 11"})
    outer = make_zip(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes(), "b.txt": "Q1.2) 12"})
    docs = read_zip(outer, DEFAULT_LIMITS, tmp_path)
    assert [d.source for d in docs] == ["b.txt"]
    assert any("archive inside the archive" in p for p in docs[0].problems)


def test_not_a_zip_and_nothing_gradable(tmp_path):
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"this is not a zip")
    with pytest.raises(RejectedFile, match="not a readable zip"):
        read_zip(fake, DEFAULT_LIMITS, tmp_path)
    images = make_zip(tmp_path / "images.zip", {"photo.png": b"\x89PNG..."})
    with pytest.raises(RejectedFile, match="nothing could be graded"):
        read_zip(images, DEFAULT_LIMITS, tmp_path)


def test_members_keep_their_names_and_latex_projects_work(tmp_path):
    archive = make_zip(tmp_path / "student.zip", {f"hw3/{k}": v for k, v in fixture_members().items()})
    docs = read_zip(archive, DEFAULT_LIMITS, tmp_path)
    assert sorted(d.source for d in docs) == ["hw3/grids.pdf", "hw3/grids.tex"]  # parts/q14.tex is \input
    tex = next(d for d in docs if d.kind == "tex")
    assert len(tex.grids) == 13 and tex.problems == []


def test_tex_is_preferred_and_its_pdf_confirms_it(tmp_path, rubric, key):
    archive = make_zip(tmp_path / "student.zip", fixture_members())
    [sub] = discover([archive])
    docs, problems = read_submission(sub)
    assert [d.kind for d in docs] == ["tex", "pdf"] and problems == []
    fragments = fragments_for(docs, rubric)
    records = record_fragments(docs, rubric, fragments)
    for part in ("1.1", "1.2", "1.3", "1.4"):
        assert fragments[part].source == "grids.tex"
        assert records[part] is not None and records[part].source == "grids.pdf"
        assert [g.method.split("-")[0] for g in records[part].grids] == ["pdf"]
    result = grade_submission(sub, rubric, key)
    parts = {p.id: p for p in result.parts}
    assert sorted(parts["1.1"].answer["cells"]) == ["11", "12", "13", "22"]
    assert "do not agree" not in parts["1.1"].feedback


def test_a_pdf_that_disagrees_with_its_tex_goes_to_review_never_above_the_pdf(tmp_path, rubric, key):
    members = fixture_members()
    # the .tex now highlights the key's cells; its PDF (not rebuilt) still shows 11, 12, 13, 22
    tex = members["grids.tex"].replace(b"13 & 14 & 15 \\\\ \\hline\n21 & \\cellcolor{yellow}22 & 23",
                                       b"13 & \\hlg 14 & \\hlg 15 \\\\ \\hline\n\\hlg 21 & \\cellcolor{yellow}22 & \\hlg 23", 1)
    members["grids.tex"] = tex.replace(b"31 & 32 & 33 & 34 & 35 \\\\ \\hline % ", b"\\hlg 31 & 32 & 33 & 34 & 35 \\\\ \\hline % ", 1)
    archive = make_zip(tmp_path / "student.zip", members)
    [sub] = discover([archive])
    [tex_doc, _] = read_submission(sub)[0]
    assert segment(tex_doc, rubric)["1.1"].grids[0].cells == frozenset(key.value("1.1", "answer")["cells"])
    result = grade_submission(sub, rubric, key)
    part = next(p for p in result.parts if p.id == "1.1")
    assert part.status == "needs_review" and part.score == 0  # what the PDF shows earns nothing
    assert ("grids.tex and grids.pdf do not agree: grids.tex says {11, 12, 13, 14, 15, 21, 22, 23, 31}, "
            "grids.pdf shows {11, 12, 13, 22}") in part.feedback


def test_folder_with_tex_and_pdf_is_one_submission(tmp_path, rubric, key):
    folder = tmp_path / "jane"
    for name in SOURCE_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / name, folder / name)
    [sub] = discover([folder], as_one=True)
    docs, _ = read_submission(sub)
    assert [d.source for d in docs] == ["grids.tex", "grids.pdf"]


def test_free_text_readings_that_disagree_say_what_each_earns_and_keep_the_pdfs_checklist(rubric):
    from grader.record import confirmed
    from grader.score import ComponentResult

    component = next(c for p in rubric.parts for c in p.components if c.kind == "prose")
    source = ComponentResult("answer", "prose", 5.0, 5.0, "needs_review", "4 of 4 expected steps found.",
                             answer={"text": "...", "words": 80})
    record = ComponentResult("answer", "prose", 5.0, 2.5, "needs_review",
                             "2 of 4 expected steps found. Not found: Jensen.", answer={"text": "...", "words": 60})
    result = confirmed(component, source, record, None, None)
    assert result.status == "needs_review" and result.score == 2.5
    assert ("the source says an answer that earns 5 of 5, the PDF shows an answer that earns 2.5 of 5"
            in result.feedback)
    assert result.feedback.endswith("On the PDF: 2 of 4 expected steps found. Not found: Jensen.")
