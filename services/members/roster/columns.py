"""The roster's columns (党员台账): the Chinese headers staff use, in the order they keep
them, each mapped to a member field. Import and export both read this one list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from services.members.registry.schemas import Education, Gender
from shared.contracts.vocabulary import CATEGORY_LABELS, Category


class Kind(StrEnum):
    """How a column's cells are read and written."""

    text = "text"
    date = "date"
    gender = "gender"
    id_number = "id_number"
    mobile = "mobile"
    education = "education"
    tags = "tags"
    categories = "categories"
    organization = "organization"
    yes_no = "yes_no"
    status = "status"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: Kind
    width: int  # in Excel character units, for the export
    required: bool = False  # the header must be present and every row must fill it
    imported: bool = True  # False: written on export, ignored on import


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", Kind.text, 10, required=True),
    Column("性别", "gender", Kind.gender, 6),
    Column("出生日期", "birth_date", Kind.date, 12),
    Column("身份证号", "id_number", Kind.id_number, 21),
    Column("手机号", "mobile", Kind.mobile, 14),
    Column("家庭住址", "address", Kind.text, 30),
    Column("工作单位", "work_unit", Kind.text, 20),
    Column("职务", "post", Kind.text, 12),
    Column("文化程度", "education", Kind.education, 12),
    Column("专业特长", "specialties", Kind.tags, 20),
    Column("兴趣爱好", "interests", Kind.tags, 16),
    Column("入党日期", "joined_at", Kind.date, 12),
    Column("转正日期", "full_member_at", Kind.date, 12),
    Column("党员类别", "categories", Kind.categories, 24),
    Column("所在党组织", "home_organization_id", Kind.organization, 22, required=True),
    Column("是否居住在辖区", "lives_in_area", Kind.yes_no, 14),
    Column("状态", "status", Kind.status, 10, imported=False),
)

BY_HEADER = {c.header: c for c in COLUMNS}

# Which column a member field's problem belongs to (errors raised by the registry name
# fields; staff see headers). Residence problems surface on the organization column.
FIELD_HEADERS = {c.field: c.header for c in COLUMNS} | {"community_id": "所在党组织"}

# Headers seen on rosters kept by hand before the platform, read as the canonical ones.
HEADER_ALIASES = {
    "身份证号码": "身份证号",
    "公民身份号码": "身份证号",
    "手机号码": "手机号",
    "联系电话": "手机号",
    "出生年月": "出生日期",
    "住址": "家庭住址",
    "现住址": "家庭住址",
    "学历": "文化程度",
    "文化层次": "文化程度",
    "所在支部": "所在党组织",
    "所在党支部": "所在党组织",
    "组织关系所在党组织": "所在党组织",
    "是否居住在社区辖区": "是否居住在辖区",
    "是否在辖区居住": "是否居住在辖区",
}

GENDER_LABELS = {Gender.male: "男", Gender.female: "女"}

EDUCATION_LABELS = {
    Education.postgraduate: "研究生",
    Education.bachelor: "大学本科",
    Education.college: "大专",
    Education.secondary: "中专或高中",
    Education.junior_or_below: "初中及以下",
}


YES, NO = "是", "否"

E = TypeVar("E", bound=StrEnum)


def _reverse(labels: dict[E, str], extra: dict[str, E]) -> dict[str, E]:
    return {label: value for value, label in labels.items()} | {v.value: v for v in labels} | extra


GENDERS = _reverse(GENDER_LABELS, {"男性": Gender.male, "女性": Gender.female})
EDUCATIONS = _reverse(
    EDUCATION_LABELS,
    {
        "博士": Education.postgraduate,
        "硕士": Education.postgraduate,
        "博士研究生": Education.postgraduate,
        "硕士研究生": Education.postgraduate,
        "本科": Education.bachelor,
        "大学": Education.bachelor,
        "专科": Education.college,
        "大学专科": Education.college,
        "中专": Education.secondary,
        "高中": Education.secondary,
        "中专/高中": Education.secondary,
        "技校": Education.secondary,
        "职高": Education.secondary,
        "初中": Education.junior_or_below,
        "小学": Education.junior_or_below,
        "文盲": Education.junior_or_below,
    },
)
CATEGORIES = _reverse(
    CATEGORY_LABELS,
    {
        "社区": Category.community,
        "离退休": Category.retired,
        "退休党员": Category.retired,
        "离休党员": Category.retired,
        "在职": Category.in_service,
        "流动": Category.mobile,
        "下岗党员": Category.laid_off,
        "家属": Category.family,
        "复员转业军人党员": Category.veteran,
        "退役军人党员": Category.veteran,
        "非公党员": Category.non_public_economy,
    },
)
YES_NO = {YES: True, NO: False, "Y": True, "N": False, "TRUE": True, "FALSE": False}
YES_NO |= {"1": True, "0": False, "√": True, "×": False}

# 、 is what staff write; commas, semicolons and spaces appear in rosters typed elsewhere.
LIST_SEPARATORS = re.compile(r"[、，,；;\s]+")
TAG_SEPARATORS = re.compile(r"[、，,；;]+")


def canonical_header(raw: str) -> str:
    """A header as typed (``*姓名``, ``身份证号码``, with line breaks) as the canonical one."""
    text = re.sub(r"[\s\u3000*＊]+", "", raw).replace("（必填）", "").replace("(必填)", "")
    return HEADER_ALIASES.get(text, text)
