"""A paper review question (a rubric's `review:` block): one text in four sections, each graded as its own part.

    document -> the review's region (the answer to the review question)
             -> sections by their headings, in any style ("Summary:", "**Strengths**",
                "\\subsection*{Weaknesses}", "5.3 Weaknesses", "(5.4) Reflections")
             -> or, with no headings, by cue phrases at sentence starts ("The paper's strengths",
                "Nonetheless", "The reflections"), with lower confidence, said so on every part
             -> one Fragment per section part; after grading, every review part also reports the
                whole review's length against "one page", and hidden text found in the submission.

The rubric's top-level `review:` block (ReviewSettings) names the question and its section parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from grader.analyses.language import gloss
from grader.ingest.document import Document
from grader.kinds.base import Fragment, StrictModel
from grader.kinds.prose_text import units, word_count  # not prose.py: loading a rubric registers no kind

if TYPE_CHECKING:
    from grader.rubric import Rubric
    from grader.score import PartResult


class ReviewSection(StrictModel):
    part: str  # the rubric part graded on this section
    name: str  # regex of the section's name in a heading: 'strengths?|strong points|pros'
    # Regexes that open this section in a review without headings, tried at sentence starts: strong
    # cues name the section ("The paper's strengths"), weak ones only announce a turn ("Nonetheless").
    cues: list[str] = Field(default_factory=list)
    weak_cues: list[str] = Field(default_factory=list)


class ReviewLength(StrictModel):
    min: int = 350
    max: int = 900


class ReviewSettings(StrictModel):
    question: int
    sections: list[ReviewSection] = Field(min_length=1)  # in the order a review is expected to follow
    words: ReviewLength = ReviewLength()  # "one page", in words, for the whole review
    length_part: str | None = None  # the part whose notes carry the length verdict (default: last section)

    @model_validator(mode="after")
    def _compile(self) -> ReviewSettings:
        for section in self.sections:
            for pattern in [section.name, *section.cues, *section.weak_cues]:
                re.compile(pattern)
        if self.words.max < self.words.min:
            raise ValueError("words.max is below words.min")
        return self


# Decorations before a heading: Markdown, LaTeX sectioning and emphasis, list bullets, numbering.
# Blanks inside a heading never span lines ([ \t], not \s): a \s* after ^ would rescan every
# following empty line from every line start, quadratic on a hostile run of newlines.
_LEAD = (r"^[ \t]*(?:(?:#{1,6}|[-*+>•]|\*\*|__|\\(?:textbf|textit|emph|underline|paragraph|subsection\*?|"
         r"subsubsection\*?|section\*?|item)[ \t]*(?:\[[^\]\n]*\])?[ \t]*\{?|\{)[ \t]*)*")
_NUMBER = r"(?:\(?[ \t]*(?:Q[ \t]*)?\d[ \t]*\.[ \t]*\d[ \t]*\)?[ \t]*[.:)\-–—]?[ \t]*|\(?[a-d]\)[ \t]*|[IVX]+\.[ \t]+)?"
_AFTER = r"[ \t]*(?:\*\*|__|\})?[ \t]*(?:[:.\-–—]|\*\*|\}|$|\n)"
_DISCLOSURE_LINE = re.compile(
    r"^[ \t>*_]*(?:\*\*)?(?:Note|N\.?B\.?|AI[- ]use|AI disclosure|Disclosure|Remarque)\s*(?:\*\*)?\s*:[^\n]*"
    r"(?:chat\s*-?gpt|gpt|grammarly|grammerly|copilot|claude|gemini|deepl|quillbot|AI|LLM|IA)[^\n]*$", re.I | re.M)


@dataclass(frozen=True)
class Section:
    part: str
    name: str
    text: str
    how: str
    confidence: float


@dataclass
class ReviewSplit:
    text: str  # the whole review, as graded (disclosure notes left out)
    source: str
    sections: dict[str, Section]
    headed: bool
    cues: list[str] = field(default_factory=list)  # the cue sentences an unheaded review was split at
    region: tuple[int, int] = (0, 0)  # offsets of the review in the document's text

    @property
    def words(self) -> int:
        return word_count(self.text)


def _section_label(section: ReviewSection) -> str:
    return re.sub(r"[^A-Za-z ]", "", section.name.split("|")[0]).strip().capitalize() or section.part


def review_region(doc: Document, rubric: Rubric, question_lines: set[str] | frozenset[str]) -> tuple[int, int] | None:
    """Offsets of the answer to the review question: from its answer marker (or first heading) to
    the next heading of another question."""
    from grader.segment import outline  # segment imports the rubric

    settings = rubric.review
    if settings is None or doc.answers is not None or not doc.text:
        return None
    text, headings = outline(doc.text, rubric, question_lines)
    own = [h for h in headings if h.question == settings.question]
    if not own:
        return None
    markers = [h for h in own if h.is_answer_marker]
    first = markers[0] if markers else own[0]
    start = first.end if first.part_id is None else first.start
    end = next((h.start for h in headings if h.start > first.start and h.question is not None
                and h.question != settings.question), len(text))
    return start, end


def _headings(text: str, settings: ReviewSettings, rubric: Rubric) -> list[tuple[int, int, str]]:
    found = []
    for section in settings.sections:
        part_number = re.escape(section.part)
        for pattern in (rf"{_LEAD}{_NUMBER}(?:{section.name}){_AFTER}",
                        rf"{_LEAD}\(?[ \t]*(?:Q[ \t]*)?{part_number}[ \t]*\)?[ \t]*[.:)\-–—]?{_AFTER}"):
            for m in re.finditer(pattern, text, re.I | re.M):
                found.append((m.start(), m.end(), section.part))
    found += _glossed_headings(text, settings)
    found.sort()
    unique: list[tuple[int, int, str]] = []
    for start, end, part in found:  # "5.2 Strengths:" is matched twice: keep the first
        if unique and start < unique[-1][1]:
            continue
        unique.append((start, end, part))
    return unique


def _glossed_headings(text: str, settings: ReviewSettings) -> list[tuple[int, int, str]]:
    """Short lines in French whose English gloss is a section's heading ("Forces", "Faiblesses",
    "Réflexions"): the rubric's section names need not list every language."""
    found = []
    for m in re.finditer(r"^[^\n]{1,40}$", text, re.M):
        line = m.group(0)
        if not re.search(r"[a-zA-ZÀ-ÿ]{4,}", line):
            continue
        glossed = gloss(line)
        if glossed == line.lower():
            continue
        for section in settings.sections:
            if re.match(rf"{_LEAD}{_NUMBER}(?:{section.name}){_AFTER}", glossed, re.I):
                found.append((m.start(), m.end(), section.part))
                break
    return found


