"""Which files make one student's submission, and reading them all into Documents.

What a PATH is (CONTRACT.md):
- a lone file is one submission, its stem the id (a .zip is unpacked safely first);
- a Gradescope export (`submission_metadata.yml` beside `submission_NNN` folders) is a batch,
  each folder one submission, its students from the metadata;
- a folder holding subfolders is a batch: each subfolder is one submission named after it, and
  each loose file beside them is a submission of its own;
- a folder of loose files only is one submission when its documents share one stem
  (`main.tex` + `main.pdf`) or it holds a LaTeX main file (`\\documentclass`); otherwise every
  stem is a separate submission (a TA's folder of 200 PDFs is 200 students).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import safe_yaml
from grader.ingest.document import Document, tidied
from grader.ingest.limits import DEFAULT_LIMITS, Limits, RejectedFile

DOCUMENT_SUFFIXES = {".tex", ".pdf", ".md", ".markdown", ".txt", ".yaml", ".yml", ".json", ".zip"}
IGNORED = {"submission_metadata.yml", "submission_metadata.json"}


@dataclass
class Submission:
    id: str
    files: list[Path]
    root: Path  # the folder the files' names are relative to
    students: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # found while gathering its files (links refused)

    def names(self) -> list[str]:
        return sorted(str(f.relative_to(self.root)) if f.is_relative_to(self.root) else f.name for f in self.files)


class DiscoveryError(Exception):
    pass


def _documents(folder: Path) -> tuple[list[Path], list[str]]:
    """The submission's files, and problems: a symbolic link to anything outside the submission's
    folder is never followed (it could make the grader read, and quote, any file on the machine)."""
    root = folder.resolve()
    files, problems = [], []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.name in IGNORED or any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_symlink():
            try:
                inside = p.resolve(strict=True).is_relative_to(root)
            except (OSError, RuntimeError):  # dangling, or a loop
                inside = False
            if not inside:
                problems.append(f"{rel} is a link to something outside the submission; it was not read")
                continue
        if p.is_file():
            files.append(p)
    return files, problems


def _submission(sid: str, folder: Path, students: list[dict[str, str]] | None = None) -> Submission:
    files, problems = _documents(folder)
    return Submission(sid, files, folder, students or [], problems)


def _loose_groups(folder: Path, files: list[Path]) -> list[Submission]:
    docs = [f for f in files if f.suffix.lower() in DOCUMENT_SUFFIXES]
    stems = sorted({f.stem for f in docs})
    is_latex_project = any(f.suffix.lower() == ".tex" and b"\\documentclass" in f.read_bytes()[:20000]
                           for f in docs)
    if len(stems) <= 1 or is_latex_project:
        return [Submission(folder.name, files, folder)]
    return _by_stem(folder, files)


def _by_stem(folder: Path, files: list[Path]) -> list[Submission]:
    """One submission per stem; a file in no submission format (a .docx, a photo) is one too, so
    that it gets a row saying why it was not read instead of vanishing."""
    stems = sorted({f.stem for f in files})
    return [Submission(stem, [f for f in files if f.stem == stem], folder) for stem in stems]


# An export's metadata holds a few hundred bytes per submission: 50 MB is a class of 100,000.
MAX_METADATA_BYTES = 50_000_000
MAX_METADATA_VALUES = 5_000_000


def _gradescope_students(folder: Path) -> dict[str, list[dict[str, str]]]:
    import yaml  # only an export's metadata is YAML here

    path = folder / "submission_metadata.yml"
    try:
        if path.stat().st_size > MAX_METADATA_BYTES:
            raise safe_yaml.YamlRefused(f"it is larger than {MAX_METADATA_BYTES / 1e6:g} MB")
        data = safe_yaml.load(path.read_bytes(), "it", MAX_METADATA_BYTES, MAX_METADATA_VALUES) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, safe_yaml.YamlRefused) as exc:
        raise DiscoveryError(f"{path}: the export's metadata cannot be read: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise DiscoveryError(f"{path}: the export's metadata is not a mapping of submissions")
    out: dict[str, list[dict[str, str]]] = {}
    for name, meta in data.items():
        meta = meta if isinstance(meta, dict) else {}
        submitters = meta.get(":submitters") or meta.get("submitters") or []
        out[str(name)] = [{"name": str(s.get(":name") or s.get("name") or ""),
                           "sid": str(s.get(":sid") or s.get("sid") or ""),
                           "email": str(s.get(":email") or s.get("email") or "")}
                          for s in (submitters if isinstance(submitters, list) else []) if isinstance(s, dict)]
    return out


def discover(paths: list[str | Path], as_one: bool = False) -> list[Submission]:
    """Turn command-line PATHs into submissions; ids must be unique within a run."""
    found: list[Submission] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise DiscoveryError(f"{path}: no such file or folder")
        if path.is_file():
            found.append(Submission(path.stem, [path], path.parent))
        elif as_one:
            found.append(_submission(path.name, path))
        elif (path / "submission_metadata.yml").exists():
            students = _gradescope_students(path)
            for sub in sorted(p for p in path.iterdir() if p.is_dir()):
                found.append(_submission(sub.name, sub, students.get(sub.name, [])))
        else:
            subfolders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
            loose = sorted(p for p in path.iterdir() if p.is_file() and p.name not in IGNORED
                           and not p.name.startswith("."))
            if subfolders:
                found += [_submission(s.name, s) for s in subfolders]
                found += _by_stem(path, loose)
            else:
                found += _loose_groups(path, loose)
    seen: dict[str, Submission] = {}
    for sub in found:
        if sub.id in seen:
            a, b = seen[sub.id], sub
            raise DiscoveryError(f"two submissions have the id {sub.id!r}: {a.files[0] if a.files else a.root} "
                                 f"and {b.files[0] if b.files else b.root}")
        seen[sub.id] = sub
    return found


# Preference when several files answer the same part: the source over its rendering.
PREFERENCE = {"sheet": 0, "tex": 1, "text": 2, "pdf": 3}


def read_file(path: Path, limits: Limits, root: Path) -> list[Document]:
    from grader.ingest import READERS

    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise RejectedFile(f"{path.name} is {size / 1e6:.1f} MB, more than the {limits.max_file_bytes / 1e6:.0f} MB allowed")
    if size == 0:
        raise RejectedFile(f"{path.name} is empty")
    suffix = path.suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise RejectedFile(f"{path.name}: {suffix or 'files without an extension'} cannot be graded "
                           f"(use .tex, .pdf, .md, .txt or the YAML answer sheet)")
    started = time.monotonic()
    docs = reader(path, limits, root)
    if time.monotonic() - started > limits.parse_seconds:
        raise RejectedFile(f"{path.name} took longer than {limits.parse_seconds:g} s to read")
    return [tidied(doc) for doc in docs]


def read_submission(sub: Submission, limits: Limits = DEFAULT_LIMITS) -> tuple[list[Document], list[str]]:
    """Every readable document of a submission, best first, and the problems met on the way."""
    problems: list[str] = list(sub.problems)
    docs: list[Document] = []
    total = 0
    gradable = [f for f in sub.files if f.suffix.lower() in DOCUMENT_SUFFIXES]
    if len(sub.files) > limits.max_files:
        problems.append(f"{len(sub.files)} files, more than the {limits.max_files} read")
        gradable = gradable[:limits.max_files]
    for path in gradable:
        total += path.stat().st_size
        if total > limits.max_submission_bytes:
            problems.append(f"{path.name} skipped: the submission is larger than "
                            f"{limits.max_submission_bytes / 1e6:.0f} MB")
            continue
        try:
            read = read_file(path, limits, sub.root)
        except RejectedFile as exc:
            problems.append(str(exc))
            continue
        except Exception as exc:  # a reader bug or a malformed file must not stop the batch
            problems.append(f"{path.name} could not be read ({type(exc).__name__}: {str(exc)[:200]})")
            continue
        docs.extend(read)
    # .sty, images and the like travel with a LaTeX source; other ignored files are reported.
    for path in sub.files:
        if path.suffix.lower() not in DOCUMENT_SUFFIXES | {".sty", ".cls", ".bib", ".png", ".jpg", ".jpeg", ".bbl", ".aux", ".log"}:
            problems.append(f"{path.name} was not read ({path.suffix or 'no extension'} is not a submission format)")
    docs.sort(key=lambda d: (PREFERENCE[d.kind], d.source))
    return docs, problems
