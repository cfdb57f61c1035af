"""Part ids as paths of ordinals: the one way every stage compares a heading with a rubric part.

Rubrics name parts as their assignment numbers them: "1.1", "3.2a", "4.6b", "2", "2a", "2.1.b",
"1.10". Students number the same parts "3.2 (a)", "3.2.1", "Question 3 (b)", "(ii)". Both become a
path of ordinals per level, letters and roman numerals counted like digits: "3.2a", "3.2 (a)" and
"3.2.1" are all (3, 2, 1). The first level is the question.
"""

from __future__ import annotations

import re
from functools import lru_cache

Path = tuple[int, ...]

_TOKEN = re.compile(r"\d+|[A-Za-z]+")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}


def ordinal(token: str, roman: bool = False) -> int | None:
    """1 for "1", "a", "A" (and "i" when `roman`); None for what is not a level's number."""
    if token.isdigit():
        return int(token)
    low = token.lower()
    if roman and low in _ROMAN:
        return _ROMAN[low]
    if len(low) == 1 and "a" <= low <= "z":
        return ord(low) - ord("a") + 1
    if low in _ROMAN and len(low) > 1:  # "ii", "iv": never a letter
        return _ROMAN[low]
    return None


@lru_cache(maxsize=4096)
def part_path(part_id: str) -> Path:
    """(3, 2, 1) for "3.2a"; () when the id holds no number at all."""
    tokens = _TOKEN.findall(part_id)
    while tokens and not tokens[0].isdigit():  # "Q2a", "part2": a leading word is no level
        tokens = tokens[1:]
    out: list[int] = []
    for token in tokens:
        if token.isdigit() or len(token) == 1 or token.lower() in _ROMAN:
            value = ordinal(token)
            if value is None:
                break
            out.append(value)
        else:  # "2ab" and other runs of letters: one letter per level
            out.extend(ordinal(ch) or 0 for ch in token)
    return tuple(out)


def question_of(part_id: str) -> int | None:
    path = part_path(part_id)
    return path[0] if path else None

