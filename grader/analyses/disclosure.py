"""AI-use disclosures, per question, as the course policy asks students to write them.

The usual course policy: AI tools may polish the writing, never find or check answers, and every use is
disclosed per question. Each disclosure is read as one of: polishing the writing ("Grammarly to check
spelling", "ChatGPT to improve the quality of my writing", "DeepL pour traduire mon texte"), content
use ("Copilot helped me derive 3.2", "I asked GPT-4 to check my proof"), a use whose purpose is not
stated ("I used ChatGPT."), or a statement of no use ("No AI tools were used", "Aucun outil d'IA n'a
été utilisé"). English and French. What a purpose is comes from the words the student wrote: the
verb (rephrase, solve, check...) and what it acts on ("check my spelling" vs "check my proof"), with
negations ("not to find answers") and the rubric's own wording (`ai_policy.writing_purposes`,
`content_purposes`). The rubric's `ai_policy.allowed` says which uses are allowed.

The report quotes the student: every quote is a span of their text, as written, never rebuilt.
Each disclosure is attributed to the question whose answer holds it, or to the questions it names, or
to all when it stands before every answer or says so.

No automatic penalty: disclosures are shown to TAs (feedback page, gradebook, result.json). A rubric
may set `ai_policy.penalty`: then it is applied as a visible deduction line on that question's parts,
never silently, and the part awaits a TA's review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from grader.ingest.document import Document

if TYPE_CHECKING:
    from grader.rubric import AiPolicy, Rubric
    from grader.score import PartResult

MAX_QUOTE = 300

# --- tools ---------------------------------------------------------------------------------------

# Tool names as students spell them (and misspell them: "Grammerly"), canonical name last.
_TOOLS = [
    (r"chat\s*-?\s*gpt(?:[- ]?[345o](?:\.5)?)?|gpt[- ]?[345o](?:\.5)?(?:[- ]?(?:turbo|mini))?|gpt|openai", "ChatGPT"),
    (r"gramm[ae]rly", "Grammarly"), (r"(?:github\s+)?copilot", "Copilot"), (r"claude", "Claude"),
    (r"gemini|bard", "Gemini"), (r"deepl", "DeepL"), (r"quill\s*bot", "QuillBot"),
    (r"language\s*tool", "LanguageTool"), (r"wordtune", "Wordtune"), (r"perplexity", "Perplexity"),
    (r"antidote", "Antidote"), (r"reverso", "Reverso"), (r"scribens", "Scribens"), (r"bon\s*patron", "BonPatron"),
    (r"google\s+(?:translate|traduction)", "Google Translate"), (r"deepseek", "DeepSeek"),
    (r"llama|mistral|le\s+chat", "an open LLM"),
    (r"(?:grammar|spelling|spell)[- ]?checkers?|correcteurs?\s+(?:orthographiques?|grammaticaux|grammatical)",
     "a grammar checker"),
]
# Tools made for the writing alone: named without a purpose, their use is polishing.
_WRITING_TOOLS = {"Grammarly", "DeepL", "QuillBot", "LanguageTool", "Wordtune", "Antidote", "Reverso",
                  "Scribens", "BonPatron", "Google Translate", "a grammar checker"}
_TOOL_NAMES = "|".join(p for p, _ in _TOOLS)
_TOOL = re.compile(rf"\b(?:{_TOOL_NAMES})\b", re.I)
# "AI" and "IA" only in capitals: "j'ai" is not a tool
_GENERIC = re.compile(r"\b(?:(?:generative\s+)?A\.?I\.?(?:[- ](?:tools?|assistants?|models?|writing\s+tools?))?|"
                      r"I\.?A\.?|LLMs?|(?:[Ll]arge\s+)?[Ll]anguage\s+[Mm]odels?|[Cc]hat\s*bots?|"
                      r"[Aa]rtificial\s+[Ii]ntelligence|[Ii]ntelligence\s+[Aa]rtificielle|"
                      r"[Oo]utils?\s+(?:d['’]|de\s+l['’])\s*(?:IA|I\.A\.|intelligence\s+artificielle)|"
                      r"[Mm]od[èe]les?\s+de\s+langu(?:e|age))(?![\w'’])")

# --- the words of a purpose ----------------------------------------------------------------------
# Verbs that name polishing whatever they act on, or content use whatever they act on; "soft" verbs
# are content use unless they act on the writing ("write more clearly"); "open" verbs take the class
# of what they act on ("check my spelling" / "check my proof"); auxiliaries (use, help, ask) none.
_VOCABULARY = [
    ("writing-adjective", r"clear(?:er|ly)?|readable|understandable|comprehensible|compr[ée]hensibles?|"
                          r"concise(?:ly)?|fluent(?:ly)?|fluid|fluides?|professional(?:ly)?|formal|lisibles?|"
                          r"clair(?:e|es|s|ement)?|polished|smooth(?:er|ly)?|well[- ]written|idiomatic"),
    ("writing-verb", r"rephras\w*|reword\w*|paraphras\w*|proof-?read\w*|polish\w*|spell-?check\w*|translat\w*|"
                     r"reformul\w*|tradui\w*|traduc\w*|relire|relu|relecture|typeset\w*|format(?:ted|ting)?|"
                     r"rewrit\w*|rewrote|r[ée][ée]cri\w*|mettre\s+en\s+forme|edit(?:ed|ing)?"),
    # verb forms only: "derivation", "computation" are things (content nouns), not purposes
    ("content-verb", r"solv(?:e|es|ed|ing)|deriv(?:e|es|ed|ing)|prove[dns]?|proving|comput(?:e|es|ed|ing)|"
                     r"calculat(?:e|es|ed|ing)|implement(?:s|ed|ing)?|debug(?:s|ged|ging)?|"
                     r"brainstorm(?:s|ed|ing)?|r[ée]soudre|r[ée]solu(?:e|s|es)?|r[ée]sou[st]|"
                     r"d[ée]riv(?:er|ée?s?|ant)|d[ée]montr(?:er|ée?s?|ant)|prouv(?:er|ée?s?|ant)|"
                     r"calcul(?:er|ée?s?|ant)|impl[ée]ment(?:er|ée?s?|ant)|d[ée]bogu(?:er|ée?s?)"),
    ("soft-verb", r"find(?:s|ing)?|found|get|gets|got|getting|obtain(?:s|ed|ing)?|generat(?:e|es|ed|ing)|"
                  r"g[ée]n[ée]r(?:er|ée?s?|ant)|writ(?:e|es|ten)|wrote|produc(?:e|es|ed|ing)|explain(?:s|ed|ing)?|"
                  r"expliqu(?:er|ée?s?|ant)|understand(?:s|ing)?|understood|compren\w*|compris|learn(?:s|ed|t|ing)?|"
                  r"apprendre|figur\w*\s+out|work(?:ed)?\s+out|c[oa]me?\s+up\s+with|trouv(?:er|ée?s?|ant)|"
                  r"obten(?:ir|u|ue|us|ues)|obtien\w*|[ée]cri(?:re|t|te|ts|tes|vant)|r[ée]dig(?:er|ée?s?|eant)|"
                  r"creat(?:e|es|ed|ing)"),
    ("open-verb", r"double-?check\w*|check\w*|verif\w*|v[ée]rifi\w*|correct(?:ed|ing|s)?|corrig\w*|fix\w*|"
                  r"improv\w*|am[ée]lior\w*|review\w*|revis\w*|r[ée]vis\w*|refin\w*|enhanc\w*|clean\w*\s+up|"
                  r"go(?:ne)?\s+over|went\s+over|look\w*\s+over|ensur\w*|make\s+sure|s['’]assurer"),
    ("aux-verb", r"us(?:e|ed|es|ing)|utilis\w*|help\w*|aid(?:ed|ing)?|aid[ée]|aide|assist\w*|ask\w*|demand\w*|"
                 r"employ\w*|rel(?:y|ied)\s+on|consult\w*|prompt\w*|servi"),
    ("writing-noun", r"grammar|grammatical\w*|grammaire|grammati\w*|spelling|orthograph\w*|typos?|coquilles?|"
                     r"punctuation|ponctuation|phrasing|wording|formulations?|sentences?|phrases?|syntax\w*|"
                     r"style|stylistic\w*|clarity|clart[ée]|readability|lisibilit[ée]|fluency|fluidit[ée]|flow|"
                     r"tone|vocabular\w*|synonym\w*|words?|mots?|english|anglais|french|fran[çc]ais|"
                     r"language(?!\s+models?)|langue|writing|r[ée]daction|texts?|textes?|prose|paragraph\w*|"
                     r"latex|formatting|typesetting|layout|mise\s+en\s+(?:forme|page)|presentation|"
                     r"pr[ée]sentation|translation|traduction"),
    ("content-noun", r"answers?|r[ée]ponses?|solutions?|proofs?|preuves?|d[ée]monstrations?|results?|"
                     r"r[ée]sultats?|calculs?|calculations?|computations?|derivations?|d[ée]rivations?|"
                     r"implementations?|r[ée]solutions?|explanations?|explications?|maths?|mathematics|"
                     r"math[ée]matiques|equations?|[ée]quations?|"
                     r"formulas?|formulae|formules?|reasoning|raisonnements?|logic|logique|approach\w*|"
                     r"approches?|methods?|m[ée]thodes?|ideas?|id[ée]es?|intuitions?|concepts?|notions?|theory|"
                     r"th[ée]orie|code|coding|bugs?|integrals?|int[ée]grales?|bounds?|bornes?|gradients?|"
                     r"steps?|[ée]tapes?|work|travail|content|contenu|estimators?|loss(?:es)?"),
    # where a use happened ("for question 2"); what was done only when it follows the verb ("solve
    # the problem", "understand question 3")
    ("scope-noun", r"questions?|parts?|parties|exercises?|exercices?|problems?|probl[èe]mes?|sections?|"
                   r"assignments?|devoirs?|homework|tasks?|t[âa]ches?|Q\s*\d+(?:\.\d+)*[a-z]?|\d+\.\d+[a-z]?"),
    # nouns that pass the choice on to what follows: "mistakes in my proof", "quality of my writing"
    ("pass-noun", r"mistakes?|errors?|erreurs?|issues?|quality|qualit[ée]"),
    ("writing-pass-noun", r"fautes?"),  # French "fautes" alone are language mistakes
    ("not-negation", r"not\s+only|non\s+seulement|pas\s+seulement|pas\s+uniquement|no\s+matter"),
    ("negation", r"\w+n['’]t|cannot|not|never|no|none|nothing|without|nor|neither|rather\s+than|instead\s+of|pas|jamais|"
                 r"sans|aucun\w*|rien|ni|plut[ôo]t\s+que|au\s+lieu\s+de|non"),
]
_CUE = re.compile("|".join(f"(?P<g{k}>{pattern})" for k, (_, pattern) in enumerate(_VOCABULARY)), re.I)
_CUE_KIND = {f"g{k}": kind for k, (kind, _) in enumerate(_VOCABULARY)}
_CUE_WORD = re.compile(r"(?<!\w)(?:" + _CUE.pattern + r")(?!\w)", re.I)
# the possessor of the first thing named: "the grammar OF MY answers", "la grammaire DE MES réponses"
_GENITIVE = re.compile(r"(?:\b(?:of|in|within|from|de|du|des|dans|en)\b|\bd['’])\s*(?:(?:my|our|the|this|these|his|"
                       r"her|their|its|a|an|all|each|own|mon|ma|mes|notre|nos|le|la|les|ce|cette|ces|un|une|"
                       r"toutes?|tous|chaque|propres?)\b\s*|l['’]\s*){0,3}$", re.I)
# what a check looked for: "check my proof FOR typos", "had NO typos"
_LOOKED_FOR = re.compile(r"\b(?:for|pour|no|any|aucune?s?|sans)\s+(?:(?:any|possible|obvious|les|des|de|d['’])\s*)?$",
                         re.I)
_DETERMINERS = re.compile(r"^\s*(?:(?:my|our|the|this|these|that|those|a|an|all|each|some|mon|ma|mes|notre|nos|"
                          r"le|la|les|ce|cette|ces|un|une|l['’]|toutes?|tous|chaque|certaines?)\b\s*|l['’]\s*)*$", re.I)

# --- sentences and clauses -----------------------------------------------------------------------

_FIRST_PERSON = re.compile(r"\b(?:I|I['’](?:ve|d|m)|[Ww]e|[Mm]e|[Uu]s|[Jj]e|[Nn]ous)(?!\w)|\b[JjMm]['’]")
_PASSIVE = re.compile(r"\b(?:was|were|been|is|are|being|a\s+été|ont\s+été|été)\s+(?:\w+\s+){0,2}?(?:used|utilis\w*|"
                      r"employ\w*|proof-?read|checked|translated|polished|corrected|rephrased|generated|written|"
                      r"assisted|helped|edited|reviewed|consulted|involved|relied|revised|v[ée]rifi\w*|corrig\w*|"
                      r"traduit\w*|reformul\w*)\b", re.I)
_LABEL = re.compile(r"^\W*(?:Note|N\.?B\.?|AI(?:[- ](?:use|usage|tools?|assistance|disclosure|statement))+|"
                    r"Disclosure|Use\s+of\s+(?:AI|LLMs?|generative\s+AI)|Utilisation\s+(?:de\s+l['’]\s*IA|d['’]\s*IA|"
                    r"des\s+outils)\w*|Usage\s+(?:de\s+l['’]\s*IA|d['’]\s*IA)|Outils?\s+(?:d['’]\s*)?IA|IA|"
                    r"Remarque|D[ée]claration|Declaration|Tools?\s+used|Outils?\s+utilis[ée]s?)\s*(?:\([^)]*\))?\s*:",
                    re.I)
_LEADING_VERB = re.compile(r"^\W*(?:used|using|utilis[ée]e?s?|proof-?read|translated|polished|checked|corrected|"
                           r"rephrased|written\s+with|asked|with\s+the\s+help\s+of|with\s+help\s+from|"
                           r"avec\s+l['’]aide\s+d|à\s+l['’]aide\s+d|gr[âa]ce\s+à)\b", re.I)
# "ChatGPT helped me...", "Grammarly corrected...", "DeepL a traduit..."
_TOOL_AS_SUBJECT = re.compile(rf"^\W*(?:\w+\s+){{0,2}}?(?:{_TOOL_NAMES})\s*(?:(?:was|were|has|have|a|m['’]a|nous\s+a)\s+)?"
                              r"(?:\w+\s+)?(?:helped|assisted|corrected|rephrased|fixed|checked|polished|translated|"
                              r"edited|proofread|used|aid[ée]|corrig[ée]|reformul[ée]|v[ée]rifi[ée]|tradui[ts]|"
                              r"utilis[ée])\b", re.I)
# "Grammarly (spelling only)", "ChatGPT: grammar", "DeepL for translation": a short note that names a
# purpose right after the tool
_TOOL_NOTE = re.compile(rf"^\W*(?:{_TOOL_NAMES})(?:\s*(?:,|and|et|&)\s*(?:{_TOOL_NAMES}))*\s*(?:\(|:|—|–|-\s|for\b|"
                        r"pour\b|to\b)", re.I)
_NONE_ANSWER = re.compile(r":\s*(?:none|no|non|nothing|aucun\w*|rien|n/?a|not\s+used|pas\s+utilis[ée]e?s?|"
                          r"jamais)\s*[.!]?\s*$", re.I)
_DENIED_AFTER = re.compile(r"^[^,;]*?(?:\b(?:(?:was|were|is|are|has\s+been|have\s+been|been)\s+(?:not|never)|"
                           r"not\s+(?:been\s+)?used|n['’](?:a|ont|est)\s+(?:pas|jamais)\s+été|non\s+utilis|"
                           r"n['’]a\s+(?:pas|jamais)\s+servi)\b|:\s*(?:none|no|non|nothing|aucun\w*|rien|n/?a)\b)",
                           re.I)
# clauses: a comma, a semicolon, a dash, or a word that turns the sentence ("but", "only", "except")
_CLAUSE_CUT = re.compile(r"[;,]|\s[-–—]\s|\s+(?=(?:but|only|just|except|apart\s+from|other\s+than|besides|aside\s+from|"
                         r"whereas|while|though|although|however|mais|seulement|uniquement|sauf|hormis|except[ée]|"
                         r"à\s+part|cependant|toutefois|and\s+(?:I|we|it)|et\s+(?:j['’]|je|nous|il))\b)", re.I)
_PURPOSE_START = re.compile(r"^\W*(?:(?:but|and|or|only|just|mostly|mainly|also|not|never|et|ou|mais|seulement|"
                            r"uniquement|surtout|aussi|pas|jamais)\s+)*(?:to|for|pour|afin|in\s+order|with|avec|à|"
                            r"as|comme|de|d['’])\b", re.I)
_TOOL_PRONOUN = re.compile(r"\b(?:it|them|this\s+tool|these\s+tools|the\s+tool|l['’](?:ai|a|avons)|les\s+ai|lui\s+ai)\b",
                           re.I)
_BY_ONESELF = re.compile(r"\b(?:myself|ourselves|on\s+my\s+own|by\s+myself|moi-m[êe]me|nous-m[êe]mes|"
                         r"par\s+moi-m[êe]me|seule?s?)\b", re.I)
_OWN_SUBJECT = re.compile(r"\b(?:I|[Ww]e|[Jj]e|[Nn]ous)\b|\b[Jj]['’]")
_QUESTIONS = re.compile(r"\b(?:questions?|Q|parts?)\s*(\d+(?:\s*(?:,|and|et|&|-)\s*(?:Q\s*)?\d+)*)", re.I)
_ALL = re.compile(r"\b(?:all|every|each|the\s+(?:whole|entire))\s+(?:the\s+)?(?:questions?|answers?|assignment|"
                  r"parts?|work)\b|"
                  r"\btoutes\s+les\s+(?:questions|r[ée]ponses)\b|\bl['’]ensemble\s+du\s+devoir\b|\bthroughout\b", re.I)
# A sentence ends at . ! ? before a blank, at a blank line, or at a line break unless the text goes on
# in the next line ("...improve the\nquality of my writing."). "4.6" ends no sentence.
# Each branch opens on the character it ends a sentence with, and looks behind it from there
# ("e.g." is no end): a pattern that opens on a lookbehind is tried at every position of the text.
_SENTENCE_END = re.compile(r"[.!?](?<!e\.g.)(?<!i\.e.)(?<!\bcf.)(?<!\bvs.)(?<!\bex.)(?<!\betc.)[.!?]*(?=\s|$)"
                           r"|\n[ \t]*\n|\n(?![ \t]*[a-zà-ÿ(])|\n(?<![\w,;'’(-]\n)", re.M)


@dataclass(frozen=True)
class Disclosure:
    """What a student disclosed for one question."""

    question: str  # "2", ... ; "all" only before it is spread over the answered questions
    used: bool  # False: the student stated that no AI tool was used
    tools: tuple[str, ...]
    purposes: tuple[str, ...]  # "writing" (polishing), "content" (finding or checking answers)
    quotes: tuple[str, ...]  # the student's own words: spans of their text, as written
    scope: str  # how it was attributed: "this question's answer", "named in the note", "the whole submission"
    allowed: bool | None = None  # under the rubric's policy; None: no use, or its purpose is not stated

    @property
    def purpose(self) -> str:
        if not self.used:
            return "none"
        if not self.purposes:
            return "unspecified"
        return " and ".join(self.purposes)

    @property
    def quote(self) -> str:
        return self.quotes[0] if self.quotes else ""

    def label(self) -> str:
        """The class of the disclosure, in words."""
        return {"none": "no AI use (stated)", "writing": "polishing the writing",
                "content": "content use (finding or checking answers)",
                "writing and content": "polishing the writing, and content use (finding or checking answers)",
                "unspecified": "AI use, purpose not stated"}[self.purpose]

    def verdict(self) -> str:
        return {True: "allowed", False: "not allowed by the course policy"}.get(self.allowed, "")

    def summary(self) -> str:
        """One line for the gradebook: the class, the tools, the verdict and the student's words."""
        tools = f" ({', '.join(self.tools)})" if self.tools else ""
        verdict = f", {self.verdict()}" if self.verdict() else ""
        quotes = " / ".join(f"“{' '.join(q.split())}”" for q in self.quotes)  # whitespace only is folded
        return f"{self.label()}{tools}{verdict}: {quotes}" if quotes else f"{self.label()}{tools}{verdict}"

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "used": self.used, "tools": list(self.tools),
                "purposes": list(self.purposes), "purpose": self.purpose, "class": self.label(),
                "allowed": self.allowed, "quote": self.quote, "quotes": list(self.quotes), "scope": self.scope}


