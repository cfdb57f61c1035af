from __future__ import annotations

from pathlib import Path

import pytest

from grader.key import load_key
from grader.rubric import default_rubric_path, load_rubric

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "submissions_example"
SEED = EXAMPLES / "000_af16c1991d1beaae.txt"


@pytest.fixture(scope="session")
def rubric():
    return load_rubric(default_rubric_path())


@pytest.fixture(scope="session")
def key(rubric):
    return load_key(rubric)
