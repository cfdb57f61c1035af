"""Time expression checks (parse + evaluate + compare) on this machine. Not a test.

    .venv/bin/python bench/bench_expression.py [--repeat N]

Reports the one-time costs (building the LALR parser, the quadrature grids), a fresh check (every
cache cleared but the key's and the declared mistakes' values, which a grading process computes
once), a cached check (the same answer again: parse and verdict come from the caches), reading
the seed's 4.6a text, and hostile inputs. Targets: <= 150 ms fresh, <= 1 ms cached.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ANSWERS = [
    r"\frac{1}{2}\left(\mathbb{E}_{x\sim p_0}\left[\log\left(1 - D^*(x)\right)\right] + \mathbb{E}_{x\sim p_1}\left[\log D^*(x)\right]\right) + \log 2",
    r"\frac12 \mathbb{E}_{x\sim p_0}[\log 2(1-D^*(x))] + \frac12 \mathbb{E}_{x\sim p_1}[\log 2D^*(x)]",
    r"\frac{1}{2}\mathbb{E}_{p_0}\left[\log\frac{2p_0(x)}{p_0(x)+p_1(x)}\right] + \frac{1}{2}\mathbb{E}_{p_1}\left[\log\frac{2p_1(x)}{p_0(x)+p_1(x)}\right]",
    r"\frac12\int p_0(x)\log(1-D(x))\,dx + \frac12\int_{-\infty}^{\infty} p_1(x)\ln D(x)\,\mathrm{d}x + \ln 2",
    r"\frac{1}{2}\mathbb{E}_{p_0}\left[\ln\frac{p_0}{\mu}\right]+\frac{1}{2}\mathbb{E}_{p_1}\left[\ln\frac{p_1}{\mu}\right]",
    r"\frac{1}{2}\text{KL}(p_0||\mu) + \frac{1}{2}\text{KL}(p_1||\mu)",
    r"\frac{1}{2} \left(\mathbb{E}_{x \sim p_0} \left[\log \frac{1 - D^*(x)}{D^*(x)} \right] + \mathbb{E}_{x \sim p_1} \left[\log \frac{D^*(x)}{1 - D^*(x)} \right] \right)",
    r"\frac{1}{2} \left(\mathbb{E}_{x \sim p_0} \left[\log \frac{p_0(x)}{p_0(x) + p_1(x)} \right] + \mathbb{E}_{x \sim p_1} \left[\log \frac{p_1(x)}{p_0(x) + p_1(x)} \right] \right)",
    r"\frac12(E_{p_0}[\log D] + E_{p_1}[\log(1-D)]) + \log 2",
    r"\frac12(E_{p_0}[\log(1-D)] + E_{p_1}[\log D]) + \log 3",
    r"E_{p_1}[\log D] - E_{p_0}[\log D]",
]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def summary(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(0.95 * len(samples)))]
    return f"median {ms(statistics.median(samples))}, p95 {ms(p95)}, max {ms(samples[-1])} (n={len(samples)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    from grader.kinds import expression as expression_kind
    from grader.kinds import get_kind
    from grader.kinds.base import Fragment
    from grader.mathexpr import cases as mcases, equivalence, parser as mparser
    from grader.rubric import default_rubric_path, load_rubric
    imported = time.perf_counter() - start

    from lark import Lark

    start = time.perf_counter()
    Lark(mparser.GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="contextual")
    cold = time.perf_counter() - start
    start = time.perf_counter()
    mparser.warm()
    built = time.perf_counter() - start
    rubric = load_rubric(default_rubric_path())  # prepares the literal keys: key values computed once
    part = rubric.part("4.6a")
    component = part.components[0]
    ctx = component.settings.ctx
    start = time.perf_counter()
    mcases.Cases(ctx, False).grid(), mcases.Cases(ctx, True).grid()
    grids = time.perf_counter() - start
    kind = get_kind("expression")
    key = kind.prepare(component.key.literal, component.settings)

    def clear() -> None:
        for cached in (mparser._parse_cached, equivalence.check, expression_kind._from_text,
                       expression_kind._from_sheet):
            cached.cache_clear()

    def one(latex: str) -> float:
        t0 = time.perf_counter()
        answer = kind.extract(Fragment("4.6a", "", "bench", 1.0, structured=latex), component)
        if answer.readable:  # as the pipeline does: an unreadable answer goes to a TA ungraded
            kind.grade(answer, key, component)
        return time.perf_counter() - t0

    for latex in ANSWERS:  # the mistakes' values: computed once per process, like the key's
        one(latex)
    fresh, cached = [], []
    for _ in range(args.repeat):
        for latex in ANSWERS:
            clear()
            equivalence.cached_values.cache_clear()
            equivalence.key_values(mparser.parse(key["expression"], ctx.lexicon), ctx)  # not the student's cost
            for mistake in component.mistakes:
                for form in component.when(mistake).forms:
                    equivalence.cached_values(mparser.parse(form, ctx.lexicon), ctx)
            fresh.append(one(latex))
            cached.append(one(latex))

    seed = (ROOT / "submissions_example" / "000_af16c1991d1beaae.txt").read_text(encoding="utf-8")
    text = seed[seed.index("4.6.a)"):seed.index("4.6.b)")]

    def from_text() -> float:
        t0 = time.perf_counter()
        answer = kind.extract(Fragment("4.6a", text, "bench", 1.0), component)
        kind.grade(answer, key, component)
        return time.perf_counter() - t0

    text_fresh, text_cached = [], []
    for _ in range(args.repeat):
        clear()
        text_fresh.append(from_text())
        text_cached.append(from_text())

    hostile = {
        "2000 characters of x": "x" * 1999,
        "2000 characters of a sum": "+".join(["D"] * 1000)[:1999],
        "40 nested parentheses": "(" * 40 + "x" + ")" * 40,
        "100 unary minus": "-" * 100 + "x",
        "a tower of exponents": "10^{10^{10^{10}}}",
        "random LaTeX soup": r"\frac{\frac{\log}{E_{[}}{(\int" * 40,
    }
    hostile_times = {}
    for name, latex in hostile.items():
        clear()
        hostile_times[name] = one(latex)

    print(f"import of grader.kinds (every kind) and grader.mathexpr (numpy, lark): {ms(imported)}")
    print(f"one-time: LALR parser {ms(cold)} built, {ms(built)} from lark's cache; quadrature grids {ms(grids)}")
    print(f"fresh check (sheet answer, extract + grade): {summary(fresh)}")
    print(f"cached check (same answer again):            {summary(cached)}")
    print(f"seed 4.6a text, fresh (find + parse + grade): {summary(text_fresh)}")
    print(f"seed 4.6a text, cached:                       {summary(text_cached)}")
    for name, seconds in hostile_times.items():
        print(f"hostile: {name}: {ms(seconds)}")


if __name__ == "__main__":
    main()
