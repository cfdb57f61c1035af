"""HTML pages (jinja2, autoescape on): a feedback page per submission and a summary per run.

Each answer kind renders its own block from its TEMPLATE; the page template includes them by
name, so student text is escaped everywhere and no markup is ever marked safe by hand.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2

from grader.kinds import get_kind


def _kind_source(name: str) -> str | None:
    if name.startswith("kinds/") and name.endswith(".html"):
        try:
            return get_kind(name[len("kinds/"):-len(".html")]).TEMPLATE
        except KeyError:
            return None
    return None


ENV = jinja2.Environment(
    loader=jinja2.ChoiceLoader([jinja2.PackageLoader("grader.report", "templates"),
                                jinja2.FunctionLoader(_kind_source)]),
    autoescape=True,  # every template, whatever its name: student text is hostile
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # the package's templates do not change while it runs: no stat per page
)
ENV.filters["points"] = lambda v: f"{v:g}"


def feedback_page(result, key=None) -> str:
    numbers = key.numbers if key is not None else {}
    part_numbers = {p.id: number_block(numbers[p.numbers]) for p in result.rubric.parts
                    if p.numbers and p.numbers in numbers}
    return ENV.get_template("feedback.html").render(r=result, numbers=part_numbers)


# ------------------------------------------------------------------ reference numbers

_PLACE = re.compile(r"\{([A-Za-z0-9_.]+)(?::\.(\d+)f)?\}")


def _lookup(values: Any, path: str) -> Any:
    for step in path.split("."):
        if isinstance(values, dict) and step in values:
            values = values[step]
        elif isinstance(values, list) and step.isdigit() and int(step) < len(values):
            values = values[int(step)]
        else:
            return None
    return values


def _number(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value) if value is not None else "—"
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{value:g}".replace("-", "−")
    if value and abs(value) < 0.5 * 10 ** -digits:  # rounding error: say how small, not 0.0000
        return f"{value:.1e}".replace("-", "−")
    return f"{value:.{digits}f}".replace("-", "−")


def _flatten(values: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(values, dict):
        out = []
        for k in sorted(values):
            out += _flatten(values[k], f"{prefix}{k}." if isinstance(values[k], dict) else f"{prefix}{k}")
        return out
    return [(prefix.rstrip(".").replace("_", " "), values)]


def number_block(block: dict) -> dict:
    """A block of reference numbers as the page shows it: the rubric's headline and rows, filled in
    from the values the reference returned (or every value, under its own name)."""
    values = block.get("values", {})
    rows = block.get("rows") or []
    if rows:
        table = [(row["label"], _number(_lookup(values, row["value"]), row.get("digits", 4))) for row in rows]
    else:
        table = [(label, _number(value) if not isinstance(value, list) else ", ".join(map(_number, value)))
                 for label, value in _flatten(values)]
    headline = _PLACE.sub(lambda m: _number(_lookup(values, m.group(1)), int(m.group(2) or 4)), block.get("headline") or "")
    return {"caption": block.get("caption", ""), "headline": headline, "table": table}


def summary_page(results: list, failures: list[dict[str, Any]], rubric, stats: dict[str, Any]) -> str:
    return ENV.get_template("summary.html").render(results=results, failures=failures, rubric=rubric, stats=stats)
