"""AI-use disclosures, per question, as the course policy asks students to write them.

The usual course policy: AI tools may polish the writing, never find answers, and every use must be
disclosed per question. A disclosure is a first-person (or passive) sentence naming a tool or "AI"
with a verb of use, in English or French: "Note: I used Grammarly and ChatGPT to improve the quality
of my writing.", "J'ai utilisé ChatGPT pour reformuler…", and a statement of no use ("No AI tools
were used") is recorded as such. Each is attributed to the question whose answer holds it (or to the
questions it names, or to all when it stands before every answer).

No automatic penalty: disclosures are shown to TAs (feedback page, gradebook, result.json). A rubric
may set `ai_policy.penalty`: then it is applied as a visible deduction line on that question's parts,
never silently, and the part awaits a TA's review.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from grader.ingest.document import Document

if TYPE_CHECKING:
    from grader.rubric import Rubric
    from grader.score import PartResult

# Tool names as students spell them (and misspell them: the seed's "Grammerly"), canonical name last.
_TOOLS = [
    (r"chat\s*-?\s*gpt(?:[- ]?[345o](?:\.5)?)?|gpt[- ]?[345o](?:\.5)?(?:[- ]?turbo)?|openai", "ChatGPT"),
    (r"gramm[ae]rly", "Grammarly"), (r"(?:github\s+)?copilot", "Copilot"), (r"claude", "Claude"),
    (r"gemini|bard", "Gemini"), (r"deepl", "DeepL"), (r"quill\s*bot", "QuillBot"),
    (r"language\s*tool", "LanguageTool"), (r"wordtune", "Wordtune"), (r"perplexity", "Perplexity"),
    (r"google\s+(?:translate|traduction)", "Google Translate"), (r"llama|mistral|le\s+chat", "an open LLM"),
]
_TOOL = re.compile(r"\b(?:" + "|".join(p for p, _ in _TOOLS) + r")\b", re.I)
_GENERIC = re.compile(r"\b(?:AI|A\.I\.|IA|LLMs?|(?:large\s+)?language\s+models?|chat\s*bots?|generative\s+(?:AI|tools?)|"
                      r"AI[- ](?:tools?|assistants?|writing))\b")
_PERSON = re.compile(r"\b(?:I|I've|I'd|we|my|our|me|us|j['’]ai|je|nous|mon|mes|notre)\b|\bj['’]", re.I)
_USE = re.compile(r"\b(?:used?|using|utili[sz]\w*|asked|help\w*|assist\w*|polish\w*|rephras\w*|reword\w*|correct\w*|"
                  r"fix\w*|check\w*|proofread\w*|generat\w*|employ\w*|relied|rely|consult\w*|aid\w*|aide|servi|"
                  r"wrote|written|translat\w*|tradui\w*|reformul\w*|am[ée]lior\w*|improv\w*|edit\w*)\b", re.I)
_LABEL = re.compile(r"^\W*(?:Note|N\.?B\.?|AI[- ]use|AI\s+disclosure|Disclosure|Use\s+of\s+AI|Remarque|Déclaration)\s*:", re.I)
_NEGATION = re.compile(r"\b(?:no|not|never|none|without|n['’]t|aucun\w*|pas|jamais|sans|ni)\b|n['’]", re.I)
_WRITING = re.compile(r"\b(?:grammar|grammatical|spelling|typos?|phras\w*|rephras\w*|reword\w*|polish\w*|proofread\w*|"
                      r"writing|wording|written\s+english|clarity|clearer|readab\w*|fluen\w*|translat\w*|language|style|"
                      r"quality\s+of\s+(?:my|our|the)\s+(?:writing|text|english)|corriger|reformul\w*|orthograph\w*|"
                      r"grammaire|r[ée]daction|tradu\w*|style|fran[çc]ais|anglais|understandable)\b", re.I)
# Content use is a verb of finding or checking the substance, not the mere word "answer" ("to fix
# the grammar of this answer" is writing).
_CONTENT = re.compile(r"\b(?:find\w*|get|obtain\w*|solv\w*|deriv\w*|prov\w*|proofs?|check\w*|verif\w*|comput\w*|"
                      r"calculat\w*|produc\w*|understand\w*|explain\w*|code|coding|implement\w*|debug\w*|"
                      r"trouv\w*|r[ée]sou\w*|d[ée]montr\w*|v[ée]rifi\w*|calcul\w*|comprendre)\b", re.I)
_QUESTIONS = re.compile(r"\b(?:questions?|Q|parts?)\s*(\d+(?:\s*(?:,|and|et|&|-)\s*(?:Q\s*)?\d+)*)", re.I)
_ALL = re.compile(r"\b(?:all|every|each|the\s+(?:whole|entire))\s+(?:the\s+)?(?:questions?|answers?|assignment|parts?|work)\b|"
                  r"\btoutes\s+les\s+questions\b|\bthroughout\b", re.I)
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=[^\s.!?]))*(?:[.!?]+|\n|$)")  # "4.6" ends no sentence


@dataclass(frozen=True)
class Disclosure:
    question: str  # "2", ... ; "all" only before it is spread over the answered questions
    used: bool  # False: the student stated that no AI tool was used
    tools: tuple[str, ...]
    purposes: tuple[str, ...]  # "writing" (allowed), "content" (finding or checking answers: not allowed)
    quote: str
    scope: str  # how it was attributed: "this question's answer", "named in the note", "the whole submission"

    @property
    def purpose(self) -> str:
        if not self.used:
            return "none"
        if not self.purposes:
            return "unspecified"
        return " and ".join(self.purposes)

    def summary(self) -> str:
        """One line for the gradebook: what was used, for what."""
        tools = f" ({', '.join(self.tools)})" if self.tools else ""
        if not self.used:
            return "no AI use (stated)"
        return {"writing": f"writing polish{tools}",
                "content": f"to find or check answers{tools}: not allowed by the course policy",
                "writing and content": f"writing polish and to find or check answers{tools}: partly not allowed",
                "unspecified": f"AI use disclosed, purpose not stated{tools}"}[self.purpose]

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "purpose": self.purpose}


def _tools(text: str) -> list[str]:
    found = []
    for m in _TOOL.finditer(text):
        name = next(canonical for pattern, canonical in _TOOLS if re.fullmatch(pattern, m.group(0), re.I))
        if name not in found:
            found.append(name)
    if not found and _GENERIC.search(text):
        found.append("an AI tool")
    return found


def classify(sentence: str) -> Disclosure | None:
    """One sentence as a disclosure (question left blank), or None when it is not one."""
    mentions_tool = bool(_TOOL.search(sentence) or _GENERIC.search(sentence))
    if not mentions_tool or not _USE.search(sentence):
        return None
    if not (_PERSON.search(sentence) or _LABEL.search(sentence)
            or re.search(r"\b(?:was|were|been|a\s+été|ont\s+été)\s+(?:\w+\s+)?(?:used|utilis)", sentence, re.I)):
        return None
    # Clauses: "I did not use ChatGPT for the answers, only Grammarly for grammar."
    clauses = re.split(r"[,;]|\s+(?=(?:but|only|just|mais|seulement|uniquement|and\s+(?:I|we)|et\s+j)\b)", sentence)
    used_tools: list[str] = []
    purposes: list[str] = []
    denied = False
    for clause in clauses:
        tools = _tools(clause)
        if not tools:
            continue
        before_tool = clause[:(_TOOL.search(clause) or _GENERIC.search(clause)).start()]
        if _NEGATION.search(before_tool) or re.search(r"\b(?:was|were)\s+not\b|n['’]a\s+été", clause, re.I):
            denied = True
            continue
        used_tools += [t for t in tools if t not in used_tools]
        rest = sentence if len(clauses) == 1 else clause
        for name, pattern in (("writing", _WRITING), ("content", _CONTENT)):
            if pattern.search(rest) and name not in purposes:
                purposes.append(name)
    if not used_tools and not denied:
        return None
    quote = " ".join(sentence.split())[:240]
    if not used_tools:
        return Disclosure("", False, (), (), quote, "")
    return Disclosure("", True, tuple(used_tools), tuple(sorted(purposes, key=["writing", "content"].index)), quote, "")


def find_disclosures(docs: list[Document], rubric: Rubric,
                     question_lines: set[str] | frozenset[str] = frozenset()) -> dict[str, Disclosure]:
    """{question: its disclosure}, from sheets' per-part notes and from the text of every document."""
    from grader.segment import outline  # segment imports the rubric

    questions = sorted({str(p.question) for p in rubric.parts}, key=lambda q: (len(q), q))
    found: list[Disclosure] = []
    extra = [re.compile(p, re.I) for p in rubric.ai_policy.patterns]
    for doc in docs:
        for part_id, note in doc.ai_use.items():
            base = classify(note) or classify(f"Note: I used {note}") or Disclosure("", True, (), (), note.strip(), "")
            found.append(_at(base, part_id.split(".")[0], "the answer sheet"))
        if not doc.text:
            continue
        text, headings = outline(doc.text, rubric, question_lines)  # the policy text itself is no disclosure
        headings = [h for h in headings if h.question is not None]
        for m in _SENTENCE.finditer(text):
            sentence = m.group(0).strip()
            if len(sentence) < 8:
                continue
            disclosure = classify(sentence)
            if disclosure is None and any(p.search(sentence) for p in extra):
                disclosure = Disclosure("", True, tuple(_tools(sentence)), (), " ".join(sentence.split())[:240], "")
            if disclosure is None:
                continue
            named = [q for group in _QUESTIONS.findall(sentence) for q in re.findall(r"\d+", group) if q in questions]
            before = [h for h in headings if h.start <= m.start()]
            if named:
                found += [_at(disclosure, q, "named in the note") for q in dict.fromkeys(named)]
            elif _ALL.search(sentence) or not before:
                found.append(_at(disclosure, "all", "the whole submission"))
            else:
                found.append(_at(disclosure, str(before[-1].question), "this question's answer"))
    return _merge(found, questions)