def split_review(text: str, settings: ReviewSettings, rubric: Rubric, source: str = "") -> ReviewSplit:
    text = _DISCLOSURE_LINE.sub("", text)
    headings = _headings(text, settings, rubric)
    parts_headed = {p for _, _, p in headings}
    names = {s.part: _section_label(s) for s in settings.sections}
    sections: dict[str, Section] = {}
    if len(parts_headed) >= 2 or (parts_headed and len(settings.sections) == 1):
        for i, (start, end, part) in enumerate(headings):
            stop = headings[i + 1][0] if i + 1 < len(headings) else len(text)
            body = text[end:stop]
            if part in sections:  # the same heading twice: one section, both pieces
                old = sections[part]
                sections[part] = Section(part, old.name, old.text + "\n" + body, old.how, old.confidence)
                continue
            heading = " ".join(text[start:end].split())
            sections[part] = Section(part, names[part], body, f"review heading '{heading[:30]}'", 0.9)
        first_part = settings.sections[0].part
        before = text[:headings[0][0]]
        if first_part not in sections and word_count(before) >= 30:
            sections[first_part] = Section(first_part, names[first_part], before,
                                           "the review's text before its first heading (no heading of its own)", 0.7)
        return ReviewSplit(text, source, sections, headed=True)
    return _split_by_cues(text, settings, names, source)


def _split_by_cues(text: str, settings: ReviewSettings, names: dict[str, str], source: str) -> ReviewSplit:
    """No headings: sentence starts that open each section, in the review's expected order."""
    sentences = units(text)
    positions, offset = [], 0
    for sentence in sentences:  # map each unit back to its offset in the text
        first_word = sentence.split()[0] if sentence.split() else sentence
        found = text.find(first_word, offset)
        positions.append(found if found >= 0 else offset)
        offset = max(offset, positions[-1] + 1)
    starts: list[tuple[int, str, str, float]] = []  # (sentence index, part, cue sentence, confidence)
    after = 1  # the first section starts the review: look for the next one from the second sentence on
    for section in settings.sections[1:]:
        hit = None
        for cues, confidence in ((section.cues, 0.6), (section.weak_cues, 0.5)):
            hit = next(((i, confidence) for i in range(after, len(sentences))
                        if any(re.match(rf"\W*(?:{c})", sentences[i], re.I) for c in cues)), None)
            if hit:
                break
        if hit:
            starts.append((hit[0], section.part, sentences[hit[0]], hit[1]))
            after = hit[0] + 1
    sections: dict[str, Section] = {}
    first = settings.sections[0]
    bounds = [(0, first.part, "", 0.6)] + starts
    for n, (index, part, cue, confidence) in enumerate(bounds):
        stop = positions[bounds[n + 1][0]] if n + 1 < len(bounds) else len(text)
        body = text[positions[index] if index < len(positions) else len(text):stop]
        if n == 0:
            how = "no section headings: the review's opening, up to the first cue phrase"
        else:
            how = f"no section headings: split at the cue phrase '{' '.join(cue.split()[:5])}…'"
        sections[part] = Section(part, names[part], body, how + " (lower confidence)", confidence)
    return ReviewSplit(text, source, sections, headed=False, cues=[c for _, _, c, _ in starts])


