"""Values read from files, for a ``NAME=@FILE`` binding: ``.npy``, ``.csv``, ``.json``, or one array
of an ``.npz`` archive (``W=@params.npz:W``, what ``descend --save`` writes).

A CSV holds numbers only (no header): one row or one column is a vector, more
of each a matrix.  A JSON file holds a number or nested lists of numbers.  A
cell that is not a finite number stops with its ``file:line:column``.  numpy
is imported only here, and only when a file is read.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from pathlib import Path

from gradcli.support.errors import BindingError
from gradcli.support.nesting import MAX_DIMENSIONS, line_and_column, too_deep_in_json

SUFFIXES = (".npy", ".csv", ".json")


def read_value(path_text: str):
    """The float or float64 array stored in the file ``path_text``; an integer ``.npy`` gives an int64
    array (labels, indices: values without a gradient)."""
    member = _NPZ_MEMBER.fullmatch(path_text)
    if member is not None:
        return read_archive(member.group(1), want=member.group(2))[member.group(2)]
    path = Path(path_text)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        keys = ", ".join(archive_names(path_text))
        raise BindingError(f"{path_text}: an .npz archive holds several arrays ({keys}): pick one, like "
                           f"@{path_text}:{keys.split(', ')[0]}", kind="binding")
    if suffix not in SUFFIXES:
        raise BindingError(f"{path_text}: a value file is .npy, .csv, .json, or FILE.npz:NAME", kind="binding")
    try:
        if suffix == ".npy":
            return _npy(path, path_text)
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BindingError(f"{path_text}: cannot read it ({exc.strerror or exc})", kind="binding") from None
    except UnicodeDecodeError:
        raise BindingError(f"{path_text}: not a text file", kind="binding") from None
    return _csv(text, path_text) if suffix == ".csv" else _json(text, path_text)


_NPZ_MEMBER = re.compile(r"(.+\.npz):([^:/\\]+)", re.I | re.S)


@contextlib.contextmanager
def _archive(path_text: str):
    """An ``.npz`` archive opened, its faults (unreadable, not a zip, damaged) as binding errors."""
    import zipfile

    import numpy as np

    try:
        with np.load(path_text, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise BindingError(f"{path_text}: not an .npz archive (numpy.savez writes one)", kind="binding")
            yield archive
    except OSError as exc:
        raise BindingError(f"{path_text}: cannot read it ({exc.strerror or exc})", kind="binding") from None
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise BindingError(f"{path_text}: not a readable .npz archive ({exc})", kind="binding") from None


def archive_names(path_text: str) -> list[str]:
    """The names of an ``.npz`` archive's arrays, none of them read."""
    with _archive(path_text) as archive:
        return list(archive.files)


def read_archive(path_text: str, want: str | None = None) -> dict:
    """The arrays of an ``.npz`` archive by name (``want``: only that one, an error naming the others
    when it is absent), each checked as a bound value is (``_checked``)."""
    with _archive(path_text) as archive:
        names = list(archive.files)
        if want is not None and want not in names:
            raise BindingError(f"{path_text}: no array named {want!r} (it holds {', '.join(names) or 'none'})",
                               kind="binding")
        return {name: _checked(archive[name], f"{path_text}:{name}") for name in names if want in (None, name)}


