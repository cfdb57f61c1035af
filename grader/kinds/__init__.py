"""Answer kinds. Importing this package registers every kind; a new kind is one module here."""

from grader.kinds import check, choice, expression, grid, numeric, prose  # noqa: F401
from grader.kinds.base import REGISTRY, Extracted, Fragment, Kind, Outcome, get_kind  # noqa: F401
