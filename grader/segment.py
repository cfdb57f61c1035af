"""Document -> one Fragment per part id, with how each was found.

Students number parts in many ways: "Q1.1)", "1.1", "1.1:", "3.1.b):", "4.6.a)", "3.2-a", "(3.2.a)",
"Q4.6b.", "Part 3.2(a):", "Problem 4.6 (b)", "**Q3.2a**", "### 3.2 (b)", "Question 1 (a)",
"\\section*{Question 3}" followed by "\\textbf{3.2 (a)}", "\\item[3.2(a)]", "Answer 2. 2.1)", and a
PDF's text layer splits some of them across lines ("Question\\n3", "3.2\\n(a)"). The segmenter:

1. blanks the assignment's own question text (`blank_question_text`): a line equal to a line of
   the rubric's question-text file, or, for the shorter lines a PDF wraps paragraphs into, a line
   whose words run as in the question text. A part number or question marker at the start of such
   a line is kept: it still tells where the template's question (and often the answer) starts;
2. finds question markers ("Question 3", "Answer 3") and part headings at the start of lines: a
   number "q.p" with an optional sub-part ("a", "(a)", ".a", "-a", ".1"), followed by a closing
   mark, the end of the line, or a capital letter; "1.5 times", "3.2 = x", "Figure 1.1", dates
   and decimals are not headings;
3. maps each heading to a rubric part: "3.2 (a)" -> 3.2a if that part exists, else 3.2 (so
   "3.1.b)" is option b inside part 3.1, because part 3.1b does not exist); "3.4.1" -> 3.4a when
   3.4 has lettered parts; "Question 1 (a)" -> 1.1 (the a-th part of question 1); a bare "(b)" line
   continues the nearest heading above it ("3.2 (a)" ... "(b)" -> 3.2b; "3.2" ... "(a)" -> 3.2a;
   "Question 5" ... "(a)" -> 5.1 when question 5's parts are numbered 5.1, 5.2, ...);
4. gives each part the text from its heading(s) to the next heading; when "Answer N" markers exist,
   only headings inside answers count; a heading whose span holds nothing but blanked question
   text is dropped (the template's "2.1 Show that ..." left unanswered);
5. attaches grids (and formulas) found by a reader to the part whose text holds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from grader.ingest.document import Document
from grader.kinds.base import Fragment
from grader.rubric import Rubric

# Decorations that may precede a heading at the start of a line: Markdown (#, **, __, *, bullets,
# quotes), LaTeX sectioning and font commands with their opening brace, \item with its optional
# label's opening bracket, and bare braces or brackets.
_LATEX_LEAD = (r"\\(?:textbf|textit|textsc|textsf|emph|underline|uline|mbox|paragraph|subparagraph|"
               r"subsubsection|subsection|section|item|noindent|bfseries|itshape|large|Large|LARGE|"
               r"medskip|smallskip|bigskip|newline|vspace\*?\{[^}\n]*\}|hspace\*?\{[^}\n]*\})\*?")
# Atomic and possessive: the spaces of a long blank line (blanked question text) could otherwise
# be split between neighbouring quantifiers in quadratically or exponentially many ways.
_LEAD = rf"(?>(?:[ \t]*+(?:#{{1,6}}|\*\*|__|[-*+>•·▪◦]|{_LATEX_LEAD}[ \t]*+(?:\[|\{{)?|\{{|\[))*)[ \t]*+"
# "Answer 2." before a part number ("Answer 2. 2.1)").
_ANSWER_PREFIX = r"(?:(?i:Answer|Question|Solution|R[ée]ponse)[ \t]*+[1-9][ \t]*+[.:)][ \t]*+)?"
# A word before a part number ("Q1.1", "Part 3.2(a)", "Problem 4.6 (b)", "Answer to 4.3").
_WORD = (r"(?:(?i:Q(?:uestion)?|Part|Problem|Prob|Ex(?:ercise)?|Ans(?:wer)?|Sol(?:ution)?|R[ée]ponse)"
         r"\.?[ \t]*+(?:(?i:to)[ \t]+(?:(?i:question)[ \t]*+|Q[ \t]*+)?)?[#\-:]?[ \t]*+)?")
# Sub-part after "q.p": "(a)" (possibly on the next line of a PDF's text), "a" / ".a" / "-a" / " a",
# an upper-case letter only when a closing mark follows ("3.2A)"), or ".1".
_SUB = (r"(?:[ \t]*+\n?[ \t]*+\((?P<s1>[a-hA-H]|[1-9])\)"
        r"|[ \t]*+[.\-_]?[ \t]*+(?P<s2>[a-h])(?![A-Za-z0-9])"
        r"|[ \t]*+[.\-_]?[ \t]*+(?P<s3>[A-H])(?=[ \t]*+[).:\]}*])"
        r"|\.(?P<s4>[1-9])(?![\d.]?\d))")
_PART = re.compile(
    rf"^{_LEAD}{_ANSWER_PREFIX}(?P<open>\()?[ \t]*+{_WORD}(?P<q>[1-9])[ \t]*+\.[ \t]*+(?P<p>[1-9])(?![\d,])"
    rf"(?P<sub>{_SUB})?", re.M)
_QUESTION = re.compile(
    rf"^{_LEAD}(?P<word>Question|Answer|Solution|Problem|Exercise|R[ée]ponse|Q)[ \t]*+\n?[ \t]*+"
    r"(?P<q>[1-9])(?!\.\d)(?!\d)", re.I | re.M)
_QUESTION_SUB = re.compile(
    rf"^{_LEAD}(?:Question|Q|Problem|Exercise|Answer|Part)[ \t]*+(?P<q>[1-9])[ \t]*+(?:[.\-][ \t]*+)?"
    r"(?:\((?P<s1>[a-hA-H])\)|(?P<s2>[a-h])(?=[ \t]*+[).:\]}]))", re.I | re.M)
_SUB_ONLY = re.compile(rf"^{_LEAD}(?:\((?P<s1>[a-hA-H])\)|(?P<s2>[a-h])\))", re.M)
# What may follow a heading on its line: a closing mark, Markdown emphasis, nothing, or the start
# of a sentence or of math. "1.5 times", "3.2 = x" and "4.2 is" fail this.
_AFTER_OK = re.compile(r"[ \t]*+(?:[):.\-–—}\]|]|\*|__|$)|[ \t]+(?=[A-Z(\\$\[])", re.M)
_EQUATION_TAG = re.compile(r"[ \t]*+\)[ \t]*+$", re.M)
_CLOSING = re.compile(r"(?:[ \t]*+(?:[):.}\]]|\*\*|__))*")  # taken into the heading's text


@dataclass(frozen=True)
class Heading:
    start: int
    end: int
    part_id: str | None  # None: a question or answer marker, or a group, which only ends the previous span
    text: str
    confidence: float
    question: int | None = None
    is_answer_marker: bool = False
    group: str | None = None  # "3.2" when the heading names a part that only exists as 3.2a, 3.2b


# ---------------------------------------------------------------------------------- question text

# LaTeX command names that turn up as words in math; they say nothing about which text it is.
_LATEX_WORDS = frozenset("""mathbf mathcal mathbb mathrm mathit boldsymbol frac tfrac dfrac left right
text textbf textit emph sim cdot ldots cdots dots sum int log exp leq geq neq approx infty quad qquad
begin end cases align equation mid parallel rightarrow leftarrow operatorname limits displaystyle
hat tilde bar vec partial nabla theta alpha beta mu sigma lambda epsilon varepsilon phi ast star
""".split())


def normalise_line(line: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", line.lower()).split())


def question_lines_of(template: str) -> set[str]:
    """Lines of the question text long enough to be recognised safely (grid label rows are not)."""
    lines = set()
    for line in template.splitlines():
        key = normalise_line(line)
        if len(re.findall(r"[a-z]{2,}", key)) >= 4:
            lines.add(key)
        elif _kept_heading(line) and re.search(r"[a-z]{3,}", key):
            lines.add(key)  # "(5.1) Summary:": short, but its number makes it safe to recognise
    return lines


def _words(line: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]{3,}", line.lower()) if w not in _LATEX_WORDS]


@lru_cache(maxsize=8)
def _question_model(lines: frozenset[str]) -> tuple[frozenset[str], frozenset[tuple[str, str, str]]]:
    """The question text's vocabulary and word trigrams, to recognise its lines however wrapped."""
    vocab: set[str] = set()
    trigrams: set[tuple[str, str, str]] = set()
    for line in lines:
        words = _words(line)
        vocab.update(words)
        trigrams.update(zip(words, words[1:], words[2:]))
    return frozenset(vocab), frozenset(trigrams)


