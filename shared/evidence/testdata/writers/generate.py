#!/usr/bin/env python3
"""Writes the evidence workbook of the fixture set with each writer that is a registry package,
the way a developer following the test set's LEEME.txt would: xlwt (.xls, BIFF8, the screenshot
inserted with ``insert_bitmap``, which stores OBJ + IMDATA records), openpyxl (.xlsx, one-cell,
two-cell and absolute anchors) and XlsxWriter (.xlsx, two-cell anchor). Plus one workbook without
any picture per format, and one whose screenshot is on tab 2, which must still be refused with
SIN_CAPTURAS. Also writes fuzz seeds (../../fuzz/seeds/).

The contents of tabs 1, 2 and 4 (base64 zip of the avisos JSON, results, unsealed CFDI) are
copied from ../evidencias.xlsx, the Rust generator's valid sample for the fixture set (a test
checks it still equals the generator's output), so these fixtures answer the same set.

    python3 -m venv /tmp/writers && /tmp/writers/bin/pip install -r requirements.txt
    /tmp/writers/bin/python generate.py

CI does not run this: the generated files are committed and read by tests/writers.rs.
"""

import datetime
import io
import os
import re
import struct
import sys
import tempfile
import zipfile

import openpyxl
import xlsxwriter
import xlwt
from openpyxl.drawing.image import Image as OpenpyxlImage
from openpyxl.drawing.spreadsheet_drawing import (
    AbsoluteAnchor,
    AnchorMarker,
    OneCellAnchor,
    TwoCellAnchor,
)
from openpyxl.drawing.xdr import XDRPoint2D, XDRPositiveSize2D
from openpyxl.utils.units import pixels_to_EMU
from PIL import Image as PilImage

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "evidencias.xlsx")
TABS = ["1 Avisos JSON", "2 Resultados", "3 Pantallas", "4 CFDI"]
# Fixed dates so a rerun changes nothing but what the writers themselves change.
CREATED = datetime.datetime(2026, 11, 23, 12, 0, 0)
WIDTH, HEIGHT = 24, 16


def contents():
    """Each tab's cells as {tab: [(row, col, value)]} (0-based), from the generator's sample."""
    book = openpyxl.load_workbook(SOURCE, read_only=True, data_only=True)
    out = {}
    for name in TABS:
        cells = []
        for row in book[name].iter_rows():
            for cell in row:
                if cell.value is not None:
                    cells.append((cell.row - 1, cell.column - 1, cell.value))
        out[name] = cells
    book.close()
    return out


def pixel(x, y):
    """A tiny "screenshot": a title bar, a window and a table of rows."""
    if y < 3:
        return (0x1F, 0x4E, 0x79)
    if x in (0, WIDTH - 1) or y == HEIGHT - 1:
        return (0x80, 0x80, 0x80)
    return (0xFF, 0xFF, 0xFF) if (y // 2) % 2 else (0xDD, 0xEB, 0xF7)


def bmp_24bit():
    """A 24-bit uncompressed BMP (BITMAPINFOHEADER), the only kind xlwt's insert_bitmap takes."""
    stride = (WIDTH * 3 + 3) // 4 * 4
    rows = []
    for y in reversed(range(HEIGHT)):  # bottom-up
        row = b"".join(bytes((b, g, r)) for (r, g, b) in (pixel(x, y) for x in range(WIDTH)))
        rows.append(row + b"\0" * (stride - len(row)))
    pixels = b"".join(rows)
    header = struct.pack("<IiiHHIIiiII", 40, WIDTH, HEIGHT, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    size = 14 + len(header) + len(pixels)
    return struct.pack("<2sIHHI", b"BM", size, 0, 0, 14 + len(header)) + header + pixels


def png():
    image = PilImage.new("RGB", (WIDTH, HEIGHT))
    image.putdata([pixel(x, y) for y in range(HEIGHT) for x in range(WIDTH)])
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def write_xlwt(path, cells, picture_tab):
    book = xlwt.Workbook(encoding="utf-8")
    sheets = {name: book.add_sheet(name) for name in TABS}
    for name in TABS:
        for row, col, value in cells[name]:
            sheets[name].write(row, col, value)
    if picture_tab is not None:
        with tempfile.TemporaryDirectory() as tmp:
            bmp = os.path.join(tmp, "pantalla.bmp")
            with open(bmp, "wb") as f:
                f.write(bmp_24bit())
            # What the developer of the bug report did: a bitmap on tab 3, from a file.
            sheets[TABS[picture_tab]].insert_bitmap(bmp, 1, 1)
    book.save(path)


def write_openpyxl(path, cells, anchor):
    book = openpyxl.Workbook()
    book.remove(book.active)
    book.properties.created = CREATED
    book.properties.modified = CREATED
    for name in TABS:
        sheet = book.create_sheet(name)
        for row, col, value in cells[name]:
            sheet.cell(row=row + 1, column=col + 1, value=value)
    if anchor:
        image = OpenpyxlImage(io.BytesIO(png()))
        size = XDRPositiveSize2D(pixels_to_EMU(WIDTH), pixels_to_EMU(HEIGHT))
        if anchor == "one-cell":
            image.anchor = OneCellAnchor(_from=AnchorMarker(col=1, row=1), ext=size)
        elif anchor == "two-cell":
            image.anchor = TwoCellAnchor(
                editAs="oneCell",
                _from=AnchorMarker(col=1, row=1),
                to=AnchorMarker(col=3, row=4),
            )
        elif anchor == "absolute":
            image.anchor = AbsoluteAnchor(
                pos=XDRPoint2D(pixels_to_EMU(80), pixels_to_EMU(40)), ext=size
            )
        else:
            raise ValueError(anchor)
        book[TABS[2]].add_image(image)
    book.save(path)
    fix_zip_times(path)


def write_xlsxwriter(path, cells, picture):
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False, "strings_to_urls": False})
    book.set_properties({"created": CREATED})
    sheets = {name: book.add_worksheet(name) for name in TABS}
    for name in TABS:
        for row, col, value in cells[name]:
            if isinstance(value, str):
                sheets[name].write_string(row, col, value)
            else:
                sheets[name].write_number(row, col, value)
    if picture:
        sheets[TABS[2]].insert_image(1, 1, "pantalla.png", {"image_data": io.BytesIO(png())})
    book.close()


