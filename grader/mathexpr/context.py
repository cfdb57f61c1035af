r"""What the names of an answer mean: a context, declared by the rubric (never by the engine).

A context declares the variables (scalars, vectors, matrices, complex values, with the ranges they
are sampled from), the densities (each with its test family), the functions (given by a definition
in LaTeX, or arbitrary: then random smooth test functions stand for them) and, optionally, the
imaginary unit. Equivalence is decided by evaluating the answer and the key on test cases drawn
from these declarations: case c takes the densities of test family c // samples and its own draw
of every random variable.

    variable: x                        # what densities and "functions of x" are functions of
    imaginary_unit: i
    variables:
      '\alpha': {range: [0.05, 0.5]}
      A: {shape: [2, 2], range: [-1, 1]}
      K: {value: 5}
    densities:
      p_0: {spellings: [f_0], test: ['normal(0, 1)', 'laplace(0, 1)']}
    functions:
      'D^*': {args: [x], definition: '\frac{p_1(x)}{p_0(x) + p_1(x)}', spellings: [D]}
      V: {args: [d, g], definition: 'd g'}
      f: {args: [t]}                   # arbitrary

A name is matched as written (base, subscript, star, accent); an accented name that is not
declared means its plain name (\hat{D} is D), and `any_subscript: true` lets D_G and D_\theta mean D.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grader.mathexpr import tree as t
from grader.mathexpr.normalise import BUILTIN_WORDS, Lexicon
from grader.mathexpr.parser import parse
from grader.mathexpr.printer import to_plain
from grader.mathexpr.tree import ParseError

MAX_SAMPLES = 64
FAMILIES = {"normal", "laplace", "logistic"}
_FAMILY = re.compile(r"^\s*([a-z]+)\s*\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*\)\s*$")
BUILTIN_NAMES = {"e", "\\pi", "\\infty", "KL", "\\mathcal{N}"}


class _Decl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    spellings: list[str] = Field(default_factory=list)  # other LaTeX forms of the name: [f_0, P_0]
    any_subscript: bool = False  # the name with any subscript nobody else declares (D_G, D_\theta)
    words: str | None = None  # how feedback names it ("the mixture μ"); default: the name


class VariableDecl(_Decl):
    range: tuple[float, float] = (0.5, 2.0)  # each entry (and each part of a complex value) is drawn in it
    shape: list[int] = Field(default_factory=list, max_length=2)  # [] a scalar, [n] a vector, [n, m] a matrix
    complex: bool = False
    integer: bool = False
    value: float | list[float] | list[list[float]] | None = None  # a fixed value instead of random draws

    @model_validator(mode="after")
    def _valid(self) -> VariableDecl:
        if self.range[0] > self.range[1]:
            raise ValueError("range must be [low, high]")
        if any(n < 1 or n > 20 for n in self.shape):
            raise ValueError("a vector or matrix has between 1 and 20 entries per side")
        return self


class DensityDecl(_Decl):
    # One distribution per test family, e.g. 'normal(0, 1)' (mean, standard deviation),
    # 'laplace(0.8, 0.6)', 'logistic(0, 1)' (location, scale). All densities list as many.
    test: list[str] = Field(min_length=1)

    @field_validator("test")
    @classmethod
    def _families(cls, value: list[str]) -> list[str]:
        for spec in value:
            parse_family(spec)
        return value


class FunctionDecl(_Decl):
    args: list[str] = Field(default_factory=lambda: ["x"], min_length=1)
    # LaTeX in the arguments and other declared names; none: an arbitrary function, for which random
    # smooth functions are substituted (positive ones with `positive: true`).
    definition: str | None = None
    positive: bool = False
    default_args: list[str] = Field(default_factory=list)  # a bare name means name(default_args)


class ContextDecl(BaseModel):
    """A context as a rubric declares it (inline, by name in the rubric's `contexts:`, or in a file)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    variable: str = "x"  # the variable of the densities and of the functions of it
    imaginary_unit: Literal["i", "j"] | None = None
    variables: dict[str, VariableDecl] = Field(default_factory=dict)
    densities: dict[str, DensityDecl] = Field(default_factory=dict)
    functions: dict[str, FunctionDecl] = Field(default_factory=dict)
    samples: int = Field(12, ge=1, le=MAX_SAMPLES)  # random draws per test family

    @model_validator(mode="after")
    def _compiles(self) -> ContextDecl:
        compile_context(self)  # every spelling and definition reads; families have one length
        return self


@dataclass(frozen=True)
class Family:
    name: str
    loc: float
    scale: float

    def logpdf(self, x):
        import numpy as np

        z = (x - self.loc) / self.scale
        if self.name == "normal":
            return -0.5 * (math.log(2 * math.pi) + 2 * math.log(self.scale) + z ** 2)
        if self.name == "laplace":
            return -math.log(2 * self.scale) - np.abs(z)
        return -z - 2 * np.logaddexp(0.0, -z) - math.log(self.scale)  # logistic

    def __str__(self) -> str:
        if self.name == "normal":
            return f"N({self.loc:g}, {self.scale:g}²)"
        return f"{self.name.capitalize()}({self.loc:g}, {self.scale:g})"


def parse_family(spec: str) -> Family:
    m = _FAMILY.match(spec)
    if not m or m.group(1) not in FAMILIES:
        raise ValueError(f"test distribution {spec!r} must look like normal(0, 1), laplace(0, 1) or logistic(0, 1)")
    loc, scale = float(m.group(2)), float(m.group(3))
    if not (math.isfinite(loc) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"test distribution {spec!r}: the scale must be positive")
    return Family(m.group(1), loc, scale)


SymKey = tuple[str, str | None, bool, str | None]


def _key(node: t.Sym) -> SymKey:
    return (node.base, node.sub, node.star, node.accent)


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[t.Sym, ...]
    body: t.Node | None  # None: arbitrary
    positive: bool
    default_args: tuple[t.Node, ...]


class Context:
    """A compiled context: names resolved, definitions parsed, test families ready. Hashable by its
    content, so evaluations are cached per (tree, context)."""

    def __init__(self, decl: ContextDecl):
        self.decl = decl
        self.fingerprint = hashlib.sha256(json.dumps(decl.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]
        self.variable = decl.variable
        self.imaginary = decl.imaginary_unit
        entries: list[tuple[str, _Decl]] = [*decl.variables.items(), *decl.densities.items(), *decl.functions.items()]
        names = [name for name, _ in entries]
        if len(set(names)) != len(names):
            raise ValueError("a name is declared twice")
        # the lexicon first: spellings may use the context's own words (ELBO) and digit habits (p0)
        words, digit_letters = set(), set()
        for name, entry in entries:
            for spelling in [name, *entry.spellings]:
                base = re.sub(r"\\(?:mathrm|operatorname|text)\s*\{([A-Za-z]+)\}", r"\1", spelling).strip()
                if re.fullmatch(r"[A-Za-z]{2,}", base):
                    words.add(base)
                m = re.fullmatch(r"([A-Za-z])_\{?(\d)\}?", spelling.strip())
                if m:
                    digit_letters.add(m.group(1))
        self.lexicon = Lexicon(frozenset(words - BUILTIN_WORDS), frozenset(digit_letters))
        self.spelled: dict[SymKey, str] = {}
        self.any_subscript: dict[tuple[str, bool], str] = {}
        self.shown: dict[str, str] = {}
        self.plain: dict[str, str] = {}  # the name as written, for people: p0, μ, D*
        for name, entry in entries:
            forms = [name, *entry.spellings]
            syms = []
            for index, form in enumerate(forms):
                try:
                    node = parse(form, self.lexicon)
                except ParseError:
                    node = None
                if isinstance(node, t.Sym):
                    syms.append(node)
                elif index > 0:
                    raise ValueError(f"the spelling {form!r} of {name!r} is not a name (a letter or a word, "
                                     "with a subscript, a star or an accent)")
            if not syms:
                raise ValueError(f"the name {name!r} does not read as a name: give it a spelling (spellings: [...])")
            for node in syms:
                other = self.spelled.get(_key(node))
                if other is not None and other != name:
                    raise ValueError(f"{form!r} spells both {other!r} and {name!r}")
                self.spelled[_key(node)] = name
                if entry.any_subscript:
                    self.any_subscript[(node.base, node.star)] = name
            self.shown[name] = entry.words or name
            self.plain[name] = to_plain(syms[0])
        self.variables = dict(decl.variables)
        self.densities = {name: tuple(parse_family(s) for s in d.test) for name, d in decl.densities.items()}
        lengths = {len(v) for v in self.densities.values()}
        if len(lengths) > 1:
            raise ValueError("every density lists as many test distributions (one per test family)")
        self.families = lengths.pop() if lengths else 1
        self.functions: dict[str, Function] = {}
        for name, f in decl.functions.items():
            params = []
            for arg in f.args:
                node = _parse_decl(arg, self.lexicon, f"argument {arg!r} of {name!r}")
                if not isinstance(node, t.Sym):
                    raise ValueError(f"argument {arg!r} of {name!r} must be a name")
                params.append(node)
            body = _parse_decl(f.definition, self.lexicon, f"definition of {name!r}") if f.definition else None
            defaults = tuple(_parse_decl(a, self.lexicon, f"default argument of {name!r}") for a in f.default_args)
            if defaults and len(defaults) != len(params):
                raise ValueError(f"{name!r} takes {len(params)} arguments: default_args must list as many")
            self.functions[name] = Function(name, tuple(params), body, f.positive, defaults)
        if self.imaginary and self.imaginary in {key[0] for key in self.spelled}:
            raise ValueError(f"{self.imaginary!r} is the imaginary unit: it cannot also be declared")

    # ------------------------------------------------------------------ names

    def resolve(self, node: t.Sym) -> str | None:
        """The declared name a written name denotes, or None."""
        key = _key(node)
        if key in self.spelled:
            return self.spelled[key]
        if node.accent is not None and not t.derived(node.accent):  # \hat{D} is D unless declared
            plain = self.resolve(t.sym(node.base, node.sub, node.star))
            if plain is not None:
                return plain
        if node.sub is not None and (node.base, node.star) in self.any_subscript:
            return self.any_subscript[(node.base, node.star)]
        return None

    def kind_of(self, name: str) -> str:
        if name in self.variables:
            return "variable"
        if name in self.densities:
            return "density"
        return "function"

    @cached_property
    def random(self) -> bool:
        """Whether some declaration is drawn at random (then each family gets `samples` cases)."""
        return any(v.value is None for v in self.variables.values()) or \
            any(f.body is None for f in self.functions.values())

    def cases(self, pointwise: bool) -> int:
        return self.families * (self.decl.samples if (pointwise or self.random) else 1)

    def words(self, name: str) -> str:
        return self.shown.get(name, name)

    def written(self, name: str) -> str:
        return self.plain.get(name, name)

    def undeclared_name(self) -> str:
        """A function name this context leaves unknown (for self-tests)."""
        for base in ("q", "g", "h", "u", "\\varsigma"):
            node = t.sym(base)
            if self.resolve(node) is None and base not in (self.imaginary, self.variable):
                return base
        return "\\varsigma_{zz}"

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Context) and other.fingerprint == self.fingerprint

    def __repr__(self) -> str:
        return f"Context({self.fingerprint})"


def _parse_decl(latex: str, lexicon: Lexicon, what: str) -> t.Node:
    try:
        return parse(latex, lexicon)
    except ParseError as exc:
        raise ValueError(f"the {what}, {latex!r}, does not read: {exc}") from None


_COMPILED: dict[str, Context] = {}


def compile_context(decl: ContextDecl) -> Context:
    key = decl.model_dump_json()
    if key not in _COMPILED:
        _COMPILED[key] = Context(decl)
    return _COMPILED[key]


EMPTY = compile_context(ContextDecl())


def public_decl(decl: ContextDecl) -> dict[str, Any]:
    """The context as students may see it: names and how to write them, never a definition."""
    data = decl.model_dump(mode="json", exclude_defaults=True)
    for entry in data.get("functions", {}).values():
        entry.pop("definition", None)
    return data