# --- reading one sentence ------------------------------------------------------------------------

def _tool_mentions(text: str) -> list[tuple[int, int, str]]:
    label = _LABEL.search(text)
    found: list[tuple[int, int, str]] = [(0, label.end(), "")] if label else []  # "AI use:" names no tool
    for m in _TOOL.finditer(text):
        name = next(canonical for pattern, canonical in _TOOLS if re.fullmatch(pattern, m.group(0), re.I))
        found.append((m.start(), m.end(), name))
    for m in _GENERIC.finditer(text):
        if not any(s <= m.start() < e for s, e, _ in found):
            found.append((m.start(), m.end(), "an AI tool"))
    return sorted(f for f in found if f[2])


def _clauses(sentence: str) -> list[tuple[int, int]]:
    cuts = [0] + [m.start() for m in _CLAUSE_CUT.finditer(sentence)] + [len(sentence)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if sentence[a:b].strip(" ,;-–—")]


@dataclass
class _Phrase:
    verb: str  # a cue kind ("open-verb"...), or "" before any verb
    verb_text: str
    negated: bool
    objects: list[str]  # "writing" / "content", in order
    passing: str | None = None  # a pass-noun waits for what it is about ("mistakes in ...")
    clearer: bool = False  # "make my answers clearer", "write more clearly": the writing, whatever the object
    looked_for: str | None = None  # "check my proof FOR TYPOS", "make sure it had NO TYPOS": what was checked
    after_verb: int = 0  # where the verb ended


