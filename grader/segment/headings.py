"""The headings students write, found in a text and mapped to the rubric's parts.

Students number parts in many ways: "Q1.1)", "1.1", "1.1:", "3.1.b):", "4.6.a)", "3.2-a", "(3.2.a)",
"Q4.6b.", "Part 3.2(a):", "Problem 4.6 (b)", "**Q3.2a**", "### 3.2 (b)", "Question 1 (a)",
"\\section*{Question 3}" followed by "\\textbf{3.2 (a)}", "\\item[3.2(a)]", "Answer 2. 2.1)", "1.10", and
a PDF's text layer splits some of them across lines ("Question\\n3", "3.2\\n(a)"). Found here:

- question markers ("Question 3", "Answer 3", "Réponse 3") at the start of lines;
- part headings: a number "q.p" (each level one or two digits) with an optional sub-part ("a",
  "(a)", ".a", "-a", ".1"), followed by a closing mark, the end of the line, or a capital letter;
  "1.5 times", "3.2 = x", "Figure 1.1", dates and decimals are not headings;
- a bare "(b)" line, which continues the nearest heading above it ("3.2 (a)" ... "(b)" -> 3.2b).

Each heading becomes a path of ordinals (grader/part_ids.py) and is mapped to a rubric part, a
group (a number whose parts are lettered: "3.2" when the rubric has 3.2a and 3.2b), or "other": a
part of the assignment the rubric does not grade, which still ends the span above it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

from grader.analyses.language import plain_word
from grader.part_ids import Path, ordinal, part_path
from grader.rubric import Rubric

# Decorations that may precede a heading at the start of a line: Markdown (#, **, __, *, bullets,
# quotes), LaTeX sectioning and font commands with their opening brace, \item with its optional
# label's opening bracket, and bare braces or brackets.
_LATEX_LEAD = (r"\\(?:textbf|textit|textsc|textsf|emph|underline|uline|mbox|paragraph|subparagraph|"
               r"subsubsection|subsection|section|item|noindent|bfseries|itshape|large|Large|LARGE|"
               r"medskip|smallskip|bigskip|newline|vspace\*?\{[^}\n]*\}|hspace\*?\{[^}\n]*\})\*?")
# Atomic and possessive: the spaces of a long blank line (blanked question text) could otherwise
# be split between neighbouring quantifiers in quadratically or exponentially many ways.
LEAD = rf"(?>(?:[ \t]*+(?:#{{1,6}}|\*\*|__|[-*+>•·▪◦]|{_LATEX_LEAD}[ \t]*+(?:\[|\{{)?|\{{|\[))*)[ \t]*+"
_NUM = r"[1-9]\d?"
# "Answer 2." before a part number ("Answer 2. 2.1)").
_ANSWER_PREFIX = rf"(?:(?i:Answer|Question|Solution|R[ée]ponse)[ \t]*+{_NUM}[ \t]*+[.:)][ \t]*+)?"
# A word before a part number ("Q1.1", "Part 3.2(a)", "Problem 4.6 (b)", "Answer to 4.3").
_WORD = (r"(?:(?i:Q(?:uestion)?|Part(?:ie)?|Problem|Prob|Ex(?:ercise|ercice)?|Ans(?:wer)?|Sol(?:ution)?|R[ée]ponse)"
         r"\.?[ \t]*+(?:(?i:to|à|a)[ \t]+(?:(?i:question|la\s+question)[ \t]*+|Q[ \t]*+)?)?[#\-:]?[ \t]*+)?")
# Sub-part after "q.p": "(a)" (possibly on the next line of a PDF's text), "a" / ".a" / "-a" / " a",
# an upper-case letter only when a closing mark follows ("3.2A)"), or ".1".
_SUB = (r"(?:[ \t]*+\n?[ \t]*+\((?P<s1>[a-hA-H]|[1-9])\)"
        r"|[ \t]*+[.\-_]?[ \t]*+(?P<s2>[a-h])(?![A-Za-z0-9])"
        r"|[ \t]*+[.\-_]?[ \t]*+(?P<s3>[A-H])(?=[ \t]*+[).:\]}*])"
        r"|\.(?P<s4>[1-9])(?![\d.]?\d))")
PART = re.compile(
    rf"^{LEAD}{_ANSWER_PREFIX}(?P<open>\()?[ \t]*+{_WORD}(?P<q>{_NUM})[ \t]*+\.[ \t]*+(?P<p>{_NUM})(?![\d,])(?!\.\d\d)"
    rf"(?P<sub>{_SUB})?", re.M)
QUESTION = re.compile(
    rf"^{LEAD}(?P<word>Question|Answer|Solution|Problem|Exercise|Exercice|R[ée]ponse|Q)[ \t]*+(?:n[°o][ \t]*+)?\n?[ \t]*+"
    rf"(?P<q>{_NUM})(?!\.\d)(?!\d)", re.I | re.M)
_QUESTION_SUB = re.compile(
    rf"^{LEAD}(?:Question|Q|Problem|Exercise|Answer|Part|R[ée]ponse)[ \t]*+(?P<q>{_NUM})[ \t]*+(?:[.\-][ \t]*+)?"
    r"(?:\((?P<s1>[a-hA-H])\)|(?P<s2>[a-h])(?=[ \t]*+[).:\]}]))", re.I | re.M)
# A question's number alone on its line (a \section numbered "3" with no title): only a heading
# when the numbered headings around it agree (see _bare_numbers).
_BARE_NUMBER = re.compile(rf"^{LEAD}(?P<q>{_NUM})[ \t]*+\}}?[ \t]*+$", re.M)
_SUB_ONLY = re.compile(rf"^{LEAD}(?:\((?P<s1>[a-hA-H])\)|(?P<s2>[a-h])\))", re.M)
# What may follow a heading on its line: a closing mark, Markdown emphasis, nothing, or the start
# of a sentence or of math. "1.5 times", "3.2 = x" and "4.2 is" fail this.
AFTER_OK = re.compile(r"[ \t]*+(?:[):.\-–—}\]|]|\*|__|$)|[ \t]+(?=[A-ZÀ-Ý(\\$\[])", re.M)
_EQUATION_TAG = re.compile(r"[ \t]*+\)[ \t]*+$", re.M)
_CLOSING = re.compile(r"(?:[ \t]*+(?:[):.}\]]|\*\*|__))*")  # taken into the heading's text
ANSWER_WORDS = frozenset({"answer", "solution", "réponse", "reponse"})


@dataclass(frozen=True)
class Heading:
    start: int
    end: int
    part_id: str | None  # None: a question or answer marker, a group or another part: only ends spans
    text: str
    confidence: float
    question: int | None = None
    is_answer_marker: bool = False
    group: str | None = None  # "3.2" when the heading names a part that only exists as 3.2a, 3.2b
    path: Path = ()
    # "heading" (written by the student), "enumeration" ("1." under "Answer 4."), "statement"
    # (where the question's own statement of the part was copied), "title" (a rubric anchor)
    kind: str = "heading"
    other: bool = False  # a part of the assignment the rubric does not grade
    note: str = ""  # why its confidence is lower, when it is


@dataclass(frozen=True)
class PartIndex:
    """The rubric's parts by path: what a heading's numbers can name."""

    by_path: dict[Path, str]
    groups: frozenset[Path]
    questions: frozenset[int]
    # part ids per question, in rubric order
    per_question: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def top_level(self, question: int) -> list[Path]:
        """The question's parts and groups one level down, in order: (3, 1), (3, 2), ..."""
        seen: list[Path] = []
        for pid in self.per_question.get(question, ()):
            path = part_path(pid)
            if len(path) >= 2 and path[:2] not in seen:
                seen.append(path[:2])
        return seen

    def single_part(self, question: int) -> str | None:
        """The part that is the whole question (id "5", or a question with one part)."""
        ids = self.per_question.get(question, ())
        if len(ids) == 1 and len(part_path(ids[0])) == 1:
            return ids[0]
        return None