# A student restating an option to mark it ("[x] (a) p_x has a lower bound ...", "(b) True: ...")
# answers with that line: it is never blanked, however much of the question it copies.
_CHOICE_MARK = re.compile(r"\[[xX✓✔ ]\]|[✓✔☒☐☑■□⊠▣\ue010\ue011]|\\(?:checkmark|boxtimes|blacksquare|square|"
                          r"Box|CheckedBox|XBox|ballotx|ding)\b")
_OPTION_START = re.compile(r"^[ \t\-*•>]*(?:\\item\b[ \t]*)?[(\[]?[a-hA-H][)\].:]")
_VERDICT = re.compile(r"\b(?:true|false|correct|incorrect|wrong|right)\b", re.I)


def _marks_a_choice(line: str) -> bool:
    if _CHOICE_MARK.search(line):
        return True
    m = _OPTION_START.match(line)
    return bool(m and (_VERDICT.search(line, m.end(), m.end() + 30) or _VERDICT.search(line[-25:])))


def _is_question_line(key: str, question_lines: set[str] | frozenset[str],
                      model: tuple[frozenset[str], frozenset[tuple[str, str, str]]]) -> bool:
    if key in question_lines:
        return True
    # A PDF wraps the question's paragraphs into lines of ~12 words, and renders its math in its
    # own way: compare the line's ordinary words (those the question text uses), three at a time.
    # Prose a student wrote on the same topic shares words but rarely their order.
    words = _words(key)
    if len(words) < 6:
        return False
    vocab, trigrams = model
    kept = [w for w in words if w in vocab]
    if len(kept) < 6 or len(kept) < 0.75 * len(words):
        return False
    grams = list(zip(kept, kept[1:], kept[2:]))
    return sum(g in trigrams for g in grams) >= 0.8 * len(grams)