def _at(disclosure: Disclosure, question: str, scope: str) -> Disclosure:
    return Disclosure(question, disclosure.used, disclosure.tools, disclosure.purposes, disclosure.quote, scope)


def _merge(found: list[Disclosure], questions: list[str]) -> dict[str, Disclosure]:
    per_question: dict[str, Disclosure] = {}
    general = [d for d in found if d.question == "all"]
    for d in found:
        if d.question == "all":
            continue
        old = per_question.get(d.question)
        per_question[d.question] = d if old is None else _combine(old, d)
    if general:
        merged = general[0]
        for d in general[1:]:
            merged = _combine(merged, d)
        for q in questions:
            if q not in per_question:
                per_question[q] = _at(merged, q, merged.scope)
    return dict(sorted(per_question.items(), key=lambda kv: (len(kv[0]), kv[0])))


def _combine(a: Disclosure, b: Disclosure) -> Disclosure:
    if a.quote == b.quote:
        return a
    used = a.used or b.used
    tools = tuple(dict.fromkeys(a.tools + b.tools))
    purposes = tuple(p for p in ("writing", "content") if p in a.purposes + b.purposes)
    quote = a.quote if len(a.quote) > 200 else f"{a.quote} / {b.quote}"[:300]
    return Disclosure(a.question, used, tools, purposes, quote, a.scope)


