"""Rows of data for ``--data FILE``: CSV, TSV or JSON lines, read as a stream of chunks.

A chunk is at most ``size`` rows, and it is closed early whenever no more input
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
from dataclasses import dataclass, field

from gradcli.support.errors import UsageError

FORMATS = ("csv", "tsv", "jsonl")
CHUNK = 8192


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


@dataclass
class Chunk:
    start: int  # the first row's number (rows count from 0, the header is not a row)
    n: int
    cells: dict[str, list] = field(default_factory=dict)
    broken: dict[int, dict] = field(default_factory=dict)  # row in chunk -> error object


def row_error(kind: str, message: str, column: str | None = None) -> dict:
    return {"kind": kind, "message": message, "column": column}


def detect_format(first_line: str) -> str:
    """``{`` starts JSON lines; a tab in the header makes TSV; otherwise CSV."""
    text = first_line.lstrip("\ufeff").strip()
    if text.startswith("{"):
        return "jsonl"
    return "tsv" if "\t" in text else "csv"


class _Lines:
    """Complete lines of a file descriptor, with a test for whether more are ready right now."""

    def __init__(self, stream):
        self.fd = None
        self.stream = stream
        try:
            self.fd = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self.fd = None
        self.pending = b""
        self.lines: list[bytes] = []
        self.eof = False

    def _fill(self) -> None:
        if self.fd is not None:
            data = os.read(self.fd, 1 << 16)
        else:  # an in-memory stream (tests): read it all
            source = getattr(self.stream, "buffer", self.stream)
            data = source.read()
            if isinstance(data, str):
                data = data.encode("utf-8")
            if data:
                data += b"" if data.endswith(b"\n") else b"\n"
        if not data:
            self.eof = True
            if self.pending:
                self.lines.append(self.pending)
                self.pending = b""
            return
        parts = (self.pending + data).split(b"\n")
        self.pending = parts.pop()
        self.lines.extend(parts)

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

    def take(self, size: int) -> list[bytes]:
        """Up to ``size`` lines: at least one (unless at the end), and no wait once one is here."""
        while not self.eof and (not self.lines or (len(self.lines) < size and self.ready())):
            self._fill()
        out, self.lines = self.lines[:size], self.lines[size:]
        return out


def _decode(raw: bytes, where: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return text.replace("\r", "") if "\r" in text else text


class DataReader:
    """The rows of ``--data FILE`` (``-`` is standard input): the header first, then chunks."""

    def __init__(self, path: str, fmt: str | None = None, size: int = CHUNK):
        self.name = "<stdin>" if path == "-" else path
        if path == "-":
            stream = sys.stdin
        else:
            try:
                stream = open(path, "rb")
            except OSError as exc:
                raise UsageError(f"--data {path}: cannot read it ({exc.strerror})") from None
        self.size = size
        self.lines = _Lines(stream)
        self.row = 0
        self._first_json: dict | None = None
        first = self._first_line()
        if first is None:
            raise UsageError(f"--data {self.name}: empty: expected a header row, or JSON lines")
        self.format = fmt or detect_format(first)
        if self.format == "jsonl":
            obj = _json_object(first)
            if not isinstance(obj, dict):
                raise UsageError(f"--data {self.name}: the first line is not a JSON object: {first[:60]!r}")
            self._first_json = obj
            self.header = list(obj)
        else:
            import csv

            self.delimiter = "\t" if self.format == "tsv" else ","
            self.header = [c.strip() for c in next(csv.reader([first], delimiter=self.delimiter))]
            self.header[0] = self.header[0].lstrip("\ufeff")
            for name in self.header:
                if not name:
                    raise UsageError(f"--data {self.name}: the header has an empty column name")
        seen: set[str] = set()
        for name in self.header:
            if name in seen:
                raise UsageError(f"--data {self.name}: the column {name!r} appears twice in the header")
            seen.add(name)

    def _first_line(self) -> str | None:
        while True:
            lines = self.lines.take(1)
            if not lines:
                return None
            text = _decode(lines[0], self.name)
            if text.strip():
                return text

    def chunks(self):
        """Chunk after chunk until the input ends."""
        if self._first_json is not None:
            first, self._first_json = self._first_json, None
            yield self._json_chunk([first])
        while True:
            raw = self.lines.take(self.size)
            if not raw:
                return
            texts = _decode(b"\n".join(raw), self.name).split("\n")
            if any(not t.strip() for t in texts):
                texts = [t for t in texts if t.strip()]
            if not texts:
                continue
            if self.format == "jsonl":
                yield self._json_chunk([_json_object(t) for t in texts])
            else:
                yield self._table_chunk(texts)

    def _table_chunk(self, texts: list[str]) -> Chunk:
        import csv

        rows = list(csv.reader(texts, delimiter=self.delimiter))
        k = len(self.header)
        chunk = Chunk(self.row, len(rows))
        self.row += len(rows)
        if any(len(r) != k for r in rows):
            for i, r in enumerate(rows):
                if len(r) != k:
                    chunk.broken[i] = row_error("cells", f"the row has {len(r)} cell{'s' if len(r) != 1 else ''}, "
                                                         f"the header {k}")
                    rows[i] = [MISSING] * k
        for name, column in zip(self.header, zip(*rows)):
            chunk.cells[name] = list(column)
        return chunk

    def _json_chunk(self, objects: list) -> Chunk:
        chunk = Chunk(self.row, len(objects))
        self.row += len(objects)
        names: dict[str, None] = dict.fromkeys(self.header)
        for i, obj in enumerate(objects):
            if isinstance(obj, dict):
                names.update(dict.fromkeys(obj))
            else:
                chunk.broken[i] = row_error("json", obj if isinstance(obj, str) else "the line is not a JSON object")
        for name in names:
            chunk.cells[name] = [obj.get(name, MISSING) if isinstance(obj, dict) else MISSING for obj in objects]
        return chunk


def _json_object(text: str):
    """The line's JSON object, or a message saying why it is not one."""
    import json

    try:
        obj = json.loads(text)
    except ValueError as exc:
        return f"not JSON: {exc}"
    return obj if isinstance(obj, dict) else "the line is not a JSON object"
