"""Python written by a rubric's author: reference functions (run by `key build` only) and check
functions (run while grading, on the student's parsed answer, never on student text as code).

A function is named "package.module:function" (an installed module) or "file.py:function", a file
relative to the rubric's folder ("./reference.py:f", "code/checks.py:f"). Checking that it exists
reads the file's syntax tree and imports nothing: reference code may import torch, which grading
never loads.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path


def file_of(spec: str, base: Path) -> Path | None:
    """The Python file a spec names ("reference.py:f"), or None for an installed module."""
    module = spec.rpartition(":")[0]
    return base / module if module.endswith(".py") else None


def _defines(path: Path, function: str, spec: str) -> None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise ValueError(f"{spec!r}: {path.name} cannot be read: {exc}") from None
    names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    if function not in names:
        raise ValueError(f"function {function!r} not found in {path.name}")


def check_exists(spec: str, base: Path = Path(".")) -> None:
    """Raise ValueError unless module:function (or file.py:function) exists; imports nothing."""
    module, sep, function = spec.rpartition(":")
    if not sep or not module or not function:
        raise ValueError(f"{spec!r} must look like 'package.module:function' or 'file.py:function'")
    path = file_of(spec, base)
    if path is not None:
        if not path.is_file():
            raise ValueError(f"file {module!r} not found beside the rubric (in {base})")
        _defines(path, function, spec)
        return
    # Where the package is not installed at all (the Gradescope image, a student's self-check),
    # the key is prebuilt and the reference is never called: nothing to check.
    top, *rest = module.split(".")
    found = importlib.util.find_spec(top)
    if found is None:
        return
    origin = None
    folders = list(found.submodule_search_locations or [])
    if not rest:
        origin = found.origin
    for i, name in enumerate(rest):
        last = i == len(rest) - 1
        candidates = [Path(f) / (f"{name}.py" if last else name) for f in folders]
        hit = next((c for c in candidates if c.exists()), None)
        if hit is None:
            break
        if last:
            origin = str(hit)
        folders = [str(hit)]
    if origin is None or not origin.endswith(".py"):
        raise ValueError(f"module {module!r} not found")
    _defines(Path(origin), function, spec)


def load(spec: str, base: Path):
    """The function itself: imports the module or executes the file (once per process)."""
    module_name, _, function_name = spec.rpartition(":")
    path = file_of(spec, base)
    if path is None:
        module = importlib.import_module(module_name)
    else:
        name = "grader_authored_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
        module = sys.modules.get(name)
        if module is None:
            loader_spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(loader_spec)
            sys.path.insert(0, str(path.parent))  # the file may import its neighbours
            try:
                loader_spec.loader.exec_module(module)
            finally:
                sys.path.remove(str(path.parent))
            sys.modules[name] = module
    return getattr(module, function_name)