def _negated(clause: str, start: int, negations: list[int]) -> bool:
    """A negation at most four words before `start`, in the same clause."""
    return any(end <= start and len(clause[end:start].split()) <= 4 for end in negations)


def _purposes_of(clause: str, policy: AiPolicy | None) -> set[str]:
    """The purposes a clause names, negated ones left out."""
    found: set[str] = set()
    negations: list[int] = []
    phrases: list[_Phrase] = [_Phrase("", "", False, [])]
    for m in _CUE_WORD.finditer(clause):
        kind = next(_CUE_KIND[g] for g, v in m.groupdict().items() if v is not None)
        if kind == "not-negation":
            continue
        if kind == "negation":
            negations.append(m.end())
            continue
        phrase = phrases[-1]
        if kind.endswith("-verb"):
            phrases.append(_Phrase(kind, m.group(0).lower(), _negated(clause, m.start(), negations), [],
                                   after_verb=m.end()))
            continue
        looked_for = _LOOKED_FOR.search(clause[max(0, m.start() - 30):m.start()])
        if looked_for and kind in ("writing-noun", "content-noun") and phrase.verb == "open-verb":
            phrase.looked_for = "content" if kind == "content-noun" else "writing"
            continue
        if _negated(clause, m.start(), negations) and not phrase.negated:
            continue  # "not for the answers"
        if kind in ("pass-noun", "writing-pass-noun"):
            if not phrase.objects:
                phrase.passing = "writing" if kind == "writing-pass-noun" else ""
            continue
        if kind == "writing-adjective":
            phrase.clearer = True
            continue
        genitive = bool(_GENITIVE.search(clause[max(0, m.start() - 40):m.start()]))
        if genitive and phrase.objects and phrase.passing is None:
            continue  # the possessor: "the grammar of my answers"
        if kind == "scope-noun":
            right_after = bool(_DETERMINERS.match(clause[phrase.after_verb:m.start()]))
            if phrase.verb in ("content-verb", "soft-verb", "open-verb") and right_after and not phrase.objects:
                phrase.objects.append("content")
            continue
        phrase.objects.append("content" if kind == "content-noun" else "writing")
        phrase.passing = None
    for phrase in phrases:
        if phrase.negated:
            continue
        objects = set(phrase.objects) or ({phrase.passing} if phrase.passing else set())
        if phrase.clearer:
            objects = {"writing"}
        elif phrase.looked_for:
            objects = {phrase.looked_for}
        if phrase.verb == "writing-verb":
            found.add("writing")
        elif phrase.verb == "content-verb":
            found.add("content")
        elif phrase.verb == "soft-verb":
            found.add("writing" if objects == {"writing"} else "content")
        else:
            found |= objects
    if policy is not None:  # the course's own wording
        for name, patterns in (("writing", policy.writing_purposes), ("content", policy.content_purposes)):
            for pattern in patterns:
                m = re.search(pattern, clause, re.I)
                if m and not _negated(clause, m.start(), negations):
                    found.add(name)
    return found


