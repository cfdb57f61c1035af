"""The rubric loads into pydantic models; a broken rubric fails with file, line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grader.rubric import RubricError, default_rubric_path, json_schema, load_rubric

ASSIGNMENT_PARTS = ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "3.1", "3.2a", "3.2b", "3.3", "3.4a", "3.4b",
                    "4.1", "4.2", "4.3", "4.4", "4.5", "4.6a", "4.6b", "5.1", "5.2", "5.3", "5.4"]
ASSIGNMENT_POINTS = [5, 5, 5, 5, 5, 5, 3, 4, 4, 3, 7, 7, 2, 2, 2, 3, 3, 5, 5, 5, 5, 5, 5]


def test_real_rubric_covers_every_part_of_the_assignment(rubric):
    assert [p.id for p in rubric.parts] == ASSIGNMENT_PARTS
    assert [p.points for p in rubric.parts] == ASSIGNMENT_POINTS
    assert rubric.total == 100
    kinds = {p.id: {c.kind for c in p.components} for p in rubric.parts}
    assert all(kinds[pid] == {"grid"} for pid in ("1.1", "1.2", "1.3", "1.4"))
    assert kinds["3.3"] == {"choice"} and rubric.part("3.3").components[0].settings.multiple


def test_grid_keys_come_from_the_reference_code(rubric):
    for pid in ("1.1", "1.2", "1.3", "1.4"):
        source = rubric.part(pid).components[0].key
        assert source.reference == "reference.masked_conv:receptive_field_cells"
        assert source.literal is None


VALID = """\
id: tiny
title: Tiny
total: 3
parts:
  - id: "1.1"
    title: a grid
    points: 2
    kind: grid
    key: {literal: [11, 12]}
  - id: "1.2"
    title: a choice
    points: 1
    kind: choice
    key: {literal: b}
    settings:
      options: {a: first option, b: second option}
"""


def _broken(tmp_path: Path, text: str) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(RubricError) as info:
        load_rubric(path)
    message = str(info.value)
    assert "\n" not in message, "an error is one line"
    assert message.startswith(f"{path}:")
    return message


def test_minimal_rubric_loads(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(VALID)
    rubric = load_rubric(path)
    assert rubric.total == 3 and rubric.content_hash


def test_unknown_kind_names_line_and_field(tmp_path):
    message = _broken(tmp_path, VALID.replace("kind: grid", "kind: gird"))
    assert re.match(r".*broken\.yaml:8: parts\[0\]\(id 1\.1\)\.kind: unknown answer kind 'gird'", message)


def test_points_that_do_not_add_up(tmp_path):
    message = _broken(tmp_path, VALID.replace("total: 3", "total: 4"))
    assert ":1: (top level)" in message or "broken.yaml:1:" in message
    assert "add up to 3" in message and "4" in message


def test_misspelt_field_is_an_error_with_its_line(tmp_path):
    message = _broken(tmp_path, VALID.replace("    points: 1\n", "    points: 1\n    visibilty: visible\n"))
    assert "broken.yaml:13: parts[1](id 1.2).visibilty" in message and "visibilty" in message and "unknown field" in message


def test_misspelt_kind_setting(tmp_path):
    message = _broken(tmp_path, VALID.replace("      options:", "      optoins: {a: x}\n      options:"))
    assert "broken.yaml:16: parts[1](id 1.2).settings.optoins: unknown field" in message


def test_reference_that_does_not_exist(tmp_path):
    text = VALID.replace("key: {literal: [11, 12]}", "key: {reference: 'reference.masked_conv:no_such_function'}")
    message = _broken(tmp_path, text)
    assert "broken.yaml:9: parts[0](id 1.1).key" in message and "no_such_function" in message


def test_reference_module_that_does_not_exist(tmp_path):
    text = VALID.replace("key: {literal: [11, 12]}", "key: {reference: 'reference.nope:f'}")
    assert "reference module 'reference.nope' not found" in _broken(tmp_path, text)


def test_key_that_names_an_unknown_option(tmp_path):
    message = _broken(tmp_path, VALID.replace("key: {literal: b}", "key: {literal: e}"))
    assert "unknown options" in message and "broken.yaml:" in message


def test_invalid_yaml_names_the_line(tmp_path):
    message = _broken(tmp_path, VALID.replace("title: a choice", "title: a: choice"))
    assert "broken.yaml:" in message and "invalid YAML" in message


def test_component_points_must_add_up_to_the_part(tmp_path):
    text = VALID.replace("""    kind: choice
    key: {literal: b}
    settings:
      options: {a: first option, b: second option}
""", """    components:
      - {id: first, kind: choice, points: 2, key: {literal: b}, settings: {options: {a: first option, b: second option}}}
""")
    assert "components' points add up to 2" in _broken(tmp_path, text)


def test_json_schema_types_every_kinds_settings():
    schema = json_schema()
    assert schema["title"] == "Rubric"
    defs = schema["$defs"]
    json.dumps(schema)
    # a component is one of the kinds, told apart by `kind`, each with its own settings and mistakes
    union = defs["PartWithComponents"]["properties"]["components"]["items"]
    assert union["discriminator"]["propertyName"] == "kind"
    assert set(union["discriminator"]["mapping"]) == {"choice", "expression", "grid", "numeric", "prose", "check"}
    grid = defs["GridComponent"]["properties"]
    assert grid["kind"]["const"] == "grid"
    assert any(v.get("$ref", "").endswith("/GridSettings") for v in grid["settings"]["anyOf"])
    assert "penalty_per_cell" in defs["GridSettings"]["properties"]
    assert "extra_includes" in defs["GridWhen"]["properties"]
    # the short form (kind on the part) is typed the same way, and contexts are typed too
    assert defs["ExpressionPart"]["properties"]["kind"]["const"] == "expression"
    assert {"variables", "densities", "functions"} <= set(defs["ContextDecl"]["properties"])


def test_default_rubric_path_exists():
    assert default_rubric_path().exists()