def find_review(docs: list[Document], rubric: Rubric,
                question_lines: set[str] | frozenset[str]) -> ReviewSplit | None:
    from grader.segment import outline  # segment imports the rubric

    if rubric.review is None:
        return None
    for doc in docs:  # best document first
        region = review_region(doc, rubric, question_lines)
        if region is None:
            continue
        text = outline(doc.text, rubric, question_lines)[0][region[0]:region[1]]
        if not text.strip():
            continue
        split = split_review(text, rubric.review, rubric, doc.source)
        split.region = region
        return split
    return None


def review_fragments(docs: list[Document], fragments: dict[str, Fragment], rubric: Rubric,
                     question_lines: set[str] | frozenset[str]) -> dict[str, Fragment]:
    """Replace the review parts' fragments by the review's sections (other parts untouched)."""
    split = find_review(docs, rubric, question_lines)
    if split is None:
        return fragments
    out = dict(fragments)
    # a passage the reader could not judge, in the review: every section goes to a TA with it
    unsure = tuple(h for d in docs if d.source == split.source for h in d.hidden
                   if h.unsure and h.offset is not None and split.region[0] <= h.offset <= split.region[1])
    for section in rubric.review.sections:
        found = split.sections.get(section.part)
        if found is None or not found.text.strip():
            out.pop(section.part, None)
            continue
        out[section.part] = Fragment(section.part, found.text, f"{found.how} in {split.source}",
                                     found.confidence, source=split.source, unsure=unsure)
    return out


def annotate_review(parts: list[PartResult], docs: list[Document], rubric: Rubric,
                    question_lines: set[str] | frozenset[str]) -> None:
    """Every review part reports the whole review's length, how it was split, and hidden text."""
    settings = rubric.review
    if settings is None:
        return
    split = find_review(docs, rubric, question_lines)
    by_id = {p.id: p for p in parts}
    review_parts = [by_id[s.part] for s in settings.sections if s.part in by_id]
    if split is None:
        return
    words = split.words
    length_part = settings.length_part or settings.sections[-1].part
    verdict = (f"The whole review is {words} words; one page is about {settings.words.min}–{settings.words.max}"
               f" words")
    if words < settings.words.min:
        verdict += ": shorter than a page."
        note = "review-too-short"
    elif words > settings.words.max:
        verdict += ": longer than a page."
        note = "review-too-long"
    else:
        verdict += "."
        note = None
    hidden = [h for d in docs if d.source == split.source for h in d.hidden]
    in_review = [h for h in hidden if getattr(h, "offset", None) is not None
                 and split.region[0] <= h.offset < split.region[1]]  # readers that record where it was
    for part in review_parts:
        lines = [verdict]
        if not split.headed:
            lines.append("The review has no section headings: it was split at cue phrases"
                         + (f" ({'; '.join('“' + ' '.join(c.split()[:4]) + '…”' for c in split.cues)})" if split.cues else "")
                         + ", with lower confidence.")
        if hidden:
            where = "in the review" if in_review else "in this submission"
            reasons = sorted({h.reason for h in (in_review or hidden)})
            lines.append(f"Text hidden from the reader ({len(in_review or hidden)} passage(s): {', '.join(reasons)}) "
                         f"was found {where}; it was left out of the review's word count and checks.")
        if part.status == "missing":  # the section was not found: a TA decides, never a silent 0
            label = next(_section_label(s) for s in settings.sections if s.part == part.id)
            part.status = "needs_review"
            for c in part.components:
                c.status = "needs_review"
            lines.insert(0, f"No {label} section was found in the review"
                            + ("" if split.headed else " (it has no headings and no cue phrase for it)") + ".")
            part.feedback = ""
        if part.override is None and part.status == "needs_review":
            part.review = " ".join(filter(None, [part.review, *[l for l in lines if l.startswith(("No ", "Text hidden"))]]))
        if note and part.id == length_part:
            for c in part.components:
                c.notes = (*c.notes, note)
        _append(part, " ".join(lines))


def _append(part: PartResult, text: str) -> None:
    """Add a line to the part's feedback where the feedback page shows it (part or last component)."""
    part.feedback = f"{part.feedback} {text}".strip()
    if len(part.components) == 1:
        part.components[0].feedback = part.feedback
    elif part.components:
        part.components[-1].feedback = f"{part.components[-1].feedback} {text}".strip()
