"""Zip archives: unpacked safely into a temporary folder, then read with the per-suffix readers.

Every archive is hostile until shown otherwise:
- zip-slip: absolute names, drive letters and `..` are refused, and so are symbolic links;
- zip bombs: caps on the number of members, on each member and on the total uncompressed size
  (counted while writing, not trusted from the header), and on the compression ratio;
- archives inside the archive are not opened (reported instead).
Each Document keeps the member's name inside the archive as its source.
"""

from __future__ import annotations

import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from grader.ingest.document import Document
from grader.ingest.limits import Limits, RejectedFile

MAX_RATIO = 100  # uncompressed / compressed; text compresses ~5-10x, a bomb ~1000x
RATIO_FLOOR = 1_000_000  # small members may compress well without being suspicious
_CHUNK = 1 << 16
_SKIPPED = ("__MACOSX/", ".DS_Store", "Thumbs.db")


def _member_path(name: str) -> PurePosixPath | None:
    """The member's relative path, or None when it would land outside the folder."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or (len(clean) > 1 and clean[1] == ":") or "\x00" in clean:
        return None
    path = PurePosixPath(clean)
    if any(part in ("..", "") for part in path.parts) or len(path.parts) > 20:
        return None
    return path


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def unpack(path: Path, dest: Path, limits: Limits) -> tuple[list[tuple[str, Path]], list[str]]:
    """Extract the safe members of `path` into `dest`: [(member name, file)], problems."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise RejectedFile(f"{path.name} is not a readable zip archive ({exc})") from exc
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > limits.max_files:
            raise RejectedFile(f"{path.name} holds {len(infos)} files, more than the {limits.max_files} read")
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_submission_bytes:
            raise RejectedFile(f"{path.name} unpacks to {declared / 1e6:.0f} MB, more than the "
                               f"{limits.max_submission_bytes / 1e6:.0f} MB allowed")
        out: list[tuple[str, Path]] = []
        written = 0
        root = dest.resolve()
        for info in infos:
            name = info.filename
            if name.startswith(_SKIPPED) or PurePosixPath(name).name in _SKIPPED \
                    or PurePosixPath(name.replace("\\", "/")).name.startswith("._"):
                continue
            rel = _member_path(name)
            if rel is None:
                problems.append(f"{path.name}: {name!r} points outside the archive's folder; it was not read")
                continue
            if _is_symlink(info):
                problems.append(f"{path.name}: {name} is a symbolic link; it was not read")
                continue
            if info.flag_bits & 0x1:
                problems.append(f"{path.name}: {name} is password-protected; it was not read")
                continue
            if rel.suffix.lower() == ".zip":
                problems.append(f"{path.name}: {name} is an archive inside the archive; it was not opened "
                                f"(put its files in the main archive)")
                continue
            if info.file_size > limits.max_file_bytes:
                problems.append(f"{path.name}: {name} is {info.file_size / 1e6:.1f} MB, more than the "
                                f"{limits.max_file_bytes / 1e6:.0f} MB allowed; it was not read")
                continue
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise RejectedFile(f"{path.name}: {name} is compressed more than {MAX_RATIO} times "
                                   f"(a zip bomb?); the archive was not read")
            target = dest.joinpath(*rel.parts)
            if not target.resolve().is_relative_to(root):
                problems.append(f"{path.name}: {name!r} points outside the archive's folder; it was not read")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            try:
                with archive.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(_CHUNK):
                        size += len(chunk)
                        written += len(chunk)
                        # the header's sizes may lie: count what really comes out
                        if size > max(info.file_size, 0) or written > limits.max_submission_bytes:
                            raise RejectedFile(f"{path.name}: {name} unpacks to more than its header says "
                                               f"(a zip bomb?); the archive was not read")
                        dst.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
                problems.append(f"{path.name}: {name} could not be unpacked ({exc})")
                target.unlink(missing_ok=True)
                continue
            out.append((str(rel), target))
    return out, problems


def read_zip(path: Path, limits: Limits, root: Path | None = None) -> list[Document]:
    from grader.ingest import READERS
    from grader.ingest.submission import read_file

    with tempfile.TemporaryDirectory(prefix="grader-zip-") as tmp:
        folder = Path(tmp)
        members, problems = unpack(path, folder, limits)
        docs: list[Document] = []
        for name, file in sorted(members):
            suffix = file.suffix.lower()
            if suffix not in READERS or suffix == ".zip":
                continue
            try:
                read = read_file(file, limits, folder)
            except RejectedFile as exc:
                problems.append(f"{path.name}: {exc}")
                continue
            except Exception as exc:  # one broken member must not hide the others
                problems.append(f"{path.name}: {name} could not be read ({type(exc).__name__})")
                continue
            for doc in read:
                doc.source = name
            docs.extend(read)
    if not docs:
        reason = "; ".join(problems) if problems else "it holds no .tex, .pdf, .md, .txt or answer sheet"
        raise RejectedFile(f"{path.name}: nothing could be graded ({reason})")
    docs[0].problems.extend(p for p in problems if p not in docs[0].problems)
    return docs