_INDEXES: dict[tuple[int, str], PartIndex] = {}


def part_index(rubric: Rubric) -> PartIndex:
    key = (id(rubric), rubric.content_hash)
    index = _INDEXES.get(key)
    if index is None:
        by_path: dict[Path, str] = {}
        per_question: dict[int, list[str]] = {}
        for part in rubric.parts:
            path = part_path(part.id)
            if part.question is not None and (not path or path[0] != part.question):
                path = (part.question, *path[1:]) if path else (part.question,)
            by_path.setdefault(path, part.id)
            per_question.setdefault(part.question, []).append(part.id)
        groups = {path[:k] for path in by_path for k in range(2, len(path))} - set(by_path)
        index = PartIndex(by_path, frozenset(groups), frozenset(per_question),
                          {q: tuple(ids) for q, ids in per_question.items()})
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        _INDEXES[key] = index
    return index


def map_path(path: Path, index: PartIndex, structure: frozenset[Path] = frozenset()
             ) -> tuple[str | None, float, str | None, bool]:
    """(part id, confidence, group, other) for a heading's path."""
    if path in index.by_path:
        return index.by_path[path], 0.95, None, False
    if path in index.groups:
        return None, 0.0, ".".join(map(str, path)), False
    for k in range(len(path) - 1, 1, -1):  # "3.1.b)" inside part 3.1: an option's line, still 3.1
        if path[:k] in index.by_path:
            return index.by_path[path[:k]], 0.9, None, False
    if len(path) >= 2 and (path[0] in index.questions or path[:2] in structure) and path[1] <= 20:
        return None, 0.0, None, True
    return None, 0.0, None, False


