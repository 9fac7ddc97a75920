"""Points in columnar formats, through polars: Parquet, Arrow IPC (Feather), JSON Lines,
and CSV read and written in native code.

Measured on this project's 2-core machine (10^6 rows of two full-precision columns,
read + NumPy closed form of a gradient + write, whole processes): polars 2.1 CSV 0.72 s
and Parquet 0.43 s, pyarrow 26 CSV 1.27 s and Parquet 0.93 s; both write doubles that
read back bit for bit.  polars is the faster and the smaller install (~40 MB against
pyarrow's 170), so it is the one: an optional extra (``pip install "adcalc[columnar]"``),
imported only here, on the batch path.  Without it, CSV goes through adcalc's own
streaming reader as before, and the other formats say how to get it.

The work streams: polars scans the input in batches, each batch is swept as arrays
(``batch.sweep_arrays``) inside polars' streaming engine, and the result is sunk to the
output file batch by batch, so memory stays flat in the number of rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adcalc.errors import InputError, param

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".arrow": "arrow",
           ".feather": "arrow", ".ipc": "arrow", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""File extensions and the format each means."""

NAMES = ("csv", "parquet", "arrow", "jsonl")


def format_of(path: str | None, given: str | None, what: str) -> str:
    """The format of ``path``: ``given`` (``--input-format``/``--output-format``) or by its
    extension; standard input and output (``-``), and points files of other extensions,
    are CSV unless told otherwise."""
    if given is not None:
        return given
    if path is None or path == "-":
        return "csv"
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS and what == "the points":
        return "csv"  # any other file is read as CSV, as always
    if suffix not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise InputError(f"{what} {path!r}: the extension {suffix or '(none)'} names no format "
                         f"adcalc reads or writes ({known}); or say which with "
                         f"{param('source_format' if what == 'the points' else 'target_format')}")
    return FORMATS[suffix]


def polars(threads: int | None = None) -> Any:
    """polars, imported here; ``threads`` sizes its thread pool (reading, parsing, writing,
    and the sweeps of several batches at once: NumPy releases the GIL in its loops), which
    can only be set before polars is first imported."""
    if threads is not None:
        import os
        import sys

        if "polars" not in sys.modules:
            os.environ["POLARS_MAX_THREADS"] = str(threads)
    try:
        import polars as pl
    except ImportError:
        raise InputError("Parquet, Arrow and JSON Lines points need polars: pip install "
                         "'adcalc[columnar]' (or pip install polars); CSV works without "
                         "it") from None
    return pl


def scan(path: str, fmt: str) -> Any:
    """A lazy frame over the points file (every column as the file has it)."""
    pl = polars()
    import glob

    if not (Path(path).exists() or (glob.has_magic(path) and glob.glob(path))):
        raise InputError(f"the points file {path!r} does not exist")
    try:
        if fmt == "csv":
            return pl.scan_csv(path, infer_schema=False)  # cells as text: bad ones are rows
        if fmt == "parquet":
            return pl.scan_parquet(path)
        if fmt == "arrow":
            return pl.scan_ipc(path)
        return pl.scan_ndjson(path, infer_schema_length=None)
    except Exception as exc:  # polars raises its own kinds: say which file, and why
        raise InputError(f"cannot read the points file {path!r} as {fmt}: {exc}") from None


WRITERS = {"csv": ("sink_csv", "write_csv", {"float_precision": None}),
           "parquet": ("sink_parquet", "write_parquet", {}),
           "arrow": ("sink_ipc", "write_ipc", {}),
           "jsonl": ("sink_ndjson", "write_ndjson", {})}
"""Each format's streaming sink and eager writer in polars, and their options."""


def sink(frame: Any, path: str, fmt: str) -> None:
    """Write the lazy frame's result to ``path``, batch by batch (polars' streaming)."""
    method, _, options = WRITERS[fmt]
    getattr(frame, method)(path, **options)


def write_to(frame: Any, stream: Any, fmt: str) -> None:
    """Write a frame (or a lazy frame's result) to a byte stream (standard output: no file
    to sink to, so the result is collected first)."""
    import io

    _, method, options = WRITERS[fmt]
    if hasattr(frame, "collect"):
        frame = frame.collect(engine="streaming")
    buffer = io.BytesIO()
    getattr(frame, method)(buffer, **options)
    stream.write(buffer.getvalue())


