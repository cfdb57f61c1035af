"""Synthetic submissions for the scale benchmark: a Gradescope "export submissions" folder.

    python bench/make_synthetic.py N OUT [--seed S]

Each `submission_NNNNN/` holds one student's files, in a mix close to a real class: LaTeX sources
(grids as \\cellcolor tables), PDFs (drawn directly with PyMuPDF: grids as filled cells under
their labels, text with headings, several pages), some .tex + .pdf pairs, YAML answer sheets and
Markdown. Answers are random around the key (grids with cells added or dropped, wrong options,
common expression mistakes), prose is the example answers reworded word by word so that every
student's text differs, and a few students copy a classmate's prose (similarity has work to do).
`submission_metadata.yml` names the students. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import random
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.key import load_key  # noqa: E402
from grader.rubric import default_rubric_path, load_rubric  # noqa: E402

MIX = (("pdf", 0.30), ("tex", 0.25), ("tex+pdf", 0.15), ("sheet", 0.20), ("md", 0.10))
GRIDS = ("1.1", "1.2", "1.3", "1.4")
CHOICES = {"3.1": "abcd", "4.1": "abcd", "4.2": "abcd", "4.3": "abcd"}
EXPRESSIONS = {
    "4.6a": [r"\frac{1}{2}\left(\mathbb{E}_{x\sim p_0}[\log(1-D^*(x))] + \mathbb{E}_{x\sim p_1}[\log D^*(x)]\right) + \log 2",
             r"\frac{1}{2}\left(\mathbb{E}_{p_0}[\log(1-D(x))] + \mathbb{E}_{p_1}[\log D(x)]\right)",
             r"\frac{1}{2}\left(\mathbb{E}_{p_0}[\log(1-D(x))] + \mathbb{E}_{p_1}[\log D(x)]\right) - \log 2",
             r"\mathbb{E}_{p_0}[\log(1-D(x))] + \mathbb{E}_{p_1}[\log D(x)] + \log 4"],
    "4.6b": [r"D^*(x) = \frac{f_1(x)}{f_0(x) + f_1(x)}, \quad f_1(x) = \frac{f_0(x) D^*(x)}{1 - D^*(x)}",
             r"D^*(x) = \frac{f_0(x)}{f_0(x) + f_1(x)}, \quad f_1(x) = \frac{f_0(x) D^*(x)}{1 - D^*(x)}",
             r"D^*(x) = \frac{f_1(x)}{f_0(x)}"],
}
PROSE = ("2.1", "3.2a", "3.2b", "3.4a", "3.4b", "4.5", "5.1", "5.2", "5.3", "5.4")
REVIEW_HEADINGS = {"5.1": "Summary", "5.2": "Strengths", "5.3": "Weaknesses", "5.4": "Reflections"}
FIRST = "Ada Alan Grace Blaise Emmy Sofia Kurt Alonzo Hedy Katherine Claude John Marie Srinivasa Sophie".split()
LAST = "Lovelace Turing Hopper Pascal Noether Kovalevskaya Godel Church Lamarr Johnson Shannon Nash Curie Ramanujan Germain".split()


def _vocabulary(rng: random.Random) -> list[str]:
    syllables = "ka lo mi ne ru ta shi po ve da gri ste an ol ex un tra per sim cor".split()
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(3000)]


def _reword(rng: random.Random, base: str, vocab: list[str], keep: float = 0.6) -> str:
    """The base text with about 40% of its words replaced: each student's answer is their own."""
    words = base.split()
    out = [w if rng.random() < keep or "$" in w or "\\" in w else rng.choice(vocab) for w in words]
    extra = " ".join(rng.choice(vocab) for _ in range(rng.randint(8, 25)))
    return " ".join(out) + " " + extra.capitalize() + "."


def _grid(rng: random.Random, cells: list[str]) -> list[str]:
    chosen = set(cells)
    if rng.random() < 0.45:
        all_cells = [f"{r}{c}" for r in range(1, 6) for c in range(1, 6)]
        for _ in range(rng.randint(1, 3)):
            cell = rng.choice(all_cells)
            chosen.symmetric_difference_update({cell})
    return sorted(chosen) or ["11"]


