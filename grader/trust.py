"""What the grader may trust on a later run: a fingerprint of its own code, and what it signed.

Files the grader keeps between runs (the result cache, the rerun index, the validated rubric) are
signed with an HMAC-SHA256 under a secret of this user's, `$XDG_CACHE_HOME/grader/cache-secret`
(0600, made on first use), never stored beside them: a file altered by hand, by another program,
by a disk fault, or written by another user fails its check and is ignored, never believed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache
from pathlib import Path

import grader


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the installed grader package (code and templates): new code, new results."""
    root = Path(grader.__file__).resolve().parent
    digest = hashlib.sha256(grader.__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".html", ".yaml", ".json", ".txt", ".lark"} and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "grader"


_SECRET: bytes | None = None


def _secret() -> bytes:
    """This user's secret, made on first use."""
    global _SECRET
    if _SECRET is None:
        path = user_cache() / "cache-secret"
        try:
            _SECRET = path.read_bytes()
        except OSError:
            _SECRET = b""
        if len(_SECRET) < 32:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(os.urandom(32))
                _SECRET = path.read_bytes()
            except FileExistsError:  # another process made it first
                _SECRET = path.read_bytes()
            except OSError:  # no writable home: files are still checksummed, not authenticated
                _SECRET = b"grader: no secret"
    return _SECRET


def mac(*chunks: bytes) -> str:
    digest = hmac.new(_secret(), digestmod=hashlib.sha256)
    for chunk in chunks:
        digest.update(len(chunk).to_bytes(8, "big") + chunk)
    return digest.hexdigest()


def signed_by_me(signature: object, *chunks: bytes) -> bool:
    return isinstance(signature, str) and hmac.compare_digest(signature, mac(*chunks))


def hash_files(digest, files, name_of, max_bytes: int | None = None) -> None:
    """Feed each file's name and bytes to `digest`, in name order, read in blocks: a file over
    `max_bytes` counts by its size alone (a hostile 5 GB file is never read), one that cannot be
    read by its error."""
    for path in sorted(files, key=name_of):
        digest.update(b"\0file\0" + name_of(path).encode("utf-8", "surrogateescape") + b"\0")
        try:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                digest.update(f"oversize:{size}".encode())
                continue
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            digest.update(f"unreadable:{exc.errno}".encode())

