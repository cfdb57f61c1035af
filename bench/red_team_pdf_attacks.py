"""The red team's attacks on what a PDF shows (bench/red_team.py runs them): answers drawn so that
no one sees them, options struck through, grid cells filled unseen, and a .tex that says what its PDF
does not. The PDFs are drawn by tests/pdf_tricks.py, which the tests use too."""

from __future__ import annotations

from red_team import SubmissionAttack, attack, latex
from red_team_attacks import CHOICE, _choice, _other

from tests.pdf_tricks import grid_pdf, struck_pdf, text_pdf

# ---------------------------------------------------------------- text a PDF does not show

class _HiddenInPdf(SubmissionAttack):
    """The other answer drawn so that no reader sees it (tests/pdf_tricks.py), before the shown one."""

    family = "hiding"
    parts = (CHOICE,)
    bases = (False, True)
    trick = ""

    def files(self, ctx, correct):
        return {"main.pdf": text_pdf(f"{CHOICE})", f"Answer: ({_choice(ctx, correct)}).",
                                     f"Answer: ({_other(ctx, correct)}).", self.trick)}


@attack
class PdfInvisibleRenderMode(_HiddenInPdf):
    description = "the other answer drawn in text render mode 3 (invisible)"
    trick = "render mode 3"


@attack
class PdfClipRenderMode(_HiddenInPdf):
    description = "the other answer drawn in text render mode 7 (a clipping path, never painted)"
    trick = "render mode 7"


@attack
class PdfOpacityZero(_HiddenInPdf):
    description = "the other answer at fill opacity 0"
    trick = "opacity 0"


@attack
class PdfClippedAway(_HiddenInPdf):
    description = "the other answer inside a clipping path that shows none of it"
    trick = "clipped away"


@attack
class PdfWhiteText(_HiddenInPdf):
    description = "the other answer in white on the white page"
    trick = "white"


@attack
class PdfTinyText(_HiddenInPdf):
    description = "the other answer at 3 pt"
    trick = "3 pt"


@attack
class PdfOffThePage(_HiddenInPdf):
    description = "the other answer placed beyond the page's right edge"
    trick = "off the page"


@attack
class PdfCoveredText(_HiddenInPdf):
    description = "the other answer under an opaque white rectangle"
    trick = "covered by a box"


@attack
class PdfCoveredByDisc(_HiddenInPdf):
    description = "the other answer under an opaque white disc (no rectangle for the text layer to flag)"
    trick = "covered by a disc"


@attack
class PdfHiddenLayer(_HiddenInPdf):
    description = "the other answer in an optional-content layer that is off"
    trick = "hidden layer"


@attack
class PdfBackgroundColour(_HiddenInPdf):
    description = "the other answer in blue on a blue box"
    trick = "background colour"


@attack
class PdfBlackOnBlack(_HiddenInPdf):
    description = "the other answer in black on a black box"
    trick = "black on black"


class _StruckInPdf(SubmissionAttack):
    """'Answer: (x) (y)' with a line drawn through the first: on the wrong base the key is struck."""

    family = "hedging"
    parts = (CHOICE,)
    bases = (False, True)
    mark = ""

    def files(self, ctx, correct):
        return {"main.pdf": struck_pdf(f"{CHOICE})", f"({_other(ctx, correct)})", f"({_choice(ctx, correct)})",
                                       self.mark)}


@attack
class PdfStruckByRule(_StruckInPdf):
    description = "one option struck through by a horizontal rule (as \\sout prints), another kept"
    mark = "rule"


@attack
class PdfStruckBySlantedLine(_StruckInPdf):
    description = "one option crossed by a slanted line (as \\cancel prints), another kept"
    mark = "slanted"


@attack
class PdfStruckByCross(_StruckInPdf):
    description = "one option crossed out with an X, another kept"
    mark = "cross"


# ---------------------------------------------------------------- grid highlights a PDF does not show

GRID = "1.1"


class _UnseenGridFill(SubmissionAttack):
    """On the wrong base the key's cells are filled so that no one sees it (and nothing else is);
    on the correct base the key is highlighted in plain sight, three other cells unseen."""

    family = "hiding"
    parts = (GRID,)
    bases = (False, True)
    trick = ""

    def files(self, ctx, correct):
        from grader.kinds.grid import labels

        cells = set(ctx.key.value(GRID, "answer")["cells"])
        others = [cell for cell in labels(5) if cell not in cells][:3]
        shown, hidden = (cells, set(others)) if correct else (set(), cells)
        return {"main.pdf": grid_pdf(f"{GRID})", shown, hidden, self.trick)}


@attack
class GridFillOpacityZero(_UnseenGridFill):
    description = "grid cells filled at opacity 0"
    trick = "opacity 0"


@attack
class GridFillClipped(_UnseenGridFill):
    description = "grid cells filled inside a clipping path that shows none of them"
    trick = "clipped"


@attack
class GridFillHiddenLayer(_UnseenGridFill):
    description = "grid cells filled in an optional-content layer that is off"
    trick = "hidden layer"


@attack
class GridFillFaint(_UnseenGridFill):
    description = "grid cells filled in a grey too faint to see on paper (0.88)"
    trick = "faint"


# ---------------------------------------------------------------- a .tex that says what its PDF does not

@attack
class TexSaysPdfShowsOther(SubmissionAttack):
    family = "hiding"
    description = "main.tex answers one option, main.pdf beside it shows another"
    parts = (CHOICE,)
    bases = (False, True)

    def files(self, ctx, correct):
        return {"main.tex": latex({CHOICE: f"Answer: ({_other(ctx, correct)})."}),
                "main.pdf": text_pdf(f"{CHOICE})", f"Answer: ({_choice(ctx, correct)}).")}


@attack
class TexAnswerHiddenInPdf(SubmissionAttack):
    family = "hiding"
    description = "main.tex answers plainly; main.pdf prints that answer in white, and another one"
    parts = (CHOICE,)
    bases = (False, True)

    def files(self, ctx, correct):
        return {"main.tex": latex({CHOICE: f"Answer: ({_other(ctx, correct)})."}),
                "main.pdf": text_pdf(f"{CHOICE})", f"Answer: ({_choice(ctx, correct)}).",
                                     f"Answer: ({_other(ctx, correct)}).", "white")}
