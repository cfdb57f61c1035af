"""Shortening blank runs keeps every grid anchored at the same text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.ingest.document import Document, GridFinding, tidied, tidy_whitespace

pieces = st.lists(st.sampled_from(["a", "Q1.1)", " ", "  ", "\t", "\n", "\n\n\n", " \n \n", "#", "11\t12"]),
                  max_size=60)


@settings(max_examples=300, deadline=None)
@given(pieces, st.lists(st.integers(min_value=0, max_value=59), max_size=5))
def test_grid_offsets_follow_their_text(parts, anchors):
    text = ""
    offsets = []
    for i, piece in enumerate(parts):
        if i in anchors:
            offsets.append(len(text))
            text += "@"
        text += piece
    doc = Document("x.txt", "text", text, grids=[GridFinding(o, None, "t", 1.0) for o in offsets])
    tidy = tidied(doc)
    assert tidy.text == tidy_whitespace(text)
    assert [tidy.text[g.offset] for g in tidy.grids] == ["@"] * len(offsets)
    assert "   " not in tidy.text and "\n\n\n" not in tidy.text
    assert tidied(tidy).text == tidy.text


def test_a_million_newlines_shrink():
    doc = tidied(Document("x.txt", "text", "Q1.1)" + "\n" * 1_000_000 + "answer"))
    assert doc.text == "Q1.1)\n\nanswer"
