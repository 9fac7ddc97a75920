"""JSON for scripts: one object, full-precision numbers, a schema version.

The helpers every record module's ``to_json`` uses (``number``, ``exact_numbers``,
``dumps``); the objects themselves are built there.
"""

from __future__ import annotations

import json
import math
from typing import Any

SCHEMA = 1


def number(x: float | None) -> float | None:
    """JSON has no NaN or infinity; adcalc writes every number that is not finite as
    ``null``, in every command's JSON and in JSON Lines (a bad row's numbers)."""
    if x is None:
        return None
    if type(x) is not float:  # --exact, --precision: the nearest double (schema unchanged)
        x = float(x)
    return x if math.isfinite(x) else None


def exact_text(x: Any) -> str | None:
    """``--exact``: a value as adcalc reads it back exactly: a rational (``13/30``,
    ``0.1``) or a closed form (``4*log(2) + 4``); ``None`` for a closed form longer than
    ``precise.JSON_FORMULA`` characters."""
    if type(x).__name__ == "Closed":
        from adcalc.symbolic.precise import JSON_FORMULA

        return x.formula(JSON_FORMULA)  # type: ignore[no-any-return]
    from adcalc.engine.exact import text

    return text(x)


def exact_numbers(values: dict[str, Any]) -> dict[str, Any]:
    """``--exact``: ``values`` as exact strings, with the known digits of each closed
    form under ``decimal`` (rationals have none: their string is their value)."""
    out: dict[str, Any] = {k: exact_text(v) for k, v in values.items()}
    decimals = {k: v.decimal() for k, v in values.items() if type(v).__name__ == "Closed"}
    return {"exact": out, **({"decimal": decimals} if decimals else {})}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, allow_nan=False, ensure_ascii=False, indent=2) + "\n"
