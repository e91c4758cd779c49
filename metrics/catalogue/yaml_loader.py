"""A YAML loader that remembers the line of every mapping and key.

Validation messages must say `indicators.yaml:42: ...`, so each mapping is
loaded as a `LineDict` that knows its own line and the line of each key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from metrics.errors import CatalogueError, Problem


class LineDict(dict[str, Any]):
    """A dict from YAML that knows where it and each of its keys stand (1-based lines)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"nyckeln '{key}' förekommer två gånger", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Parse a YAML file into LineDicts, lists and scalars; syntax errors carry their line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogueError(
            [Problem("filen finns inte", file=str(path), hint="ange katalogen med --catalog FIL")]
        ) from None
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            [Problem(f"filen är inte UTF-8 ({exc.reason})", file=str(path), hint="spara filen som UTF-8")]
        ) from None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = exc.problem or str(exc)
        hint = "kontrollera indrag och kolon; citera text som innehåller ':' eller '#'"
        raise CatalogueError(
            [Problem(f"YAML-fel: {message}", file=str(path), line=line, hint=hint)]
        ) from None
