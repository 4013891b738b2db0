"""How numbers are written: short for people (``short``), strict JSON for machines (``json_text``)."""

from __future__ import annotations

import math
import re


def short(x: float, digits: int = 6) -> str:
    """``33``, ``0.731059``, ``-1.5e-07``: integers without a point, else ``digits`` significant."""
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{digits}g}"


def json_text(data) -> str:
    """``data`` as JSON text, the one way every command writes JSON.

    JSON has no infinity or nan: a float that is not finite is written as the
    string ``"inf"``, ``"-inf"`` or ``"nan"`` (what Python's ``float()`` reads
    back), never as the bare ``Infinity``/``NaN`` that strict parsers reject.
    """
    import json

    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a float that is not finite somewhere: rewrite it, then write
        text = json.dumps(finite_only(data), ensure_ascii=False, allow_nan=False)
    return _UNSAFE.sub(_json_escape, text) if _UNSAFE.search(text) else text


# json.dumps escapes C0 controls but writes DEL, C1 controls, the bidirectional overrides and lone
# surrogates (an argument's undecodable byte) raw (with ensure_ascii=False); they can stand only inside
# strings, where \uXXXX means the same, and a surrogate has no UTF-8 to be written as.
_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _json_escape(match) -> str:
    return f"\\u{ord(match.group()):04x}"


def finite_only(data):
    """``data`` with each float that is not finite replaced by its string (``json_text``'s rule)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else ("nan" if data != data else ("inf" if data > 0 else "-inf"))
    if isinstance(data, dict):
        return {key: finite_only(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [finite_only(value) for value in data]
    return data
