"""A part's region -> each component's share ("scenario 1", "scenario 2", the justification).

A component is located by its markers: the rubric's `within` regexes, where `{part}` stands for
the part's own number as students write it ("3.2", "3 . 2"), so a rubric kept from year to year
never spells this year's numbering; and, for a component declared `ordinal: N`, the markers
students use for the N-th sub-question of a part, in English and French: "scenario 2",
"Scénario n°2", "case 2", "the second scenario", "(b)", "2)", "ii)", "{part}.2", "{part} (b)".
The component's text runs from its first marker (at a line start if one is, else anywhere; a
marker written after its answer, "the reverse KL for scenario 1", starts at its clause) to the
next sibling's.
"""

from __future__ import annotations

import re
from dataclasses import replace

from grader.analyses.language import fold
from grader.kinds.base import Fragment
from grader.part_ids import part_path
from grader.rubric import Component, Part

_WORDS = ["one", "two", "three", "four", "five", "six"]
_FRENCH_WORDS = ["un", "deux", "trois", "quatre", "cinq", "six"]
_ORDINALS = [("first", "1st", "premier", "premi[eè]re"), ("second", "2nd", "deuxi[eè]me", "seconde?"),
             ("third", "3rd", "troisi[eè]me"), ("fourth", "4th", "quatri[eè]me"), ("fifth", "5th", "cinqui[eè]me"),
             ("sixth", "6th", "sixi[eè]me")]
_ROMAN = ["i", "ii", "iii", "iv", "v", "vi"]
_NOUNS = r"(?:scenario|sc[ée]nario|case|cas|setting|situation|part|partie|sub-?question|sous-question)"


def part_number(part: Part) -> str:
    """The part's number as a regex a student's "3.2", "3 . 2" or "3-2" matches."""
    path = part_path(part.id) or (part.question,)
    return r"\s*[.\-]\s*".join(str(n) for n in path)


def ordinal_markers(part: Part, n: int) -> list[str]:
    """The usual markers of a part's n-th sub-question (see the module doc)."""
    k = n - 1
    if k >= len(_ROMAN):
        return [rf"\b{part_number(part)}\s*\.\s*{n}\b"]
    number = rf"(?:{n}|{_WORDS[k]}|{_FRENCH_WORDS[k]}|{_ROMAN[k]})"
    letter = "abcdef"[k]
    ordinal = "|".join(_ORDINALS[k])
    own = part_number(part)
    return [
        rf"\b{_NOUNS}\s*(?:n[°o]\.?\s*)?#?\s*{number}\b",
        rf"\b(?:{ordinal})\s+{_NOUNS}",
        rf"\b(?:for|in|pour|dans)\s+(?:the|le|la)\s+(?:{ordinal})\s+(?:one|cas)?\b",
        rf"\b{own}\s*\.\s*{n}\b",
        rf"\b{own}\s*\(?(?:{letter}|{_ROMAN[k]}|{n})\)",
        rf"^[ \t]*[-*•]?\s*\(?(?:{n}|{_ROMAN[k]}|{letter})\)\s",
        rf"(?<=[\s:;,])\(?(?:{n}|{_ROMAN[k]})\)\s",
        rf"^[ \t]*\|?\s*(?:{n}|{_ROMAN[k]})\s*[|&]",
        rf"^[ \t]*[-*•]?\s*{n}\s*[.:]\s",
    ]


def _markers(part: Part, component: Component) -> tuple[str, ...]:
    own = part_number(part)
    patterns = [p.replace("{part}", own) for p in component.within]
    if component.ordinal:
        patterns += ordinal_markers(part, component.ordinal)
    return tuple(patterns)


def split_components(part: Part, fragment: Fragment) -> dict[str, Fragment]:
    """Give each component its share of the part's fragment (by its markers, or by sheet key)."""
    if len(part.components) == 1:
        return {part.components[0].id: fragment}
    out: dict[str, Fragment] = {}
    if fragment.structured is not None:
        value = fragment.structured if isinstance(fragment.structured, dict) else {}
        for c in part.components:
            if c.id in value:
                out[c.id] = Fragment(part.id, "", fragment.how, fragment.confidence, value[c.id], source=fragment.source)
        return out
    markers = {c.id: _markers(part, c) for c in part.components}
    folded = fold(fragment.text)  # "Scénario n°1" matches a marker written "scenario 1"; offsets unchanged
    starts = [(_component_start(fragment.text, folded, markers[c.id]), c) for c in part.components]
    located = sorted(s for s, _ in starts if s is not None)
    for start, c in starts:
        if not markers[c.id]:
            out[c.id] = fragment
        elif start is not None:
            end = next((s for s in located if s > start), len(fragment.text))
            out[c.id] = replace(fragment, text=fragment.text[start:end], structured=None)
        elif fragment.text.strip():  # never a silent 0: read it from the whole part, with low confidence
            out[c.id] = replace(fragment, how=f"{fragment.how}; no marker for {c.id.replace('_', ' ')} was found, "
                                              f"so the whole answer to {part.id} was read",
                                confidence=min(fragment.confidence, 0.5))
    return out


def _component_start(text: str, folded: str, within: tuple[str, ...]) -> int | None:
    """Where a component's text starts (`folded`: the text folded, offsets unchanged): its first
    marker at the start of a line, else its first marker. A marker written after its answer ("the
    reverse KL for scenario 1") starts at its clause."""
    matches = [m for pattern in within for m in re.finditer(pattern, folded, re.I | re.M)]
    if not matches:
        return None
    line_start = lambda m: text.rfind("\n", 0, m.start()) + 1  # noqa: E731
    heading = [m for m in matches if not text[line_start(m):m.start()].strip(" \t-*•>#|&()[]{}0123456789.:")]
    first = min(heading or matches, key=lambda m: m.start())
    before = text[line_start(first):first.start()]
    if re.search(r"\b(?:for|in|under|with|to|pour|dans)\s+(?:the\s+|le\s+|la\s+)?$", before, re.I):
        cut = max(before.rfind(sep) + len(sep) if before.rfind(sep) >= 0 else 0
                  for sep in (". ", "; ", ", ", " and ", " et ", ": "))
        return line_start(first) + cut
    return first.start()