def write_archive(path_text: str, values: dict) -> None:
    """``values`` (floats or arrays, by name) as an ``.npz`` archive, written whole or not at all."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.asarray(v, dtype=float) for name, v in values.items()})
    write_file(path_text, buffer.getvalue())


def _checked(a, name: str):
    """An array read from a file as a bound value: numbers only; integers (labels, indices, which carry no
    gradient) as int64, within its range; floats as float64, every element finite; a 0-d array a float."""
    import numpy as np

    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
        raise BindingError(f"{name}: the array holds {getattr(a, 'dtype', 'no numbers')}, not numbers",
                           kind="binding")
    if a.dtype.kind in "iu":
        if a.size and a.dtype.kind == "u" and int(a.max()) > np.iinfo(np.int64).max:
            raise BindingError(f"{name}: the integers go past int64's range", kind="binding")
        return float(a) if a.ndim == 0 else a.astype(np.int64, copy=False)
    a = a.astype(np.float64, copy=False)  # a float64 file is used as loaded: no second copy
    if not _all_finite(np, a):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise BindingError(f"{name}: element {list(bad)} is {a[bad]}, not a finite number", kind="binding")
    return float(a) if a.ndim == 0 else a


def _array(rows):
    """A float for a bare number, else a float64 array (as ``core.values.as_value`` makes them)."""
    if not isinstance(rows, list):
        return float(rows)
    import numpy as np

    return np.asarray(rows, dtype=float)


def _npy(path: Path, name: str):
    import zipfile

    import numpy as np

    _check_npy_header(path, name)
    try:
        a = np.load(path, allow_pickle=False)
    except EOFError:  # numpy's word for a file too short to hold the .npy header
        raise BindingError(f"{name}: empty, or cut short: an .npy file starts with a header "
                           "(write one with numpy.save)", kind="binding") from None
    except ValueError as exc:  # not an .npy file, or one holding Python objects
        raise BindingError(f"{name}: not a numeric .npy file ({exc})", kind="binding") from None
    except zipfile.BadZipFile:  # starts like an .npz (a zip archive) but is not a readable one
        raise BindingError(f"{name}: a damaged .npz (zip) archive, not an .npy file", kind="binding") from None
    if isinstance(a, np.lib.npyio.NpzFile):
        keys = ", ".join(a.files) or "none"
        a.close()
        raise BindingError(f"{name}: an .npz archive of arrays ({keys}), not an .npy file: save one "
                           "array with numpy.save", kind="binding")
    return _checked(a, name)


def _check_npy_header(path: Path, name: str) -> None:
    """The size the header declares, against the limit and against the bytes the file holds, before
    numpy allocates it: a 192-byte file may declare 10^10 elements.  A file whose header does not
    read as .npy is left to ``np.load`` (and its messages)."""
    import numpy as np

    from gradcli.support.limits import count_elements, limit_text, over_limit, size_text

    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(f, max_header_size=10_000)
        except (ValueError, TypeError, OSError, EOFError):
            return
        start = f.tell()
    if dtype.hasobject:
        return  # np.load refuses it (allow_pickle=False), with its own words
    elements = count_elements(shape)
    if over_limit(elements):
        raise BindingError(f"{name}: the header declares shape {_shape_text(shape)}, {size_text(elements)}; "
                           f"{limit_text()}", kind="limit")
    needed, held = elements * dtype.itemsize, path.stat().st_size - start
    if held < needed:
        raise BindingError(f"{name}: the header declares shape {_shape_text(shape)} of {dtype}, {needed:,} bytes "
                           f"of data, but the file holds {held:,} after its header (truncated or damaged)",
                           kind="binding")


def _shape_text(shape: tuple) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(str(n) for n in shape)})"


def _all_finite(np, a) -> bool:
    """Whether every element is finite, a block at a time: no mask as large as the array."""
    flat = a.ravel(order="K")  # a view of a loaded (C or Fortran) array
    step = 1 << 20
    return all(np.isfinite(flat[k:k + step]).all() for k in range(0, flat.size, step))


def _csv(text: str, name: str):
    rows: list[list[float]] = []
    first_line = 0
    for line_number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        row, column = [], 1
        for cell in line.split(","):
            row.append(_cell(cell, name, line_number, column))
            column += len(cell) + 1
        if rows and len(row) != len(rows[0]):
            raise BindingError(f"{name}:{line_number}:1: this row has {len(row)} numbers, line {first_line} "
                               f"has {len(rows[0])} (a matrix needs rows of one length)", kind="binding")
        first_line = first_line or line_number
        rows.append(row)
    if not rows:
        raise BindingError(f"{name}: the file holds no numbers", kind="binding")
    if len(rows) == 1:
        return _array(rows[0])
    if len(rows[0]) == 1:
        return _array([r[0] for r in rows])
    return _array(rows)


def _cell(cell: str, name: str, line: int, column: int) -> float:
    stripped = cell.strip()
    column += len(cell) - len(cell.lstrip())
    try:
        value = float(stripped)
    except ValueError:
        shown = repr(stripped) if stripped else "an empty cell"
        raise BindingError(f"{name}:{line}:{column}: {shown} is not a number", kind="binding") from None
    if not math.isfinite(value):
        raise BindingError(f"{name}:{line}:{column}: {stripped!r} is not a finite number", kind="binding")
    return value


def _json(text: str, name: str):
    deep = too_deep_in_json(text)
    if deep is not None:
        line, column = line_and_column(text, deep)
        raise BindingError(f"{name}:{line}:{column}: lists nested more than {MAX_DIMENSIONS} deep (an array "
                           f"has at most {MAX_DIMENSIONS} dimensions)", kind="binding")
    try:
        data = json.loads(text, parse_int=lambda digits: _json_integer(digits, text, name))
    except json.JSONDecodeError as exc:
        raise BindingError(f"{name}:{exc.lineno}:{exc.colno}: not JSON ({exc.msg})", kind="binding") from None
    # Walk the nesting with a stack (no recursion): every leaf a number, every list of one shape.
    stack = [(data, ())]
    shape = None
    while stack:
        item, where = stack.pop()
        if isinstance(item, list):
            if not item:
                raise BindingError(f"{name}: an empty list at {list(where)}", kind="binding")
            stack.extend((x, where + (k,)) for k, x in enumerate(item))
        elif isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item):
            raise BindingError(f"{name}: {json.dumps(item)[:40]} at {list(where)} is not a finite number "
                               "(the file holds a number or nested lists of numbers)", kind="binding")
        else:
            leaf_shape = _shape_at(data, where)
            if shape is None:
                shape = leaf_shape
            elif leaf_shape != shape:
                raise BindingError(f"{name}: ragged lists: the element at {list(where)} does not fit "
                                   "an array (every row needs the same length)", kind="binding")
    return _array(data)


def _json_integer(digits: str, text: str, name: str) -> float:
    """A JSON integer as the double it denotes (a float reads any number of digits, an int would
    stop at Python's limit), or an error at its place when no double holds it."""
    value = float(digits)
    if math.isinf(value):
        line, column = line_and_column(text, max(0, text.find(digits)))
        shown = digits if len(digits) <= 20 else f"{digits[:12]}...({len(digits.lstrip('-'))} digits)"
        raise BindingError(f"{name}:{line}:{column}: the number {shown} is too large for a double", kind="binding")
    return value


def _shape_at(data, where: tuple) -> tuple:
    """The lengths of the lists on the way to the element at ``where``, and the depth below it."""
    out, item = [], data
    for k in where:
        out.append(len(item))
        item = item[k]
    return tuple(out)


def write_file(path_text: str, data: bytes) -> None:
    """Write ``data`` to the file ``path_text`` whole or not at all: every file gradcli writes.

    The bytes go to a temporary file beside it, which then replaces it (``os.replace``,
    atomic): a write that fails (a full disk, a file-size limit) leaves the old file as it
    was, and writers racing for one name leave one of their files, never a mix.  The new
    file gets the old one's permissions, or the umask's.  A target that is not a regular
    file (``/dev/stdout``, a FIFO) is written in place: it cannot be replaced.  Raises
    OSError; the caller says which option named the file.
    """
    import os
    import stat
    import tempfile

    target = os.path.realpath(path_text)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(target, "wb") as f:
            f.write(data)
        return
    folder, name = os.path.split(target)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _umask() -> int:
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    return mask