def _sub_ordinal(m: re.Match) -> int | None:
    sub = m["s1"] or m["s2"] or m["s3"] or m.groupdict().get("s4")
    if not sub:
        return None
    return int(sub) if sub.isdigit() else ord(sub.lower()) - ord("a") + 1


def line_end(text: str, pos: int) -> int:
    end = text.find("\n", pos)
    return len(text) if end < 0 else end


def find_headings(text: str, rubric: Rubric, structure: frozenset[Path] = frozenset(),
                  extra: list[Heading] = (), written: list[Heading] | None = None) -> list[Heading]:
    """Every heading in a text, in order: the ones written, then the enumerations that number
    parts, then the bare "(b)" lines that continue them. `structure` holds the paths the question
    text itself numbers (parts the rubric may not grade); `extra` are headings found otherwise
    (where the question's statements were copied), which give the enumerations their context;
    `written`, the written headings when already found (written_headings)."""
    if written is None:
        written = written_headings(text, rubric, structure)
    taken = {(h.start, h.part_id) for h in written}
    written = written + [h for h in extra if (h.start, h.part_id) not in taken]
    questions = part_index(rubric).questions | {p[0] for p in structure}
    written = sorted(written + _bare_numbers(text, written, questions), key=lambda h: (h.start, h.part_id is None))
    enumerated = enumerated_headings(text, written, rubric, structure)
    merged = sorted(written + enumerated, key=lambda h: (h.start, h.part_id is None, h.part_id or ""))
    return _sub_letter_headings(text, merged, rubric)


