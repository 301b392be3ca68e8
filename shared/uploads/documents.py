"""Reading an uploaded JSON or YAML document with limits: nesting depth, value count
(YAML aliases counted as often as they are used, so a "billion laughs" of a few hundred
bytes is refused before anything is built from it), no alias that contains itself, and
JSON values only (no NUL characters, no NaN, no YAML dates, sets or binaries, which the
database could not store). Problems raise :class:`DocumentRejected` (Chinese message).

Python's parsers recurse per nesting level: JSON nested 100,000 deep ends in a
RecursionError and YAML nested 5,000 deep takes seconds to get there. The YAML composer
here counts depth as it goes; JSON's RecursionError is caught and named."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, SequenceNode

from shared.uploads import UploadRejected

TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


@dataclass(frozen=True)
class DocumentLimits:
    max_depth: int = 32  # objects and lists inside each other
    max_values: int = 100_000  # values in all, keys included


class DocumentRejected(UploadRejected):
    """The message (Chinese) says what is wrong and where."""


def _too_deep(limits: DocumentLimits) -> DocumentRejected:
    return DocumentRejected(f"内容嵌套过深（超过 {limits.max_depth} 层），请检查层级")


def _too_big(limits: DocumentLimits) -> DocumentRejected:
    return DocumentRejected(f"内容过多（超过 {limits.max_values} 项），请分批提交")


def load_json(raw: bytes, limits: DocumentLimits) -> Any:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DocumentRejected(
            f"无法读取 JSON：第 {exc.lineno} 行第 {exc.colno} 列附近格式有误"
        ) from None
    except UnicodeDecodeError:
        raise DocumentRejected("无法读取：内容不是 UTF-8 编码的文字") from None
    except RecursionError:
        raise _too_deep(limits) from None
    except ValueError:  # an integer of more than 4,300 digits
        raise DocumentRejected("无法读取 JSON：其中的数字过长") from None
    check_values(data, limits)
    return data


def check_values(data: Any, limits: DocumentLimits) -> None:
    """Depth, count and kinds of parsed values, walked without recursion."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    seen = 0
    while pending:
        value, depth = pending.pop()
        seen += 1
        if seen > limits.max_values:
            raise _too_big(limits)
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise DocumentRejected("对象的键应为文字")
            children: list[Any] = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            _check_scalar(value)
            continue
        if children and depth >= limits.max_depth:
            raise _too_deep(limits)
        pending.extend((child, depth + 1) for child in children)


def _check_scalar(value: Any) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise DocumentRejected("内容中含有空字符（\\u0000），请删除后重试")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise DocumentRejected("数字不能是 NaN 或无穷大")
    elif value is not None and not isinstance(value, bool | int):
        raise DocumentRejected(
            "只能使用文字、数字、是/否（true/false）、列表和对象"
            f"（不支持 {type(value).__name__} 类型的值）"
        )


class _LimitedLoader(yaml.SafeLoader):
    # Dates stay text (2024-01-01 as written): JSON, and so the database, has no dates.
    # PyYAML looks resolvers up on the class, hence a class attribute.
    yaml_implicit_resolvers = {  # noqa: RUF012
        first: [(tag, regexp) for tag, regexp in resolvers if tag != TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: bytes, limits: DocumentLimits) -> None:
        super().__init__(stream)
        self.limits = limits
        self.depth = 0
        self.aliases = 0

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        # The scanner looks ahead through unclosed [ and { for a possible key, at a cost
        # that grows with the square of their number: "[" * 1000 costs a second before
        # the composer sees the depth. Refuse when the brackets open, not later.
        if self.flow_level >= self.limits.max_depth:
            raise _too_deep(self.limits)
        super().fetch_flow_collection_start(TokenClass)

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            self.aliases += 1
        # The composer recurses per level: refuse before the recursion gets deep.
        self.depth += 1
        try:
            if self.depth > self.limits.max_depth:
                raise _too_deep(self.limits)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_yaml(raw: bytes, limits: DocumentLimits) -> Any:
    loader = _LimitedLoader(raw, limits)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            _measure(node, 1, limits, {}, set())
        except DocumentRejected as exc:
            if loader.aliases and exc.message == _too_big(limits).message:
                expanded = f"超过 {limits.max_values} 项"
                raise DocumentRejected(
                    f"YAML 中的别名（*）展开后内容过多（{expanded}），请直接写出内容"
                ) from None
            raise
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列附近" if mark else ""
        raise DocumentRejected(f"无法读取 YAML：{where}格式有误，请检查缩进和冒号") from None
    except UnicodeDecodeError:
        raise DocumentRejected("无法读取：内容不是 UTF-8 编码的文字") from None
    except DocumentRejected:
        raise
    except ValueError:  # an integer of more than 4,300 digits
        raise DocumentRejected("无法读取 YAML：其中的数字过长") from None
    finally:
        loader.dispose()
    # Expanded, the data holds at most max_values values (measured above).
    check_values(data, limits)
    return data


def _measure(
    node: Node,
    depth: int,
    limits: DocumentLimits,
    sizes: dict[int, tuple[int, int]],
    on_path: set[int],
) -> tuple[int, int]:
    """(values, height) of ``node`` with every alias expanded. An alias is the same node
    object again, so ``sizes`` computes each node once: linear in the document's length
    however often a node is reused."""
    key = id(node)
    if key in on_path:
        raise DocumentRejected("YAML 中的别名（*）引用了包含它自己的内容，无法读取")
    if key in sizes:
        count, height = sizes[key]
    else:
        if depth > limits.max_depth:
            raise _too_deep(limits)
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        on_path.add(key)
        count, height = 1, 1
        for child in children:
            child_count, child_height = _measure(child, depth + 1, limits, sizes, on_path)
            count += child_count
            height = max(height, child_height + 1)
            if count > limits.max_values:
                raise _too_big(limits)
        on_path.discard(key)
        sizes[key] = (count, height)
    if depth + height - 1 > limits.max_depth:
        raise _too_deep(limits)
    return count, height
