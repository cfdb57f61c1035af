"""Answer kinds, one module each (grader/kinds/<name>.py), imported when first used (base.get_kind)."""

from grader.kinds.base import REGISTRY, Extracted, Fragment, Kind, Outcome, all_kinds, get_kind  # noqa: F401
