"""Tables and charts as files: CSV (UTF-8 with a BOM, for Excel), XLSX and SVG.

All three are written here, with nothing but the standard library. Text from cases is
data, never markup or formulas: SVG text is escaped, spreadsheet cells are inline
strings (an XLSX cell is never a formula) and a CSV cell that a spreadsheet would read as
a formula (``=``, ``+``, ``-``, ``@``) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal | float | None


def _text(value: Cell) -> str:
    return "" if value is None else str(value)


def csv_bytes(headings: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """CSV with a UTF-8 byte order mark, so that Excel reads Chinese text right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _csv_cell(value: Cell) -> str:
    text = _text(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


# -- XLSX ---------------------------------------------------------------------------------
def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _xml_text(text: str) -> str:
    # XML 1.0 has no place for most control characters; drop them.
    clean = "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 32)
    return escape(clean, {'"': "&quot;"})


def _xlsx_cell(ref: str, value: Cell) -> str:
    if isinstance(value, bool) or value is None:
        value = _text(value) if value is None else str(value)
    if isinstance(value, int | Decimal | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    text = _xml_text(str(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def xlsx_bytes(sheet: str, headings: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A workbook with one sheet: a bold-free header row, then the rows."""
    lines = []
    for r, row in enumerate([list(headings), *(list(x) for x in rows)], start=1):
        cells = "".join(_xlsx_cell(f"{_column(c)}{r}", v) for c, v in enumerate(row))
        lines.append(f'<row r="{r}">{cells}</row>')
    sheet_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(lines)}</sheetData></worksheet>"
    )
    name = _xml_text("".join(ch for ch in sheet if ch not in "[]:*?/\\")[:31] or "Sheet1")
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            # A fixed date: the same table gives the same bytes.
            info = zipfile.ZipInfo(path, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


# -- SVG ----------------------------------------------------------------------------------
def bar_chart_svg(
    title: str,
    bars: Sequence[tuple[str, int | Decimal]],
    *,
    target: Decimal | None = None,
    unit: str = "",
    width: int = 560,
) -> str:
    """A horizontal bar chart as SVG markup: no script, no style element, escaped text.

    ``target`` draws a dashed line at that value (a KPI's handbook target).
    """
    row, label_w, top = 22, 170, 28
    height = top + row * max(1, len(bars)) + 10
    peak = max([Decimal(v) for _, v in bars] + [target or Decimal(0), Decimal(1)])
    scale = Decimal(width - label_w - 60) / peak
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(bars):
        y = top + i * row
        w = int(Decimal(value) * scale)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="11" text-anchor="end">'
            f"{escape(label[:28])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 8}" fill="#3b6ea5"/>'
            f'<text x="{label_w + w + 4}" y="{y + 14}" font-size="11">'
            f"{escape(str(value))}{escape(unit)}</text>"
        )
    if not bars:
        parts.append(f'<text x="{label_w}" y="{top + 14}" font-size="11">—</text>')
    if target is not None:
        x = label_w + int(target * scale)
        parts.append(
            f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{height - 6}" stroke="#b00" '
            f'stroke-dasharray="4 3"/><text x="{x + 3}" y="{top - 6}" font-size="10" '
            f'fill="#b00">{escape(str(target))}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