# "ChatGPT could be used to...", in a review: a possibility, not a use
_HYPOTHETICAL = re.compile(r"\b(?:could|would|might|can|may|should|must|pourrait|pourraient|peut|peuvent|devrait)"
                           r"\s+(?:not\s+|also\s+|even\s+|be\s+|être\s+|easily\s+)*(?:used?|utilis\w*|help\w*|"
                           r"generat\w*|replace\w*|writ\w*)\b", re.I)
_PAST_USE = re.compile(r"\b(?:used|utilis[ée]e?s?|asked|helped|relied|assisted)\b", re.I)


def _agency(sentence: str) -> bool:
    """The sentence says someone used a tool: "I used", "was used", "Note:", "Used ChatGPT for...",
    "ChatGPT helped with...", "Grammarly (spelling only)"."""
    kinds = _cue_kinds(sentence)
    hypothetical = _HYPOTHETICAL.search(sentence)
    if hypothetical and not _LABEL.search(sentence) and not _PAST_USE.search(_HYPOTHETICAL.sub(" ", sentence)):
        return False
    if _TOOL_NOTE.search(sentence):  # a short note, not a sentence about GPT-3 (Brown et al.) in a review
        return len(sentence.split()) <= 12 and any(k != "negation" for k in kinds)
    return bool(_LABEL.search(sentence) or _PASSIVE.search(sentence) or _LEADING_VERB.search(sentence)
                or _TOOL_AS_SUBJECT.search(sentence)
                or (_FIRST_PERSON.search(sentence) and any(k.endswith("-verb") for k in kinds)))