def written_headings(text: str, rubric: Rubric, structure: frozenset[Path] = frozenset()) -> list[Heading]:
    """The headings a student wrote: question markers, part numbers, the rubric's own headings."""
    index = part_index(rubric)
    headings: list[Heading] = []
    for m in QUESTION.finditer(text):
        if not AFTER_OK.match(text, m.end()):
            continue  # "Answer 2 is wrong", "Problem 3 was hard"
        q = int(m["q"])
        text_of = " ".join(m.group(0).split())
        headings.append(Heading(m.start(), m.end(), None, text_of, 1.0, q,
                                is_answer_marker=m["word"].lower() in ANSWER_WORDS, path=(q,)))
        single = index.single_part(q)
        if single is not None:  # "Question 5" heads part "5", the whole question
            headings.append(Heading(m.start(), m.end(), single, text_of, 0.9, q, path=(q,)))
    for m in _QUESTION_SUB.finditer(text):
        path = (int(m["q"]), ord((m["s1"] or m["s2"]).lower()) - ord("a") + 1)
        if path in index.by_path:
            headings.append(Heading(m.start(), m.end(), index.by_path[path], " ".join(m.group(0).split()),
                                    0.85, path[0], path=path))
    for m in PART.finditer(text):
        sub = m["sub"]
        if sub is not None and m["s1"] is None and not AFTER_OK.match(text, m.end()):
            # "3.2 a lower bound": the letter is a word, not a sub-part; try the number alone
            if not AFTER_OK.match(text, m.start("sub")):
                continue
            sub, end, ordinal = None, m.start("sub"), None
        else:
            end, ordinal = m.end(), _sub_ordinal(m)
            if sub is None and not AFTER_OK.match(text, end):
                continue
        if m["open"] and sub is None and _EQUATION_TAG.match(text, end):
            continue  # "(3.2)" alone at the end of a line is an equation's number
        path = (int(m["q"]), int(m["p"])) + ((ordinal,) if ordinal else ())
        part_id, confidence, group, other = map_path(path, index, structure)
        if ordinal and part_id is not None and len(part_path(part_id)) < len(path) and m["s4"] is None \
                and not (m["s1"] or "").isdigit():
            confidence = 0.9  # "3.2 (a)" where only 3.2 exists
        elif part_id is not None and ordinal and (m["s4"] or (m["s1"] or "").isdigit()):
            confidence = 0.9  # "3.4.1" read as 3.4a only because 3.4 has lettered parts
        if part_id is None and group is None and not other:
            continue
        if m["s1"] and part_id is not None and len(part_path(part_id)) < len(path):
            end = m.start("sub")  # "4.2 (b)" where 4.2 has no parts: "(b)" is the answer, a choice
        else:
            end = _CLOSING.match(text, end).end()
        headings.append(Heading(m.start(), end, part_id, " ".join(text[m.start():end].split()), confidence,
                                path[0], group=group, path=path, other=other))
    for pattern, part_id in ((h, p.id) for p in rubric.parts for h in p.headings):
        for m in re.finditer(rf"^{LEAD}(?:{pattern})", text, re.I | re.M):
            headings.append(Heading(m.start(), m.end(), part_id, " ".join(m.group(0).split()), 0.85,
                                    rubric.part(part_id).question, path=part_path(part_id)))
    headings.sort(key=lambda h: (h.start, h.part_id is None, h.part_id or ""))
    # "Answer 2. 2.1)" gives a marker and a part heading at the same offset: both are kept (the
    # marker opens the answer zone); exact duplicates are dropped
    unique: list[Heading] = []
    for h in headings:
        if any(u.start == h.start and u.part_id == h.part_id and u.group == h.group and u.other == h.other
               for u in unique[-3:]):
            continue
        unique.append(h)
    return unique


# What may follow a question's bare number to confirm it: its first item ("a)", "(a)", "1.", a
# bare "1") within the next two lines.
_FIRST_ITEM = re.compile(rf"(?:[ \t]*\n){{1,2}}{LEAD}(?:\(?(?:a|1|i)[.)]|1[ \t]*$)", re.M)


def _bare_numbers(text: str, headings: list[Heading], questions: frozenset[int]) -> list[Heading]:
    """A line holding only "3" is question 3's heading (a \\section numbered "3" with no title,
    pandoc's numbering) when the numbered headings around it agree: the one before is of an
    earlier question, and the next is of question 3 or, with no numbered heading at all, its
    first item follows it. Numbers accepted increase: a fraction's numerator or a page number
    alone on a line does not fit in that order."""
    numbered = sorted((h for h in headings if len(h.path) >= 2), key=lambda h: h.start)
    starts = [h.start for h in numbered]
    out: list[Heading] = []
    last = 0
    for m in _BARE_NUMBER.finditer(text):
        q = int(m["q"])
        if q not in questions or q <= last:
            continue
        k = bisect.bisect_left(starts, m.start())
        before = numbered[k - 1] if k > 0 else None
        after = numbered[k] if k < len(numbered) else None
        if before is not None and before.path[0] >= q:
            continue
        if after is not None and after.path[0] != q:
            continue
        if after is None and not _FIRST_ITEM.match(text, m.end()):
            continue
        out.append(Heading(m.start(), m.end(), None, m.group(0).strip(), 0.8, q, path=(q,)))
        last = q
    return out


