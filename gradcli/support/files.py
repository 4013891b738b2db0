"""Values read from files, for a ``NAME=@FILE`` binding: ``.npy``, ``.csv`` or ``.json``.

A CSV holds numbers only (no header): one row or one column is a vector, more
of each a matrix.  A JSON file holds a number or nested lists of numbers.  A
cell that is not a finite number stops with its ``file:line:column``.  numpy
is imported only here, and only when a file is read.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from gradcli.support.errors import BindingError

SUFFIXES = (".npy", ".csv", ".json")


def read_value(path_text: str):
    """The float or float64 array stored in the file ``path_text``."""
    path = Path(path_text)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise BindingError(f"{path_text}: a value file is .npy, .csv or .json", kind="binding")
    try:
        if suffix == ".npy":
            return _npy(path, path_text)
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BindingError(f"{path_text}: cannot read it ({exc.strerror or exc})", kind="binding") from None
    except UnicodeDecodeError:
        raise BindingError(f"{path_text}: not a text file", kind="binding") from None
    return _csv(text, path_text) if suffix == ".csv" else _json(text, path_text)


def _array(rows):
    """A float for a bare number, else a float64 array (as ``core.values.as_value`` makes them)."""
    if not isinstance(rows, list):
        return float(rows)
    import numpy as np

    return np.asarray(rows, dtype=float)


def _npy(path: Path, name: str):
    import numpy as np

    with open(path, "rb") as f:
        shape, dtype = _npy_header(np, f, name)
        if dtype.kind not in "biuf":
            raise BindingError(f"{name}: the array holds {dtype}, not numbers", kind="binding")
        claimed = math.prod(shape) * dtype.itemsize
        held = path.stat().st_size - f.tell()
        if claimed > held:  # checked before numpy allocates what the header claims
            raise BindingError(f"{name}: the header says shape {shape} ({claimed:,} bytes), but the file "
                               f"holds {held:,} bytes of data", kind="binding")
        f.seek(0)
        try:  # the .npy format only: never a zip (.npz) or a pickle
            a = np.lib.format.read_array(f, allow_pickle=False)
        except (ValueError, EOFError) as exc:
            raise BindingError(f"{name}: not a numeric .npy file ({exc})", kind="binding") from None
    a = a.astype(np.float64, copy=False)  # a float64 file is used as loaded: no second copy
    if not _all_finite(np, a):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise BindingError(f"{name}: element {list(bad)} is {a[bad]}, not a finite number", kind="binding")
    return float(a) if a.ndim == 0 else a


def _npy_header(np, f, name: str):
    """The shape and dtype an .npy file's header declares, read before any data."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        read_header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"format version {version[0]}.{version[1]} holds no plain numbers")
        shape, _, dtype = read_header(f)
    except (ValueError, EOFError, SyntaxError, TypeError) as exc:
        raise BindingError(f"{name}: not a numeric .npy file ({exc})", kind="binding") from None
    return shape, dtype


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
    try:
        data = json.loads(text)
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


def _shape_at(data, where: tuple) -> tuple:
    """The lengths of the lists on the way to the element at ``where``, and the depth below it."""
    out, item = [], data
    for k in where:
        out.append(len(item))
        item = item[k]
    return tuple(out)
