"""Rows of data for ``--data FILE``: CSV, TSV or JSON lines, read as a stream of chunks.

A chunk is at most ``size`` rows (when every column is read as plain numbers, ``NUMBERS_BLOCK``
chunks' lines are parsed in one call: numpy's parser has a cost per call), and it is closed early whenever no more input
is ready at once (``select`` with a zero timeout on the file descriptor): a
producer that writes one line and waits gets that line's answer before it
writes the next.  Only one chunk is held at a time, so memory does not grow
with the number of rows.

Each chunk is column-wise: ``cells[name]`` is the list of the chunk's raw cells
in that column (strings from CSV and TSV, JSON values from JSON lines, or
``MISSING`` where a row has no such key).  A row that cannot be read at all (a
CSV row with the wrong number of cells, a JSON line that is not an object) is
in ``broken`` with its error object, and its cells are ``MISSING``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from gradcli.support.errors import UsageError
from gradcli.support.records import Record

FORMATS = ("csv", "tsv", "jsonl")
CHUNK = 8192
NUMBERS_BLOCK = 4  # chunks of plain numbers (``DataReader.numbers``) parsed in one call
MAX_LINE = 64 << 20  # bytes: the longest line --data reads (64 MiB)
LONG = 4 << 20  # bytes: a line this long is read as pieces (``_Lines.take_block``)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class Chunk(Record):
    _fields = ("start", "n", "cells", "broken", "lines")

    def __init__(self, start: int, n: int, cells: dict[str, list] | None = None,
                 broken: dict[int, dict] | None = None, lines: Sequence[int] = ()):
        self.start = start  # the first row's number (rows count from 0, the header is not a row)
        self.n = n
        self.cells = {} if cells is None else cells
        self.broken = {} if broken is None else broken  # row in chunk -> error object
        self.lines = lines  # each row's line in the file (from 1, as editors count)


def row_error(kind: str, message: str, column: str | None = None) -> dict:
    return {"kind": kind, "message": message, "column": column}


def array_cell_hint(fmt: str, column: str) -> str:
    """Said after a shape error over a CSV or TSV file, whose cells are numbers, never arrays ("" for JSON lines)."""
    if fmt == "jsonl":
        return ""
    return f' (a {fmt.upper()} cell is one number: a column of arrays needs JSON lines, {{"{column}": [1, 2, 3]}})'


def detect_format(first_line: str) -> str:
    """``{`` starts JSON lines; a tab in the header makes TSV; otherwise CSV."""
    text = first_line.lstrip("\ufeff").strip()
    if text.startswith("{"):
        return "jsonl"
    return "tsv" if "\t" in text else "csv"


class _Lines:
    """Complete lines of a file descriptor, with a test for whether more are ready right now.

    A line not yet ended is held as a list of pieces, joined once its newline
    comes, so reading is linear in the line's length; a line longer than
    ``MAX_LINE`` bytes stops the run (exit 2) rather than filling memory.
    """

    def __init__(self, stream, name: str):
        self.fd = None
        self.stream = stream
        self.name = name
        try:
            self.fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self.fd = None
        self.pieces: list[bytes] = []  # the line not yet ended
        self.held = 0  # its length in bytes
        self.lines: list[bytes] = []  # whole lines read, not yet handed out from index ``pos`` on
        self.pos = 0
        self.eof = False
        self.number = 0  # the file lines handed out so far (the next one is number + 1)
        self.unread = b""  # bytes given back (``take_block``): the next read returns them first
        # take_block's bytes: read, from ``start`` on not yet handed out, with its newlines' positions
        # (``k``: the first not handed out)
        self.buffer, self.start, self.newlines, self.k = b"", 0, (), 0

    def _read(self) -> bytes:
        if self.unread:
            data, self.unread = self.unread, b""
            return data
        if self.fd is not None:
            return os.read(self.fd, 1 << 20)
        source = getattr(self.stream, "buffer", self.stream)  # an in-memory stream (tests): read it all
        data = source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return data

    def _fill(self) -> None:
        data = self._read()
        if not data:
            self.eof = True
            if self.pieces:
                self.lines.append(b"".join(self.pieces))
                self.pieces, self.held = [], 0
            return
        parts = data.split(b"\n")
        if len(parts) > 1:
            parts[0] = b"".join((*self.pieces, parts[0]))
            self.pieces, self.held = [], 0
            self.lines.extend(parts[:-1])
            if len(parts[0]) > MAX_LINE or len(data) > MAX_LINE:  # else no line here can be too long
                for k, part in enumerate(parts[:-1]):
                    if len(part) > MAX_LINE:
                        self._too_long(len(self.lines) - len(parts) + 1 + k)
        if parts[-1]:
            self.pieces.append(parts[-1])
            self.held += len(parts[-1])
            if self.held > MAX_LINE:
                self._too_long(len(self.lines))

    def _too_long(self, k: int) -> None:
        """Line ``k`` of ``self.lines`` (or the one being read, k = len(lines)) is over the cap."""
        raise UsageError(f"--data {self.name}: line {self.number + k - self.pos + 1} is longer than {MAX_LINE:,} bytes, "
                         "the longest line --data reads (a row per line: is the file line-oriented?)")

    def ready(self) -> bool:
        """True when more input can be read without waiting."""
        if self.eof:
            return False
        if self.fd is None:
            return True
        import select

        try:
            return bool(select.select([self.fd], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def take(self, size: int) -> tuple[int, list[bytes]]:
        """The next file line's number and up to ``size`` lines from it: at least one (unless at
        the end), and no wait once one is here."""
        while not self.eof and (len(self.lines) == self.pos or
                                (len(self.lines) - self.pos < size and self.ready())):
            self._fill()
        return self._hand_out(size)

    def _hand_out(self, size: int) -> tuple[int, list[bytes]]:
        """Up to ``size`` of the lines split already, and the first one's number."""
        out = self.lines[self.pos:self.pos + size]
        self.pos += len(out)
        if self.pos == len(self.lines):
            self.lines, self.pos = [], 0
        first = self.number + 1
        self.number += len(out)
        return first, out


    def take_block(self, size: int) -> tuple[int, int, bytes]:
        """As ``take``, the lines as one block of bytes, each ended by a newline: (the first line's
        number, how many lines, the block).  Nothing is split into lines here (``_number_chunks``
        parses the block at once): the bytes read are held in ``buffer`` and cut at a newline.
        Once called, the lines are taken by this method alone (``take`` would not see ``buffer``)."""
        if self.pos < len(self.lines):  # lines split already (those after the header): those alone
            first, out = self._hand_out(size)
            return first, len(out), b"\n".join(out) + b"\n"
        import numpy

        if self.pieces:  # a line that ``take`` began: its first bytes come first
            self.unread = b"".join(self.pieces) + self.unread
            self.pieces, self.held = [], 0
        while not self.eof and (self._ahead() == 0 or (self._ahead() < size and self.ready())):
            data = self._read()
            if not data:
                self.eof = True
                break
            self.buffer = self.buffer[self.start:] + data
            self.start, self.k = 0, 0
            self.newlines = numpy.flatnonzero(numpy.frombuffer(self.buffer, numpy.uint8) == 10)
            last = int(self.newlines[-1]) if len(self.newlines) else -1
            if len(self.buffer) - last > LONG:  # a long line: the line-by-line way, which caps it
                self.unread, self.buffer, self.newlines = self.buffer + self.unread, b"", ()
                first, out = self.take(size)
                return first, len(out), b"\n".join(out) + b"\n"
        first = self.number + 1
        ahead = self._ahead()
        if ahead:
            j = self.k + min(size, ahead)
            end, count, self.k = int(self.newlines[j - 1]) + 1, j - self.k, j
        elif self.start < len(self.buffer):  # the end of the input: a last line without its newline
            end, count = len(self.buffer), 1
        else:
            return first, 0, b""
        block, self.start = self.buffer[self.start:end], end
        self.number += count
        return first, count, block if block.endswith(b"\n") else block + b"\n"

    def _ahead(self) -> int:
        """The whole lines in ``take_block``'s buffer not yet handed out."""
        return len(self.newlines) - self.k


