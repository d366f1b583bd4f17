"""The zip layer: read the directory once, copy members raw, append new parts.

Untouched members are copied as stored (local header, compressed data and
data descriptor), only their central-directory offset changes, so every part
the writer does not own comes out byte-identical. Members it edits are read
(inflated, CRC-checked) from the same directory. ZIP64 records are read (a
small book saved by a tool that always writes them is fine); the output is a
plain zip, and a workbook that would need ZIP64 (4 GB or 65,535 parts) gets a
clear message instead.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from abmxl.io.xlsx_writer.errors import WorkbookWriteError

_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")
_CENTRAL_HEADER = struct.Struct("<4sHHHHHHLLLHHHHHLL")
_END_OF_CENTRAL_DIRECTORY = struct.Struct("<4sHHHHLLH")
_ZIP64_END = struct.Struct("<4sQHHLLQQQQ")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_SIG_LOCAL = b"PK\x03\x04"
_SIG_CENTRAL = b"PK\x01\x02"
_SIG_END = b"PK\x05\x06"
_SIG_ZIP64_END = b"PK\x06\x06"
_SIG_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EXTRA = 0x0001
_FLAG_ENCRYPTED = 0x01
_FLAG_DATA_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800
_STORED, _DEFLATED = 0, 8
ZIP32_LIMIT = 0xFFFFFFFF
_MAX_ENTRIES = 0xFFFF
_CENTRAL_OFFSET_FIELD = 42  # byte offset of "relative offset of local header"
DOS_DATE_1980_01_01 = (0 << 9) | (1 << 5) | 1
_COPY_CHUNK = 1 << 20
# Level 1 deflates a 31 MB AccountScores sheet (50k x 14) in 0.12 s to 4.8 MB;
# level 6 (zipfile's default) takes 0.41 s for 3.6 MB. Refresh time wins.
_DEFLATE_LEVEL = 1

TOO_BIG = (
    "the refreshed workbook would be over 4 GB or hold over 65,535 parts, "
    "which needs ZIP64; abmxl does not write ZIP64 workbooks"
)


@dataclass(frozen=True)
class Member:
    """One zip member as stored: where its bytes are and its central record."""

    name: str
    central_record: bytes  # 32-bit record (ZIP64 extra removed, sizes filled in)
    offset: int  # local header
    data_offset: int  # compressed data
    compressed_size: int
    size: int
    crc: int
    method: int
    end: int  # end of the data (and data descriptor, if any)
    flags: int
    dos_time: int
    dos_date: int


def _zip64_values(extra: bytes, wanted: list[bool]) -> list[int]:
    """The ZIP64 extra field's values for the 32-bit fields that are 0xFFFFFFFF."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == _ZIP64_EXTRA:
            body = extra[pos + 4 : pos + 4 + length]
            values, at = [], 0
            for needed in wanted:
                if needed:
                    if at + 8 > len(body):
                        break
                    values.append(struct.unpack_from("<Q", body, at)[0])
                    at += 8
            if len(values) == sum(wanted):
                return values
        pos += 4 + length
    raise WorkbookWriteError("corrupt workbook (bad ZIP64 extra field)")


def _without_zip64_extra(extra: bytes) -> bytes:
    kept, pos = [], 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag != _ZIP64_EXTRA:
            kept.append(extra[pos : pos + 4 + length])
        pos += 4 + length
    return b"".join(kept)