def apply_ai_penalty(parts: list[PartResult], disclosures: dict[str, Disclosure], rubric: Rubric) -> None:
    """The rubric's ai_policy.penalty, per question whose disclosure matches ai_policy.penalty_for,
    deducted from that question's parts (last first) as a visible line; a TA confirms it."""
    policy = rubric.ai_policy
    if policy.penalty <= 0:
        return
    for question, disclosure in disclosures.items():
        kinds = set(disclosure.purposes) if disclosure.purposes else {"unspecified"}
        if not disclosure.used or not kinds & set(policy.penalty_for):
            continue
        remaining = policy.penalty
        targets = [p for p in parts if p.id.split(".")[0] == question and p.override is None]
        for part in reversed(targets):
            if remaining <= 0:
                break
            taken = min(remaining, part.score)
            remaining -= taken
            line = (f"AI-use policy: −{taken:g} point(s) here ({policy.penalty:g} for question {question}): the "
                    f"disclosure reports {disclosure.summary()} — “{disclosure.quote[:120]}”.")
            part.score = round(part.score - taken, 2) + 0.0
            part.status = "needs_review"
            part.review = f"{part.review} {line}".strip() if part.review else line
            part.feedback = f"{part.feedback} {line}".strip()
            if part.components:
                part.components[-1].notes = (*part.components[-1].notes, "ai-penalty")
                if len(part.components) > 1:
                    part.components[-1].feedback = f"{part.components[-1].feedback} {line}".strip()
                else:
                    part.components[0].feedback = part.feedback
