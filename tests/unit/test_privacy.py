"""Masking of personal data: what must disappear, what must survive untouched."""

from __future__ import annotations

from typing import Any

import pytest

from harvester.privacy import mask_name, mask_record, mask_text


@pytest.mark.parametrize(("text", "masked"), [
    ("我的电话13812345678，盼回复", "我的电话138****5678，盼回复"),
    ("手机：138-1234-5678", "手机：138****5678"),
    ("请拨 +86 139 1234 5678", "请拨 +86 139****5678"),
    ("座机0571-87654321转808", "座机0571-****4321转808"),
    ("电话(010)12345678", "电话(010)****5678"),
    ("身份证110105199001011234。", "身份证110105********1234。"),
    ("身份证号：11010519900101123X", "身份证号：110105********123X"),
    ("邮箱 zhang.san@example.com.cn 联系", "邮箱 z***@example.com.cn 联系"),
    ("发至13812345678@163.com", "发至1***@163.com"),
    ("联系人：张三，电话：13912345678", "联系人：张**，电话：139****5678"),
    ("姓名:李四", "姓名:李**"),
    ("姓 名：欧阳小明", "姓 名：欧阳**"),
    ("来信人：王小明 反映如下", "来信人：王** 反映如下"),
])
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", [
    "2025-10-01 12:30:45 提交，2025年10月1日受理",
    "信件编号XF20261118-0031，原编号G20181227-0026",
    "https://liuyan.people.com.cn/threads/content?tid=25445483",
    "时间戳1732512345678，金额13800元，热线12345",
    "请联系人员配合处理",
    "来信人：陈***",
    "",
])
def test_dates_letter_numbers_and_ids_are_untouched(text: str) -> None:
    assert mask_text(text) == text


def test_masking_twice_changes_nothing_more() -> None:
    once = mask_text("联系人：欧阳小明 13812345678 0571-87654321 a@b.cn 110105199001011234")
    assert mask_text(once) == once
    assert "13812345678" not in once and "87654321" not in once and "小明" not in once


@pytest.mark.parametrize(("name", "masked"), [
    ("王小明", "王**"), ("张三", "张**"), ("欧阳修", "欧阳**"), ("陈***", "陈***"), ("", ""), (None, None),
])
def test_mask_name_keeps_only_the_surname(name: str | None, masked: str | None) -> None:
    assert mask_name(name) == masked


def test_mask_record_masks_author_text_and_replies_without_touching_the_input() -> None:
    record: dict[str, Any] = {
        "platform": "jact", "external_id": "25445483", "letter_no": "XF20261118-0031",
        "title": "13812345678 反映噪音", "body": "联系人：张三，身份证110105199001011234",
        "author": "李四",
        "replies": [
            {"organisation": "市城管局", "text": "已电话联系13812345678。", "official": True},
            {"organisation": None, "text": "谢谢", "author": "李四", "official": False},
        ],
    }
    masked = mask_record(record)
    assert masked["author"] == "李**"
    assert masked["title"] == "138****5678 反映噪音"
    assert masked["body"] == "联系人：张**，身份证110105********1234"
    assert masked["replies"][0] == {"organisation": "市城管局", "text": "已电话联系138****5678。",
                                    "official": True}
    assert masked["replies"][1]["author"] == "李**"
    assert masked["external_id"] == "25445483" and masked["letter_no"] == "XF20261118-0031"
    assert record["author"] == "李四" and record["replies"][0]["text"] == "已电话联系13812345678。"


def test_mask_record_field_choice() -> None:
    record = {"author": "王小明", "contact": "赵六", "title": "13812345678", "note": "13812345678"}
    masked = mask_record(record, fields=("contact",), text_fields=("note",))
    assert masked == {"author": "王小明", "contact": "赵**", "title": "13812345678", "note": "138****5678"}