def _cue_kinds(text: str) -> list[str]:
    return [next(_CUE_KIND[g] for g, v in m.groupdict().items() if v is not None) for m in _CUE_WORD.finditer(text)]


def _speaks_of_the_tool(clause: str) -> bool:
    """A clause without a tool speaks of the tool's use when it goes on with a purpose ("..., only to
    fix typos"), a verb ("..., reword and polish") or a pronoun ("and I asked it to..."); not when it
    tells the student's own work ("but I wrote the proofs myself")."""
    first_word = clause.split()[:1]
    goes_on = bool(_PURPOSE_START.search(clause) or _TOOL_PRONOUN.search(clause)
                   or (first_word and any(k.endswith("-verb") for k in _cue_kinds(first_word[0]))))
    own_work = bool(_BY_ONESELF.search(clause) or (_OWN_SUBJECT.search(clause) and not _TOOL_PRONOUN.search(clause)))
    return goes_on and not own_work


def classify(sentence: str, policy: AiPolicy | None = None, declared: bool = False) -> Disclosure | None:
    """One sentence as a disclosure (question and scope left blank), or None when it is not one.

    `declared`: the text is known to be a disclosure (an answer sheet's `ai_use` note), so it need
    not name a tool or say who used it ("spelling only", "none")."""
    mentions = _tool_mentions(sentence)
    words = sentence.split()
    if declared and re.fullmatch(r"\W*(?:none|no|non|nothing|aucun\w*|rien|n/?a|not\s+used|pas\s+utilis\w*|"
                                 r"no\s+AI(?:\s+tools?)?(?:\s+used)?|sans\s+IA|jamais)\W*", sentence, re.I):
        return Disclosure("", False, (), (), (sentence.strip(),), "")
    label_none = bool(_LABEL.search(sentence) and _NONE_ANSWER.search(sentence))
    if label_none and len(_clauses(sentence)) == 1:  # "AI use: none."
        return Disclosure("", False, (), (), (sentence.strip(),), "")
    if not mentions and not declared:
        return None
    if not declared and not label_none and not _agency(sentence):
        short_denial = len(words) <= 6 and re.match(r"^\W*(?:no|aucun\w*|pas\s+d['’]|sans|without)\b", sentence, re.I)
        if not short_denial:
            return None
    used: list[str] = []
    denied: list[str] = []
    purposes: set[str] = set()
    for a, b in _clauses(sentence):
        clause = sentence[a:b]
        in_clause = [(s - a, e - a, name) for s, e, name in mentions if a <= s < b]
        negations = [m.end() for m in _CUE_WORD.finditer(clause) if _cue_kinds(m.group(0)) == ["negation"]]
        if in_clause:
            first = in_clause[0][0]
            clause_denied = (any(end <= first for end in negations) or bool(_DENIED_AFTER.search(clause[first:]))
                             or (label_none and b == len(sentence)))
            for _, _, name in in_clause:
                (denied if clause_denied else used).append(name)
            if not clause_denied:
                purposes |= _purposes_of(clause, policy)
            continue
        if (declared and not mentions) or _speaks_of_the_tool(clause):
            purposes |= _purposes_of(clause, policy)
    used = list(dict.fromkeys(used))
    if label_none and not used:
        return Disclosure("", False, (), (), (sentence.strip(),), "")
    if not used and denied:
        return Disclosure("", False, (), (), (sentence.strip(),), "")
    if not used and not declared:
        return None
    if not purposes and used and all(t in _WRITING_TOOLS for t in used):
        purposes = {"writing"}
    ordered = tuple(p for p in ("writing", "content") if p in purposes)
    return Disclosure("", True, tuple(used), ordered, (sentence.strip(),), "", _allowed(ordered, policy))