def answers_for(rng: random.Random, rubric, key, bases: dict, vocab: list[str]) -> dict:
    answers: dict = {}
    for pid in GRIDS:
        answers[pid] = _grid(rng, key.value(pid, "answer")["cells"])
    for pid, options in CHOICES.items():
        right = key.value(pid, "answer")["choices"][0]
        answers[pid] = right if rng.random() < 0.7 else rng.choice(options)
    right = key.value("3.3", "answer")["choices"]
    answers["3.3"] = right if rng.random() < 0.6 else sorted(rng.sample("abcd", rng.randint(1, 4)))
    answers["2.2"] = {"scenario_1": rng.choice(["reverse", "reverse", "forward"]),
                      "scenario_2": rng.choice(["forward", "forward", "reverse"]),
                      "justification": _reword(rng, bases["2.2"]["justification"], vocab)}
    answers["4.4"] = {"choice": rng.choice("abb"), "reason": _reword(rng, bases["4.4"]["reason"], vocab)}
    for pid, variants in EXPRESSIONS.items():
        answers[pid] = rng.choice(variants[:1] * 3 + variants[1:])
    for pid in PROSE:
        answers[pid] = _reword(rng, bases[pid], vocab)
    return answers


# ---------------------------------------------------------------- writers

def write_sheet(path: Path, student: dict, answers: dict) -> None:
    sheet = {"assignment": "ift6135-a3", "students": [student], "answers": {}}
    for pid, value in answers.items():
        if pid in GRIDS:
            value = {"cells": [int(c) for c in value]}
        elif pid == "3.3":
            value = list(value)
        elif pid in EXPRESSIONS:
            if pid == "4.6a":
                value = f"${value}$"
            else:
                pieces = [p.split("=", 1)[1].strip() for p in value.split(r", \quad")]
                value = {"d_star": pieces[0], "derivation": "Maximise pointwise for each x: the derivative is zero at D*."}
                if len(pieces) > 1:
                    value["f1"] = pieces[1]
        sheet["answers"][pid] = value
    path.write_text(yaml.safe_dump(sheet, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")


def _heading_text(pid: str) -> str:
    return f"Q{pid})" if pid[-1].isdigit() else f"{pid[:-1]} ({pid[-1]})"


def write_markdown(path: Path, student: dict, answers: dict) -> None:
    lines = ["# IFT6135 Assignment 3", "", f"Name: {student['name']}", f"Student ID: {student['sid']}",
             f"Email: {student['email']}", ""]
    for q in range(1, 6):
        lines += [f"## Question {q}", ""]
        for pid, value in answers.items():
            if not pid.startswith(f"{q}."):
                continue
            lines += [f"### {_heading_text(pid)}", ""]
            if pid in GRIDS:
                lines.append("Receptive field: {" + ", ".join(value) + "}")
            elif pid in CHOICES:
                lines.append(f"The correct answer is ({value}).")
            elif pid == "3.3":
                lines.append("Answer: " + ", ".join(f"({v})" for v in value))
            elif pid == "2.2":
                lines += [f"Scenario 1: I would use the {value['scenario_1']} KL.",
                          f"Scenario 2: I would use the {value['scenario_2']} KL.", value["justification"]]
            elif pid == "4.4":
                lines += [f"I would choose ({value['choice'].upper()}).", value["reason"]]
            elif pid in EXPRESSIONS:
                lines.append(f"$${value}$$")
            else:
                lines.append(value)
            lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def _tex_grid(cells: list[str]) -> str:
    rows = []
    for r in range(1, 6):
        row = [(r"\cellcolor{yellow}" if f"{r}{c}" in cells else "") + f"{r}{c}" for c in range(1, 6)]
        rows.append(" & ".join(row) + r" \\ \hline")
    return "\\begin{tabular}{|c|c|c|c|c|}\\hline\n" + "\n".join(rows) + "\n\\end{tabular}\n"


def tex_source(student: dict, answers: dict) -> str:
    out = [r"\documentclass[11pt]{article}", r"\usepackage[table]{xcolor}", r"\usepackage{amsmath,amssymb}",
           rf"\author{{{student['name']} \\ {student['sid']} \\ {student['email']}}}", r"\begin{document}"]
    for q in range(1, 6):
        out.append(rf"\section*{{Question {q}}}")
        for pid, value in answers.items():
            if not pid.startswith(f"{q}."):
                continue
            heading = REVIEW_HEADINGS.get(pid)
            out.append(rf"\subsection*{{{heading}}}" if heading else rf"\textbf{{{_heading_text(pid)}}}")
            if pid in GRIDS:
                out.append(_tex_grid(value))
            elif pid in CHOICES:
                out.append(f"Answer: ({value})")
            elif pid == "3.3":
                out.append(" \\quad ".join(("$\\boxtimes$" if o in value else "$\\square$") + f" ({o})" for o in "abcd"))
            elif pid == "2.2":
                out += [f"Scenario 1: the {value['scenario_1']} KL.", "", f"Scenario 2: the {value['scenario_2']} KL.",
                        "", value["justification"]]
            elif pid == "4.4":
                out += [f"I would choose ({value['choice'].upper()}).", value["reason"]]
            elif pid in EXPRESSIONS:
                out.append(rf"\[ {value} \]")
            else:
                out.append(value)
            out.append("")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def write_pdf(path: Path, student: dict, answers: dict) -> None:
    """Draw the answers as a compiled LaTeX template would look: headings, grids of filled cells
    under their labels, wrapped text; a new page when the current one is full."""
    import pymupdf as fitz

    doc = fitz.open()
    page = doc.new_page()
    y = 60.0

    def line(text: str, size: float = 10.0, x: float = 60.0) -> None:
        nonlocal page, y
        if y > 780:
            page, y = doc.new_page(), 60.0
        page.insert_text((x, y), text, fontsize=size, fontname="helv")
        y += size * 1.45

    def grid(cells: list[str]) -> None:
        nonlocal page, y
        if y > 650:
            page, y = doc.new_page(), 60.0
        side = 22.0
        for r in range(5):
            for c in range(5):
                rect = fitz.Rect(60 + c * side, y + r * side, 60 + (c + 1) * side, y + (r + 1) * side)
                label = f"{r + 1}{c + 1}"
                page.draw_rect(rect, color=(0, 0, 0), fill=(1, 1, 0) if label in cells else None, width=0.5)
                page.insert_text((rect.x0 + 5, rect.y1 - 7), label, fontsize=9, fontname="helv")
        y += 5 * side + 14

    line(f"{student['name']} - {student['sid']} - {student['email']}", 11)
    for q in range(1, 6):
        line(f"Question {q}", 14)
        for pid, value in answers.items():
            if not pid.startswith(f"{q}."):
                continue
            line(REVIEW_HEADINGS.get(pid) or _heading_text(pid), 11)
            if pid in GRIDS:
                grid(value)
            elif pid in CHOICES:
                line(f"Answer: ({value})")
            elif pid == "3.3":
                line("Answer: " + ", ".join(f"({v})" for v in value))
            elif pid == "2.2":
                line(f"Scenario 1: the {value['scenario_1']} KL.")
                line(f"Scenario 2: the {value['scenario_2']} KL.")
                for chunk in textwrap.wrap(value["justification"], 95):
                    line(chunk)
            elif pid == "4.4":
                line(f"I would choose ({value['choice'].upper()}).")
                for chunk in textwrap.wrap(value["reason"], 95):
                    line(chunk)
            else:
                for chunk in textwrap.wrap(str(value), 95):
                    line(chunk)
    doc.save(path, garbage=3, deflate=True)


def make(out: Path, n: int, seed: int = 0) -> dict[str, int]:
    rubric = load_rubric(default_rubric_path())
    key = load_key(rubric)
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    bases = yaml.safe_load((ROOT / "submissions_example" / "perfect-sheet.yaml").read_text())["answers"]
    out.mkdir(parents=True, exist_ok=True)
    metadata, counts, previous = {}, {}, []
    for i in range(n):
        sid = f"submission_{i:05d}"
        student = {"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "sid": f"2023{i:05d}",
                   "email": f"student{i:05d}@umontreal.ca"}
        answers = answers_for(rng, rubric, key, bases, vocab)
        if previous and rng.random() < 0.03:  # a copied classmate: the same prose, other choices
            source = rng.choice(previous)
            answers.update({pid: source[pid] for pid in PROSE})
        previous.append(answers)
        form = rng.choices([m for m, _ in MIX], weights=[w for _, w in MIX])[0]
        counts[form] = counts.get(form, 0) + 1
        folder = out / sid
        folder.mkdir(exist_ok=True)
        if form == "sheet":
            write_sheet(folder / "answers.yaml", student, answers)
        elif form == "md":
            write_markdown(folder / "answers.md", student, answers)
        else:
            if "tex" in form:
                (folder / "main.tex").write_text(tex_source(student, answers), encoding="utf-8")
            if "pdf" in form:
                write_pdf(folder / "main.pdf", student, answers)
        metadata[sid] = {":submitters": [{":name": student["name"], ":sid": student["sid"], ":email": student["email"]}]}
    (out / "submission_metadata.yml").write_text(yaml.safe_dump(metadata, sort_keys=True), encoding="utf-8")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = make(args.out, args.n, args.seed)
    print(f"{args.n} submissions in {args.out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
