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
gradients/`` runs.  Dask is an optional extra (``pip install "adcalc[dask]"``), imported
only here; the function itself needs only pandas and NumPy, so it pickles to workers.
"""

from __future__ import annotations

from typing import Any

from adcalc.batch import check_columns, output_columns, sweep_columns
from adcalc.errors import InputError
from adcalc.tape import Tape


class FrameFunction:
    """A picklable partition → partition function (the tape travels with it)."""

    def __init__(self, tape: Tape, names: list[str], kind: str) -> None:
        self.tape = tape
        self.names = names
        self.kind = kind
        self.columns = output_columns(tape, names, kind)

    def __call__(self, frame: Any) -> Any:
        import numpy as np

        check_columns(self.tape, list(frame.columns))
        columns = {v: frame[v].to_numpy(dtype=np.float64) for v in self.tape.var_node}
        out, _ = sweep_columns(self.tape, columns, self.names, len(frame), self.kind)
        return frame.assign(**{name: out[name] for name in self.columns})

    def meta(self, frame: Any) -> Any:
        """The empty frame Dask needs to know the output's columns and types."""
        import numpy as np

        return frame.assign(**{name: np.empty(0, dtype=np.float64) for name in self.columns})


def frame_function(expression: str | Tape, kind: str = "gradient",
                   variables: list[str] | None = None) -> FrameFunction:
    """``adcalc.frame_function("x*y")``: the batch sweep of one partition (see above)."""
    from adcalc.commands.common import prepare

    s = prepare(expression, None, variables, scalar=None if kind == "jacobian" else kind)
    return FrameFunction(s.tape, list(s.variables), kind)


def sweep_dataset(expression: str | Tape, source: str, target: str, kind: str = "gradient",
                  variables: list[str] | None = None) -> None:
    """Every partition of the Parquet dataset ``source`` (a folder or a glob) swept with
    ``frame_function`` on Dask — on the cluster of the current ``distributed.Client`` if
    there is one, else Dask's local scheduler — written as the Parquet dataset ``target``
    (a folder of one file per partition).  A row that cannot be evaluated is NaN."""
    try:
        import dask.dataframe as dd
    except ImportError:
        raise InputError("--engine dask needs Dask: pip install 'adcalc[dask]'") from None
    f = frame_function(expression, kind, variables)
    try:
        points = dd.read_parquet(source)
    except Exception as exc:
        raise InputError(f"cannot read the Parquet dataset {source!r}: {exc}") from None
    check_columns(f.tape, list(points.columns))
    taken = [c for c in f.columns if c in points.columns]
    if taken:
        raise InputError(f"the points already have a column {taken[0]!r}, which the output "
                         "would write again: rename it")
    points.map_partitions(f, meta=f.meta(points._meta)).to_parquet(target, write_index=False)