def _sub_letter_headings(text: str, headings: list[Heading], rubric: Rubric) -> list[Heading]:
    """A bare "(b)" at a line start continues the nearest heading above it (see the module doc)."""
    index = part_index(rubric)
    plain_questions = {q for q in index.questions
                       if all(len(part_path(pid)) == 2 for pid in index.per_question[q])}
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
        ordinal = ord((m["s1"] or m["s2"]).lower()) - ord("a") + 1
        candidate: Path | None = None
        if context.part_id and len(context.path) >= 3:
            candidate = context.path[:-1] + (ordinal,)
        elif context.group:
            candidate = context.path + (ordinal,)
        elif context.question in plain_questions and (
                context.part_id is None or re.search(r"[(\s][a-hA-H]\)\W*$|^\W*\(?[a-hA-H]\)", context.text)):
            # "Question 1" then "(a)", "(b)"; or "Question 1 (a)" then a bare "(b)"
            candidate = (context.question, ordinal)
        part_id = index.by_path.get(candidate) if candidate else None
        if part_id is not None and part_id != context.part_id:
            heading = Heading(m.start(), m.end(), part_id, " ".join(m.group(0).split()), 0.8, context.question,
                              path=candidate)
            extra.append(heading)
            context = heading
    return sorted(headings + extra, key=lambda h: (h.start, h.part_id is None))


@lru_cache(maxsize=1)
def item_pattern() -> re.Pattern:
    # "1." "1)" "(1)" "a)" "(a)" "a." "i." "(ii)" at a line start, followed by a space or the end
    # of the line; "3.2" and "1.5" are not items (a digit follows the dot).
    return re.compile(
        rf"^{LEAD}(?:\((?P<pn>[1-9]\d?)\)|(?P<dn>[1-9]\d?)(?P<dm>[.)])(?!\d)|\((?P<pl>[a-h]|[ivx]{{1,4}})\)"
        r"|(?P<bl>[a-h]|[ivx]{1,4})(?P<bm>[.)]))(?=[ \t]|$)", re.M)


@dataclass(frozen=True)
class Item:
    """One item of an enumeration at a line start."""

    start: int
    end: int
    style: str  # "1.", "1)", "(1)", "(a)", "a)", "a.", "(i)", "i)", "i."
    label: str
    alone: bool = False  # nothing after it on its line: a heading's number rather than a list's


# A second item right after the first on its line ("(b) (i) Starting from ..."): a PDF joins a
# list's label to the nested list's first one.
_NESTED_ITEM = re.compile(r"[ \t]+(?:\((?P<pn>[1-9]\d?)\)|(?P<dn>[1-9]\d?)(?P<dm>[.)])(?!\d)"
                          r"|\((?P<pl>[a-h]|[ivx]{1,4})\)|(?P<bl>[a-h]|[ivx]{1,4})(?P<bm>[.)]))(?=[ \t]|$)")


def _item(m: re.Match) -> Item:
    if m["pn"]:
        style, label = "(1)", m["pn"]
    elif m["dn"]:
        style, label = "1" + m["dm"], m["dn"]
    elif m["pl"]:
        label = m["pl"]
        style = "(i)" if label[0] in "ivx" else "(a)"
    else:
        label = m["bl"]
        style = ("i" if label[0] in "ivx" else "a") + m["bm"]
    return Item(m.start(), m.end(), style, label, not m.string[m.end():line_end(m.string, m.end())].strip())


def enumeration_items(text: str) -> list[Item]:
    """Items in text order. Letters stop at h, so "(i)", "(v)", "(x)" are always roman numerals. A
    number alone on its line is an item too (pandoc prints "1" above its item's text)."""
    items = [Item(m.start(), m.end(), "N", m["q"], True) for m in _BARE_NUMBER.finditer(text)]
    for m in item_pattern().finditer(text):
        first = _item(m)
        items.append(first)
        nested = _NESTED_ITEM.match(text, m.end())
        if nested:
            second = _item(nested)
            if second.style != first.style:
                items.append(Item(nested.start() + len(nested.group(0)) - len(nested.group(0).lstrip()),
                                  nested.end(), second.style, second.label))
    return sorted(items, key=lambda item: item.start)


