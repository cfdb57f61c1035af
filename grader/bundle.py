"""Installable copies of the grader: the student self-check bundle (and the source tree the
Gradescope autograder installs, see grader/gradescope.py).

A bundle is a source tree pip can install: pyproject.toml, LICENSE, a README for its reader, and
the `grader` package with its rubric inside it, in `grader/bundled/`, so that `grader check FILE`
works without `--rubric`. It never holds `reference/` (the torch reference implementations).

The student bundle holds no answer key, no reference solutions and no hidden feedback:

- the rubric is rewritten from the validated model, keeping only what reading an answer needs
  (part ids, titles, points, headings, options and their aliases, grid size, word ranges); keys
  become a withheld marker, mistakes, checklists, false proofs, reference numbers and comments go;
- the Python sources lose their comments and docstrings, where examples may quote real answers;
- the report templates are left out: `grader check` never renders a report, and a template is
  where an explanation quoting an answer would hide;
- `find_leaks` (grader/leaks.py) scans every file of the finished bundle for every form of every
  key value, mistake message and hidden checklist text, and `build_student_bundle` refuses to
  write a bundle where it finds one.
"""

from __future__ import annotations

from pathlib import Path

BUNDLED = "bundled"  # grader/bundled/: the rubric (and, for Gradescope, its key) inside the package
# The key source of every keyed component in the public rubric: no value, no reference call.
# `grader grade` with such a rubric stops with "its key is withheld".
WITHHELD = {"withheld": True}


def bundled_rubric_path() -> Path | None:
    """The rubric shipped inside an installed bundle, if this installation is one."""
    folder = Path(__file__).resolve().parent / BUNDLED
    found = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return found[0] if len(found) == 1 else None


# ---------------------------------------------------------------- the source tree

def project_root() -> Path:
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").exists():
        raise FileNotFoundError("building a bundle needs the grader's source tree (pyproject.toml beside "
                                "the grader package); run it from a checkout of the repository")
    return root


def _patched_pyproject(text: str, data_files: list[str]) -> str:
    """The project's own pyproject, shipping grader/bundled/* and every other non-Python file of the
    package (templates, grammars) as package data, declared or not: a bundle is a real install,
    not an editable one, and a file left out only shows when the code needs it."""
    import json
    import tomllib

    data = tomllib.loads(text)
    package_data = data.get("tool", {}).get("setuptools", {}).get("package-data", {})
    if "grader" in package_data:
        raise ValueError("pyproject.toml already declares package data for 'grader'; "
                         "grader/bundle.py must add bundled/* to it")
    header = "[tool.setuptools.package-data]"
    line = f'"grader" = {json.dumps([f"{BUNDLED}/*", f"{BUNDLED}/**/*", *data_files])}'  # files beside the rubric too'
    if header in text:
        text = text.replace(header, f"{header}\n{line}", 1)
    else:
        text = text.rstrip("\n") + f"\n\n{header}\n{line}\n"
    patched = tomllib.loads(text)
    assert f"{BUNDLED}/*" in patched["tool"]["setuptools"]["package-data"]["grader"]
    return text


def _strip_python(source: str) -> str:
    """The same code without comments and docstrings (examples in them may quote real answers)."""
    import ast

    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body.pop(0)
                if not body:
                    body.append(ast.Pass())
    return ast.unparse(tree) + "\n"


def source_files(strip: bool) -> dict[str, bytes]:
    """{relative path: content} of the installable project: the grader package, pyproject, licence."""
    root = project_root()
    files: dict[str, bytes] = {}
    package = root / "grader"
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or "__pycache__" in rel.parts or rel.parts[1:2] == (BUNDLED,):
            continue
        if path.suffix not in {".py", ".html", ".lark", ".json", ".txt", ".yaml", ".typed"}:
            continue
        data = path.read_bytes()
        if strip and path.suffix == ".py":
            data = _strip_python(data.decode("utf-8")).encode("utf-8")
        files[rel.as_posix()] = data
    data_files = sorted(rel.removeprefix("grader/") for rel in files if not rel.endswith(".py"))
    files["pyproject.toml"] = _patched_pyproject((root / "pyproject.toml").read_text(encoding="utf-8"),
                                                 data_files).encode()
    if (root / "LICENSE").exists():
        files["LICENSE"] = (root / "LICENSE").read_bytes()
    return files


def write_tree(files: dict[str, bytes], dest: Path) -> None:
    for rel, data in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def write_zip(files: dict[str, bytes], dest: Path, prefix: str = "", executable: frozenset[str] = frozenset()) -> None:
    """A reproducible zip: sorted entries, fixed timestamps, so the same inputs give the same bytes;
    written whole or not at all."""
    import io
    import zipfile

    from grader.output import write_atomic

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel in sorted(files):
            info = zipfile.ZipInfo(prefix + rel, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if rel in executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[rel])
    write_atomic(dest, buffer.getvalue())


# ---------------------------------------------------------------- the public rubric

