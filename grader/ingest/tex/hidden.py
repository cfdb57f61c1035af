"""Text TeX does not show, as each stage of the reader finds it.

A stage that leaves text out (a character made a comment sign by `\\catcode`, a false conditional, a
macro that drops its argument, a box never used, white or transparent text...) writes a record here
and puts a marker where the text was; the reader turns the markers into offsets in Document.text,
so that each record can be attached to the part it sits in.

A record is `unsure` when the reader cannot tell whether TeX shows the text (a conditional on a
counter, a catcode trick it cannot follow): the text stays out of the answer all the same, and the
record tells the pipeline that the part holding it goes to a TA.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.ingest.tex.source import HIDDEN_OPEN, MAX_MARKERS, marker

MAX_RECORD_CHARS = 2000  # of text kept per record while reading (reports show 300)


@dataclass
class HiddenRecord:
    text: str
    reason: str
    unsure: bool = False
    latex: bool = False  # the text is LaTeX source, left out before the walker read it
    cancelled: bool = False  # a saved box that was used after all


class HiddenLog:
    """The records of one document, in the order they were found."""

    def __init__(self, keeping: bool = True):
        self.records: list[HiddenRecord] = []
        # False while reading the preamble: a template's `\ifpdf` is no student's hidden answer
        self.keeping = keeping

    def open(self, reason: str, unsure: bool = False, latex: bool = False) -> tuple[HiddenRecord | None, str]:
        """A record whose text comes later (a branch being skipped, a run of white text), and the
        marker to put where the text starts. A record left blank is dropped at the end."""
        if not self.keeping or len(self.records) >= MAX_MARKERS:
            return None, ""
        self.records.append(HiddenRecord("", reason, unsure, latex))
        return self.records[-1], marker(HIDDEN_OPEN, len(self.records) - 1)

    def add(self, text: str, reason: str, unsure: bool = False, latex: bool = False) -> str:
        """Record text left out; the marker to put where it was ("" when nothing is recorded)."""
        if not text.strip():
            return ""
        record, mark = self.open(reason, unsure, latex)
        if record is not None:
            self.extend(record, text)
        return mark

    @staticmethod
    def extend(record: HiddenRecord | None, text: str) -> None:
        if record is not None and len(record.text) < MAX_RECORD_CHARS:
            record.text = (record.text + text)[:MAX_RECORD_CHARS]
