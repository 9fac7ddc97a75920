"""Where the time goes: stages timed when profiling is on (--profile, ADCALC_PROFILE=1).

The core marks its stages with ``with stage("primal sweep"):``; when profiling is off
that costs one attribute check.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

IMPORTED = time.perf_counter()


class Recorder:
    def __init__(self) -> None:
        self.enabled = bool(os.environ.get("ADCALC_PROFILE"))
        self.stages: list[tuple[str, float]] = []

    def report(self) -> str:
        total = sum(t for _, t in self.stages)
        parts = [f"{name} {t * 1e3:.2f} ms" for name, t in self.stages]
        since = (time.perf_counter() - IMPORTED) * 1e3
        return (f"profile: {' · '.join(parts)} · total {total * 1e3:.2f} ms "
                f"({since:.1f} ms since adcalc was imported)")


RECORDER = Recorder()


@contextmanager
def stage(name: str) -> Iterator[None]:
    if not RECORDER.enabled:
        yield
        return
    t0 = time.perf_counter()
    try:
        yield
    finally:
        RECORDER.stages.append((name, time.perf_counter() - t0))
