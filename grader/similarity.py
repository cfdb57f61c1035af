"""Near-duplicate free-text answers between students: word shingles, MinHash with LSH, exact check.

For each part with free text (the prose components: derivations, justifications, the review):

1. the text becomes content tokens: lower case, LaTeX commands kept (`\\frac` is a token), stop
   words dropped and plural/tense endings stripped, so that light rewording ("the bound holds" /
   "this bound held") still matches;
2. shingles are runs of K consecutive tokens, hashed to 64 bits from a stable token hash (Python's
   own `hash` changes between runs: the output must not);
3. shingles of the assignment's question text, and boilerplate (shingles found in more than
   `max(BOILERPLATE_MIN, BOILERPLATE_SHARE * n)` submissions of the part: the template, a sentence
   everyone quotes) are left out;
4. candidate pairs come from MinHash signatures in LSH bands (answers alike as a whole) and from an
   inverted index of rare shingles (answers sharing a passage); neither loops over all n² pairs;
5. each candidate is checked exactly: Jaccard of the shingle sets, containment (the share of the
   shorter answer found in the other) and the longest passage shared word for word; a pair is
   flagged when any of them is high, with enough shared shingles not to flag two short answers
   that happen to meet;
6. the overlapping passages are quoted from both texts.

A flag is a pointer for a TA, not a verdict: paraphrases that change most words, or reorder every
sentence, are not caught, and students who quote the same source are.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import blake2b
import numpy as np

from grader.report.csvsafe import cell

K = 3  # tokens per shingle
NUM_PERM = 96
ROWS = 2  # rows per LSH band: 48 bands of 2 propose pairs from a Jaccard of about 0.15 upwards
BOILERPLATE_SHARE = 0.1
BOILERPLATE_MIN = 5
MIN_SHINGLES = 6  # an answer shorter than this (after filtering) is never compared
MIN_SHARED = 8
JACCARD_FLAG = 0.3
CONTAINMENT_FLAG = 0.5
LONG_RUN = 10  # consecutive shared shingles (about a sentence of content words) that flag a pair alone
RARE_DF = 20  # shingles in at most this many answers feed the inverted index of shared passages
MAX_BUCKET = 60  # an LSH bucket holding more answers than this is boilerplate at the signature level
SEED = 20231208

_STOP = frozenset("""a an the and or but if then so of to in on at by for with from as is are was were be been
being this that these those it its we our us you your they their he she his her i me my which who whom
what when where why how can could would should will shall may might must do does did done not no than
there here also into onto over under between about such each any all both either neither only very
just more most less same other some one two has have had having thus hence therefore since because
let where while via per""".split())
_TOKEN = re.compile(r"\\[A-Za-z]+|\w+")
_SUFFIXES = ("ing", "ed", "es", "s", "ly")

_MASK = (1 << 64) - 1
_MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5)


@dataclass
class SimilarPair:
    part: str
    a: str
    b: str
    jaccard: float
    containment: float
    shared: int
    passages: list[dict[str, str]] = field(default_factory=list)  # {"a": quote from a, "b": quote from b}


@dataclass
class _Doc:
    submission: str
    text: str
    hashes: np.ndarray  # one uint64 per shingle position, in text order
    kept: np.ndarray  # the distinct shingles that count (sorted)
    _spans: list[tuple[int, int]] | None = None
    _set: set[int] | None = None

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Character span of each kept token; only needed to quote a flagged pair."""
        if self._spans is None:
            self._spans = [(s, e) for _, s, e in tokens(self.text)]
        return self._spans

    @property
    def kept_set(self) -> set[int]:
        if self._set is None:
            self._set = set(self.kept.tolist())
        return self._set


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=500_000)
def _normal(word: str) -> str | None:
    """The token a word counts as, or None for a stop word (cached: a class reuses its words)."""
    word = word.lower()
    if word in _STOP or (len(word) == 1 and not word.isdigit()):
        return None
    return word if word[0] == "\\" else _stem(word)


