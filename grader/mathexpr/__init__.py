"""Mathematical expressions in answers: read LaTeX into a tree, and decide equivalence numerically.

    normalise.py    one spelling for the many ways students write the same LaTeX
    latex.lark      the grammar (lark, LALR)        parser.py    text -> tree (ParseError only)
    tree.py         the tree's nodes                printer.py   tree -> LaTeX / plain text
    context.py      what names mean: the variables, densities and functions a rubric declares
    equations.py    the equations of an answer's text, split into sides
    evaluate.py     numbers for a tree on the test cases of a context (numpy)
    equivalence.py  answer vs key and declared mistakes -> a cached Verdict

Student text is never given to eval, sympify or sympy's parse_latex.
"""