def item_ordinal(item: Item) -> int:
    return ordinal(item.label, roman="i" in item.style) or 0


@dataclass
class _Level:
    """One level of numbering being read: its parent's path, its style, the next number due."""

    parent: Path
    style: str | None = None
    expected: int = 1
    restarted: bool = False
    last_group: bool = False  # its last item named a group: a list of another style numbers its parts
    bare: bool = False  # opened by a bare number ("3"): pandoc's bare "1", "2" may number its parts
    alone: bool | None = None  # whether its items stand alone on their lines, from its first item
    inner: bool = False  # a list of the student's own inside an answer: its items number nothing


def enumerated_headings(text: str, headings: list[Heading], rubric: Rubric,
                        structure: frozenset[Path] = frozenset()) -> list[Heading]:
    """Enumerations that number a question's parts: "Answer 4." then "1." ... "4." -> 4.1 ... 4.4.

    Under a question marker, the first item numbered 1 sets the style ("1.", "(a)", "i)"); each
    next item of that style with the next number is the next part of the question, mapped like a
    written "q.k". After an item that names a group (3.2, whose parts are 3.2a and 3.2b), a list of
    another style numbers the group's parts ("(b)" then "(i)", "(ii)"), until the outer style comes
    back. Other items are a list inside an answer (or a choice's options); an item that starts
    again at 1 is a list of the student's own in that style, which makes the later items less
    certain.
    """
    index = part_index(rubric)
    items = enumeration_items(text)
    taken = {h.start for h in headings if h.kind == "heading"}  # "2.1)" is a heading, not an item
    events = sorted([(h.start, 0, h) for h in headings] + [(it.start, 1, it) for it in items if it.start not in taken],
                    key=lambda e: (e[0], e[1]))
    out: list[Heading] = []
    stack: list[_Level] = []
    part_starts = {h.start for h in headings if h.part_id is not None and h.kind == "heading"}
    for _, is_item, event in events:
        if not is_item:
            h: Heading = event
            if h.kind in ("statement", "title") and h.part_id is not None:
                continue  # a copied statement says where a part's text starts, not how it is numbered
            if h.part_id is None and h.group is None and not h.other and len(h.path) == 1:
                if h.start in part_starts:
                    stack = []  # "Question 1 (c)": a part's heading, whose lists are its own
                    continue
                stack = [_Level(h.path, bare=h.text.strip().isdigit())]  # "Answer 4.", "3"
            elif h.group is not None:
                stack = [_Level(h.path)]  # "3.2" then "1.", "2."
            else:
                stack = []  # an explicit part heading: lists below it are the answer's own
            continue
        item: Item = event
        ordinal = item_ordinal(item)
        depth = next((k for k in range(len(stack) - 1, -1, -1) if stack[k].style == item.style
                      and stack[k].alone in (None, item.alone)), None)
        if depth is None:  # "1." alone on its line, then "2. Let ..." with its text: the same list
            depth = next((k for k in range(len(stack) - 1, -1, -1) if stack[k].style == item.style
                          and not stack[k].inner and ordinal == stack[k].expected), None)
        if depth is None and ordinal == 1 and any(lv.style == item.style for lv in stack):
            # "1." alone over each answer, then "1. the decoder ..." inside one: a list of its own
            stack.append(_Level(stack[-1].parent, item.style, 2, alone=item.alone, inner=True))
            continue
        if depth is not None and stack[depth].inner:
            del stack[depth + 1:]
            continue
        if depth is None:
            top = stack[-1] if stack else None
            if top is None or ordinal != 1 or (top.style is not None and not top.last_group):
                continue
            if item.style == "N" and not (top.bare and top.style is None):
                continue  # a number alone on a line is a page number or a numerator, unless pandoc's
            if top.style is not None:  # the first item of a list numbering the group just named
                stack.append(_Level(top.parent + (top.expected - 1,)))
                top = stack[-1]
            top.style, top.alone = item.style, item.alone
            depth = len(stack) - 1
        del stack[depth + 1:]
        level = stack[depth]
        skipped = 0 < ordinal - level.expected <= 2 and not level.restarted  # "a)" then "c)": b unanswered
        if ordinal != level.expected and not skipped:
            level.restarted = level.restarted or ordinal == 1
            continue
        path = level.parent + (ordinal,)
        part_id, confidence, group, other = map_path(path, index, structure)
        if part_id is None and group is None and not other:
            if not skipped:
                del stack[depth:]  # more items than the question has parts: a list of the student's own
            continue
        level.expected = ordinal + 1
        level.last_group = group is not None
        note = ""
        confidence = 0.85
        if level.restarted:
            confidence, note = 0.6, "an earlier list in the answer uses the same numbering"
        out.append(Heading(item.start, item.end, part_id, text[item.start:item.end].strip(), confidence,
                           path[0], group=group, path=path, kind="enumeration", other=other, note=note))
    return out


