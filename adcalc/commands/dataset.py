"""Past one machine: the batch sweep as a function of a data frame, for Dask.

``frame_function(expression)`` gives a function from a pandas DataFrame (a partition)
to the same frame with the output columns added — the columns ``grad``, ``jacobian``
or ``hessian --points`` write — so ``dask.dataframe``'s ``map_partitions`` runs it on
every partition of a dataset of any size, on as many workers as the cluster has::

    import dask.dataframe as dd
    import adcalc
    points = dd.read_parquet("points/*.parquet")
    f = adcalc.frame_function("log((x1+x2)^2 + sin(x1*x2))")
    points.map_partitions(f, meta=f.meta(points._meta)).to_parquet("gradients/")

``sweep_dataset`` is that, and what ``grad --points 'points/*.parquet' --engine dask -o
gradients/`` runs: on the cluster whose scheduler it is given the address of (the command
line's ``--scheduler``, or Dask's own setting ``scheduler-address``, which
``DASK_SCHEDULER_ADDRESS`` sets), else on the current ``distributed.Client`` or Dask's
local scheduler.  Dask is an optional extra (``pip install "adcalc[dask]"``), imported
only here; the function itself needs only pandas and NumPy, so it pickles to workers
(which import adcalc: it is installed where they run).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from adcalc.batch.sweep import (
    BatchResult,
    check_columns,
    check_outputs,
    output_columns,
    sweep_columns,
)
from adcalc.engine.tape import Tape
from adcalc.errors import DomainError, InputError, param

DASK = param("engine", "dask")
"""``--engine dask`` on the command line; in the API, ``sweep_dataset``."""

SCHEDULER_SETTING: ContextVar[str | None] = ContextVar("scheduler", default=None)
"""The command line's ``--scheduler``: the address of the Dask scheduler to sweep on
(``sweep_dataset``'s ``scheduler`` when that is not given)."""


class FrameFunction:
    """A picklable partition → partition function (the tape travels with it)."""

    def __init__(self, tape: Tape, names: list[str] | None, kind: str) -> None:
        self.tape = tape
        self.names = names or []
        self.kind = kind
        self.columns = [] if names is None else output_columns(tape, names, kind)
        self.fixed = names is not None
        """A program's variables come with the points' columns (``fix``)."""

    def __call__(self, frame: Any) -> Any:
        return self.sweep(frame)[0]

    def fix(self, header: list[str]) -> None:
        """The columns checked (a program's variables read from them), the outputs'
        names settled."""
        check_columns(self.tape, header)
        if not self.fixed:
            self.names = list(self.tape.variables)
            self.columns = output_columns(self.tape, self.names, self.kind)
            self.fixed = True
        check_outputs(header, self.columns)

    def sweep(self, frame: Any) -> tuple[Any, BatchResult]:
        """The partition with the output columns added (the input columns untouched; a
        row that cannot be evaluated has null there), and the record of its bad rows."""
        import numpy as np
        import pandas as pd

        self.fix(list(frame.columns))
        unreadable: dict[int, str] = {}
        columns = {v: cells(v, frame[v], unreadable) for v in self.tape.var_node}
        out, result = sweep_columns(self.tape, columns, self.names, len(frame), self.kind)
        result.mark_bad(unreadable)
        bad = [r for r, _ in result.bad]
        added = {}
        for name in self.columns:
            values = np.array(out[name], dtype=np.float64)
            values[bad] = np.nan
            added[name] = pd.array(values, dtype="Float64")  # NaN → null, as polars has it
        return frame.assign(**added), result

    def meta(self, frame: Any) -> Any:
        """The empty frame Dask needs to know the output's columns and types."""
        import pandas as pd

        self.fix(list(frame.columns))
        return frame.assign(**{name: pd.array([], dtype="Float64") for name in self.columns})


def cells(name: str, series: Any, bad: dict[int, str]) -> Any:
    """A variable's column of a pandas partition as float64, read as every other path
    reads it (``points_in.numbers``: text as Python's ``float`` reads it, null is an
    empty cell); the column itself is left as it is."""
    import numpy as np
    import pandas as pd

    from adcalc.batch.csv_in import not_a_number, numbers

    kind = series.dtype.kind
    if kind in "iufb" and not isinstance(series.dtype, pd.CategoricalDtype):
        if getattr(series.array, "_mask", None) is None:  # plain NumPy numbers
            return series.to_numpy(dtype=np.float64)
        missing = series.isna().to_numpy()
        for k in np.flatnonzero(missing).tolist():
            bad.setdefault(k, not_a_number(name, None))
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    if kind in "OSU" or isinstance(series.dtype, pd.StringDtype):
        values = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                  else v for v in series.astype(object).tolist()]
        return numbers(name, values, bad)
    raise InputError(f"the points' column {name} holds {series.dtype}, not numbers")


