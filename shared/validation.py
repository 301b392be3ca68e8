"""Chinese messages for pydantic's validation errors.

Every error type pydantic-core can raise has a message here, with the constraint it
names (``不能小于 1``, ``最多 200 个字符``); ``tests/unit/test_validation_messages.py``
fails when a pydantic upgrade brings a type without one. Our own validators raise
``ValueError`` with a Chinese message, which is passed on as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

GENERIC = "格式不正确"
_CJK = re.compile(r"[\u3400-\u9fff]")

_OBJECT = "应为对象（键值对）"
_LIST = "应为列表"
_NUMBER = "不是有效的数字"
_INTEGER = "不是有效的整数"
_DATE = "不是有效的日期（YYYY-MM-DD）"
_DATETIME = "不是有效的日期时间（YYYY-MM-DDTHH:MM:SS，可带时区）"
_TIME = "不是有效的时间（HH:MM:SS）"
_UUID = "不是有效的编号（UUID）"
_URL = "不是有效的网址"
_CHOICES = "取值不在允许范围内，可选：{expected}"
_EXTRA = "不允许的字段"

MESSAGES: dict[str, str] = {
    # the request as a whole
    "json_invalid": "请求体不是有效的 JSON",
    "json_type": "请求体不是有效的 JSON",
    "recursion_loop": "内容存在循环引用",
    "recursion_depth_exceeded": "嵌套层次过深",
    "needs_python_object": GENERIC,
    # fields present or not
    "missing": "必填项缺失",
    "missing_argument": "必填项缺失",
    "missing_keyword_only_argument": "必填项缺失",
    "missing_positional_only_argument": "必填项缺失",
    "extra_forbidden": _EXTRA,
    "no_such_attribute": _EXTRA,
    "unexpected_keyword_argument": _EXTRA,
    "unexpected_positional_argument": _EXTRA,
    "multiple_argument_values": "同一字段给出了多个值",
    "arguments_type": _OBJECT,
    "frozen_field": "该字段不可修改",
    "frozen_instance": "该记录不可修改",
    "invalid_key": "字段名应为文字",
    "default_factory_not_called": "其他字段有误，无法确定该字段的默认值",
    "none_required": "此处应为空",
    # objects and lists
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "dataclass_type": _OBJECT,
    "dataclass_exact_type": _OBJECT,
    "named_tuple_type": _LIST,
    "get_attribute_error": GENERIC,
    "dict_type": _OBJECT,
    "frozen_dict_type": _OBJECT,
    "ordered_dict_type": _OBJECT,
    "counter_type": _OBJECT,
    "mapping_type": _OBJECT,
    "list_type": _LIST,
    "deque_type": _LIST,
    "tuple_type": _LIST,
    "set_type": _LIST,
    "frozen_set_type": _LIST,
    "iterable_type": _LIST,
    "iteration_error": GENERIC,
    "set_item_not_hashable": "列表中有无法比较的条目",
    "too_short": "条目过少，至少 {min_length} 项",
    "too_long": "条目过多，最多 {max_length} 项",
    # numbers
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "finite_number": "应为有限的数字",
    "int_type": _INTEGER,
    "int_parsing": _INTEGER,
    "int_parsing_size": "整数位数过多",
    "int_from_float": "应为整数，不能有小数",
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "decimal_max_digits": "数字最多 {max_digits} 位",
    "decimal_max_places": "最多 {decimal_places} 位小数",
    "decimal_whole_digits": "整数部分最多 {whole_digits} 位",
    "fraction_type": _NUMBER,
    "fraction_parsing": _NUMBER,
    "complex_type": _NUMBER,
    "complex_str_parsing": _NUMBER,
    "bool_type": "应为是/否（true/false）",
    "bool_parsing": "应为是/否（true/false）",
    # text
    "string_type": "应为文字",
    "string_unicode": "含有无效的字符（不是有效的 Unicode 文字）",
    "string_too_short": "内容过短，至少 {min_length} 个字符",
    "string_too_long": "内容过长，最多 {max_length} 个字符",
    "string_pattern_mismatch": GENERIC,
    "string_not_ascii": "只能包含英文字母、数字和符号",
    "bytes_type": "应为文字",
    "bytes_too_short": "内容过短，至少 {min_length} 字节",
    "bytes_too_long": "内容过长，最多 {max_length} 字节",
    "bytes_invalid_encoding": "编码无效，应为 {encoding}",
    # choices
    "enum": _CHOICES,
    "literal_error": _CHOICES,
    "missing_sentinel_error": GENERIC,
    "ellipsis_error": GENERIC,
    "union_tag_invalid": "类型“{tag}”无效，可选：{expected_tags}",
    "union_tag_not_found": "缺少用来区分类型的字段 {discriminator}",
    "is_instance_of": GENERIC,
    "is_subclass_of": GENERIC,
    "callable_type": GENERIC,
    # dates and times
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": "应为日期，不能带时刻",
    "date_past": "应为今天以前的日期",
    "date_future": "应为今天以后的日期",
    "time_type": _TIME,
    "time_parsing": _TIME,
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_object_invalid": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "datetime_past": "应为过去的时间",
    "datetime_future": "应为将来的时间",
    "timezone_naive": "不能带时区",
    "timezone_aware": "应带时区（如 +08:00）",
    "timezone_offset": "时区偏移应为 {tz_expected} 秒",
    "time_delta_type": "不是有效的时长",
    "time_delta_parsing": "不是有效的时长",
    # identifiers and addresses
    "uuid_type": _UUID,
    "uuid_parsing": _UUID,
    "uuid_version": "编号（UUID）应为第 {expected_version} 版",
    "url_type": _URL,
    "url_parsing": _URL,
    "url_syntax_violation": _URL,
    "url_too_long": "网址过长，最多 {max_length} 个字符",
    "url_scheme": "网址应以 {expected_schemes} 开头",
}

# Messages our own validators write, carried in ``ctx.error`` / the message's tail.
_OWN = {"value_error": "Value error, ", "assertion_error": "Assertion failed, "}


def _ctx_text(value: Any) -> str:
    # pydantic lists choices as "'a', 'b' or 'c'"
    return str(value).replace(" or ", " 或 ")


def validation_message(error: Mapping[str, Any]) -> str:
    """The Chinese message for one of pydantic's errors (``ValidationError.errors()``)."""
    kind = str(error.get("type", ""))
    if kind in _OWN:
        own = str(error.get("msg", "")).removeprefix(_OWN[kind])
        return own if _CJK.search(own) else GENERIC
    template = MESSAGES.get(kind)
    if template is None:  # a custom error type: its message if it is ours (Chinese)
        message = str(error.get("msg", ""))
        return message if _CJK.search(message) else GENERIC
    ctx = {k: _ctx_text(v) for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format_map(ctx)
    except (KeyError, IndexError, ValueError):  # a constraint pydantic did not name
        head = template.split("，")[0]
        return GENERIC if "{" in head else head
