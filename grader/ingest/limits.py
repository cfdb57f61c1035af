"""Caps that keep a hostile or broken file from stalling a batch. Configurable per run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024
    max_submission_bytes: int = 60 * 1024 * 1024
    max_pages: int = 60
    max_files: int = 200  # in a folder or an archive
    max_text_chars: int = 2_000_000
    parse_seconds: float = 20.0  # wall-clock budget for reading one file


DEFAULT_LIMITS = Limits()


class RejectedFile(Exception):
    """A file that cannot be read, with the reason in words a student or TA understands."""