def _allowed(purposes: tuple[str, ...], policy: AiPolicy | None) -> bool | None:
    if not purposes:
        return None
    allowed = set(policy.allowed) if policy is not None else {"writing"}
    return set(purposes) <= allowed


# --- the whole submission ------------------------------------------------------------------------

def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, blanks around it left out."""
    spans = []
    last = 0
    for m in list(_SENTENCE_END.finditer(text)) + [None]:
        end = len(text) if m is None else m.end()
        piece = text[last:end]
        start, stop = end - len(piece.lstrip()), last + len(piece.rstrip())  # blanks around it left out
        last = end
        if stop > start:
            spans.append((start, stop))
    return spans


def _quote_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A long sentence is quoted from the clause that names the tool, up to MAX_QUOTE characters,
    ending on a word: still the student's words, as written."""
    if end - start <= MAX_QUOTE:
        return start, end
    sentence = text[start:end]
    first = _tool_mentions(sentence)
    clause_start = 0
    if first:
        clause_start = max((a for a, _ in _clauses(sentence) if a <= first[0][0]), default=0)
    start += clause_start
    while start < end and text[start] in " ,;-–—":
        start += 1
    if end - start > MAX_QUOTE:
        cut = text.rfind(" ", start, start + MAX_QUOTE)
        end = cut if cut > start else start + MAX_QUOTE
    return start, end


