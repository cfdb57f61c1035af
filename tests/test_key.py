"""The committed key equals a fresh build by the reference code; a stale key is refused."""

from __future__ import annotations

import json
import math

import pytest

from grader.key import KeyError_, Key, build_key


def _close(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    return a == b


def test_committed_key_equals_a_fresh_build(rubric):
    pytest.importorskip("torch")
    committed = json.loads(rubric.key_path.read_text())
    fresh = build_key(rubric)
    assert fresh["parts"] == committed["parts"], "run `grader key build` and commit the key"
    assert _close(fresh["numbers"], committed["numbers"])


def test_reference_numbers_show_the_bounds(key):
    iwae = key.numbers["iwae"]["values"]
    chain = [iwae["L"][k] for k in ("1", "2", "5", "50")] + [iwae["log_p_x"]]
    assert chain == sorted(chain)
    gan = key.numbers["gan"]["values"]
    assert json.dumps(gan)  # JSON-ready


def test_stale_key_is_refused(rubric):
    data = json.loads(rubric.key_path.read_text())
    data["parts"]["1.1"]["answer"]["built_from"] = "something else"
    with pytest.raises(KeyError_, match="out of date for parts 1.1"):
        Key(rubric, data)


def test_missing_key_is_refused(rubric):
    with pytest.raises(KeyError_, match="is missing"):
        Key(rubric, None)
