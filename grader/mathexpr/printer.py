"""Trees back to text: LaTeX that parses to the same tree (to_latex), and plain text for people
(to_plain), used in feedback, self-check and answer groups."""

from __future__ import annotations

from fractions import Fraction

from grader.mathexpr import tree as t

_SUM, _NEG, _PRODUCT, _ATOM = 1, 2, 3, 5


def _level(node: t.Node) -> int:
    if isinstance(node, (t.Add, t.PlusMinus)):
        return _SUM
    if isinstance(node, t.Neg):
        return _NEG
    if isinstance(node, t.Mul):
        return _PRODUCT
    if isinstance(node, t.Num) and node.value.denominator != 1:
        return _PRODUCT  # a fraction: 1/2 in plain text
    return _ATOM


# ------------------------------------------------------------------ LaTeX

def _num_latex(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


_ACCENT_PLAIN = {"hat": "\u0302", "tilde": "\u0303", "bar": "\u0304", "check": "\u030c", "breve": "\u0306",
                 "dot": "\u0307", "ddot": "\u0308"}


def _base_latex(base: str) -> str:
    if base.startswith("\\") or len(base) == 1:
        return base
    return f"\\mathrm{{{base}}}"  # a word: one name


def _gradient_prefix(accent: str | None, plain: bool = False) -> str:
    """What a gradient's name is written after: \\nabla_{w} in LaTeX, ∇_w in plain text ("" for
    any other name)."""
    if not accent or not accent.startswith(t.GRADIENT):
        return ""
    variable = accent[len(t.GRADIENT) + 1:]
    if not plain:
        return "\\nabla" + (f"_{{{variable}}}" if variable else "") + " "
    return "∇" + (f"_{_GREEK.get(variable, variable)} " if variable else "")


def _sym_latex(node: t.Sym) -> str:
    out = _gradient_prefix(node.accent) + _base_latex(node.base)
    if node.accent in _ACCENT_PLAIN:
        out = f"\\{node.accent}{{{out}}}"
    if node.sub is not None:
        out += f"_{{{node.sub}}}"
    if node.star:
        out += "^{*}"
    if node.accent and node.accent.startswith("prime"):
        out += "'" * (int(node.accent[5:]) if node.accent[5:] else 1)
    return out


def _items_latex(items) -> str:
    return ", ".join(to_latex(item) for item in items)


def to_latex(node: t.Node) -> str:
    """Canonical LaTeX: parse(to_latex(tree)) == tree for every tree the constructors build."""
    match node:
        case t.Num(value=value):
            return _num_latex(value)
        case t.Sym():
            return _sym_latex(node)
        case t.Apply(head=head, args=args):
            return _sym_latex(head) + "(" + ", ".join(to_latex(a) for a in args) + ")"
        case t.Call(func="sqrt", arg=arg):
            return f"\\sqrt{{{to_latex(arg)}}}"
        case t.Call(func="abs", arg=arg):
            return f"\\lvert {to_latex(arg)} \\rvert"
        case t.Call(func=func, arg=arg, base=base):
            based = "" if base is None else f"_{{{to_latex(base)}}}"
            name = {"re": "Re", "im": "Im"}.get(func, func)
            inner = _items_latex(arg.items) if isinstance(arg, t.Tuple) else to_latex(arg)
            return f"\\{name}{based}({inner})"
        case t.Add(terms=terms):
            out = to_latex(terms[0]) if not isinstance(terms[0], t.Add) else f"({to_latex(terms[0])})"
            for term in terms[1:]:
                if isinstance(term, t.Neg):
                    inner = term.arg
                    text = to_latex(inner)
                    out += f" - ({text})" if _level(inner) <= _PRODUCT and not isinstance(inner, t.Num) else f" - {text}"
                elif isinstance(term, t.PlusMinus):
                    out += f" {to_latex(term)}"
                elif isinstance(term, t.Add):
                    out += f" + ({to_latex(term)})"
                else:
                    out += f" + {to_latex(term)}"
            return out
        case t.Neg(arg=arg):
            text = to_latex(arg)
            return f"-({text})" if _level(arg) <= _PRODUCT and not isinstance(arg, t.Num) else f"-{text}"
        case t.PlusMinus(arg=arg, minus_first=minus_first):
            sign = "\\mp" if minus_first else "\\pm"
            return f"{sign} ({to_latex(arg)})"
        case t.Mul(factors=factors):
            return " \\cdot ".join(f"({to_latex(f)})" if _level(f) <= _NEG or isinstance(f, t.Mul) else to_latex(f)
                                   for f in factors)
        case t.Div(num=num, den=den):
            return f"\\frac{{{to_latex(num)}}}{{{to_latex(den)}}}"
        case t.Pow(base=base, exp=exp):
            simple = (isinstance(base, t.Num) and base.value.denominator == 1) or \
                     (isinstance(base, (t.Sym, t.Apply)) and not (isinstance(base, t.Sym) and (base.star or base.accent))) \
                     or isinstance(base, (t.Matrix, t.Norm))
            text = to_latex(base) if simple else f"({to_latex(base)})"
            return f"{text}^{{{to_latex(exp)}}}" if exp != t.TOP else f"{text}^\\top"
        case t.Norm(arg=arg, sub=sub):
            return f"\\lVert {to_latex(arg)} \\rVert" + ("" if sub is None else f"_{{{sub}}}")
        case t.Matrix(rows=rows):
            body = " \\\\ ".join(" & ".join(to_latex(item) for item in row) for row in rows)
            return f"\\begin{{pmatrix}} {body} \\end{{pmatrix}}"
        case t.Tuple(items=items):
            return f"({_items_latex(items)})"
        case t.SetOf(items=items):
            return f"\\{{{_items_latex(items)}\\}}"
        case t.BigOp(op=op, var=var, lower=lower, upper=upper, body=body):
            return f"\\{op}_{{{var}={to_latex(lower)}}}^{{{to_latex(upper)}}} {{{to_latex(body)}}}"
        case t.Expect(dist=dist, var=var, body=body):
            return f"\\mathbb{{E}}_{{{var} \\sim {to_latex(dist)}}}\\left[{to_latex(body)}\\right]"
        case t.Integral(body=body, var=var, lower=lower, upper=upper):
            bounds = ("" if lower is None else f"_{{{to_latex(lower)}}}") + ("" if upper is None else f"^{{{to_latex(upper)}}}")
            return f"\\int{bounds} {to_latex(body)} \\, d{var}"
    raise TypeError(f"cannot print {type(node).__name__}")


# ------------------------------------------------------------------ plain text

_GREEK = {"\\alpha": "α", "\\beta": "β", "\\gamma": "γ", "\\delta": "δ", "\\epsilon": "ε", "\\varepsilon": "ε",
          "\\zeta": "ζ", "\\eta": "η", "\\theta": "θ", "\\vartheta": "ϑ", "\\iota": "ι", "\\kappa": "κ",
          "\\lambda": "λ", "\\mu": "μ", "\\nu": "ν", "\\xi": "ξ", "\\pi": "π", "\\rho": "ρ", "\\sigma": "σ",
          "\\tau": "τ", "\\upsilon": "υ", "\\phi": "φ", "\\varphi": "φ", "\\chi": "χ", "\\psi": "ψ",
          "\\omega": "ω", "\\Gamma": "Γ", "\\Delta": "Δ", "\\Theta": "Θ", "\\Lambda": "Λ", "\\Xi": "Ξ",
          "\\Pi": "Π", "\\Sigma": "Σ", "\\Phi": "Φ", "\\Psi": "Ψ", "\\Omega": "Ω", "\\infty": "∞", "\\ell": "ℓ"}


def _sym_plain(node: t.Sym) -> str:
    base = node.base
    if base.startswith("\\mathcal{"):
        base = "𝒩" if base == "\\mathcal{N}" else base[len("\\mathcal{"):-1]
    out = _gradient_prefix(node.accent, plain=True) + _GREEK.get(base, base) + _ACCENT_PLAIN.get(node.accent or "", "")
    if node.sub is not None:
        sub = _GREEK.get(node.sub, node.sub)
        out += sub if len(sub) == 1 else f"_{sub}"
    if node.accent and node.accent.startswith("prime"):
        out += "'" * (int(node.accent[5:]) if node.accent[5:] else 1)
    return out + ("*" if node.star else "")


def _wrap(node: t.Node, below: int) -> str:
    text = to_plain(node)
    return f"({text})" if _level(node) <= below else text


def to_plain(node: t.Node) -> str:
    """Readable text: 1/2 · (E_p0[log(1 − D*(x))] + E_p1[log D*(x)]) + log 2."""
    match node:
        case t.Num(value=value):
            return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
        case t.Sym():
            return _sym_plain(node)
        case t.Apply(head=head, args=args):
            sep = " ‖ " if head.base == "KL" and len(args) == 2 else ", "
            return _sym_plain(head) + "(" + sep.join(to_plain(a) for a in args) + ")"
        case t.Call(func="abs", arg=arg):
            return f"|{to_plain(arg)}|"
        case t.Call(func=func, arg=arg, base=base):
            name = {"re": "Re", "im": "Im"}.get(func, func)
            name = name if base is None else f"{name}_{to_plain(base)}"
            if func in ("log", "det", "tr") and isinstance(arg, (t.Sym, t.Apply, t.Num)) and _level(arg) == _ATOM:
                return f"{name} {to_plain(arg)}"
            inner = ", ".join(to_plain(a) for a in arg.items) if isinstance(arg, t.Tuple) else to_plain(arg)
            return f"{name}({inner})"
        case t.Add(terms=terms):
            out = _wrap(terms[0], 0)
            for term in terms[1:]:
                if isinstance(term, t.Neg):
                    out += " − " + _wrap(term.arg, _NEG)
                elif isinstance(term, t.PlusMinus):
                    out += (" ∓ " if term.minus_first else " ± ") + _wrap(term.arg, _NEG)
                else:
                    out += " + " + _wrap(term, _SUM)
            return out
        case t.Neg(arg=arg):
            return "−" + _wrap(arg, _NEG)
        case t.PlusMinus(arg=arg, minus_first=minus_first):
            return ("∓" if minus_first else "±") + _wrap(arg, _NEG)
        case t.Mul(factors=factors):
            return " · ".join(_wrap(f, _NEG) for f in factors)
        case t.Div(num=num, den=den):
            return f"{_wrap(num, _PRODUCT)}/{_wrap(den, _PRODUCT)}"
        case t.Pow(base=base, exp=exp):
            if exp == t.TOP:
                return f"{_wrap(base, _PRODUCT)}ᵀ"
            exponent = to_plain(exp)
            return f"{_wrap(base, _PRODUCT)}^" + (exponent if _level(exp) == _ATOM else f"({exponent})")
        case t.Norm(arg=arg, sub=sub):
            return f"‖{to_plain(arg)}‖" + ("" if sub is None else f"_{sub}")
        case t.Matrix(rows=rows):
            return "[" + "; ".join(", ".join(to_plain(item) for item in row) for row in rows) + "]"
        case t.Tuple(items=items):
            return "(" + ", ".join(to_plain(item) for item in items) + ")"
        case t.SetOf(items=items):
            return "{" + ", ".join(to_plain(item) for item in items) + "}"
        case t.BigOp(op=op, var=var, lower=lower, upper=upper, body=body):
            sign = "Σ" if op == "sum" else "Π"
            return f"{sign}_{{{var}={to_plain(lower)}}}^{_wrap(upper, _PRODUCT)} {_wrap(body, _SUM)}"
        case t.Expect(dist=dist, var=var, body=body):
            under = to_plain(dist) if var == "x" else f"{{{var}~{to_plain(dist)}}}"
            return f"E_{under}[{to_plain(body)}]"
        case t.Integral(body=body, var=var, lower=lower, upper=upper):
            bounds = "" if lower is None and upper is None else \
                f"_{'' if lower is None else to_plain(lower)}^{'' if upper is None else to_plain(upper)}"
            return f"∫{bounds} {to_plain(body)} d{var}"
    raise TypeError(f"cannot print {type(node).__name__}")
