"""Reading definition YAML strictly: a key given twice in one mapping is an error.

PyYAML's safe loader keeps the last of two equal keys without a word, so a definition
could silently lose a wording or a score. This loader refuses the file instead, naming
the line and the key. Merge keys (``<<: *anchor``) still work: only keys written in the
same mapping count.
"""

from __future__ import annotations

from typing import Any

import yaml

_MERGE = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.YAMLError):
    """A mapping names the same key twice; ``line`` is 1-based."""

    def __init__(self, key: object, line: int) -> None:
        super().__init__(f"line {line}: key {key!r} appears twice in one mapping")
        self.key = key
        self.line = line


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    raise DuplicateKeyError(key, key_node.start_mark.line + 1)
                seen.add(key)
            except TypeError:  # an unhashable key: the base loader reports it
                continue
        return super().construct_mapping(node, deep)