def fix_zip_times(path):
    """openpyxl stamps each zip entry and the document's `modified` with the current time: use
    a fixed one, so a rerun gives the same bytes."""
    with zipfile.ZipFile(path) as z:
        entries = [(info, z.read(info.filename)) for info in z.infolist()]
    stamp = CREATED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    entries = [
        (info, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data))
        if info.filename == "docProps/core.xml"
        else (info, data)
        for info, data in entries
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 23, 12, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(fixed, data)


def write_fuzz_seeds(cells):
    """Seeds for the fuzzers (../../fuzz/seeds/): the writers' workbooks for workbook_check, and
    xlwt's "Workbook" stream (OBJ + IMDATA on tab 3) for xls_stream."""
    seeds = os.path.join(HERE, "..", "..", "fuzz", "seeds")
    for name in ("xlwt.xls", "openpyxl-absolute.xlsx", "xlsxwriter.xlsx"):
        with open(os.path.join(HERE, name), "rb") as f:
            data = f.read()
        with open(os.path.join(seeds, "workbook_check", "writer-" + name), "wb") as f:
            f.write(data)
    book = xlwt.Workbook(encoding="utf-8")
    sheets = {name: book.add_sheet(name) for name in TABS}
    for name in TABS:
        for row, col, value in cells[name]:
            sheets[name].write(row, col, value)
    sheets[TABS[2]].insert_bitmap_data(bmp_24bit(), 1, 1)
    with open(os.path.join(seeds, "xls_stream", "xlwt-workbook.bin"), "wb") as f:
        f.write(book.get_biff_data())


def main():
    cells = contents()
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    jobs = [
        ("xlwt.xls", lambda p: write_xlwt(p, cells, 2)),
        ("xlwt-sin-captura.xls", lambda p: write_xlwt(p, cells, None)),
        # The screenshot on tab 2: tab 3 still has none.
        ("xlwt-captura-en-pestana-2.xls", lambda p: write_xlwt(p, cells, 1)),
        ("openpyxl.xlsx", lambda p: write_openpyxl(p, cells, "one-cell")),
        ("openpyxl-two-cell.xlsx", lambda p: write_openpyxl(p, cells, "two-cell")),
        ("openpyxl-absolute.xlsx", lambda p: write_openpyxl(p, cells, "absolute")),
        ("openpyxl-sin-captura.xlsx", lambda p: write_openpyxl(p, cells, None)),
        ("xlsxwriter.xlsx", lambda p: write_xlsxwriter(p, cells, True)),
    ]
    for name, write in jobs:
        path = os.path.join(out, name)
        write(path)
        print(f"{os.path.getsize(path):>7} {name}")
    if out == HERE:
        write_fuzz_seeds(cells)
    versions = {
        "xlwt": xlwt.__VERSION__,
        "openpyxl": openpyxl.__version__,
        "XlsxWriter": xlsxwriter.__version__,
    }
    print(" ".join(f"{k}=={v}" for k, v in versions.items()))


if __name__ == "__main__":
    main()
