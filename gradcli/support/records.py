"""Records: plain classes that show, compare and hash by their fields, as dataclasses do.

A ``@dataclass`` writes its methods with ``exec`` when its module is imported (0.3 to 0.6 ms a
class), so the classes of the modules every ``descend`` run imports are written by hand, on these
two bases.  A record names its fields, in the order of its ``__init__``, in ``_fields``.
"""

from __future__ import annotations


class Record:
    """Shown as ``Name(field=value, ...)``; equal to a record of the same class with equal fields
    (compared in order, as one tuple); unhashable, as a dataclass that compares is."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({fields})"

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None


class Frozen(Record):
    """A record that does not change once made (a frozen dataclass): its ``__init__`` sets the fields
    with ``object.__setattr__``, and it hashes by its fields."""

    __slots__ = ()

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self):
        """Copied and pickled by its constructor (the fields in order), not by setting its slots."""
        return self.__class__, self._values()
