"""Workbooks in the shapes real tools save and that broke the writer, built by the tests.

Each builder starts from a small XlsxWriter book (or a zip of given parts) and
rewrites it into the shape another tool produces: namespaces declared on each
element (openpyxl with lxml), ``x:`` prefixes (the Open XML SDK), Strict OOXML,
a ZIP64 end record, a pivot cache and a defined name over a Table, threaded
comments, a digital signature, a user's Table on an output sheet.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import xlsxwriter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_R = "http://purl.oclc.org/ooxml/officeDocument/relationships"

Edit = Callable[[dict[str, bytes]], None]


def plain_book(path: Path, *, output_table: bool = False) -> Path:
    """An input sheet with a Table, a Notes sheet; optionally a user's Table on an output sheet."""
    workbook = xlsxwriter.Workbook(path)
    data = workbook.add_worksheet("Data")
    data.write_row(0, 0, ["account_id", "fit_score"])
    data.write_row(1, 0, ["A1", 80])
    data.write_row(2, 0, ["A2", 55])
    data.add_table(
        "A1:B3", {"name": "Accounts", "columns": [{"header": "account_id"}, {"header": "fit"}]}
    )
    data.write(5, 0, "=SUM(B2:B3)", workbook.add_format({"bold": True}))
    workbook.add_worksheet("Notes").write(0, 0, "keep me")
    if output_table:
        summary = workbook.add_worksheet("Funnel Summary")
        summary.write_row(30, 0, ["target", "value"])
        summary.write_row(31, 0, ["pipeline", 1000])
        summary.add_table(
            "A31:B32",
            {"name": "MyTargets", "columns": [{"header": "target"}, {"header": "value"}]},
        )
        workbook.define_name("TargetValues", "=MyTargets[value]")
    workbook.close()
    return path