def find_disclosures(docs: list[Document], rubric: Rubric,
                     question_lines: set[str] | frozenset[str] = frozenset()) -> dict[str, Disclosure]:
    """{question: its disclosure}, from sheets' per-part notes and from the text of every document."""
    from grader.segment import outline  # segment imports the rubric

    policy = rubric.ai_policy
    questions = sorted({str(p.question) for p in rubric.parts}, key=lambda q: (len(q), q))
    found: list[Disclosure] = []
    extra = [re.compile(p, re.I) for p in policy.patterns]
    for doc in docs:
        for part_id, note in doc.ai_use.items():
            base = classify(note, policy, declared=True)
            if base is not None and note.strip():
                found.append(_at(base, part_id.split(".")[0], "the answer sheet"))
        if not doc.text:
            continue
        blanked, headings = outline(doc.text, rubric, question_lines)  # the policy text itself is no disclosure
        headings = [h for h in headings if h.question is not None]
        for start, end in sentences(blanked):
            if end - start < 8:
                continue
            start, end = _quote_span(doc.text, start, end) if end - start > MAX_QUOTE else (start, end)
            sentence = doc.text[start:end]
            disclosure = classify(sentence, policy)
            if disclosure is None and any(p.search(blanked[start:end]) for p in extra):
                disclosure = Disclosure("", True, tuple(dict.fromkeys(n for *_, n in _tool_mentions(sentence))), (),
                                        (sentence,), "")
            if disclosure is None:
                continue
            named = [q for group in _QUESTIONS.findall(sentence) for q in re.findall(r"\d+", group) if q in questions]
            before = [h for h in headings if h.start <= start]
            if named:
                found += [_at(disclosure, q, "named in the note") for q in dict.fromkeys(named)]
            elif _ALL.search(sentence) or not before:
                found.append(_at(disclosure, "all", "the whole submission"))
            else:
                found.append(_at(disclosure, str(before[-1].question), "this question's answer"))
    return _merge(found, questions, policy)


