"""Every validation message a person reads is Chinese: each of pydantic's error types
has a message (with the constraint it names), errors provoked through real models come
back in Chinese, and a 422's top-level message names the first reason."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from pydantic_core._pydantic_core import list_all_errors

from shared.errors import ErrorDetail, invalid, validation_summary
from shared.validation import MESSAGES, validation_message

CJK = re.compile(r"[\u3400-\u9fff]")


def chinese(message: str) -> bool:
    return bool(CJK.search(message)) and "{" not in message


@pytest.mark.parametrize("spec", list_all_errors(), ids=lambda s: s["type"])
def test_every_pydantic_error_type_has_a_chinese_message(spec: dict[str, Any]) -> None:
    error = {
        "type": spec["type"],
        "msg": spec["message_template_python"],
        "ctx": spec.get("example_context") or {},
    }
    message = validation_message(error)
    assert chinese(message), (spec["type"], message)
    assert spec["type"] in MESSAGES or spec["type"] in ("value_error", "assertion_error")


class Color(StrEnum):
    red = "red"
    blue = "blue"


class Inner(BaseModel):
    code: int


class Everything(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    positive: Annotated[float, Field(gt=0, lt=10)] = 1
    step: Annotated[int, Field(multiple_of=5)] = 5
    name: Annotated[str, StringConstraints(min_length=2, max_length=4)] = "张三"
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]+$")] = "AB"
    token: str = "x"
    flag: bool = False
    day: date = date(2026, 1, 1)
    moment: datetime = datetime(2026, 1, 1)
    id: uuid.UUID = uuid.UUID(int=1)
    color: Color = Color.red
    kind: Literal["a", "b"] = "a"
    tags: Annotated[list[str], Field(min_length=1, max_length=2)] = ["x"]
    inner: Inner = Inner(code=1)
    amount: Annotated[Decimal, Field(max_digits=4, decimal_places=2)] = Decimal("1.00")
    whole: int = 1
    required: str


BAD_INPUTS: list[dict[str, Any]] = [
    {"limit": -1},
    {"limit": 500},
    {"positive": 0},
    {"positive": 11},
    {"step": 7},
    {"name": "张"},
    {"name": "张三李四王五"},
    {"code": "abc"},
    {"token": 5},
    {"flag": "maybe"},
    {"day": "2026-13-01"},
    {"moment": "yesterday"},
    {"id": "not-a-uuid"},
    {"id": 5},
    {"color": "green"},
    {"kind": "c"},
    {"tags": []},
    {"tags": ["a", "b", "c"]},
    {"tags": "abc"},
    {"inner": "x"},
    {"inner": {"code": "one"}},
    {"amount": "12345.678"},
    {"amount": "abc"},
    {"whole": 1.5},
    {"whole": "9" * 5000},
    {"positive": "inf"},
    {"unknown": 1},
    {},
]


@pytest.mark.parametrize("data", BAD_INPUTS, ids=lambda d: ",".join(d) or "empty")
def test_errors_provoked_through_a_model_come_back_in_chinese(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as raised:
        Everything.model_validate({"required": "x", **data} if data else data)
    for error in raised.value.errors():
        message = validation_message(error)
        assert chinese(message), (error["type"], error["msg"], message)


def test_a_lone_surrogate_comes_back_in_chinese() -> None:
    # FastAPI decodes the body with json.loads, which lets "\ud800" through as a str; a
    # constrained str refuses it (a plain one does not: shared/request_text.py does)
    text = TypeAdapter(Annotated[str, StringConstraints(max_length=50)])
    with pytest.raises(ValidationError) as raised:
        text.validate_python("\ud800")
    (error,) = raised.value.errors()
    assert error["type"] == "string_unicode"
    assert validation_message(error) == "含有无效的字符（不是有效的 Unicode 文字）"
    # pydantic's own JSON parser refuses it as broken JSON
    with pytest.raises(ValidationError) as raised:
        text.validate_json(b'"\\ud800"')
    assert [validation_message(e) for e in raised.value.errors()] == ["请求体不是有效的 JSON"]


def test_constraints_are_named_in_the_message() -> None:
    def message_for(data: dict[str, Any]) -> str:
        with pytest.raises(ValidationError) as raised:
            Everything.model_validate({"required": "x", **data})
        return validation_message(raised.value.errors()[0])

    assert message_for({"limit": -1}) == "不能小于 1"
    assert message_for({"limit": 500}) == "不能大于 200"
    assert message_for({"name": "张三李四王五"}) == "内容过长，最多 4 个字符"
    assert message_for({"tags": ["a", "b", "c"]}) == "条目过多，最多 2 项"
    assert message_for({"kind": "c"}) == "取值不在允许范围内，可选：'a' 或 'b'"
    assert message_for({"color": "green"}) == "取值不在允许范围内，可选：'red' 或 'blue'"


def test_our_own_messages_pass_and_english_ones_do_not() -> None:
    ours = {"type": "value_error", "msg": "Value error, 不是有效的中国大陆手机号"}
    assert validation_message(ours) == "不是有效的中国大陆手机号"
    theirs = {"type": "value_error", "msg": "Value error, invalid literal for int()"}
    assert validation_message(theirs) == "格式不正确"
    custom = {"type": "something_new", "msg": "Something went wrong"}
    assert validation_message(custom) == "格式不正确"


def test_a_422_names_its_first_reason_at_the_top() -> None:
    one = invalid("mobile", "不是有效的中国大陆手机号")
    assert one.message == "mobile：不是有效的中国大陆手机号"
    assert [d.field for d in one.details] == ["mobile"]
    several = [
        ErrorDetail(field="name", message="必填项缺失"),
        ErrorDetail(field="mobile", message="不是有效的中国大陆手机号"),
        ErrorDetail(field=None, message="请求体不是有效的 JSON"),
    ]
    assert validation_summary(several) == "name：必填项缺失；另有 2 处需要修改"
    assert validation_summary(several[2:]) == "请求体不是有效的 JSON"