def frame_function(expression: str | Tape, kind: str = "gradient",
                   variables: list[str] | None = None) -> FrameFunction:
    """``adcalc.frame_function("x*y")``: the batch sweep of one partition (see above).
    A program with branches or loops takes each row's own path (``batch.paths``)."""
    from adcalc.commands.points import batch_tape

    tape, names = batch_tape(expression, variables, kind)
    return FrameFunction(tape, names, kind)


def _sweep_part(f: FrameFunction, frame: Any, path: str) -> tuple[int, list, list, Any]:
    """One partition swept and written to ``path``: (rows, bad rows, kink rows, the first
    kink's node values) — what the report needs, small."""
    out, result = f.sweep(frame)
    out.to_parquet(path, index=False)
    at = result.kink_rows()
    first = result.kink_example(at[0]) if at else None
    return len(frame), result.bad, at, first


DATASET_FILES = ("_metadata", "_common_metadata", "_SUCCESS")


def check_folder(target: str, source: str, overwrite: bool) -> None:
    """``-o`` of ``--engine dask``: a dataset folder, new unless ``--overwrite`` (and then
    only a folder of Parquet parts, so nothing else in it is lost), never the points."""
    import os
    from pathlib import Path

    from adcalc.batch.columnar import FORMATS
    from adcalc.commands.points import check_target

    suffix = Path(target.rstrip("/")).suffix.lower()
    if FORMATS.get(suffix, "parquet") != "parquet":
        raise InputError(f"{DASK} writes a Parquet dataset, a folder of files; "
                         f"{target!r} names a {FORMATS[suffix]} file: name a folder")
    check_target(target, [source], overwrite=True)  # never the points
    if os.path.lexists(target) and not os.path.isdir(target):
        raise InputError(f"the output {target!r} is a file; {DASK} writes a dataset "
                         "folder: name a folder")
    if os.path.isdir(target):
        if not overwrite:
            raise InputError(f"the output folder {target!r} exists: give "
                             f"{param('overwrite')} to replace the dataset in it, or name a "
                             "new folder")
        others = [e.name for e in os.scandir(target)
                  if not (e.is_file() and (e.name.endswith(".parquet")
                                           or e.name in DATASET_FILES))]
        if others:
            raise InputError(f"the output folder {target!r} holds more than a Parquet "
                             f"dataset ({others[0]}): adcalc replaces only a folder of "
                             "Parquet files; name a new folder")


