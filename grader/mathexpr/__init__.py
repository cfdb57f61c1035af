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

from importlib import import_module

# The package's names, each from its module, imported when first asked for: reading a rubric's
# contexts (context.py) must not import numpy and the evaluator with them.
_EXPORTS = {
    "context": ("EMPTY", "Context", "ContextDecl", "compile_context"),
    "equations": ("Equation", "find_equations", "split_math"),
    "equivalence": ("Verdict", "check", "name_of"),
    "evaluate": ("EvalError", "evaluate", "symbols_used"),
    "parser": ("parse",),
    "printer": ("to_latex", "to_plain"),
    "tree": ("ParseError",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
