"""What the walker knows of LaTeX's commands and environments: what each prints, drops or means.
(Those that decide whether text is seen are in visibility.py.)"""

import re

SECTIONS = {"part": 0, "chapter": 0, "section": 1, "subsection": 2, "subsubsection": 3,
            "paragraph": 4, "subparagraph": 5}
# checkbox symbols (amssymb, wasysym, bbding, pifont via \ding, todonotes-style lists)
CHECKED_CS = {"checkmark", "boxtimes", "blacksquare", "CheckedBox", "Checkedbox", "XBox", "checkedbox",
              "ballotcheck", "cmark", "done", "Checkmark", "CheckmarkBold", "boxcheckmark", "CrossedBox"}
UNCHECKED_CS = {"square", "Box", "Square", "ballotbox", "openbox", "uncheckedbox", "checkbox", "wontfix",
                "boxempty"}
DROP = {  # macros dropped with their arguments (spec: "[" optional, "{" mandatory)
    "label": "{", "cite": "[{", "citep": "[{", "citet": "[{", "nocite": "{",
    "addtolength": "{{", "addtocounter": "{{", "stepcounter": "{", "usepackage": "[{",
    "RequirePackage": "[{", "documentclass": "[{", "usetikzlibrary": "{", "tikzset": "{",
    "pgfplotsset": "{", "pagestyle": "{", "thispagestyle": "{", "geometry": "{", "hypersetup": "{",
    "bibliographystyle": "{", "bibliography": "{", "rowcolors": "[{{{", "arrayrulecolor": "[{",
    "captionsetup": "[{", "newtheorem": "{[{[", "theoremstyle": "{", "setlist": "[{", "linespread": "{",
    "graphicspath": "{", "input": "{", "include": "{", "date": "{", "title": "[{", "author": "[{",
    "newcolumntype": "{[{", "definecolor": "{{{", "colorlet": "{{", "enlargethispage": "{",
    "ProvidesPackage": "{[", "ProvidesFile": "{[", "setcounter": "{{", "numberwithin": "{{", "hhline": "{",
    "cline": "{", "cmidrule": "[{", "newlength": "{", "settowidth": "{{", "renewcommand": "{{",
    "selectcolormodel": "{", "includegraphics": "[{", "sethlcolor": "{", "tcbset": "{",
    "pgfmathsetmacro": "{{", "pgfmathtruncatemacro": "{{", "newcounter": "{[", "crefname": "{{{",
    "affiliation": "{", "email": "{", "thanks": "{", "SetCell": "[{", "SetRow": "[{", "SetCells": "[{",
    "hypertarget": "{", "phantomsection": "", "addcontentsline": "{{{",
    "rowcolor": "[{", "cellcolor": "[{", "columncolor": "[{[[",
}
CONTENT = {  # macros whose last argument is shown as text
    "textbf": "{", "textit": "{", "emph": "{", "underline": "{", "uline": "{", "texttt": "{",
    "textsf": "{", "textrm": "{", "textsc": "{", "textup": "{", "textnormal": "{", "textmd": "{",
    "textsl": "{", "mbox": "{", "hbox": "{", "makebox": "[[{", "framebox": "[[{", "fbox": "{",
    "text": "{", "boxed": "{", "centerline": "{", "url": "{", "caption": "[{", "footnote": "[{",
    "textsuperscript": "{", "textsubscript": "{", "hl": "{", "highlight": "{", "ul": "{",
    "parbox": "[[[{{", "rotatebox": "[{{", "href": "{{", "multirow": "[{[{[{",
    "underbrace": "{", "noindent": "", "subcaption": "{",
    "answer": "{", "ans": "{", "solution": "{", "marginpar": "[{", "footnotetext": "[{", "enquote": "{",
    "tcbox": "[{", "adjustbox": "{{", "smash": "[{", "llap": "{", "clap": "{",
}
# Macros that strike their last mandatory argument out (visibility.py), with their arguments: ulem,
# soul, soulutf8, lua-ul, cancel, hcancel, and the usual names of hand-made ones. A name \let to one
# of them expands to it with LET_SUFFIX (definitions.py): TeX's \let keeps the meaning it had.
STRIKES = {"sout": "{", "xout": "{", "st": "{", "textst": "{", "strike": "{", "strikeout": "{",
           "strikethrough": "{", "strikeThrough": "{", "cancel": "{", "bcancel": "{", "xcancel": "{",
           "hcancel": "[{", "cancelto": "{{"}
LET_SUFFIX = "@let"
SPACE = {",", ";", ":", "!", " ", "quad", "qquad", "enspace", "thinspace", "hfill", "hfil", "newline",
         "linebreak", "break", "space", "enskip", "nobreakspace"}
LITERAL = {"%": "%", "&": "&", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", "textbackslash": "\\",
           "ldots": "...", "dots": "...", "textellipsis": "...", "LaTeX": "LaTeX", "TeX": "TeX",
           "S": "§", "textendash": "–", "textemdash": "—", "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ",
           "AE": "Æ", "oe": "œ", "i": "ı", "l": "ł", "aa": "å", "textasciitilde": "~", "textbar": "|",
           "textless": "<", "textgreater": ">", "textquotedbl": '"', "textdegree": "°", "times": "×",
           "euro": "€", "copyright": "©", "textunderscore": "_", "lq": "`", "rq": "'", "@": "", "-": "", "/": "",
           "slash": "/", "textbullet": "•", "ttfamily": "", "bfseries": "", "itshape": "", "em": "",
           "rmfamily": "", "sffamily": "", "scshape": "", "normalfont": "", "mdseries": "", "upshape": ""}
ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
           ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
           "r": "\u030a"}
MATH_ENVS = {"equation", "equation*", "align", "align*", "alignat", "alignat*", "gather", "gather*",
             "multline", "multline*", "flalign", "flalign*", "eqnarray", "eqnarray*", "math",
             "displaymath", "dmath", "dmath*", "subequations", "split"}
LISTS = {"enumerate", "itemize", "description", "compactenum", "compactitem", "asparaenum",
         "inparaenum", "enumerate*", "itemize*", "todolist", "checklist", "choices", "oneparchoices",
         "checkboxes", "tasks"}
ENV_ARGS = {"minipage": "[[[{", "multicols": "{", "multicols*": "{", "wrapfigure": "[{[{",
            "subfigure": "[{", "tcolorbox": "[", "mdframed": "[", "figure": "[", "figure*": "[",
            "table": "[", "table*": "[", "adjustbox": "{", "framed": "", "center": "", "proof": "[",
            "thebibliography": "{", "minted": "[{", "scope": "[", "spacing": "{", "resizebox": "{{"}
HEADING_TEXT = re.compile(r"^\s*(?:(?:Q(?:uestion)?|Problem|Exercise|Part|Answer|Solution)\s*\d|\d+\s*\.\s*\d)", re.I)
