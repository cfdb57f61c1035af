"""Where a submission copies the question text: its words aligned with the question text's, in order.

Students copy the statement before each answer (the course template does it for them). Both texts
become words (letters only: math, numbers and punctuation render too differently in a PDF, a .tex
and a Markdown file), and every word trigram of the submission that the question text holds at most
a few times is a seed (submission word i, question word j). The longest chain of seeds increasing
in both i and j is the copy in reading order: parts come in order, and a stray trigram elsewhere,
or a statement the student copied twice, cannot bend it. Consecutive seeds of one block of the
question text (a part's statement, a question's own text) form a run; a run of enough words is a
copied statement. Copies off the chain (a statement restated inside an answer) are found too, as
runs of seeds along one diagonal: they are blanked like the rest, but say nothing about structure.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from itertools import compress

from grader.segment.question_text import QuestionText, word_matches

# Words the chain may skip between two seeds of one run: a formula, a footnote mark, words a PDF
# lost or hyphenated differently.
_GAP = 8
# A run is a copy when it covers this many of the submission's words, densely (a student's own
# sentence may reuse a few of the statement's words: "I would use the forward KL for ..."), or
# when it covers most of a short block (a title, a one-line statement).
_MIN_WORDS = 10
_MIN_DENSITY = 0.6


@dataclass(frozen=True)
class Run:
    block: int  # index into QuestionText.blocks
    start: int  # character range in the submission's text, first word to last word
    end: int
    on_chain: bool  # on the ordered chain (a copy that tells structure), or a copy restated elsewhere


def _chain(seeds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest chain strictly increasing in both coordinates (patience sorting on j). `seeds`
    come sorted by i, then j descending, so that one i contributes at most one seed."""
    tails: list[int] = []  # smallest j ending a chain of each length
    tail_index: list[int] = []
    previous = [-1] * len(seeds)
    for k, (_, j) in enumerate(seeds):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_index.append(k)
        else:
            tails[pos] = j
            tail_index[pos] = k
        previous[k] = tail_index[pos - 1] if pos > 0 else -1
    chain = []
    k = tail_index[-1] if tail_index else -1
    while k >= 0:
        chain.append(seeds[k])
        k = previous[k]
    return chain[::-1]


def _accept(model: QuestionText, block: int, covered: int, spanned: int) -> bool:
    b = model.blocks[block]
    size = b.last - b.first
    if covered < _MIN_DENSITY * spanned:
        return False
    return covered >= _MIN_WORDS or (size >= 3 and covered >= 0.6 * size)


def align(text: str, model: QuestionText) -> list[Run]:
    """The runs of copied question text in a submission's text, in text order."""
    if model.empty or not text:
        return []
    found, words = word_matches(text)
    hits = list(map(model.grams.get, zip(words, words[1:], words[2:])))
    # the question text's word indices of each trigram increase: reversed, they come in _chain's order
    seeds = [(i, j) for i in compress(range(len(hits)), hits) for j in reversed(hits[i])]
    if not seeds:
        return []
    chain = _chain(seeds)
    runs: list[Run] = []

    def close(group: list[tuple[int, int]], on_chain: bool) -> None:
        block = model.block_of[group[0][1]]
        first, last = group[0][0], group[-1][0] + 2
        covered = len({i + d for i, _ in group for d in range(3)})
        if _accept(model, block, covered, last - first + 1):
            runs.append(Run(block, found[first].start(), found[last].end(), on_chain))

    group: list[tuple[int, int]] = []
    for i, j in chain:
        if group:
            pi, pj = group[-1]
            if i - pi > _GAP or j - pj > _GAP + (i - pi) or model.block_of[j] != model.block_of[pj]:
                close(group, True)
                group = []
        group.append((i, j))
    if group:
        close(group, True)
    # copies off the chain: consecutive seeds on one diagonal (i + 1, j + 1)
    on_chain = set(chain)
    diagonal: dict[int, list[tuple[int, int]]] = {}
    for i, j in sorted(set(seeds) - on_chain):
        diagonal.setdefault(j - i, []).append((i, j))
    for seq in diagonal.values():
        group = []
        for i, j in seq:
            if group and (i - group[-1][0] > 2 or model.block_of[j] != model.block_of[group[-1][1]]):
                if len(group) >= 3:
                    close(group, False)
                group = []
            group.append((i, j))
        if len(group) >= 3:
            close(group, False)
    runs.sort(key=lambda r: (r.start, not r.on_chain))
    return runs