def _end_records(fp: BinaryIO, size: int) -> tuple[int, int, int, bytes]:
    """(entry count, directory size, directory offset, zip comment)."""
    tail_size = min(size, _END_OF_CENTRAL_DIRECTORY.size + 0xFFFF)
    fp.seek(size - tail_size)
    tail = fp.read(tail_size)
    at = tail.rfind(_SIG_END)
    if at < 0 or at + _END_OF_CENTRAL_DIRECTORY.size > len(tail):
        raise WorkbookWriteError("not a .xlsx/.xlsm workbook (no zip directory)")
    (_, disk, cd_disk, count_here, count, cd_size, cd_offset, comment_size) = (
        _END_OF_CENTRAL_DIRECTORY.unpack_from(tail, at)
    )
    comment = tail[at + _END_OF_CENTRAL_DIRECTORY.size :][:comment_size]
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at : locator_at + 4] == _SIG_ZIP64_LOCATOR:
        _, z_disk, z_end_offset, disks = _ZIP64_LOCATOR.unpack_from(tail, locator_at)
        if z_disk or disks > 1:
            raise WorkbookWriteError("multi-part zip archives are not workbooks")
        fp.seek(z_end_offset)
        record = fp.read(_ZIP64_END.size)
        if len(record) != _ZIP64_END.size or record[:4] != _SIG_ZIP64_END:
            raise WorkbookWriteError("corrupt workbook (bad ZIP64 end record)")
        (_, _, _, _, disk, cd_disk, count_here, count, cd_size, cd_offset) = _ZIP64_END.unpack(
            record
        )
    if disk or cd_disk or count_here != count:
        raise WorkbookWriteError("multi-part zip archives are not workbooks")
    return count, cd_size, cd_offset, comment


def read_directory(fp: BinaryIO, size: int) -> tuple[list[Member], bytes]:
    """Parse the central directory (once); returns the members and the zip comment."""
    count, cd_size, cd_offset, comment = _end_records(fp, size)
    if cd_offset + cd_size > size:
        raise WorkbookWriteError("corrupt workbook (truncated zip directory)")
    fp.seek(cd_offset)
    directory = fp.read(cd_size)
    if len(directory) != cd_size:
        raise WorkbookWriteError("corrupt workbook (truncated zip directory)")

    records = []
    pos = 0
    for _ in range(count):
        if directory[pos : pos + 4] != _SIG_CENTRAL:
            raise WorkbookWriteError("corrupt workbook (bad zip directory entry)")
        fields = list(_CENTRAL_HEADER.unpack_from(directory, pos))
        flags, method, time, date, crc = fields[3], fields[4], fields[5], fields[6], fields[7]
        csize, usize = fields[8], fields[9]
        name_len, extra_len, comment_len, offset = fields[10], fields[11], fields[12], fields[16]
        name_at = pos + _CENTRAL_HEADER.size
        raw_name = directory[name_at : name_at + name_len]
        extra = directory[name_at + name_len : name_at + name_len + extra_len]
        member_comment = directory[
            name_at + name_len + extra_len : name_at + name_len + extra_len + comment_len
        ]
        pos = name_at + name_len + extra_len + comment_len
        name = raw_name.decode("utf-8" if flags & _FLAG_UTF8 else "cp437")
        if flags & _FLAG_ENCRYPTED:
            raise WorkbookWriteError("the workbook is encrypted (password-protected)")
        wanted = [usize == ZIP32_LIMIT, csize == ZIP32_LIMIT, offset == ZIP32_LIMIT]
        if any(wanted):
            values = iter(_zip64_values(extra, wanted))
            usize = next(values) if wanted[0] else usize
            csize = next(values) if wanted[1] else csize
            offset = next(values) if wanted[2] else offset
            if max(usize, csize, offset) >= ZIP32_LIMIT:
                raise WorkbookWriteError(TOO_BIG)
            # Rewritten as a plain 32-bit record: the values now fit.
            extra = _without_zip64_extra(extra)
            fields[8], fields[9], fields[11], fields[16] = csize, usize, len(extra), offset
        record = _CENTRAL_HEADER.pack(*fields) + raw_name + extra + member_comment
        records.append((name, record, offset, csize, usize, crc, method, flags, time, date))

    # A member with a data descriptor ends where the next member (or the
    # directory) starts; any other one right after its data.
    starts = sorted({r[2] for r in records} | {cd_offset})
    members: list[Member] = []
    for name, record, offset, csize, usize, crc, method, flags, time, date in records:
        fp.seek(offset)
        header = fp.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != _SIG_LOCAL:
            raise WorkbookWriteError(f"corrupt workbook (bad local header of {name})")
        local_name_len, local_extra_len = _LOCAL_HEADER.unpack(header)[-2:]
        data_offset = offset + _LOCAL_HEADER.size + local_name_len + local_extra_len
        data_end = data_offset + csize
        next_start = starts[starts.index(offset) + 1]
        if data_end > next_start:
            raise WorkbookWriteError(f"corrupt workbook ({name} overlaps the next member)")
        end = next_start if flags & _FLAG_DATA_DESCRIPTOR else data_end
        members.append(
            Member(
                name, record, offset, data_offset, csize, usize, crc, method, end, flags, time, date
            )
        )
    return members, comment