def _kept_heading(line: str) -> int:
    """Length of the part number or question marker starting a question-text line (0 if none)."""
    for pattern in (_PART, _QUESTION):
        m = pattern.match(line)
        if m and _AFTER_OK.match(line, m.end()):
            return m.end()
    return 0


def blank_question_text(text: str, question_lines: set[str]) -> str:
    """Replace lines copied from the assignment's question text by spaces (offsets stay valid).

    A part number or question marker starting such a line is kept ("2.1 Show that ..." -> "2.1"):
    the question text is never an answer, but where it sits often is where the answer starts.
    """
    if not question_lines:
        return text
    model = _question_model(frozenset(question_lines))
    out = []
    for line in text.split("\n"):  # "\n" only: the line starts that headings' "^" sees
        if not _marks_a_choice(line) and _is_question_line(normalise_line(line), question_lines, model):
            keep = _kept_heading(line)
            line = line[:keep] + " " * (len(line) - keep)
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------------------------- headings

def _sub_letter(m: re.Match) -> str | None:
    sub = m["s1"] or m["s2"] or m["s3"]
    if sub and sub.isdigit():
        return "abcdefgh"[int(sub) - 1]
    if sub:
        return sub.lower()
    if m.groupdict().get("s4"):
        return "abcdefgh"[int(m["s4"]) - 1]
    return None