def _decode(raw: bytes, where: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"--data {where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return text.replace("\r", "") if "\r" in text else text


def parse_numbers(block: bytes, delimiter: str):
    """Lines of ASCII numbers as a 2-D float array, by numpy's C reader (``loadtxt``'s: correctly
    rounded, as ``float()`` is); ValueError when a line is not plain numbers, or rows differ in length.

    loadtxt reads a file it opens by blocks, but a file object it is handed (a StringIO) line by
    line, about 6% slower; so the reader loadtxt calls is called here as loadtxt calls it for a
    file, with the block in memory.  It is numpy's private function: should it be gone or take
    other arguments, loadtxt itself is used from then on.
    """
    import io

    import numpy

    global _block_reader
    if _block_reader is None:
        _block_reader = getattr(numpy._core._multiarray_umath, "_load_from_filelike", False)
    if _block_reader:
        try:
            table = _block_reader(io.BytesIO(block), delimiter=delimiter, comment=None, quote=None,
                                  imaginary_unit="j", usecols=None, skiplines=0, max_rows=-1, converters=None,
                                  dtype=numpy.dtype(float), encoding="ascii", filelike=True, byte_converters=False)
            return table.reshape(len(table), -1) if table.ndim < 2 else table
        except TypeError:  # its arguments changed: loadtxt from now on
            _block_reader = False
    return numpy.loadtxt(io.StringIO(block.decode("ascii")), delimiter=delimiter, dtype=float, ndmin=2,
                         comments=None, quotechar=None)


_block_reader = None  # numpy's block reader, once looked up (False: not there, loadtxt is used)


class DataReader:
    """The rows of ``--data FILE`` (``-`` is standard input): the header first, then chunks.

    Every line is its own row: a CSV cell quoted across a line end is that row's error.
    """

    def __init__(self, path: str, fmt: str | None = None, size: int = CHUNK):
        self.name = "<stdin>" if path == "-" else path
        self._stdin = path == "-"  # standard input is not the reader's to close
        if path == "-":
            stream = sys.stdin
        else:
            try:
                stream = open(path, "rb")
            except OSError as exc:
                raise UsageError(f"--data {path}: cannot read it ({exc.strerror})") from None
            except ValueError:  # a NUL in the name: no file can have it
                raise UsageError(f"--data {path}: cannot read it (a file name has no NUL character)") from None
        self.size = size
        self._all_numbers = False  # every column read as numbers (``numbers``)
        self.lines = _Lines(stream, self.name)
        self.row = 0
        self._first_json: tuple[int, object] | None = None  # the first line's number and object
        try:
            self._read_header(fmt)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the file (standard input stays open): when the chunks end, or the caller stops early."""
        if not self._stdin:
            self.lines.stream.close()

    def _read_header(self, fmt: str | None) -> None:
        first = self._first_line()
        if first is None:
            raise UsageError(f"--data {self.name}: empty: expected a header row, or JSON lines")
        number, first = first
        self.header_line = number
        self.format = fmt or detect_format(first)
        if self.format == "jsonl":
            self.header = _json_keys(first)
            if self.header is None:
                raise UsageError(f"--data {self.name}: line {number}: the first line is not a JSON object: "
                                 f"{first[:60]!r}")
            self._first_json = (number, _json_object(first))
        else:
            import csv

            csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE))  # a cell is as long as its line
            self.delimiter = "\t" if self.format == "tsv" else ","
            cells = _csv_row(first, self.delimiter)
            if isinstance(cells, str):
                raise UsageError(f"--data {self.name}: line {number}: the header: {cells}")
            self.header = [c.strip() for c in cells]
            self.header[0] = self.header[0].lstrip("\ufeff")
            for name in self.header:
                if not name:
                    raise UsageError(f"--data {self.name}: line {number}: the header has an empty column name")
        seen: set[str] = set()
        for name in self.header:
            if name in seen:
                raise UsageError(f"--data {self.name}: line {number}: the column {name!r} appears twice "
                                 "in the header")
            seen.add(name)

    def _first_line(self) -> tuple[int, str] | None:
        while True:
            number, lines = self.lines.take(1)
            if not lines:
                return None
            text = _decode(lines[0], f"{self.name}: line {number}")
            if text.strip():
                return number, text

    def chunks(self):
        """Chunk after chunk until the input ends; the file is closed then (or when the caller stops)."""
        try:
            yield from self._chunks()
        finally:
            self.close()

    def _chunks(self):
        if self._first_json is not None:
            (number, first), self._first_json = self._first_json, None
            yield self._json_chunk([first], [number])
        while True:
            if self._all_numbers:
                number, count, block = self.lines.take_block(self.size * NUMBERS_BLOCK)
                if not count:
                    return
                chunks = self._number_chunks(block, number, count)
                if chunks is None:  # row by row, ``size`` rows a chunk
                    raw = block.split(b"\n")[:count]
                    chunks = (self._text_chunk(raw[k:k + self.size], number + k) for k in range(0, count, self.size))
                yield from (chunk for chunk in chunks if chunk is not None)
            else:
                number, raw = self.lines.take(self.size)
                if not raw:
                    return
                chunk = self._text_chunk(raw, number)
                if chunk is not None:
                    yield chunk

    def _text_chunk(self, raw: list[bytes], number: int) -> Chunk | None:
        """The lines ``raw`` (the first is line ``number``) as a chunk, cell by cell; None when all are blank."""
        texts = _decode_lines(raw, self.name, number)
        lines: Sequence[int] = range(number, number + len(texts))
        if _has_blank(texts):
            kept = [k for k, t in enumerate(texts) if t.strip()]
            texts, lines = [texts[k] for k in kept], [lines[k] for k in kept]
        if not texts:
            return None
        if self.format == "jsonl":
            return self._json_chunk([_json_object(t) for t in texts], lines)
        return self._table_chunk(texts, lines)

    def numbers(self, columns: Sequence[str]) -> None:
        """Say which columns the caller reads as numbers: when they are every column of a CSV or TSV
        file, a block whose cells are all plain finite numbers is parsed at once (``_number_chunks``)."""
        self._all_numbers = self.format != "jsonl" and list(columns) == list(self.header)

    def _number_chunks(self, block: bytes, number: int, count: int) -> list[Chunk] | None:
        """The block of ``count`` lines read by numpy's C parser (``loadtxt``'s: correctly rounded, as
        ``float()`` is) in one call, as chunks of ``size`` rows, each column a float array (a view of
        the one table); None when a line is not plain ASCII numbers (a quote, an empty or odd cell, a
        blank line, which loadtxt skips, a number that is not finite, a row of another length): the
        lines then go the ordinary way (each row with its own error)."""
        import numpy

        if not block.isascii() or block.isspace():  # a number is ASCII; only blank lines: none to parse
            return None
        try:
            table = parse_numbers(block, self.delimiter)
        except (ValueError, TypeError):
            return None
        if table.shape != (count, len(self.header)) or not numpy.isfinite(table).all():
            return None
        chunks = []
        for start in range(0, count, self.size):
            n = min(self.size, count - start)
            chunk = Chunk(self.row, n, lines=range(number + start, number + start + n))
            self.row += n
            for k, name in enumerate(self.header):
                chunk.cells[name] = table[start:start + n, k]
            chunks.append(chunk)
        return chunks

    def _table_chunk(self, texts: list[str], lines: Sequence[int]) -> Chunk:
        import csv


        try:
            rows: list = list(csv.reader(texts, delimiter=self.delimiter))
        except csv.Error:
            rows = []
        if len(rows) != len(texts):  # a bad line, or a quote across lines: read line by line
            rows = [_csv_row(t, self.delimiter) for t in texts]
        k = len(self.header)
        chunk = Chunk(self.row, len(rows), lines=lines)
        self.row += len(rows)
        for i, r in enumerate(rows):
            if isinstance(r, str) or len(r) != k:
                message = r if isinstance(r, str) else \
                    f"the row has {len(r)} cell{'s' if len(r) != 1 else ''}, the header {k}"
                chunk.broken[i] = row_error("cells", message)
                rows[i] = [MISSING] * k
        for name, column in zip(self.header, zip(*rows)):
            chunk.cells[name] = list(column)
        return chunk

    def _json_chunk(self, objects: list, lines: Sequence[int]) -> Chunk:
        chunk = Chunk(self.row, len(objects), lines=lines)
        self.row += len(objects)
        names: dict[str, None] = dict.fromkeys(self.header)
        for i, obj in enumerate(objects):
            if isinstance(obj, dict):
                names.update(dict.fromkeys(obj))
            else:
                chunk.broken[i] = row_error("json", obj)
        for name in names:
            chunk.cells[name] = [obj.get(name, MISSING) if isinstance(obj, dict) else MISSING for obj in objects]
        return chunk


def _has_blank(texts: list[str]) -> bool:
    """Whether any line is blank (empty or only spaces), at C speed."""
    return "" in texts or any(map(str.isspace, texts))


def _decode_lines(raw: list[bytes], name: str, number: int) -> list[str]:
    """The lines as text; one that is not UTF-8 stops the run, naming its line."""
    try:
        return _decode(b"\n".join(raw), name).split("\n")
    except UsageError:
        for k, line in enumerate(raw):
            _decode(line, f"{name}: line {number + k}")
        raise


def _csv_row(text: str, delimiter: str):
    """One line's cells, or a message saying why it has none."""
    import csv

    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return f"not a CSV row: {exc}"


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _DuplicateKey(f"the key {key!r} appears twice in the object")
    return obj


def _json_object(text: str):
    """The line's JSON object, or a message saying why it is not one (a key given twice is an error)."""
    import json

    try:
        obj = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        return str(exc)
    except RecursionError:
        return "not JSON that can be read: nested too deeply"
    except ValueError as exc:
        return f"not JSON: {exc}"
    return obj if isinstance(obj, dict) else "the line is not a JSON object"


def _json_keys(text: str) -> list[str] | None:
    """The first line's keys (the header), each once; None when the line is not a JSON object."""
    import json

    try:
        obj = json.loads(text, object_pairs_hook=_Keys.of)
    except (ValueError, RecursionError):
        return None
    return list(dict.fromkeys(obj)) if isinstance(obj, _Keys) else None


class _Keys(list):
    """An object's keys in order (a key given twice is there twice)."""

    @classmethod
    def of(cls, pairs: list) -> "_Keys":
        return cls(k for k, _ in pairs)