def sweep_dataset(expression: str | Tape, source: str, target: str, kind: str = "gradient",
                  variables: list[str] | None = None, strict: bool = False,
                  overwrite: bool = False, scheduler: str | None = None
                  ) -> tuple[Tape, list[str], Any]:
    """Every partition of the Parquet dataset ``source`` (a folder or a glob) swept with
    ``frame_function`` on Dask — on the cluster of the scheduler at ``scheduler``
    (``tcp://host:8786``; see ``cluster_address`` for where it comes from otherwise), or
    of the current ``distributed.Client``, else on Dask's local scheduler — written as the
    Parquet dataset ``target`` (a folder of one file per partition: on a cluster, the
    workers read ``source`` and write the parts, so both are paths they share with this
    process).  A row that cannot be evaluated is null, and
    is reported (rows numbered from 1 in the dataset's order); with ``strict`` it stops
    the run.  The folder appears (or replaces the old one, with ``overwrite``) only when
    the run succeeds.  Returns the tape, the variables and a ``BatchSummary``."""
    import os
    import shutil
    import tempfile

    from adcalc.batch.csv_in import row_message
    from adcalc.commands.points import BatchSummary

    try:
        import dask
        import dask.dataframe as dd
    except ImportError:
        raise InputError(f"{DASK} needs Dask: pip install 'adcalc[dask]'") from None
    f = frame_function(expression, kind, variables)
    check_folder(target, source, overwrite)
    address = cluster_address(scheduler)
    try:
        points = dd.read_parquet(source)
    except Exception as exc:
        raise InputError(f"cannot read the Parquet dataset {source!r}: {exc}") from None
    f.fix(list(points.columns))
    parent = os.path.dirname(os.path.abspath(target.rstrip("/")))
    try:
        made = tempfile.mkdtemp(prefix=".adcalc-", dir=parent)
    except OSError as exc:
        raise InputError(f"cannot write the output {target!r}: {exc.strerror or exc}") from None
    try:
        parts = points.to_delayed()
        tasks = [dask.delayed(_sweep_part)(f, part, os.path.join(made, f"part.{k}.parquet"))
                 for k, part in enumerate(parts)]
        try:
            with connected(address) as client:
                done = dask.compute(*tasks, scheduler=client)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"the dataset could not be swept: {exc}") from None
        summary = BatchSummary()
        for rows, bad, kinks, first_kink in done:
            start = summary.rows + 1
            summary.bad += [(start + r, m) for r, m in bad]
            summary.kinks += [start + r for r in kinks]
            if first_kink is not None and summary.first_kink is None:
                summary.first_kink = first_kink
            summary.rows += rows
        if strict and summary.bad:
            row, message = summary.bad[0]
            error = InputError if message.startswith("column ") else DomainError
            raise error(row_message(row, message))
        if os.path.isdir(target):  # --overwrite, checked above: the old dataset goes
            old = tempfile.mkdtemp(prefix=".adcalc-old-", dir=parent)
            os.replace(target, os.path.join(old, "dataset"))
            os.replace(made, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(made, target)
    finally:
        if os.path.isdir(made):
            shutil.rmtree(made, ignore_errors=True)
    return f.tape, list(f.names), summary


def cluster_address(scheduler: str | None = None) -> str | None:
    """The address of the Dask scheduler to sweep on: ``scheduler``, else the command
    line's (``SCHEDULER_SETTING``), else Dask's setting ``scheduler-address``
    (``DASK_SCHEDULER_ADDRESS``, or Dask's configuration files) unless this process has a
    current ``distributed.Client`` (then its cluster, as ``dask.compute`` would go);
    ``None``: as ``dask.compute`` goes (that Client, or Dask's local scheduler)."""
    import dask

    address = scheduler if scheduler is not None else SCHEDULER_SETTING.get()
    if address is not None:
        return str(address)
    configured = dask.config.get("scheduler-address", None)
    if not configured:
        return None
    try:
        from distributed import default_client

        default_client()
        return None  # this process's Client (Client() itself read the setting)
    except (ImportError, ValueError):
        return str(configured)


@contextmanager
def connected(address: str | None) -> Iterator[Any]:
    """A ``distributed.Client`` of the scheduler at ``address`` with a worker or more,
    closed after; ``None`` for no address.  Nothing hangs: the scheduler must answer, and
    a worker be there, within Dask's connect timeout (``distributed.comm.timeouts.connect``,
    30 s unless set: ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s``), else an
    ``InputError`` names the address."""
    if address is None:
        yield None
        return
    import dask

    try:
        from distributed import Client
    except ImportError:
        raise InputError(f"{DASK} on the cluster at {address!r} needs dask.distributed: "
                         "pip install 'adcalc[dask]'") from None
    from dask.utils import parse_timedelta

    wait = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect", "30s"))
    try:
        client = Client(address, timeout=wait, set_as_default=False)
    except ValueError as exc:  # not an address: no port, a bad host
        raise InputError(f"{address!r} is not the address of a Dask scheduler ({exc}): "
                         "give one like tcp://127.0.0.1:8786") from None
    except (OSError, TimeoutError) as exc:
        why = (f"nothing answered within {wait:g} s" if "timed out" in str(exc).lower()
               else str(exc))
        raise InputError(f"cannot connect to the Dask scheduler at {address!r}: {why}; is "
                         "it running there? (how long adcalc waits is Dask's setting "
                         "distributed.comm.timeouts.connect)") from None
    try:
        try:
            client.wait_for_workers(1, timeout=wait)
        except (OSError, TimeoutError):
            raise InputError(f"the Dask scheduler at {address!r} has no workers (none came "
                             f"within {wait:g} s): start one with dask worker {address}"
                             ) from None
        yield client
    finally:
        client.close()