def _map_part(q: str, p: str, letter: str | None, digit_sub: bool,
              part_ids: set[str]) -> tuple[str | None, float, str | None]:
    """(part id, confidence, group) for a heading "q.p" with an optional sub-part."""
    base = f"{q}.{p}"
    has_letters = any(pid.startswith(base) and pid != base for pid in part_ids)
    if letter and f"{base}{letter}" in part_ids:
        # "3.4.1" read as 3.4a only because 3.4 has lettered parts; "2.2.1" stays in part 2.2
        return f"{base}{letter}", 0.9 if digit_sub else 0.95, None
    if base in part_ids:
        return base, 0.9 if letter else 0.95, None
    if has_letters and not letter:
        return None, 0.0, base  # "3.2" alone: its (a), (b) follow
    return None, 0.0, None


def _line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def find_headings(text: str, rubric: Rubric) -> list[Heading]:
    part_ids = {p.id for p in rubric.parts}
    headings: list[Heading] = []
    for m in _QUESTION.finditer(text):
        if not _AFTER_OK.match(text, m.end()):
            continue  # "Answer 2 is wrong", "Problem 3 was hard"
        word = m["word"].lower()
        headings.append(Heading(m.start(), m.end(), None, " ".join(m.group(0).split()), 1.0, int(m["q"]),
                                is_answer_marker=word in {"answer", "solution", "réponse", "reponse"}))
    for m in _QUESTION_SUB.finditer(text):
        letter = (m["s1"] or m["s2"]).lower()
        part_id = f"{m['q']}.{ord(letter) - ord('a') + 1}"
        if part_id in part_ids:
            headings.append(Heading(m.start(), m.end(), part_id, " ".join(m.group(0).split()), 0.85, int(m["q"])))
    for m in _PART.finditer(text):
        sub = m["sub"]
        if sub is not None and m["s1"] is None and not _AFTER_OK.match(text, m.end()):
            # "3.2 a lower bound": the letter is a word, not a sub-part; try the number alone
            if not _AFTER_OK.match(text, m.start("sub")):
                continue
            sub, end, letter, digit_sub = None, m.start("sub"), None, False
        else:
            end, letter, digit_sub = m.end(), _sub_letter(m), bool(m["s4"] or (m["s1"] or "").isdigit())
            if sub is None and not _AFTER_OK.match(text, end):
                continue
        if m["open"] and sub is None and _EQUATION_TAG.match(text, end):
            continue  # "(3.2)" alone at the end of a line is an equation's number
        part_id, confidence, group = _map_part(m["q"], m["p"], letter, digit_sub, part_ids)
        if part_id is None and group is None:
            continue
        end = _CLOSING.match(text, end).end()
        headings.append(Heading(m.start(), end, part_id, " ".join(text[m.start():end].split()), confidence,
                                int(m["q"]), group=group))
    for pattern, part_id in ((h, p.id) for p in rubric.parts for h in p.headings):
        for m in re.finditer(rf"^{_LEAD}(?:{pattern})", text, re.I | re.M):
            headings.append(Heading(m.start(), m.end(), part_id, " ".join(m.group(0).split()), 0.85,
                                    int(part_id.split(".")[0])))
    headings.sort(key=lambda h: (h.start, h.part_id is None, h.part_id or ""))
    # "Answer 2. 2.1)" gives a marker and a part heading at the same offset: both are kept (the
    # marker opens the answer zone); exact duplicates are dropped
    unique: list[Heading] = []
    for h in headings:
        if any(u.start == h.start and u.part_id == h.part_id and u.group == h.group for u in unique[-3:]):
            continue
        unique.append(h)
    return _sub_letter_headings(text, unique, rubric)


