"""Student self-check: what the grader reads in a submission, never whether it is right.

It uses no key at all (it does not even load one), so it cannot reveal one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.ingest.limits import DEFAULT_LIMITS, Limits
from grader.ingest.submission import Submission, read_submission
from grader.kinds import get_kind
from grader.pipeline import for_this_assignment, fragments_for, split_components
from grader.record import record_fragments, same_answer
from grader.rubric import Rubric


@dataclass
class PartReading:
    id: str
    title: str
    found: str  # how the part was located, or why not
    readings: list[tuple[str, str]] = field(default_factory=list)  # (component, what was read)
    problems: list[str] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)  # formulas rebuilt from the PDF, in LaTeX


@dataclass
class CheckReport:
    submission: str
    files: list[str]
    documents: list[str]
    problems: list[str]
    parts: list[PartReading]

    @property
    def missing(self) -> list[str]:
        return [p.id for p in self.parts if p.found.startswith("not found")]


def self_check(sub: Submission, rubric: Rubric, limits: Limits = DEFAULT_LIMITS) -> CheckReport:
    docs, problems = read_submission(sub, limits)
    docs, refused = for_this_assignment(docs, rubric)
    problems += refused
    for doc in docs:
        problems += [p for p in doc.problems if p not in problems]
        if doc.unreadable and not any(doc.unreadable in p for p in problems):
            problems.append(f"{doc.source}: {doc.unreadable}")
    fragments = fragments_for(docs, rubric)
    records = record_fragments(docs, rubric, fragments)  # the PDF is graded: it must show the same
    parts = []
    for part in rubric.parts:
        fragment = fragments.get(part.id)
        if fragment is None:
            parts.append(PartReading(part.id, part.title, f"not found (start it with a heading such as '{part.id})')"))
            continue
        reading = PartReading(part.id, part.title, fragment.how)
        if part.self_check.show_answer:
            reading.formulas = [_formula_line(m) for m in fragment.math[:MAX_FORMULAS_SHOWN]]
            if len(fragment.math) > MAX_FORMULAS_SHOWN:
                reading.formulas.append(f"... and {len(fragment.math) - MAX_FORMULAS_SHOWN} more")
        pieces = split_components(part, fragment)
        record = records.get(part.id)
        shown_pieces = split_components(part, record) if record is not None else {}  # once per part
        for component in part.components:
            piece = pieces.get(component.id)
            if piece is None:
                reading.problems.append(f"{component.id}: not found in the text of {part.id}")
                continue
            answer = get_kind(component.kind).extract(piece, component)
            if not part.self_check.show_answer:
                shown = "found" if answer.readable else f"not read: {answer.problem}"
            else:
                shown = get_kind(component.kind).describe_in(answer, component)
            reading.readings.append((component.id, shown))
            if part.id in records and answer.readable:
                reading.problems += _unconfirmed(component, answer, piece, record, shown_pieces.get(component.id))
            if not answer.readable:
                reading.problems.append(f"{component.id}: {answer.problem}")
            elif answer.confidence < 0.75:
                reading.problems.append(f"{component.id}: read with low confidence ({answer.how}); "
                                        "a TA will have to confirm it")
        parts.append(reading)
    return CheckReport(sub.id, sub.names(), [f"{d.source} ({d.kind})" for d in docs], problems, parts)


def _unconfirmed(component, answer, piece, record, shown) -> list[str]:
    """What the PDF beside the source (`record`, its share for the component: `shown`) does not show
    of the answer read from the source."""
    in_pdf = get_kind(component.kind).extract(shown, component) if shown is not None else None
    same = same_answer(component, answer.value, in_pdf.value if in_pdf is not None and in_pdf.readable else None)
    if same is not False:
        return []
    pdf = record.source if record is not None else "the PDF"
    return [f"{component.id}: {pdf} does not show the answer read from {piece.source}; the PDF is what is "
            f"graded: check that it is built from this source, and that the answer is visible in it"]


def checked_report(sub: Submission, rubric: Rubric, limits: Limits = DEFAULT_LIMITS) -> str:
    """The self-check's printed report (what `grader check` runs in its child process)."""
    return format_report(self_check(sub, rubric, limits))


MAX_FORMULAS_SHOWN = 20


def _formula_line(math) -> str:
    """A formula as the PDF reader rebuilt it, with a warning when the reading is uncertain."""
    shown = " ".join(math.latex.split())
    line = rf"\[ {shown} \]" if math.display else f"${shown}$"
    if math.confidence < 0.75:
        why = "; ".join(math.notes) or "the layout is ambiguous"
        line += f"   <- uncertain reading ({why}): check the PDF"
    return line


def format_report(report: CheckReport) -> str:
    lines = [f"Self-check of {report.submission}: files {', '.join(report.files) or 'none'}",
             f"Read as: {', '.join(report.documents) or 'nothing readable'}", ""]
    if report.problems:
        lines.append("Problems with the files:")
        lines += [f"  ! {p}" for p in report.problems]
        lines.append("")
    for part in report.parts:
        lines.append(f"[{part.id}] {part.title}")
        lines.append(f"    found: {part.found}")
        if part.formulas:
            lines.append("    formulas as read from the PDF:")
            lines += [f"        {f}" for f in part.formulas]
        for component, shown in part.readings:
            label = "" if component == "answer" else f"{component}: "
            if "\n" in shown:
                lines.append(f"    {label}as read:")
                lines += ["        " + row for row in shown.splitlines()]
            else:
                lines.append(f"    {label}{shown}")
        lines += [f"    ! {p}" for p in part.problems]
    lines.append("")
    flagged = sum(1 for p in report.parts if p.problems)
    lines.append(f"{len(report.parts) - len(report.missing)} of {len(report.parts)} parts found; "
                 f"{len(report.missing)} missing ({', '.join(report.missing) or 'none'}); {flagged} with problems.")
    lines.append("This check shows what the grader reads. It does not say whether answers are right.")
    return "\n".join(lines)
