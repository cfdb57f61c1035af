"""The leak scanner finds every form of every key in files meant for students: grids in any order
and notation, choice letters in any of the ways they are written, expressions in LaTeX, Unicode,
HTML or plain text; and Gradescope's visible feedback before the due date names none of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.bundle import student_files
from grader.leaks import cell_runs, find_leaks, skeleton

ROOT = Path(__file__).resolve().parent.parent

SEPARATORS = [", ", ",", "; ", " ", "\t", " | ", "&", "\\\\ ", "', '", '", "', "</td><td>", "\n", " and "]


@pytest.fixture(scope="module")
def shipped(rubric):
    return student_files(rubric)


def _leaks_in(files, rubric, key, text: str) -> list[str]:
    """The leaks found in one planted file (the shipped ones are checked clean on their own)."""
    return find_leaks({"grader/planted.txt": text.encode()}, rubric, key)


def test_the_shipped_bundle_is_clean_and_holds_no_report_template(shipped, rubric, key):
    assert find_leaks(shipped, rubric, key) == []
    assert not any(name.startswith("grader/report/templates/") for name in shipped)


def test_a_template_with_the_hard_coded_gan_answers_is_caught(shipped, rubric, key):
    """The 4.6 answers once written into feedback.html, as HTML with Unicode (½, −, <sub>): the
    template as it was, kept as a fixture."""
    template = (ROOT / "tests" / "fixtures" / "leaks" / "feedback-with-gan-answers.html").read_bytes()
    leaks = find_leaks({**shipped, "grader/report/templates/feedback.html": template}, rubric, key)
    assert "grader/report/templates/feedback.html: the key of part 4.6a/answer" in leaks
    assert "grader/report/templates/feedback.html: the key of part 4.6b/d_star" in leaks


@pytest.mark.parametrize("text", [
    "D* = f<sub>1</sub>/(f<sub>0</sub>+f<sub>1</sub>)",  # HTML
    "D*(x) = f₁(x)/(f₀(x) + f₁(x))",  # Unicode subscripts
    "D^*(x)=\\\\frac{f_1(x)}{f_0(x)+f_1(x)}",  # LaTeX escaped in code or JSON
    "d_star = 'f_1(x) / (f_0(x) + f_1(x))'",  # plain text in code
    "JSD ≈ ½(𝔼_{x∼p₀}[log(1 − D*(x))] + 𝔼_{x∼p₁}[log D*(x)]) + log 2",  # Unicode maths
    "0.5 * ... no: \\tfrac12\\left( E_{p_0}\\left[\\log(1-D^*)\\right] + E_{p_1}[\\log D^*] \\right) + \\log 2",
])
def test_expression_keys_are_found_in_every_notation(shipped, rubric, key, text):
    assert _leaks_in(shipped, rubric, key, text)


def test_a_formula_the_question_itself_states_is_no_leak(shipped, rubric, key):
    # the question asks to establish f1 = f0 D*/(1 - D*): saying it again reveals nothing
    assert _leaks_in(shipped, rubric, key, "f_1(x) = f_0(x) D^*(x) / (1 - D^*(x))") == []


def test_skeleton_folds_the_notations_together():
    forms = [r"\frac{1}{2}\left(\mathbb{E}_{x\sim p_0}[\log(1-D^*(x))]\right)", "½(E<sub>p0</sub>[log(1−D*)])",
             "1/2 ( E_{p_0} [ log(1 - D*(x)) ] )", "½(𝔼ₓ∼ₚ₀[log(1−D*(x))])".replace("ₓ∼ₚ₀", "_{x∼p₀}")]
    assert len({skeleton(f) for f in forms}) == 1


@pytest.mark.parametrize("text", [
    'Q3_1 = "b"  # the answer',
    "3.1 → the correct option is b)",
    "answers = {'3.1': '(b)'}",
    "For 3.1, option b is the expected one.",
    "3-1: [b]",
    "3.3 solution: (d), (a) and (b)",
    "2.2 scenario 1: the answer is reverse",
])
def test_choice_keys_are_found_in_every_form(shipped, rubric, key, text):
    assert _leaks_in(shipped, rubric, key, text), text


@pytest.mark.parametrize("text", ["3.1 asks which option is right.", "Option (b) of 4.2 is tempting, see 3.1.",
                                  "3.3: choose every option that applies."])
def test_choice_text_that_gives_nothing_away_is_not_a_leak(shipped, rubric, key, text):
    assert not [leak for leak in _leaks_in(shipped, rubric, key, text) if "choice key" in leak]


def _grid_forms(cells: list[str], sep: str) -> list[str]:
    grid = [[f"{r}{c}" in cells for c in range(1, 6)] for r in range(1, 6)]
    return [
        sep.join(cells),
        sep.join(f"({c[0]}, {c[1]})" for c in cells),
        sep.join(f"[{int(c[0]) - 1},{int(c[1]) - 1}]" for c in cells),  # 0-based, in brackets
        sep.join(f"r{c[0]}c{c[1]}" for c in cells),
        "\n".join(" ".join("x" if on else "." for on in row) for row in grid),
        "[" + ", ".join("[" + ", ".join("1" if on else "0" for on in row) + "]" for row in grid) + "]",
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_grid_key_is_found_in_any_order_separator_and_notation(shipped, rubric, key, data):
    part = data.draw(st.sampled_from(["1.1", "1.2", "1.3", "1.4"]))
    cells = data.draw(st.permutations(key.value(part, "answer")["cells"]))
    sep = data.draw(st.sampled_from(SEPARATORS))
    drop = data.draw(st.booleans())  # give or take one cell
    cells = cells[1:] if drop else cells
    for text in _grid_forms(list(cells), sep):
        runs = cell_runs(text)
        assert any(len(run ^ set(key.value(part, "answer")["cells"])) <= 1 for run in runs), (text, runs)


def test_a_grid_key_planted_in_a_file_is_reported(shipped, rubric, key):
    cells = key.value("1.2", "answer")["cells"]
    for text in _grid_forms(list(reversed(cells)), "; "):
        assert any("grid key of part 1.2" in leak for leak in _leaks_in(shipped, rubric, key, text)), text