def rewrite(path: Path, edit: Edit) -> Path:
    """Apply ``edit`` to the parts of the zip at ``path`` (in place, order kept)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    edit(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def r_declared_per_sheet(parts: dict[str, bytes]) -> None:
    """openpyxl (with lxml) / Open XML SDK: xmlns:r on each <sheet>, not on the root."""
    text = parts["xl/workbook.xml"].decode()
    text = text.replace(f' xmlns:r="{R}"', "", 1)
    text = re.sub(r"<sheet ", f'<sheet xmlns:r="{R}" ', text)
    assert f'xmlns:r="{R}"' in text and "<workbook xmlns:r" not in text
    parts["xl/workbook.xml"] = text.encode()


_UNPREFIXED_TAG = re.compile(r"<(/?)(?![?!])([A-Za-z][\w]*)(?=[\s/>])")


def _prefix_main(text: str, prefix: str) -> str:
    text = text.replace(f'xmlns="{MAIN}"', f'xmlns:{prefix}="{MAIN}"')
    return _UNPREFIXED_TAG.sub(rf"<\1{prefix}:\2", text)


def x_prefixed(parts: dict[str, bytes]) -> None:
    """The Open XML SDK: SpreadsheetML elements with an ``x:`` prefix, no default namespace."""
    for name in list(parts):
        if re.fullmatch(
            r"xl/(workbook|styles|sharedStrings|worksheets/sheet\d+|tables/table\d+)\.xml", name
        ):
            parts[name] = _prefix_main(parts[name].decode(), "x").encode()


def strict(parts: dict[str, bytes]) -> None:
    """ISO 29500 Strict: purl.oclc.org namespaces and relationship types."""
    for name in list(parts):
        if name.endswith((".xml", ".rels")):
            text = parts[name].decode()
            text = text.replace(MAIN, STRICT_MAIN).replace(R, STRICT_R)
            parts[name] = text.encode()


def _add_part(parts: dict[str, bytes], name: str, content_type: str, data: str) -> None:
    parts[name] = data.encode()
    types = parts["[Content_Types].xml"].decode()
    override = f'<Override PartName="/{name}" ContentType="{content_type}"/>'
    parts["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode()


def _add_rel(parts: dict[str, bytes], rels: str, rid: str, kind: str, target: str) -> None:
    text = parts.get(rels, b"").decode() or (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'
    )
    element = f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
    parts[rels] = text.replace("</Relationships>", element + "</Relationships>").encode()


def pivot_cache_over(table: str, sheet: str) -> Edit:
    """A pivot cache whose source is a Table (as Excel writes it), listed in workbook.xml."""

    def edit(parts: dict[str, bytes]) -> None:
        _add_part(
            parts,
            "xl/pivotCache/pivotCacheDefinition1.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.pivotCacheDefinition+xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<pivotCacheDefinition xmlns="{MAIN}" xmlns:r="{R}" refreshOnLoad="1"'
            ' recordCount="0"><cacheSource type="worksheet">'
            f'<worksheetSource name="{table}"/></cacheSource>'
            '<cacheFields count="1"><cacheField name="value" numFmtId="0">'
            "<sharedItems/></cacheField></cacheFields></pivotCacheDefinition>",
        )
        _add_rel(
            parts,
            "xl/_rels/workbook.xml.rels",
            "rIdPivot1",
            f"{R}/pivotCacheDefinition",
            "pivotCache/pivotCacheDefinition1.xml",
        )
        text = parts["xl/workbook.xml"].decode()
        caches = '<pivotCaches><pivotCache cacheId="7" r:id="rIdPivot1"/></pivotCaches>'
        text = text.replace("</workbook>", caches + "</workbook>")
        parts["xl/workbook.xml"] = text.encode()
        assert sheet  # documents where the table is; the cache names only the table

    return edit


def threaded_comments(parts: dict[str, bytes]) -> None:
    """Excel 365 threaded comments (and the persons list) on the Notes sheet."""
    ms = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
    _add_part(
        parts,
        "xl/threadedComments/threadedComment1.xml",
        "application/vnd.ms-excel.threadedcomments+xml",
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ThreadedComments xmlns="{ms}">'
        '<threadedComment ref="A1" dT="2026-11-01T10:00:00.00" personId="{0}" '
        'id="{1}"><text>why this number?</text></threadedComment></ThreadedComments>',
    )
    _add_part(
        parts,
        "xl/persons/person.xml",
        "application/vnd.ms-excel.person+xml",
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<personList xmlns="{ms}">'
        '<person displayName="Analyst" id="{0}" userId="analyst" providerId="None"/>'
        "</personList>",
    )
    _add_rel(
        parts,
        "xl/worksheets/_rels/sheet2.xml.rels",
        "rIdTc1",
        "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
        "../threadedComments/threadedComment1.xml",
    )
    _add_rel(
        parts,
        "xl/_rels/workbook.xml.rels",
        "rIdPerson1",
        "http://schemas.microsoft.com/office/2017/10/relationships/person",
        "persons/person.xml",
    )


def slicer(parts: dict[str, bytes]) -> None:
    """A slicer on the Data sheet's Table: its cache is listed in the workbook's extLst."""
    x14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
    ms_rels = "http://schemas.microsoft.com/office/2007/relationships"
    _add_part(
        parts,
        "xl/slicerCaches/slicerCache1.xml",
        "application/vnd.ms-excel.slicerCache+xml",
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<slicerCacheDefinition '
        f'xmlns="{x14}" name="Slicer_account_id" sourceName="account_id">'
        '<extLst><x:ext xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'uri="{2F2917AC-EB37-4324-AD4E-5DD8C200BD13}"><x15:tableSlicerCache '
        'xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main" '
        'tableId="1" column="1"/></x:ext></extLst></slicerCacheDefinition>',
    )
    _add_part(
        parts,
        "xl/slicers/slicer1.xml",
        "application/vnd.ms-excel.slicer+xml",
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<slicers xmlns="{x14}">'
        '<slicer name="account_id" cache="Slicer_account_id" caption="account_id" '
        'rowHeight="241300"/></slicers>',
    )
    _add_rel(
        parts, "xl/_rels/workbook.xml.rels", "rIdSc1", f"{ms_rels}/slicerCache",
        "slicerCaches/slicerCache1.xml",
    )  # fmt: skip
    _add_rel(
        parts, "xl/worksheets/_rels/sheet1.xml.rels", "rIdSl1", f"{ms_rels}/slicer",
        "../slicers/slicer1.xml",
    )  # fmt: skip
    ext = (
        '<extLst><ext uri="{BBE1A952-AA13-448e-AADC-164F8A28A991}" '
        f'xmlns:x14="{x14}"><x14:slicerCaches><x14:slicerCache r:id="rIdSc1"/>'
        "</x14:slicerCaches></ext></extLst>"
    )
    text = parts["xl/workbook.xml"].decode()
    text = re.sub(r"<calcPr[^>]*/>", "", text).replace("</workbook>", ext + "</workbook>")
    parts["xl/workbook.xml"] = text.encode()


def signed(parts: dict[str, bytes]) -> None:
    """An XML digital signature (the parts Excel writes when the user signs the book)."""
    sig = "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature"
    _add_part(
        parts,
        "_xmlsignatures/sig1.xml",
        "application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#" Id="idPackageSignature">'
        "<SignedInfo/><SignatureValue>AAAA</SignatureValue></Signature>",
    )
    parts["_xmlsignatures/origin.sigs"] = b""
    types = (
        parts["[Content_Types].xml"]
        .decode()
        .replace(
            "</Types>",
            '<Default Extension="sigs" ContentType='
            '"application/vnd.openxmlformats-package.digital-signature-origin"/></Types>',
        )
    )
    parts["[Content_Types].xml"] = types.encode()
    _add_rel(parts, "_rels/.rels", "rIdSig", f"{sig}/origin", "_xmlsignatures/origin.sigs")
    _add_rel(parts, "_xmlsignatures/_rels/origin.sigs.rels", "rId1", f"{sig}/signature", "sig1.xml")


def with_zip64_end_record(path: Path) -> Path:
    """Rewrite a small zip the way tools that always write ZIP64 do.

    Every central-directory entry gets its sizes and offset as 0xFFFFFFFF with
    the real values in a ZIP64 extra field, and the end of the archive gets a
    ZIP64 end record and locator, the 32-bit end record pointing to them
    (0xFFFF entries, 0xFFFFFFFF size and offset).
    """
    data = path.read_bytes()
    end_at = data.rfind(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HLL", data, end_at + 10)
    directory = data[cd_offset : cd_offset + cd_size]
    entries, pos = [], 0
    for _ in range(count):
        fields = list(struct.unpack_from("<4sHHHHHHLLLHHHHHLL", directory, pos))
        name_len, extra_len, comment_len = fields[10], fields[11], fields[12]
        body = directory[pos + 46 : pos + 46 + name_len + extra_len + comment_len]
        name, extra, comment = (
            body[:name_len],
            body[name_len : name_len + extra_len],
            body[name_len + extra_len :],
        )
        zip64 = struct.pack("<HHQQQ", 1, 24, fields[9], fields[8], fields[16])
        fields[8] = fields[9] = fields[16] = 0xFFFFFFFF
        fields[1] = fields[2] = 45  # version made by / needed: ZIP64
        fields[11] = extra_len + len(zip64)
        entries.append(struct.pack("<4sHHHHHHLLLHHHHHLL", *fields) + name + extra + zip64 + comment)
        pos += 46 + name_len + extra_len + comment_len
    new_directory = b"".join(entries)
    zip64_end_at = cd_offset + len(new_directory)
    zip64_end = struct.pack(
        "<4sQHHLLQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(new_directory), cd_offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, zip64_end_at, 1)
    end = struct.pack("<4sHHHHLLH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path.write_bytes(data[:cd_offset] + new_directory + zip64_end + locator + end)
    with zipfile.ZipFile(path) as archive:  # Python's reader takes it: a valid archive
        assert archive.testzip() is None
    return path
