"""HTML pages (jinja2, autoescape on): a feedback page per submission and a summary per run.

Each answer kind renders its own block from its TEMPLATE; the page template includes them by
name, so student text is escaped everywhere and no markup is ever marked safe by hand.
"""

from __future__ import annotations

from typing import Any

import jinja2

from grader.kinds import REGISTRY, get_kind


def _kind_source(name: str) -> str | None:
    if name.startswith("kinds/") and name.endswith(".html"):
        kind = REGISTRY.get(name[len("kinds/"):-len(".html")])
        return kind.TEMPLATE if kind else None
    return None


ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader([jinja2.PackageLoader("grader.report", "templates"),
                                jinja2.FunctionLoader(_kind_source)]),
    autoescape=True,  # every template, whatever its name: student text is hostile
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["points"] = lambda v: f"{v:g}"


def feedback_page(result, key=None) -> str:
    get_kind("grid")
    numbers = key.numbers if key is not None else {}
    part_numbers = {p.id: numbers.get(p.numbers) for p in result.rubric.parts if p.numbers}
    return ENV.get_template("feedback.html").render(r=result, numbers=part_numbers)


def summary_page(results: list, failures: list[dict[str, Any]], rubric, stats: dict[str, Any]) -> str:
    return ENV.get_template("summary.html").render(results=results, failures=failures, rubric=rubric, stats=stats)
