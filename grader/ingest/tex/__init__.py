"""LaTeX source, read without ever running TeX, in the order TeX itself meets it:

1. source.py: comments stripped (not inside `\\verb` or verbatim environments).
2. includes.py: `\\input`/`\\include`/`\\usepackage{<local .sty>}` spliced in, for files inside the
   submission folder only, with depth and size caps.
3. macros.py: the student's own macros and environments expanded, with caps.
4. walker.py: the body turned into text: headings at the start of their own lines, math kept as
   LaTeX, lists (lists.py) with checkboxes and marked items as "[x] (b)" / "[ ] (a)", tables
   (tables.py) and TikZ pictures (tikz.py) that are 5x5 grids read into GridFindings anchored where
   they sit in the text, hidden text (white, `\\phantom`, 1pt fonts) set aside.
5. reader.py: markers resolved into offsets; the Document.

pylatexenc's walker was measured at about 100 KB/s on these files (130 ms for a 13 KB source) and
raises RecursionError/IndexError on hostile input; the tokenizer here is a few regexes with
explicit caps. pylatexenc still turns accented names into Unicode (`Jos\\'e`).
"""

from grader.ingest.tex.macros import MacroExpander, expand_macros
from grader.ingest.tex.reader import read_tex, read_tex_source
from grader.ingest.tex.source import strip_comments, verbatim_regions

__all__ = ["MacroExpander", "expand_macros", "read_tex", "read_tex_source", "strip_comments", "verbatim_regions"]
