"""LaTeX source, read without ever running TeX, in the order TeX itself meets it:

1. source.py: comments stripped (not inside `\\verb` or verbatim environments).
2. includes.py: `\\input`/`\\include`/`\\usepackage{<local .sty>}` spliced in, for files inside the
   submission folder only, with depth and size caps.
3. catcodes.py: `\\catcode` changes followed (a comment sign, an active character) or, where the
   reader cannot follow them, the text they govern kept out as unsure.
4. macros.py: the student's own macros and environments expanded (definitions.py, arguments.py),
   conditionals read as TeX reads them (conditionals.py decides each condition, or cannot), and what
   TeX skips or drops (a false branch, a comment environment, an argument a macro drops) kept out.
5. walker.py: the body turned into text: headings at the start of their own lines, math kept as
   LaTeX, lists (lists.py) with checkboxes and marked items as "[x] (b)" / "[ ] (a)", tables
   (tables.py) and TikZ pictures (tikz.py) that are 5x5 grids read into GridFindings anchored where
   they sit in the text, and what no reader of the PDF would see (visibility.py: the colour of the
   background, opacity 0, off the page, scaled to nothing, `\\phantom`, invisible render modes,
   boxes never used) kept out.
6. reader.py: markers resolved into offsets; the Document, whose `hidden` lists everything kept
   out (hidden.py), with its reason, where it was, and whether the reader was unsure.

pylatexenc's walker was measured at about 100 KB/s on these files (130 ms for a 13 KB source) and
raises RecursionError/IndexError on hostile input; the tokenizer here is a few regexes with
explicit caps. pylatexenc still turns accented names into Unicode (`Jos\\'e`).
"""

from grader.ingest.tex.macros import MacroExpander, expand_macros
from grader.ingest.tex.reader import read_tex, read_tex_source
from grader.ingest.tex.source import strip_comments, verbatim_regions

__all__ = ["MacroExpander", "expand_macros", "read_tex", "read_tex_source", "strip_comments", "verbatim_regions"]
