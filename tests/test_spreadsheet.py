"""Each year's cases-YEAR.csv opened by real LibreOffice (Debian's libreoffice-calc-nogui): read back from the .xlsx it saves."""
from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from amends import cli
from amends.cases.project import load_project

from conftest import TODAY, write_case
from test_exports import FORMULA_CASE, front_matters

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
EPOCH = date(1899, 12, 30)  # day 0 of a spreadsheet's dates
# Comma, double quote, UTF-8 (76), from line 1: the CSV import with its other options as they come.
CSV_IMPORT = "CSV:44,34,76,1"
# Opened the year before the samples: in a file of its own.
PLUS_CASE = FORMULA_CASE.replace("'=HYPERLINK(\"http://evil.example\",\"click\")'", "'+1+SUM(2)'").replace(
    '"@Eve Example"', "Ærø Ævensen").replace('"-2+3"', "'=1+1'").replace("opened: 2026-03-01", "opened: 2025-03-01")


def column(ref: str) -> int:
    """0 for the A of 'A7', 26 for AA."""
    number = 0
    for letter in ref.rstrip("0123456789"):
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def convert(csv_file: Path, out: Path) -> list[list[tuple[str, str]]]:
    """Every row of the sheet LibreOffice makes of `csv_file`: (kind, text) per cell, kind 'f' for a formula,
    ("", "") for an empty one."""
    if shutil.which("soffice") is None:
        pytest.fail("soffice is missing: `make test` installs libreoffice-calc-nogui")
    subprocess.run(["soffice", f"-env:UserInstallation=file://{out / 'profile'}", "--headless",
                    f"--infilter={CSV_IMPORT}", "--convert-to", "xlsx", "--outdir", str(out), str(csv_file)],
                   check=True, capture_output=True, timeout=120)
    with zipfile.ZipFile(out / (csv_file.stem + ".xlsx")) as book:
        shared = ["".join(t.text or "" for t in si.iter(f"{NS}t"))
                  for si in ET.fromstring(book.read("xl/sharedStrings.xml")).iter(f"{NS}si")]
        sheet = ET.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{NS}row"):
        cells: list[tuple[str, str]] = []
        for c in row.iter(f"{NS}c"):
            cells += [("", "")] * (column(c.get("r")) - len(cells))
            formula, value = c.find(f"{NS}f"), c.find(f"{NS}v")
            if formula is not None:
                cells.append(("f", formula.text))
            elif c.get("t") == "s":
                cells.append(("s", shared[int(value.text)]))
            else:
                cells.append(("n", value.text if value is not None else ""))
        rows.append(cells)
    return rows


def test_libreoffice_opens_each_years_csv_as_written(demo_root, tmp_path):
    write_case(demo_root, "2026-03-01-formula.md", FORMULA_CASE)
    write_case(demo_root, "2025-03-01-plus.md", PLUS_CASE)
    assert cli.main(["--root", str(demo_root), "--today", TODAY.isoformat()]) == 0
    cases = load_project(demo_root, TODAY).cases
    files = sorted((demo_root / "site").glob("cases-*.csv"))
    assert [f.name for f in files] == ["cases-2025.csv", "cases-2026.csv"]
    sheet = {}
    for csv_file in files:
        data = csv_file.read_bytes()
        assert data.startswith(b"\xef\xbb\xbfid,"), "no BOM: LibreOffice and Excel would read the file as Latin-1"
        head, *body = convert(csv_file, tmp_path)
        names = [text for _, text in head]
        body = [row + [("", "")] * (len(names) - len(row)) for row in body]
        assert names[0] == "id"
        rows = {dict(zip(names, row))["path"][1]: dict(zip(names, row)) for row in body}
        # Each file holds its year's cases, and is whole on its own.
        assert sorted(rows) == sorted(c.path for c in cases if f"cases-{c.opened.year}.csv" == csv_file.name)
        sheet.update(rows)
    assert len(sheet) == len(cases)
    formulas = [(path, name) for path, row in sheet.items() for name, (kind, _) in row.items() if kind == "f"]
    assert formulas == [], formulas
    for path, fm in front_matters(demo_root).items():
        row = sheet[path]
        assert row["customer_name"][1] in (fm["customer"]["name"], "'" + fm["customer"]["name"]), path
        if fm["customer"].get("phone"):
            assert row["customer_phone"] == ("s", fm["customer"]["phone"]), path
        title = row["title"][1]
        assert title == fm["title"] or (fm["title"][0] in "=+-@" and title == "'" + fm["title"]), path
        assert row["opened"] == ("n", str((fm["opened"] - EPOCH).days)), path
        amounts = {name: cell for name, cell in row.items() if name.startswith("compensation_") and cell[1]}
        assert all(kind == "n" for kind, _ in amounts.values()), (path, amounts)
        assert bool(amounts) == any(g.get("amount") is not None for g in fm.get("accommodation", [])), path
    assert sheet["cases/2025-03-01-plus.md"]["customer_name"] == ("s", "Ærø Ævensen")
    assert Decimal(sheet["cases/2026-03-01-formula.md"]["compensation_EUR"][1]) == Decimal("7.50")