def read_member(fp: BinaryIO, member: Member) -> bytes:
    """A member's uncompressed bytes, checked against its CRC."""
    fp.seek(member.data_offset)
    raw = fp.read(member.compressed_size)
    if len(raw) != member.compressed_size:
        raise WorkbookWriteError(f"corrupt workbook (truncated member {member.name})")
    if member.method == _STORED:
        data = raw
    elif member.method == _DEFLATED:
        try:
            data = zlib.decompress(raw, -15)
        except zlib.error as exc:
            raise WorkbookWriteError(
                f"corrupt workbook (cannot read {member.name}: {exc})"
            ) from None
    else:
        raise WorkbookWriteError(
            f"unsupported compression (method {member.method}) of {member.name}"
        )
    if len(data) != member.size or zlib.crc32(data) != member.crc:
        raise WorkbookWriteError(f"corrupt workbook (bad CRC of {member.name})")
    return data


def deflate(data: bytes) -> tuple[bytes, int]:
    """A part's raw deflate stream and its CRC-32. zlib releases the GIL while it
    works, so this runs on another thread alongside Python code."""
    compressor = zlib.compressobj(_DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data)


class ZipWriter:
    """Appends members to an output zip: raw copies or freshly deflated parts."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._offset = 0
        self._central: list[bytes] = []

    def _check_offset(self) -> None:
        if self._offset >= ZIP32_LIMIT:
            raise WorkbookWriteError(TOO_BIG)

    def copy(self, src: BinaryIO, member: Member) -> None:
        """Copy a member's stored bytes unchanged; only its offset changes."""
        self._check_offset()
        record = bytearray(member.central_record)
        struct.pack_into("<L", record, _CENTRAL_OFFSET_FIELD, self._offset)
        src.seek(member.offset)
        remaining = member.end - member.offset
        while remaining:
            chunk = src.read(min(remaining, _COPY_CHUNK))
            if not chunk:
                raise WorkbookWriteError(f"corrupt workbook (truncated member {member.name})")
            self._out.write(chunk)
            remaining -= len(chunk)
        self._central.append(bytes(record))
        self._offset += member.end - member.offset

    def add(
        self,
        name: str,
        data: bytes,
        dos_time: int,
        dos_date: int,
        deflated: tuple[bytes, int] | None = None,
    ) -> None:
        """Deflate and append a part (deterministic: fixed level and timestamp).

        ``deflated`` is ``deflate(data)`` when it was computed beforehand (on
        another thread, while the caller rendered the next part)."""
        self._check_offset()
        compressed, crc = deflated if deflated is not None else deflate(data)
        if max(len(data), len(compressed)) >= ZIP32_LIMIT:
            raise WorkbookWriteError(TOO_BIG)
        try:
            raw_name, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            raw_name, flags = name.encode("utf-8"), _FLAG_UTF8
        version = 20
        local = _LOCAL_HEADER.pack(
            _SIG_LOCAL, version, flags, _DEFLATED, dos_time, dos_date, crc,
            len(compressed), len(data), len(raw_name), 0,
        )  # fmt: skip
        central = _CENTRAL_HEADER.pack(
            _SIG_CENTRAL, version, version, flags, _DEFLATED, dos_time, dos_date,
            crc, len(compressed), len(data), len(raw_name), 0, 0, 0, 0, 0, self._offset,
        )  # fmt: skip
        self._out.write(local)
        self._out.write(raw_name)
        self._out.write(compressed)
        self._central.append(central + raw_name)
        self._offset += len(local) + len(raw_name) + len(compressed)

    def close(self, comment: bytes) -> None:
        """Write the central directory and its end record."""
        self._check_offset()
        if len(self._central) >= _MAX_ENTRIES:
            raise WorkbookWriteError(TOO_BIG)
        directory = b"".join(self._central)
        self._out.write(directory)
        count = len(self._central)
        end = _END_OF_CENTRAL_DIRECTORY.pack(
            _SIG_END, 0, 0, count, count, len(directory), self._offset, len(comment)
        )
        self._out.write(end)
        self._out.write(comment)
