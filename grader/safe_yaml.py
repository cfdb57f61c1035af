"""YAML from files a student, a TA or an export wrote: refused fast when it is too big to be
what it claims, nested too deep, or an alias bomb.

An alias bomb ("billion laughs") is a few hundred bytes whose anchors reference each other, so
the loaded data is small in memory (aliases share objects) but astronomically large to anything
that walks it: validation, JSON, a template. Every loader here composes the document once with
libyaml's C parser, measures its size with every alias expanded (linear in the document, with the
size of each anchored node memoised), and refuses it past a cap before constructing anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

# PyYAML is imported when a document is read, not with this module: `grader check` on a Markdown
# file with a remembered rubric reads no YAML at all.

MAX_DEPTH = 100  # nesting levels; libyaml itself stops at 1000, Python's recursion at about as many


class YamlRefused(ValueError):
    """A document that is not loaded, with the reason in words a student or TA understands."""


def _expanded_size(root: yaml.Node, max_nodes: int, what: str) -> int:
    """Nodes of the document with every alias expanded, without expanding anything (iterative:
    a deep document cannot exhaust the stack)."""
    import yaml

    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if depth > MAX_DEPTH:
            raise YamlRefused(f"{what} is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = ([c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode)
                    else list(node.value))
        if children_done:
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > max_nodes:
                raise YamlRefused(f"{what} expands to more than {max_nodes:,} values "
                                  "(aliases repeated over and over: an alias bomb?); it was not read")
            sizes[id(node)] = total
            continue
        stack.append((node, depth, True))
        stack += [(c, depth + 1, False) for c in children if id(c) not in sizes]
    return sizes[id(root)]


def load_with_node(text: str | bytes, what: str, max_bytes: int,
                   max_nodes: int = 200_000) -> tuple[Any, yaml.Node | None]:
    """The document's data and its node tree (whose marks give the line of every value), or
    YamlRefused (too big, too deep, an alias bomb) or yaml.YAMLError (a syntax error, with its
    mark). An empty document is (None, None)."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > max_bytes:
        raise YamlRefused(f"{what} is {size / 1e6:.1f} MB, more than the {max_bytes / 1e6:g} MB "
                          "such a file may be; it was not read")
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _expanded_size(node, max_nodes, what)
        return loader.construct_document(node), node
    finally:
        loader.dispose()


def load(text: str | bytes, what: str, max_bytes: int, max_nodes: int = 200_000) -> Any:
    """The document's data (see load_with_node)."""
    return load_with_node(text, what, max_bytes, max_nodes)[0]
