"""CSV, XLSX and SVG made by hand: readable by their readers, and inert."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from xml.etree import ElementTree

from estateflow.services._report_files import bar_chart_svg, csv_bytes, xlsx_bytes

HEADINGS = ["編號", "內容", "數量"]
ROWS = [
    ["TS-2026-000001", '=HYPERLINK("http://x")', 3],
    ["TS-2026-000002", "走廊<燈>&", Decimal("2.5")],
]


def test_csv_has_a_bom_and_defuses_formulas():
    data = csv_bytes(HEADINGS, ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADINGS
    assert rows[1] == ["TS-2026-000001", '\'=HYPERLINK("http://x")', "3"]
    assert rows[2] == ["TS-2026-000002", "走廊<燈>&", "2.5"]


def test_xlsx_is_a_workbook_of_inline_strings_and_numbers():
    data = xlsx_bytes('投訴 [2026] "甲"', HEADINGS, ROWS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "[Content_Types].xml" in archive.namelist()
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    assert book.find("m:sheets/m:sheet", ns).get("name") == '投訴 2026 "甲"'
    cells = sheet.findall(".//m:c", ns)
    assert not sheet.findall(".//m:f", ns)  # no formulas, ever
    texts = ["".join(c.itertext()) for c in cells]
    assert texts == [
        *HEADINGS,
        "TS-2026-000001",
        '=HYPERLINK("http://x")',
        "3",
        "TS-2026-000002",
        "走廊<燈>&",
        "2.5",
    ]
    assert [c.get("r") for c in cells][:3] == ["A1", "B1", "C1"]
    assert cells[5].get("t") is None  # a number stays a number


def test_svg_chart_escapes_text_and_carries_no_script():
    svg = bar_chart_svg(
        "回訪率 <script>",
        [("客戶</text><script>alert(1)</script>", Decimal("66.7"))],
        target=Decimal("100"),
        unit="%",
    )
    root = ElementTree.fromstring(svg)  # well-formed
    assert root.tag.endswith("svg")
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert "stroke-dasharray" in svg  # the target line
    assert bar_chart_svg("empty", []).endswith("</svg>")
