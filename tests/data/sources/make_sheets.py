"""Writes answers.xlsx (openpyxl) and answers_gb18030.csv (Python's csv module, GB18030 as Excel on a Chinese
Windows saves it) in this folder: an open-answer survey, one row per respondent.

Run from the repository root when the corpus must change:  python tests/data/sources/make_sheets.py
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
HEADER = ["编号", "性别", "年龄", "地区", "填写日期", "开放题1", "开放题2"]
ROWS = [
    ["R001", "女", 34, "成都", dt.date(2026, 5, 1), "社区食堂价格实惠，但菜品种类太少", "希望增加上门理发服务"],
    ["R002", "男", 67, "重庆", dt.date(2026, 5, 2), "我每天都去活动中心下棋。认识了很多新朋友", ""],
    ["R003", "女", 45, "成都", dt.date(2026, 5, 2), "", ""],  # no answer: not a document
    ["R004", "男", 72, "", dt.date(2026, 5, 3), "腿脚不好，\n下楼很困难", "楼里没有电梯"],
    ["R005", "女", 58.0, "绵阳", dt.date(2026, 5, 4), "顶起！！", "没有"],
]


def main() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "问卷"
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    book.create_sheet("说明").append(["本表为测试数据"])
    book.save(HERE / "answers.xlsx")
    with (HERE / "answers_gb18030.csv").open("w", encoding="gb18030", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for row in ROWS:
            writer.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in row])


if __name__ == "__main__":
    main()