def _sub_letter_headings(text: str, headings: list[Heading], rubric: Rubric) -> list[Heading]:
    """A bare "(b)" at a line start continues the nearest heading above it (see the module doc)."""
    part_ids = {p.id for p in rubric.parts}
    plain_questions = {q for q in {p.question for p in rubric.parts}
                       if all(re.fullmatch(rf"{q}\.\d", p.id) for p in rubric.parts if p.question == q)}
    taken = {h.start for h in headings}
    extra = []
    ordered = sorted(headings, key=lambda h: h.start)
    position = 0
    context: Heading | None = None
    for m in _SUB_ONLY.finditer(text):
        if m.start() in taken:
            continue
        while position < len(ordered) and ordered[position].start < m.start():
            context = ordered[position]
            position += 1
        if context is None:
            continue
        letter = (m["s1"] or m["s2"]).lower()
        candidate = None
        if context.part_id and re.search(r"[a-h]$", context.part_id):
            candidate = f"{context.part_id[:-1]}{letter}"
        elif context.group:
            candidate = f"{context.group}{letter}"
        elif context.question in plain_questions and (
                context.part_id is None or re.search(r"[(\s][a-hA-H]\)\W*$|^\W*\(?[a-hA-H]\)", context.text)):
            # "Question 1" then "(a)", "(b)"; or "Question 1 (a)" then a bare "(b)"
            candidate = f"{context.question}.{ord(letter) - ord('a') + 1}"
        if candidate in part_ids and candidate != context.part_id:
            heading = Heading(m.start(), m.end(), candidate, " ".join(m.group(0).split()), 0.8, context.question)
            extra.append(heading)
            context = heading
    return sorted(headings + extra, key=lambda h: (h.start, h.part_id is None))


# ---------------------------------------------------------------------------------- segmentation

_OUTLINES: dict[tuple, tuple[str, list[Heading]]] = {}


def outline(text: str, rubric: Rubric, question_lines: set[str] | frozenset[str] = frozenset()
            ) -> tuple[str, list[Heading]]:
    """A document's text with the question text blanked, and its headings: computed once per
    document, since segmentation, the review's sections and the AI disclosures all need them."""
    key = (text, frozenset(question_lines), rubric.content_hash, id(rubric))
    if key not in _OUTLINES:
        if len(_OUTLINES) >= 8:  # a few documents at a time: one submission's files
            _OUTLINES.pop(next(iter(_OUTLINES)))
        blanked = blank_question_text(text, set(question_lines))
        _OUTLINES[key] = (blanked, find_headings(blanked, rubric))
    return _OUTLINES[key]


def segment(doc: Document, rubric: Rubric, question_lines: set[str] | None = None) -> dict[str, Fragment]:
    if doc.answers is not None:
        return _from_sheet(doc, rubric)
    text, headings = outline(doc.text, rubric, question_lines or frozenset())
    answer_zones = _answer_zones(text, headings)
    spans: dict[str, list[tuple[int, int, Heading]]] = {}
    for i, h in enumerate(headings):
        if h.part_id is None:
            continue
        if answer_zones is not None and not _inside(h.start, answer_zones.get(h.question, [])):
            continue
        end = next((n.start for n in headings[i + 1:] if n.start >= h.end
                    and not (n.part_id == h.part_id and n.start < h.end)), len(text))
        end = max(end, h.end)
        if not text[h.end:end].strip() and not any(h.start <= g.offset < end for g in doc.grids):
            continue  # only the heading is left: an unanswered template question, or a bare number
        spans.setdefault(h.part_id, []).append((h.start, end, h))
    fragments: dict[str, Fragment] = {}
    for part in rubric.parts:
        found = spans.get(part.id)
        if found:
            body = "\n".join(_piece(text, s, e) for s, e, _ in found)
            grids = tuple(g for g in doc.grids if any(s <= g.offset < e for s, e, _ in found))
            math = tuple(m for m in doc.math if any(s <= m.offset < e for s, e, _ in found))
            first = found[0][2]
            line = text.count("\n", 0, first.start) + 1
            how = f"heading '{first.text[:30]}' at line {line} of {doc.source}"
            if len(found) > 1:
                how += f" (+{len(found) - 1} more heading{'s' if len(found) > 2 else ''})"
            fragments[part.id] = Fragment(part.id, body, how, min(h.confidence for _, _, h in found),
                                          grids=grids, source=doc.source, math=math)
    _attach_stray_grids(doc, rubric, fragments, spans)
    _fallback_to_question_zone(text, doc, rubric, headings, answer_zones, fragments)
    return fragments