def _at(disclosure: Disclosure, question: str, scope: str) -> Disclosure:
    return Disclosure(question, disclosure.used, disclosure.tools, disclosure.purposes, disclosure.quotes, scope,
                      disclosure.allowed)


def _merge(found: list[Disclosure], questions: list[str], policy: AiPolicy) -> dict[str, Disclosure]:
    """One disclosure per question: its own notes, and the notes that cover every question."""
    general = [d for d in found if d.question == "all"]
    specific: dict[str, list[Disclosure]] = {}
    for d in found:
        if d.question != "all":
            specific.setdefault(d.question, []).append(d)
    merged: dict[str, Disclosure] = {}
    for q in dict.fromkeys(questions + sorted(specific, key=lambda q: (len(q), q))):
        notes = specific.get(q, []) + general
        if notes:
            merged[q] = _combine(q, notes, policy)
    return dict(sorted(merged.items(), key=lambda kv: (len(kv[0]), kv[0])))


def _combine(question: str, notes: list[Disclosure], policy: AiPolicy) -> Disclosure:
    used = any(d.used for d in notes)
    tools = tuple(dict.fromkeys(t for d in notes for t in d.tools))
    purposes = tuple(p for p in ("writing", "content") if any(p in d.purposes for d in notes))
    if used and any(d.used and not d.purposes for d in notes) and "content" not in purposes:
        purposes = ()  # a use with no purpose stated leaves the whole question unclear, unless one is forbidden
    quotes = tuple(dict.fromkeys(q for d in notes for q in d.quotes))
    scope = "; ".join(dict.fromkeys(d.scope for d in notes))
    return Disclosure(question, used, tools, purposes, quotes, scope, _allowed(purposes, policy) if used else None)


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
        quote = " ".join(disclosure.quote.split())
        if len(quote) > 120:
            quote = quote[:quote.rfind(" ", 0, 120)] if " " in quote[:120] else quote[:120]
        for part in reversed(targets):
            if remaining <= 0:
                break
            taken = min(remaining, part.score)
            remaining -= taken
            line = (f"AI-use policy: −{taken:g} point(s) here ({policy.penalty:g} for question {question}): the "
                    f"disclosure reports {disclosure.label()} — “{quote}”.")
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
