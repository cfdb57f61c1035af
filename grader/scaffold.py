"""`grader rubric new ID`: a commented rubric to start a new assignment from, with its question
text, a reference file (keys computed by `key build`) and a check-function file, that passes
`grader rubric check` as written. Every field it uses is explained in the README."""

from __future__ import annotations

import re
from pathlib import Path

RUBRIC = r'''# {id}: the rubric. Validate as you type with the schema from `grader rubric schema`;
# check with `grader rubric check --rubric {rubric}`; build the key with `grader key build --rubric {rubric}`.
id: {id}
title: "{id}: change this title"
version: "1"
total: 20                       # the parts' points must add up to it
question_text: {id}.questions.txt   # lines copied from it into a submission are not taken for answers

# What the names in expression answers mean: variables drawn at random from their ranges,
# densities with test families, functions given by a definition (README, "Expression contexts").
contexts:
  main:
    imaginary_unit: i
    variables:
      '\alpha': {{range: [0.1, 1.0]}}
      x: {{range: [-2, 2]}}
    functions:
      f: {{args: [x], definition: 'x^2 + \alpha x'}}

parts:
  - id: "1.1"                   # "question.part": a student starts the answer with "1.1"
    title: A receptive field
    points: 3
    kind: grid
    visibility: visible         # Gradescope shows it at once (default: after_published)
    # computed from masks of your own by the reference code (needs torch, at `key build` only):
    # key: {{reference: reference.masked_conv:receptive_field_cells,
    #       args: {{masks: [[[0, 1, 0], [1, 0, 0], [0, 0, 0]]], size: 5, target: "33"}}}}
    key: {{literal: {{cells: ["23", "32"]}}}}
    settings: {{size: 5, policy: per_cell, penalty_per_cell: 1}}
  - id: "1.2"
    title: A single choice
    points: 2
    kind: choice
    key: {{literal: b}}
    settings:
      options: {{a: the first option, b: the second option, c: the third option}}
    mistakes:                   # a common mistake: its message, and its credit if any
      - id: first
        when: {{selected: [a]}}
        message: Why the first option is wrong.
  - id: "1.3"
    title: A multiple choice
    points: 2
    kind: choice
    key: {{literal: [a, c]}}
    settings:
      multiple: true
      policy: each_answer       # or all_or_nothing, net_correct
      options: {{a: right, b: wrong, c: right, d: wrong}}
  - id: "2.1"
    title: An expression
    points: 3
    kind: expression
    key: {{literal: '2x + \alpha'}}
    settings:
      target: "f'(x)"            # the answer is the other side of "f'(x) = ..."
      context: main
    mistakes:
      - id: forgot-alpha
        credit: 0.5
        message: The derivative of αx is α.
        when: {{expression: '2x'}}
  - id: "2.2"
    title: A number computed by the reference code
    points: 3
    kind: numeric
    key: {{reference: {id}.reference.py:answer_2_2, args: {{n: 10}}}}
    settings: {{target: S, rel_tol: 1e-6}}    # also vectors, matrices, complex numbers, {{set: [...]}}, intervals
  - id: "2.3"
    title: A derivation
    points: 4
    kind: prose
    automatic: false            # a TA confirms the suggested score
    settings:
      items:
        - {{id: step-one, points: 2, description: the first step, hints: ['first\s+step']}}
        - {{id: conclusion, points: 2, description: the conclusion, hints: ['hence', 'therefore']}}
  - id: "2.4"
    title: An example of the student's own, checked by a function
    points: 3
    kind: check
    settings:
      function: {id}.checks.py:positive_pair
      answer: numeric           # read as the numeric kind reads it, then given to the function
      read: {{names: [a, b]}}
      examples:
        - {{answer: {{a: 1, b: 2}}, score: 1}}
        - {{answer: {{a: -1, b: 2}}, score: 0}}
'''

REFERENCE = '''"""{id}: reference code. `grader key build` runs these functions and writes the key beside the rubric;
grading never imports this file (it may import torch or numpy)."""


def answer_2_2(n: int) -> float:
    """The key of 2.2: S = 1 + 2 + ... + n, computed and checked against n(n + 1)/2."""
    total = sum(range(1, n + 1))
    if total != n * (n + 1) // 2:
        raise RuntimeError("the two computations disagree")
    return float(total)
'''

CHECKS = '''"""{id}: check functions, run while grading on the student's parsed answer (never on text as code).
Keep them light: no torch."""


def positive_pair(answer) -> dict:
    """2.4: two positive numbers a and b, given as "a = ..., b = ..."."""
    a, b = answer["a"], answer["b"]
    if a > 0 and b > 0:
        return {{"score": 1, "message": "Correct: both are positive."}}
    return {{"score": 0, "message": f"a = {{a:g}} and b = {{b:g}}: both must be positive."}}
'''

QUESTIONS = '''# {id}: the question text, as students receive it. Lines copied from here into a submission are
# not taken for answers. Paste the assignment's statement below.

1.1 Highlight the receptive field of pixel 33.
1.2 Which option is right?
1.3 Which options are right? Select all that apply.
2.1 Give f'(x) for f(x) = x^2 + αx.
2.2 Give S = 1 + 2 + ... + 10.
2.3 Derive the result.
2.4 Give two positive numbers a and b.
'''


def write_scaffold(assignment_id: str, folder: Path) -> list[Path]:
    """Write the four files; refuse to overwrite any."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", assignment_id):
        raise ValueError(f"an assignment id is letters, digits, '.', '_' and '-', such as ml101-a2; not {assignment_id!r}")
    folder.mkdir(parents=True, exist_ok=True)
    rubric = folder / f"{assignment_id}.yaml"
    files = {rubric: RUBRIC, folder / f"{assignment_id}.questions.txt": QUESTIONS,
             folder / f"{assignment_id}.reference.py": REFERENCE, folder / f"{assignment_id}.checks.py": CHECKS}
    existing = [str(p) for p in files if p.exists()]
    if existing:
        raise FileExistsError(f"not overwriting {', '.join(existing)}")
    for path, template in files.items():
        path.write_text(template.format(id=assignment_id, rubric=rubric), encoding="utf-8")
    return list(files)