_BLANK_LINE = re.compile(r"^[ \t]+$", re.M)


def _piece(text: str, start: int, end: int) -> str:
    """A span's text without the runs of spaces blanked question text leaves (kinds scan it with
    many regexes; offsets are no longer needed once grids are attached)."""
    return _BLANK_LINE.sub("", text[start:end].rstrip())


def _answer_zones(text: str, headings: list[Heading]) -> dict[int, list[tuple[int, int]]] | None:
    markers = [h for h in headings if h.part_id is None and h.group is None]
    if not any(h.is_answer_marker for h in markers):
        return None
    zones: dict[int, list[tuple[int, int]]] = {}
    for i, h in enumerate(markers):
        if h.is_answer_marker:
            end = next((n.start for n in markers[i + 1:] if n.start > h.start), len(text))
            zones.setdefault(h.question, []).append((h.start, end))
    return zones


def _inside(offset: int, zones: list[tuple[int, int]]) -> bool:
    return any(s <= offset < e for s, e in zones)


def _attach_stray_grids(doc: Document, rubric: Rubric, fragments: dict[str, Fragment],
                        spans: dict[str, list[tuple[int, int, Heading]]]) -> None:
    """A grid outside every span is attached by the heading its reader saw above it."""
    placed = {g for f in fragments.values() for g in f.grids}
    for grid in doc.grids:
        if grid in placed or not grid.heading:
            continue
        headings = find_headings(grid.heading.strip(), rubric)
        part_id = next((h.part_id for h in headings if h.part_id), None)
        if part_id is None:
            continue
        old = fragments.get(part_id)
        if old is None:
            fragments[part_id] = Fragment(part_id, "", f"grid under heading '{grid.heading[:30]}'", 0.85,
                                          grids=(grid,), source=doc.source)
        else:
            fragments[part_id] = Fragment(part_id, old.text, old.how, old.confidence, old.structured,
                                          old.grids + (grid,), old.source, old.math)


def _fallback_to_question_zone(text: str, doc: Document, rubric: Rubric, headings: list[Heading],
                               answer_zones: dict[int, list[tuple[int, int]]] | None,
                               fragments: dict[str, Fragment]) -> None:
    """A part without its own heading gets its question's whole answer, with low confidence."""
    if not answer_zones:
        return
    headed = set(fragments)
    for part in rubric.parts:
        if part.id in fragments or part.question not in answer_zones:
            continue
        siblings = [p for p in rubric.parts if p.question == part.question]
        if any(p.id in headed for p in siblings) and len(siblings) > 1:
            continue  # other parts of this question have headings: this one is really missing
        body = "\n".join(_piece(text, s, e) for s, e in answer_zones[part.question])
        grids = tuple(g for g in doc.grids if _inside(g.offset, answer_zones[part.question]))
        math = tuple(m for m in doc.math if _inside(m.offset, answer_zones[part.question]))
        fragments[part.id] = Fragment(part.id, body, f"no heading for {part.id}: the whole answer to "
                                      f"question {part.question} in {doc.source}", 0.5,
                                      grids=grids, source=doc.source, math=math)


def _from_sheet(doc: Document, rubric: Rubric) -> dict[str, Fragment]:
    fragments = {}
    assert doc.answers is not None
    for part in rubric.parts:
        if part.id in doc.answers and doc.answers[part.id] is not None:
            fragments[part.id] = Fragment(part.id, "", f"answer sheet {doc.source}", 1.0,
                                          structured=doc.answers[part.id], source=doc.source)
    return fragments