@lru_cache(maxsize=500_000)
def _word_hash(word: str) -> int | None:
    token = _normal(word)
    if token is None:
        return None
    return int.from_bytes(blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Kept tokens with their character spans (the same sequence `_token_hashes` hashes)."""
    return [(t, m.start(), m.end()) for m in _TOKEN.finditer(text) if (t := _normal(m.group(0))) is not None]


def _token_hashes(text: str) -> np.ndarray:
    hashes = [h for h in map(_word_hash, _TOKEN.findall(text)) if h is not None]
    return np.array(hashes, dtype=np.uint64)


def _shingle_hashes(base: np.ndarray) -> np.ndarray:
    if len(base) < K:
        return np.zeros(0, dtype=np.uint64)
    n = len(base) - K + 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):  # wrapping 64-bit arithmetic is the point
        for j in range(K):
            h = (h ^ base[j:j + n]) * np.uint64(_MULTIPLIERS[j])
            h ^= h >> np.uint64(29)
    return h


def shingles(text: str) -> set[int]:
    return set(_shingle_hashes(_token_hashes(text)).tolist())


def _permutations() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SEED)
    a = rng.integers(1, 2 ** 63, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd
    b = rng.integers(0, 2 ** 63, size=NUM_PERM, dtype=np.uint64)
    return a, b


def minhash(values: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (values[:, None] * a[None, :] + b[None, :]).min(axis=0)


# ---------------------------------------------------------------- texts per part

def prose_texts(results, rubric) -> dict[str, dict[str, str]]:
    """{part id: {submission: free text}} for every part with a prose component."""
    prose_parts = {p.id for p in rubric.parts if any(c.kind == "prose" for c in p.components)}
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for result in results:
        for part in result.parts:
            if part.id not in prose_parts:
                continue
            texts = []
            for c in part.components:
                if c.kind == "prose" and isinstance(c.answer, dict) and isinstance(c.answer.get("text"), str):
                    if c.answer["text"] not in texts:
                        texts.append(c.answer["text"])
            if texts:
                out[part.id][result.submission] = "\n".join(texts)
    return out


def question_shingles(rubric) -> set[int]:
    path = rubric.question_path
    if path is None:
        return set()
    return shingles(path.read_text(encoding="utf-8")) if path.exists() else set()


# ---------------------------------------------------------------- detection

def _quote(text: str, spans: list[tuple[int, int]], first: int, last: int, limit: int = 320) -> str:
    quote = " ".join(text[spans[first][0]:spans[last][1]].split())
    return quote if len(quote) <= limit else quote[: limit - 1] + "…"


def _runs(doc: _Doc, shared: set[int]) -> list[tuple[int, int, list[int]]]:
    """Maximal runs of shingle positions whose shingle is shared: (first token, last token, hashes)."""
    runs: list[tuple[int, int, list[int]]] = []
    current: list[int] = []
    for pos, h in enumerate(doc.hashes.tolist()):
        if h in shared:
            if current and pos != current[-1] + 1:
                runs.append(current_run(doc, current))
                current = []
            current.append(pos)
        elif current:
            runs.append(current_run(doc, current))
            current = []
    if current:
        runs.append(current_run(doc, current))
    return runs


def current_run(doc: _Doc, positions: list[int]) -> tuple[int, int, list[int]]:
    hashes = doc.hashes.tolist()
    return positions[0], positions[-1] + K - 1, [hashes[p] for p in positions]


def _passages(a: _Doc, b: _Doc, shared: set[int], limit: int = 3) -> list[dict[str, str]]:
    runs_a = sorted(_runs(a, shared), key=lambda r: (-(r[1] - r[0]), r[0]))[:limit]
    runs_b = _runs(b, shared)
    out = []
    for first, last, hashes in sorted(runs_a, key=lambda r: r[0]):
        wanted = set(hashes)
        best = max(runs_b, key=lambda r: (len(wanted & set(r[2])), -r[0]), default=None)
        quote_b = _quote(b.text, b.spans, best[0], best[1]) if best else ""
        out.append({"a": _quote(a.text, a.spans, first, last), "b": quote_b})
    return out


def find_similar_texts(texts: dict[str, str], part: str = "", ignore: set[int] = frozenset()) -> list[SimilarPair]:
    """Flagged pairs among {submission: text} answers to one part."""
    names = sorted(texts)
    positions = [_shingle_hashes(_token_hashes(texts[name])) for name in names]
    distinct = [np.unique(h) for h in positions]
    if not distinct:
        return []
    flat = np.concatenate(distinct)
    owner = np.repeat(np.arange(len(names)), [len(d) for d in distinct])
    _, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    frequency = counts[inverse]  # in how many answers each (answer, shingle) occurs
    keep = frequency <= max(BOILERPLATE_MIN, BOILERPLATE_SHARE * len(names))
    if ignore:
        keep &= ~np.isin(flat, np.fromiter(ignore, dtype=np.uint64, count=len(ignore)))
    bounds = np.searchsorted(owner[keep], np.arange(len(names) + 1))
    kept_flat = flat[keep]
    docs = [_Doc(name, texts[name], positions[i], kept_flat[bounds[i]:bounds[i + 1]]) for i, name in enumerate(names)]
    usable = [i for i, d in enumerate(docs) if len(d.kept) >= MIN_SHINGLES]
    if len(usable) < 2:
        return []
    candidates: set[tuple[int, int]] = set()
    # answers alike as a whole: MinHash signatures, LSH bands
    a, b = _permutations()
    signatures = np.stack([minhash(docs[index].kept, a, b) for index in usable])
    ids = np.array(usable)
    with np.errstate(over="ignore"):
        for band in range(NUM_PERM // ROWS):
            keys = signatures[:, band * ROWS]
            for row in range(1, ROWS):  # one 64-bit bucket key per band
                keys = keys * np.uint64(_MULTIPLIERS[row]) ^ signatures[:, band * ROWS + row]
            order = np.argsort(keys, kind="stable")
            ordered = keys[order]
            starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
            sizes = np.diff(np.r_[starts, len(ordered)])
            for first, size in zip(starts[sizes >= 2].tolist(), sizes[sizes >= 2].tolist()):
                if size <= MAX_BUCKET:
                    members = sorted(ids[order[first:first + size]].tolist())
                    for i, x in enumerate(members):
                        for y in members[i + 1:]:
                            candidates.add((x, y))
    # answers sharing a passage: rare shingles found in two answers or more
    rare = keep & (frequency >= 2) & (frequency <= RARE_DF)
    shingle_ids, holders = inverse[rare], owner[rare]
    order = np.lexsort((holders, shingle_ids))
    shingle_ids, holders = shingle_ids[order].tolist(), holders[order].tolist()
    together: dict[tuple[int, int], int] = defaultdict(int)
    start = 0
    for end in range(1, len(shingle_ids) + 1):
        if end == len(shingle_ids) or shingle_ids[end] != shingle_ids[start]:
            group = holders[start:end]
            for i, x in enumerate(group):
                for y in group[i + 1:]:
                    together[(x, y)] += 1
            start = end
    candidates.update(pair for pair, count in together.items() if count >= MIN_SHARED)
    pairs = []
    for x, y in sorted(candidates):
        da, db = docs[x], docs[y]
        shared = da.kept_set & db.kept_set
        if len(shared) < MIN_SHARED:
            continue
        jaccard = len(shared) / len(da.kept_set | db.kept_set)
        containment = len(shared) / min(len(da.kept_set), len(db.kept_set))
        longest = max((last - first - K + 2 for first, last, _ in _runs(da, shared)), default=0)
        if jaccard < JACCARD_FLAG and containment < CONTAINMENT_FLAG and longest < LONG_RUN:
            continue
        pairs.append(SimilarPair(part, da.submission, db.submission, round(jaccard, 3), round(containment, 3),
                                 len(shared), _passages(da, db, shared)))
    return pairs


def find_similar(results, rubric) -> list[SimilarPair]:
    """Flagged pairs for every free-text part, in rubric order, the most similar first."""
    ignore = question_shingles(rubric)
    pairs: list[SimilarPair] = []
    by_part = prose_texts(results, rubric)
    for part in rubric.parts:
        if part.id in by_part:
            found = find_similar_texts(by_part[part.id], part.id, ignore)
            pairs += sorted(found, key=lambda p: (-p.jaccard, -p.containment, p.a, p.b))
    return pairs


def similarity_csv(pairs: list[SimilarPair]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["part", "submission_a", "submission_b", "jaccard", "containment", "shared_shingles",
                     "passage_a", "passage_b"])
    for p in pairs:
        first = p.passages[0] if p.passages else {"a": "", "b": ""}
        writer.writerow([cell(p.part), cell(p.a), cell(p.b), f"{p.jaccard:.3f}", f"{p.containment:.3f}", p.shared,
                         cell(first["a"]), cell(first["b"])])
    return out.getvalue()

