"""Answer kinds, one module each (grader/kinds/<name>.py), imported when first used (base.get_kind)."""

from grader.kinds.base import get_kind  # noqa: F401  (the package's one entry point)