# Settings that reading an answer needs, per kind; everything else (tolerances, checklists, false
# proofs, expression variants...) is grading policy and stays with the TAs. A kind may declare its
# own `PUBLIC_SETTINGS`; a kind unknown here keeps no settings at all, and if it needs some to load,
# the build fails loudly rather than guess.
PUBLIC_SETTINGS: dict[str, set[str]] = {
    "grid": {"size"},
    "choice": {"options", "multiple", "chosen_verdict", "aliases"},
    "prose": {"words"},
    "numeric": set(),
    "expression": {"target", "symbols", "pointwise", "name"},  # see ExpressionKind.public_settings
}


def public_rubric(rubric) -> dict:
    """The rubric as students may see it: how answers are found, never what they should be."""
    from grader.kinds import get_kind

    parts = []
    for part in rubric.parts:
        components = []
        for c in part.components:
            kind = get_kind(c.kind)
            allowed = getattr(kind, "PUBLIC_SETTINGS", None)
            allowed = set(allowed) if allowed is not None else PUBLIC_SETTINGS.get(c.kind, set())
            settings = c.settings.model_dump(mode="json", include=allowed, exclude_defaults=True) if allowed else {}
            if hasattr(kind, "public_settings"):  # the kind knows what of its settings students may see
                settings = kind.public_settings(c.settings)
            component = {"id": c.id, "kind": c.kind, "points": c.points}
            if settings:
                component["settings"] = settings
            if c.key is not None:
                component["key"] = dict(WITHHELD)
            if c.within:
                component["within"] = list(c.within)
            if not c.automatic:
                component["automatic"] = False
            components.append(component)
        entry = {"id": part.id, "title": part.title, "points": part.points, "question": part.question,
                 "visibility": part.visibility, "components": components}
        if part.headings:
            entry["headings"] = list(part.headings)
        if part.self_check.model_dump(exclude_defaults=True):
            entry["self_check"] = part.self_check.model_dump(exclude_defaults=True)
        parts.append(entry)
    data = {"id": rubric.id, "title": rubric.title, "version": rubric.version, "total": rubric.total}
    if rubric.question_text:
        data["question_text"] = rubric.question_text
    data["ai_policy"] = {"patterns": list(rubric.ai_policy.patterns)}
    data["parts"] = parts
    return data


def _yaml(data: dict, header: str) -> bytes:
    import yaml

    return (header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)).encode("utf-8")


STUDENT_README = """# {title}: self-check

This installs `grader check`, which shows what the course's grader reads in your submission:
each grid as read, each choice as read, the expressions as parsed, word counts, the parts it
could not find, and problems with your files (a highlight lost in the PDF, a file it cannot open).
It never says whether an answer is right: it has no answer key.

```sh
python3 -m pip install .            # from this folder (or: pip install {zip_name})
grader check path/to/main.pdf       # or main.tex, a folder, a .zip, answers.yaml
```

Check the PDF you will upload, and the .tex beside it if you submit both. If a grid comes out
empty or a part is "not found", fix the file (highlight cells with a fill colour, start each
answer with its number, e.g. `1.1)` or `\\textbf{{3.2 (a)}}`) and check again.

The rubric in `grader/{bundled}/` lists the parts, their points and how answers are found; it holds
no answers. Python sources are shipped without comments; the full, commented source is the
course's grader repository (licence: see LICENSE).
"""


# Grading's own pages: `grader check` renders none, and students get no template to read answers in.
GRADING_ONLY = ("grader/report/templates/",)


def student_files(rubric) -> dict[str, bytes]:
    assert rubric.path is not None
    files = {rel: data for rel, data in source_files(strip=True).items() if not rel.startswith(GRADING_ONLY)}
    files[f"grader/{BUNDLED}/{rubric.path.name}"] = _yaml(
        public_rubric(rubric), f"# Public rubric of {rubric.id} for `grader check`: no keys, no hidden feedback.\n")
    if rubric.question_path is not None and rubric.question_path.exists():
        files[f"grader/{BUNDLED}/{rubric.question_text}"] = rubric.question_path.read_bytes()
    return files


def build_student_bundle(rubric, key, out: Path) -> tuple[Path, dict[str, bytes]]:
    """Write the bundle (a folder, or a zip when `out` ends in .zip); refuse if anything leaks."""
    import os
    import shutil
    import tempfile

    from grader.leaks import find_leaks
    from grader.rubric import load_rubric

    out = Path(out)
    name = f"grader-{rubric.id}-student"
    files = student_files(rubric)
    files["README.md"] = STUDENT_README.format(title=rubric.title, zip_name=out.name if out.suffix == ".zip" else name + ".zip",
                                               bundled=BUNDLED).encode("utf-8")
    leaks = find_leaks(files, rubric, key)
    if leaks:
        raise ValueError("the student bundle would reveal the key; not written:\n  " + "\n  ".join(leaks[:20]))
    with tempfile.TemporaryDirectory() as tmp:  # the public rubric must load on its own
        write_tree({k: v for k, v in files.items() if k.startswith(f"grader/{BUNDLED}/")}, Path(tmp))
        load_rubric(Path(tmp) / "grader" / BUNDLED / rubric.path.name)
    if out.suffix == ".zip":
        write_zip(files, out, prefix=name + "/")
    else:  # built beside it, then swapped in: never half a bundle in `out`
        out.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        write_tree(files, building)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(building, out)
            shutil.rmtree(old)
        else:
            os.replace(building, out)
    return out, files
