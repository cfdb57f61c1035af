r"""The expression kind's rubric settings: the quantity asked, the context its names live in, what
the answer may be written with, tolerances and time limits; and the declared mistakes' forms.

    settings:
      target: 'A'                      # the quantity: the answer is the other side of 'A = ...'
      context: game                    # a name in the rubric's `contexts:`, a file, or inline
      symbols: ['\alpha']              # what the answer may use (default: anything declared)
      requires: [D]                    # what it must use: restating a definition is no estimator
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from grader.kinds.base import StrictModel
from grader.kinds.context_ref import legacy_context, resolve_context
from grader.mathexpr import tree as t
from grader.mathexpr.context import BUILTIN_NAMES, Context, ContextDecl, compile_context, public_decl
from grader.mathexpr.equivalence import key_values
from grader.mathexpr.evaluate import EvalError, symbols_used
from grader.mathexpr.parser import parse
from grader.mathexpr.printer import to_plain
from grader.mathexpr.tree import ParseError


def head(node: t.Node, ctx: Context) -> str | None:
    """What quantity a side names: a declared name ("KL", "D"), a name as written ("A", "\\lambda",
    "∇_w ℓ"), a tuple of names ("(d*, g*)"); None for anything else."""
    if isinstance(node, t.Tuple):
        heads = [head(item, ctx) for item in node.items]
        return None if None in heads else "(" + ", ".join(heads) + ")"
    if isinstance(node, t.Apply):
        # D^*(x) names D*, V(d, g) names V; D^*(f_0 + f_1) is a product, not a name; a word names
        # itself whatever it is applied to: KL(N(μ_1, σ_1²) ‖ N(μ_2, σ_2²)) names KL
        if not all(isinstance(arg, t.Sym) for arg in node.args) and not _is_word(node.head):
            return None
        node = node.head
    if isinstance(node, t.Sym):
        return ctx.resolve(node) or to_plain(node)
    return None


def _is_word(name: t.Sym) -> bool:
    return len(name.base) > 1 and not name.base.startswith("\\")


def heads(node: t.Node, ctx: Context) -> frozenset[str]:
    """The names an answer may give a target by: its own, and for a gradient with respect to a
    variable (∇_w ℓ) also the gradient with the variable left implicit (∇ℓ)."""
    own = head(node, ctx)
    names = {own} if own is not None else set()
    name = node.head if isinstance(node, t.Apply) else node
    if isinstance(name, t.Sym) and name.accent and name.accent.startswith(t.GRADIENT + "_"):
        implicit = t.sym(name.base, name.sub, name.star, t.GRADIENT)
        names.add(head(t.apply(implicit, node.args) if isinstance(node, t.Apply) else implicit, ctx))
    return frozenset(names - {None})


def parse_checked(latex: str, what: str, ctx: Context) -> t.Node:
    try:
        return parse(latex, ctx.lexicon)
    except ParseError as exc:
        raise ValueError(f"{what} {latex!r} does not parse: {exc}") from None


class Requirement(StrictModel):
    """Names the answer must use (`requires: [D]`, or `{names: [D], message: ...}`): an answer equal
    to the key without them (the question's own definition restated) earns nothing, with the message."""

    names: tuple[str, ...] = Field(min_length=1)
    message: str | None = None  # default: "<quantity> is to be written with <names>; ..."

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        return {"names": [value] if isinstance(value, str) else value} if isinstance(value, (list, tuple, str)) else value


class ExpressionSettings(StrictModel):
    # The quantity the answer gives, in LaTeX ('\mathrm{ELBO}(q)', 'D^*(x)', 'A', '(d^*, g^*)'):
    # the answer is the other side of an equation that has it as a side.
    target: str
    # What the answer's names mean: a mapping (see README, "Expression contexts"), the name of one
    # of the rubric's `contexts:`, or a YAML file beside the rubric.
    context: str | ContextDecl | None = None
    symbols: tuple[str, ...] | None = None  # the declared names the answer may use; default: all
    requires: Requirement | None = None  # the declared names the answer must use
    pointwise: bool = False  # a function of the context's variable x, compared at points (D*(x))
    name: str | None = None  # how feedback names the quantity; default: the target as plain text
    rtol: float = Field(1e-6, gt=0, le=1e-2)
    atol: float = Field(1e-9, ge=0, le=1e-3)
    generic_credit: float = Field(0.0, ge=0, le=1)  # credit when only a generic relation is found
    time_limit: float = Field(1.0, gt=0, le=30)  # seconds to read one answer, and again to check it

    _ctx: Context = PrivateAttr()

    @field_validator("symbols")
    @classmethod
    def _not_empty(cls, value):
        if value is not None and not value:
            raise ValueError("symbols lists at least one name (or leave it out: anything declared)")
        return value

    @model_validator(mode="after")
    def _resolve(self, info: ValidationInfo) -> ExpressionSettings:
        where = info.context if info is not None else None
        decl = resolve_context(self.context, where)
        if decl is None:
            decl = legacy_context(self.symbols, where) if self.symbols else ContextDecl()
        ctx = compile_context(decl)
        self._ctx = ctx
        known = {*decl.variables, *decl.densities, *decl.functions, *BUILTIN_NAMES}
        for field_name, names in (("symbols", self.symbols or ()), ("requires", self.required)):
            unknown = sorted(set(names) - known)
            if unknown:
                raise ValueError(f"{field_name} {unknown} are not declared by the context")
        if self.symbols and set(self.required) - set(self.symbols):
            raise ValueError(f"requires {sorted(set(self.required) - set(self.symbols))}, which 'symbols' does not allow")
        if head(parse_checked(self.target, "target", ctx), ctx) is None:
            raise ValueError(f"target {self.target!r} must name a quantity, such as A, \\lambda, D^*(x), (d^*, g^*) "
                             "or \\nabla_w \\ell")
        if self.pointwise and not decl.densities:
            raise ValueError("pointwise answers are functions of the variable of the context's densities: declare them")
        return self

    @property
    def ctx(self) -> Context:
        return self._ctx

    @property
    def heads(self) -> frozenset[str]:
        """The names an answer may give the target by (see heads())."""
        return heads(parse(self.target, self.ctx.lexicon), self.ctx)

    @property
    def shown_name(self) -> str:
        return self.name or to_plain(parse(self.target, self.ctx.lexicon))

    def allowed(self) -> set[str] | None:
        return set(self.symbols) if self.symbols else None

    @property
    def required(self) -> tuple[str, ...]:
        return self.requires.names if self.requires else ()

    def fits(self, used: set[str], required: bool = True) -> bool:
        """Whether an answer using these names uses only the allowed ones (and every required one)."""
        allowed = self.allowed()
        return (allowed is None or used <= allowed) and (not required or set(self.required) <= used)

    def missing_requirement(self, used: set[str]) -> str | None:
        """Why an answer using these names does not meet `requires` (None: it does)."""
        missing = [n for n in self.required if n not in used]
        if not missing:
            return None
        if self.requires and self.requires.message:
            return self.requires.message.strip()
        words = ", ".join(self.ctx.words(n) for n in self.required)
        return (f"{self.shown_name} is to be written with {words}; your expression does not use "
                f"{', '.join(self.ctx.words(n) for n in missing)} (restating a definition is not what is asked).")

    def public(self) -> dict[str, Any]:
        """What reading an answer needs, for the students' bundle: never a definition."""
        data = self.model_dump(mode="json", include={"target", "symbols", "pointwise", "name"}, exclude_defaults=True)
        if self.required:  # the names only: a message may explain the key
            data["requires"] = list(self.required)
        data["context"] = public_decl(self.ctx.decl)
        return data

    def _identity(self) -> tuple:
        return (self.ctx.fingerprint, self.target, self.symbols, self.requires, self.pointwise, self.name, self.rtol,
                self.atol, self.generic_credit, self.time_limit)

    def __hash__(self) -> int:
        return hash(self._identity())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpressionSettings) and other._identity() == self._identity()


class ExpressionWhen(StrictModel):
    expression: str | list[str]  # the answer equals this LaTeX form (or any of these forms)
    label: str | None = None  # a short name ("missing + log 2"), to point at an earlier line with it

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.expression,) if isinstance(self.expression, str) else tuple(self.expression)


def check_key(latex: str, settings: ExpressionSettings) -> t.Node:
    """The key's tree, evaluated once: a key the context cannot evaluate is the author's error."""
    node = parse_checked(latex, "key", settings.ctx)
    try:
        key_values(node, settings.ctx, settings.pointwise)
    except EvalError as exc:
        raise ValueError(f"the key {latex!r} cannot be evaluated: {exc}") from None
    allowed = settings.allowed()
    used = symbols_used(node, settings.ctx)
    unknown = used - allowed if allowed is not None else set()
    if unknown:
        raise ValueError(f"the key uses {sorted(unknown)}, which 'symbols' does not allow")
    if settings.missing_requirement(used):
        raise ValueError(f"the key does not use {sorted(set(settings.required) - used)}, which 'requires' asks for")
    return node