def numbers(pl: Any, name: str, series: Any, bad: dict[int, str]) -> Any:
    """A variable's column as float64 for the sweep, read as adcalc's CSV reader reads
    a cell (``points_in.numbers``): numbers as they are, text as Python's ``float``
    reads it (`` 2 `` is 2; ``abc`` is not a number), null is an empty cell.  The column
    itself is not changed: what is written is what came in.

    polars' cast reads a subset of what ``float`` reads (plain decimals, ``nan``,
    ``inf``, ``infinity`` in any case, with a sign; no spaces, ``_`` or other digits),
    each to the same double, correctly rounded (``tests/test_columnar.py`` holds it to
    that); the cells it does not read, and only those, go through the shared reader."""
    import numpy as np

    from adcalc.batch.csv_in import not_a_number
    from adcalc.batch.csv_in import numbers as read_cells

    if series.dtype == pl.String:
        cast = series.cast(pl.Float64, strict=False)
        values = cast.to_numpy().copy()
        other = cast.is_null().arg_true().to_list()
        if other:
            unread: dict[int, str] = {}
            values[other] = read_cells(name, [series[k] for k in other], unread)
            bad.update({other[j]: m for j, m in unread.items() if other[j] not in bad})
        return np.asarray(values, dtype=np.float64)
    values = series.cast(pl.Float64, strict=False)
    for k in values.is_null().arg_true().to_list():
        bad.setdefault(k, not_a_number(name, series[k]))
    return values.fill_null(float("nan")).to_numpy()


def float_text(pl: Any, values: Any, json: bool = False) -> Any:
    """Doubles as text, each as Python's ``repr`` writes it (what adcalc's CSV writer
    writes: ``nan``, ``inf``, ``1e-05``), or with ``json`` as ``json.dumps`` does after
    ``render.json_out.number`` (not finite: ``null``).  polars writes the same shortest
    digits, in the same notation except below 1e-4 (``0.00001``, ``1e-7``): those few
    are written by ``repr`` itself."""
    import numpy as np

    text = pl.Series(values).cast(pl.String)
    with np.errstate(invalid="ignore"):
        tiny = np.flatnonzero((np.abs(values) < 1e-4) & (values != 0))
    if tiny.size:
        text = text.scatter(tiny, [repr(v) for v in values[tiny].tolist()])
    odd = np.flatnonzero(~np.isfinite(values) if json else np.isnan(values))
    if odd.size:
        text = text.scatter(odd, "null" if json else "nan")
    return text


def float_fixes(pl: Any, values: Any) -> Any:
    """``float_text`` only where polars' own text of a double is not Python's (below
    1e-4, NaN), null elsewhere: ``coalesce(fixes, column.cast(String))`` is then the
    ``repr`` of every double, the cast done by polars' threads."""
    import numpy as np

    text = pl.Series(values=[None], dtype=pl.String).extend_constant(None, len(values) - 1) if (
        len(values)) else pl.Series(values=[], dtype=pl.String)
    with np.errstate(invalid="ignore"):
        odd = np.flatnonzero(((np.abs(values) < 1e-4) & (values != 0)) | np.isnan(values))
    if odd.size:
        text = text.scatter(odd, [repr(v) for v in values[odd].tolist()])
    return text


def count_rows(path: str, fmt: str) -> int | None:
    """The number of rows of a points file (for the progress bar): from the metadata of
    Parquet and Arrow, by a native pass over CSV and JSON Lines; ``None`` if unknown."""
    if path == "-":
        return None
    try:
        return int(scan(path, fmt).select(polars().len()).collect().item())
    except Exception:
        return None


def json_lines(pl: Any, cells: dict[str, Any], computed: dict[str, Any], keys: list[str],
               outputs: list[str]) -> Any:
    """Each row as ``JsonLinesOut`` writes it (``json.dumps``, ``ensure_ascii=False``):
    the cells as strings, then the outputs as numbers (not finite: null)."""
    import json

    parts: list[Any] = []
    for k, (h, series) in enumerate(cells.items()):
        text = '"' + series + '"'
        special = series.str.contains(r'["\\\x00-\x1f]').arg_true()
        if special.len():
            text = text.scatter(special, [json.dumps(c, ensure_ascii=False)
                                          for c in series.gather(special).to_list()])
        parts += [pl.lit(("{" if k == 0 else ", ") + keys[k]), text.rename(h)]
    for j, c in enumerate(outputs):
        parts += [pl.lit(", " + keys[len(cells) + j]), float_text(pl, computed[c], json=True)]
    parts.append(pl.lit("}"))
    return pl.select(pl.concat_str(parts)).to_series()
