"""Every answer kind tests itself on every component of a rubric (PrairieLearn's `test`):
its correct, wrong and unreadable answers must get the statuses the kind predicts."""

from __future__ import annotations

from grader.key import Key
from grader.kinds import get_kind
from grader.kinds.base import Fragment
from grader.rubric import Rubric


def run_self_tests(rubric: Rubric, key: Key) -> list[str]:
    """Failures, one line each; components whose key is not built yet are skipped."""
    failures = []
    for part in rubric.parts:
        for component in part.components:
            kind = get_kind(component.kind)
            key_value = key.value(part.id, component.id)
            if key_value is None and kind.needs_key:
                continue
            for answer, expected in kind.self_test(component, key_value):
                fragment = Fragment(part.id, "", "self-test", 1.0, structured=answer)
                extracted = kind.extract(fragment, component)
                if not extracted.readable:
                    status = "needs_review"
                else:
                    status = kind.grade(extracted, key_value, component).status
                if status != expected:
                    failures.append(f"{part.id}/{component.id} ({component.kind}): answer {answer!r} "
                                    f"got {status}, expected {expected}")
    return failures
