"""The zip under a workbook: parts are inflated only when read, and a part saved
unchanged keeps its compressed bytes, CRC and sizes (issue 16)."""

from __future__ import annotations

import io
import re
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sheetsync.adapters.xlsx_history import append_rows, splices, tail_of
from sheetsync.adapters.xlsx_package import BadPackage, Member, Package, splice, zip_members
from sheetsync.domain.values import CellValue

RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
BIG = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i) for i in range(1, 5000))


class _Stream(io.RawIOBase):
    """A file without seek: zipfile writes a data descriptor after each member."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.buffer += b
        return len(b)


def _zip(streamed: bool = False) -> bytes:
    """A zip as programs write them: deflated and stored members, a UTF-8 name, a
    folder entry, and (``streamed``) data descriptors."""
    out: io.BytesIO | _Stream = _Stream() if streamed else io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:  # type: ignore[arg-type]
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/media/", b"")
        z.writestr("xl/worksheets/sheet1.xml", BIG)
        z.writestr("xl/media/image1.png", b"\x89PNG" + bytes(range(256)), zipfile.ZIP_STORED)
        z.writestr("xl/Übersicht/données.xml", "<a>é</a>".encode(), zipfile.ZIP_DEFLATED, 9)
    return bytes(out.buffer) if isinstance(out, _Stream) else out.getvalue()


def _raw(data: bytes) -> dict[str, tuple[int, int, int, bytes]]:
    return {name: (m.method, m.crc, m.size, bytes(m.raw)) for name, m in zip_members(data).items()}


@pytest.mark.parametrize("streamed", [False, True], ids=["sized", "data-descriptors"])
def test_a_save_without_changes_copies_every_member_compressed_as_it_was(
    streamed: bool, tmp_path: Path
) -> None:
    source = _zip(streamed)
    saved = Package(source).save()
    assert _raw(saved) == _raw(source)  # compressed bytes, method, CRC and size
    with zipfile.ZipFile(io.BytesIO(saved)) as z:
        assert z.testzip() is None
        assert z.read("xl/Übersicht/données.xml") == "<a>é</a>".encode()
        assert z.getinfo("xl/media/image1.png").compress_type == zipfile.ZIP_STORED
        assert z.getinfo("xl/Übersicht/données.xml").flag_bits & 0x800  # a UTF-8 name
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
    (tmp_path / "w.zip").write_bytes(saved)
    test = subprocess.run(["unzip", "-t", str(tmp_path / "w.zip")], capture_output=True)
    assert test.returncode == 0, test.stdout + test.stderr
    assert Package(saved).save() == saved  # deterministic


def test_a_part_is_inflated_only_when_read() -> None:
    """A damaged member nobody reads costs nothing and is carried over as it was;
    reading it is one clear error."""
    source = bytearray(_zip())
    at = source.find(b"PK\x03\x04", source.find(b"xl/worksheets/sheet1.xml") - 30)
    data_at = at + 30 + len(b"xl/worksheets/sheet1.xml")
    source[data_at + 10 : data_at + 20] = b"\xff" * 10
    pkg = Package(bytes(source))
    assert pkg.has("xl/worksheets/sheet1.xml")
    saved = pkg.save()
    assert (
        _raw(saved)["xl/worksheets/sheet1.xml"] == _raw(bytes(source))["xl/worksheets/sheet1.xml"]
    )
    with pytest.raises(BadPackage, match=r"sheet1\.xml: damaged"):
        pkg.read("xl/worksheets/sheet1.xml")


def test_a_changed_part_is_deflated_again_and_the_others_copied() -> None:
    source = _zip()
    pkg = Package(source)
    pkg.write("xl/worksheets/sheet1.xml", BIG + b"<row/>")
    pkg.write("xl/new.xml", b"<new/>")
    assert pkg.tree("xl/Übersicht/données.xml").text == "é"  # parsed, not changed
    saved = pkg.save()
    before, after = _raw(source), _raw(saved)
    assert after["xl/media/image1.png"] == before["xl/media/image1.png"]
    assert after["xl/Übersicht/données.xml"][0] == zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(io.BytesIO(saved)) as z:
        assert z.testzip() is None
        assert z.read("xl/worksheets/sheet1.xml") == BIG + b"<row/>"
        assert z.read("xl/new.xml") == b"<new/>"
        assert z.namelist()[-1] == "xl/new.xml"
    assert after["xl/worksheets/sheet1.xml"][1] == zlib.crc32(BIG + b"<row/>")


def test_a_parsed_part_whose_xml_is_the_same_is_copied() -> None:
    """Parsed to be read (the workbook, its relationships) and not changed: the
    bytes sheetsync would write are the file's, so the member is copied (here a
    stored one stays stored); once changed, it is deflated."""
    xml = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n<x/>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/x.xml", xml)
    pkg = Package(buffer.getvalue())
    pkg.tree("xl/x.xml")
    assert _raw(pkg.save())["xl/x.xml"] == (zipfile.ZIP_STORED, zlib.crc32(xml), len(xml), xml)
    pkg.tree("xl/x.xml").set("changed", "1")
    assert _raw(pkg.save())["xl/x.xml"][0] == zipfile.ZIP_DEFLATED


def test_zip64_and_encrypted_files_are_refused_not_rewritten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # zip64 records for 2 members
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("_rels/.rels", RELS)
        z.writestr("a.xml", b"<a/>")
    monkeypatch.undo()
    with pytest.raises(BadPackage, match="zip64"):
        Package(buffer.getvalue())

    encrypted = bytearray(_zip())
    central = encrypted.find(b"PK\x01\x02")
    (flags,) = struct.unpack_from("<H", encrypted, central + 8)
    struct.pack_into("<H", encrypted, central + 8, flags | 1)
    with pytest.raises(BadPackage, match="encrypted"):
        Package(bytes(encrypted))
    with pytest.raises(BadPackage, match="not a zip"):
        Package(b"PK\x03\x04 not a zip at all")


@given(
    data=st.binary(max_size=300),
    cuts=st.lists(st.tuples(st.integers(0, 300), st.integers(0, 20), st.binary(max_size=8))),
    size=st.integers(1, 40),
)
def test_splicing_a_part_piece_by_piece_is_splicing_it_whole(
    data: bytes, cuts: list[tuple[int, int, bytes]], size: int
) -> None:
    """History's rows are appended to the file's XML read in pieces: whatever
    the pieces, the bytes are those of the splices made on the whole."""
    splices, at = [], 0
    for start, length, new in sorted(cuts):
        start = max(start, at)
        if start > len(data):
            break
        end = min(start + length, len(data))
        splices.append((start, end, new))
        at = end if end > start else start + 1  # insertions apart from each other
    whole, pos = b"", 0
    for start, end, new in splices:
        whole += data[pos:start] + new
        pos = end
    whole += data[pos:]
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    assert b"".join(splice(chunks, splices)) == whole


def test_a_member_inflated_in_pieces_is_checked_like_a_whole_one() -> None:
    member = zip_members(_zip())["xl/worksheets/sheet1.xml"]
    assert b"".join(member.chunks(size=1000)) == BIG
    damaged = bytearray(_zip())
    at = damaged.find(b"xl/worksheets/sheet1.xml") + len(b"xl/worksheets/sheet1.xml")
    damaged[at + 200 : at + 210] = b"\x00" * 10
    with pytest.raises(BadPackage, match=r"sheet1\.xml: damaged"):
        b"".join(zip_members(bytes(damaged))["xl/worksheets/sheet1.xml"].chunks(size=1000))


def test_rows_appended_to_a_part_not_held_are_spliced_into_the_files_bytes() -> None:
    """A History read, let go (``forget``), then appended to: the saved part is
    the file's XML with the rows in place, as an append in memory makes it, and
    the part was never inflated whole again (searching it goes piece by piece)."""
    part = "xl/worksheets/sheet1.xml"
    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="A1:A4999"/><sheetData>' + BIG + b'<row r="5000" s="1"/>'
        b'<row r="5003"><c r="B5003" s="2"/></row></sheetData></worksheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_rels/.rels", RELS)
        z.writestr(part, xml)
    rows: list[list[CellValue]] = [["new"], [7]]
    expected = append_rows(xml, rows, 4999)
    pkg = Package(buffer.getvalue())
    tail = tail_of(pkg.read(part), 4999)
    pkg.forget(part)
    assert not pkg.search(part, re.compile(rb"<f>")) and pkg.search(part, re.compile(rb'r="5003"'))
    pkg.write_spliced(part, splices(tail, rows))
    assert "xl/worksheets/sheet1.xml" not in pkg._plain  # nothing inflated whole
    with zipfile.ZipFile(io.BytesIO(pkg.save())) as z:
        saved = z.read(part)
    assert saved == expected
    assert b'<row r="5000"><c r="A5000" t="inlineStr">' in saved  # the empty row made way
    assert saved.index(b'r="5001"') < saved.index(b'r="5003"')  # before a program's row
    assert b"<dimension" not in saved
    assert pkg.read(part) == expected  # read back after the splice: the same bytes


def test_a_member_inflated_in_small_pieces_gives_all_its_bytes() -> None:
    """The last piece may still be in the inflater when the compressed bytes are
    all read: it is drained, not taken for a member cut short."""
    for n in range(1, 1500, 7):
        data = (b'<row r="%d"><c>abc</c></row>' % n) * n + bytes(range(n % 50))
        deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        raw = deflater.compress(data) + deflater.flush()
        member = Member("x", 8, zlib.crc32(data), len(data), memoryview(raw))
        for size in (64, 100):
            assert b"".join(member.chunks(size)) == data, (n, size)


def test_tabs_looked_up_follow_every_change_to_the_workbooks_tabs() -> None:
    """A write looks up the workbook's tabs once per page, from relationships it
    remembers: each change to them (a tab added, dropped, renamed, saved and read
    again) is what the next lookup sees."""
    from lxml import etree

    from sheetsync.adapters.xlsx_rename import rename_sheet
    from sheetsync.adapters.xlsx_skeleton import new_package

    def blank() -> etree._Element:
        return etree.fromstring(
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData/></worksheet>"
        )

    pkg = new_package()
    first = pkg.add_sheet("Ana", blank())
    assert pkg.sheet("Ana") is not None and pkg.sheet("Ana").part == first  # type: ignore[union-attr]
    second = pkg.add_sheet("Ben", blank())  # the workbook's relationships changed
    assert [s.title for s in pkg.sheets()] == ["Ana", "Ben"]
    assert pkg.sheet("Ben").part == second  # type: ignore[union-attr]
    rename_sheet(pkg, "Ana", "Ana M")
    assert pkg.sheet("Ana") is None and pkg.sheet("Ana M").part == first  # type: ignore[union-attr]
    pkg.remove_sheet("Ben")
    assert pkg.sheet("Ben") is None
    assert [part for _, part in pkg.related(pkg.workbook_part, "worksheet")] == [first]
    third = pkg.add_sheet("Cy", blank())
    assert third == second  # the dropped tab's part name, free again
    assert pkg.sheet("Cy").part == third  # type: ignore[union-attr]
    again = Package(pkg.save())
    assert [(s.title, s.part) for s in again.sheets()] == [("Ana M", first), ("Cy", third)]