_FOLDS = {"a": "aàâä", "e": "eéèêë", "i": "iîï", "o": "oôö", "u": "uùûü", "c": "cç"}


def _phrase_regex(phrase: str) -> str:
    """A phrase as a regex matching it whatever its case, accents and spacing."""
    words = re.findall(r"\w+", plain_word(phrase))
    folded = ["".join(f"[{_FOLDS[ch]}]" if ch in _FOLDS else re.escape(ch) for ch in word) for word in words]
    return r"[\W_]+".join(folded)


@lru_cache(maxsize=256)
def _anchor_patterns(phrases: tuple[str, ...], whole_line: bool = False) -> re.Pattern | None:
    if not phrases:
        return None
    alternatives = "|".join(f"(?:{_phrase_regex(p)})" for p in phrases if p.strip())
    # after the usual decorations, optionally a number ("2 Importance Weighted ...", "(b) By using")
    if whole_line:  # a title alone on its line, maybe numbered ("2 Importance Weighted Autoencoder")
        return re.compile(rf"^{LEAD}(?:[1-9]\d?[.)]?[ \t]++)?(?:{alternatives})[ \t.:)*_}}\]]*$", re.I | re.M)
    return re.compile(rf"^{LEAD}(?:\(?[1-9]\d?(?:\.\d+)*[).:]?[ \t]*+|\([a-h]\)[ \t]*+)?(?:{alternatives})\b",
                      re.I | re.M)


def anchor_headings(text: str, rubric: Rubric, titles: dict[int, tuple[str, ...]] | None = None) -> list[Heading]:
    """Headings from the rubric's own phrases and regexes: each part's `anchors`, each question's
    `title`, `anchors` and `headings`; and a line holding nothing but a question's title as the
    question text gives it (`titles`: "\\section*{Autoregressive Models}"). Read on the text as
    written, question text included: a phrase of the copied template says where its part starts
    as well as a number would."""
    out: list[Heading] = []
    for number, phrases in (titles or {}).items():
        pattern = _anchor_patterns(phrases, whole_line=True)
        if pattern is not None:
            out += [Heading(m.start(), m.end(), None, " ".join(m.group(0).split())[:60], 0.85, number,
                            path=(number,), kind="title") for m in pattern.finditer(text)]
    for part in rubric.parts:
        pattern = _anchor_patterns(tuple(part.anchors))
        if pattern is not None:
            out += [Heading(m.start(), m.end(), part.id, " ".join(m.group(0).split())[:60], 0.85, part.question,
                            path=part_path(part.id), kind="title") for m in pattern.finditer(text)]
    for question in rubric.questions:
        phrases = tuple(([question.title] if question.title else []) + list(question.anchors))
        pattern = _anchor_patterns(phrases)
        found = list(pattern.finditer(text)) if pattern is not None else []
        for regex in question.headings:
            found += re.finditer(rf"^{LEAD}(?:{regex})", text, re.I | re.M)
        out += [Heading(m.start(), m.end(), None, " ".join(m.group(0).split())[:60], 0.9, question.number,
                        path=(question.number,), kind="title") for m in found]
    return sorted(out, key=lambda h: h.start)
