"""A YAML loader that remembers the line of every mapping and key.

Validation messages must say `indicators.yaml:42: ...`, so each mapping is
loaded as a `LineDict` that knows its own line and the line of each key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from metrics.catalogue.yaml_errors import translate
from metrics.errors import CatalogueError, Problem


class LineDict(dict[str, Any]):
    """A dict from YAML that knows where it and each of its keys stand (1-based lines)."""

    line: int = 0
    key_lines: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not only by the loader: an empty default (`doc.get(...) or LineDict()`) has lines too.
        self.key_lines = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


MAX_EXPANDED_NODES = 200_000
"""How many nodes aliases (`*name`) may expand to in one file.

Aliases are shared when loaded, but everything that walks the catalogue afterwards sees
them expanded: nine levels of nine aliases ("billion laughs") is 9⁹ nodes and hangs
`check`. A catalogue may well reuse a shared filter in every indicator (100 indicators × a
20-condition block is 14 100 values); walking 200 000 takes well under a second, while a
bomb passes it within a few lines.
"""


MAX_DEPTH = 100
"""How many levels of lists and mappings a file may nest: a real catalogue or plan uses a dozen
(a plan heading is two). A few hundred exhaust Python's stack while parsing (RecursionError)."""


class _AliasLimitExceeded(yaml.MarkedYAMLError):
    pass


class _TooDeep(yaml.MarkedYAMLError):
    pass


class _BadDate(yaml.MarkedYAMLError):
    pass


class _LineLoader(yaml.SafeLoader):
    """Counts what the aliases expand to while composing; refuses too much, or an alias inside its anchor."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._expanded = 0
        self._sizes: dict[int, int] = {}
        self._open: set[str] = set()  # anchors whose nodes are still being composed
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if not self.check_event(yaml.AliasEvent):
            if self._depth >= MAX_DEPTH:
                raise _TooDeep(
                    None, None, f"filen är nästlad i mer än {MAX_DEPTH} nivåer", self.peek_event().start_mark
                )
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        event = self.peek_event()
        if event.anchor in self._open:
            raise _AliasLimitExceeded(
                None, None, f"aliaset '*{event.anchor}' pekar in i sig självt", event.start_mark
            )
        node = super().compose_node(parent, index)
        if node is None:
            return None
        self._expanded += self._size(node)
        if self._expanded > MAX_EXPANDED_NODES:
            raise _AliasLimitExceeded(
                None,
                None,
                f"aliasen (*namn) i filen expanderar till mer än {MAX_EXPANDED_NODES} värden",
                event.start_mark,
            )
        return node

    def compose_sequence_node(self, anchor: Any) -> Any:
        return self._composing(super().compose_sequence_node, anchor)

    def compose_mapping_node(self, anchor: Any) -> Any:
        return self._composing(super().compose_mapping_node, anchor)

    def _composing(self, compose: Any, anchor: str | None) -> Any:
        if anchor is None:
            return compose(anchor)
        self._open.add(anchor)
        try:
            return compose(anchor)
        finally:
            self._open.discard(anchor)

    def _size(self, node: yaml.Node) -> int:
        """Values in `node` with every alias under it expanded (memoised: aliases share nodes)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self._size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(self._size(k) + self._size(v) for k, v in node.value)
        self._sizes[id(node)] = size
        return size


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
        if isinstance(value_node, yaml.ScalarNode) and value_node.style == "|":
            # Where a literal block's (stripped) text starts, so an error at line n of a `row_sql: |`
            # can point at its own line in the file: "<key>:text" is never a YAML key (no colon ends one).
            text = str(result[key])
            blank = text[: len(text) - len(text.lstrip())].count("\n")
            result.key_lines[f"{key}:text"] = value_node.start_mark.line + 2 + blank
    return result


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> Any:
    """A date or time; one that is no day of the calendar (2024-02-30) is an error at its line."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise _BadDate(None, None, f"'{node.value}' är inget giltigt datum", node.start_mark) from None


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


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
            [Problem(f"filen är inte UTF-8 ({exc.reason})", file=path.name, hint="spara filen som UTF-8")]
        ) from None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        said = translate(exc)
        message, hint, line = said.message, said.hint, said.line
        if isinstance(exc, (_AliasLimitExceeded, _BadDate, _TooDeep, yaml.constructor.ConstructorError)):
            mark = exc.problem_mark or exc.context_mark
            message, line = exc.problem or str(exc), mark.line + 1 if mark is not None else None
        if isinstance(exc, _AliasLimitExceeded):
            hint = "skriv ut värdena i stället för att återanvända dem med &namn och *namn"
        if isinstance(exc, _TooDeep):
            hint = "skriv strukturen med färre nivåer; en plan behöver sällan mer än fyra nivåer av rubriker"
        if isinstance(exc, _BadDate):
            hint = "skriv ett datum som finns i kalendern, t.ex. 2024-02-29"
        raise CatalogueError(
            [Problem(f"YAML-fel: {message}", file=path.name, line=line, hint=hint)]
        ) from None
