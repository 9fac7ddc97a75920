"""The command line's option types: points, names, vectors and the expression argument.

Each parses one kind of option value and fails with a usage error (exit 2) that says
what was expected; nothing the user typed reaches ``eval`` (constant values such as
``pi/4`` go through adcalc's own parser).
"""

from __future__ import annotations

import math
import re
from typing import Any

import click

from adcalc.errors import AdcalcError

FLAGS = {"point": "--at", "variables": "--vars", "seed": "--seed", "wrt": "--wrt",
         "direction": "--dir", "cotangent": "--cot", "mode": "--mode", "of": "--of",
         "exact": "--exact", "digits": "--precision", "check": "--check",
         "order": "--order", "points": "--points", "max_steps": "--max-steps",
         "python": "--python", "engine": "--engine", "overwrite": "--overwrite",
         "strict": "--strict", "source_format": "--input-format",
         "target_format": "--output-format", "what": "--what", "name": "--name"}
"""How the command line spells each parameter an error may name (``adcalc.errors``)."""

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)*\])?")
"""A variable name, maybe indexed: x1, w[1], v[1,2]."""
GLUED_PAIR = re.compile(r"(?<=\S)\s+[A-Za-z_][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)*\])?\s*=")
"""A second ``name=`` after a space inside one value: ``--at "x1=1 x2=2"``."""


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split at ``sep`` outside parentheses (``x=max(1,2),y=3`` is two parts)."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch in "([":  # v[1,2]=3 is one pair
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    parts.append(text[start:])
    return parts


def constant_value(text: str) -> float:
    """A number, or a constant expression such as ``pi/4`` (parsed, never eval'd)."""
    try:
        x = float(text)
    except ValueError:
        from adcalc.engine.sweeps import primal
        from adcalc.frontend.parse import parse

        tape = parse(text)
        if tape.variables:
            raise click.BadParameter(f"{text!r} uses {', '.join(tape.variables)}; a value must "
                                     "be a number or a constant expression like pi/4") from None
        if len(tape.outputs) != 1:
            raise click.BadParameter(f"{text!r} is a vector of {len(tape.outputs)} numbers; a "
                                     "value must be one number") from None
        x = Typed(primal(tape, {})[tape.output], text)
    if not math.isfinite(x):
        raise click.BadParameter(f"{text!r} is not a finite number")
    return x


class Typed(float):
    """A value given as a constant expression (``1/3``, ``pi/4``): the double, and the text
    it was typed as, which ``--exact`` and ``--precision`` read again exactly."""

    text: str

    def __new__(cls, x: float, text: str) -> Typed:
        self = super().__new__(cls, x)
        self.text = text
        return self


class PointType(click.ParamType):
    """``x1=1,x2=0.5``: names and values (numbers or constant expressions)."""

    name = "name=value,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> dict[str, float]:
        if isinstance(value, dict):
            return value
        out: dict[str, float] = {}
        for part in split_top_level(str(value)):
            name, eq, rhs = (s.strip() for s in part.partition("="))
            glued = GLUED_PAIR.search(rhs)
            if glued:
                self.fail(f"{part.strip()!r} holds two pairs: separate name=value pairs with "
                          f"commas, as in {name}={rhs[:glued.start()].strip()},"
                          f"{rhs[glued.start():].strip()}", param, ctx)
            if not eq or not NAME_RE.fullmatch(name) or not rhs:
                self.fail(f"expected name=value pairs separated by commas, like x1=1,x2=0.5; "
                          f"got {part.strip()!r}", param, ctx)
            if name in out:
                self.fail(f"{name} is given twice", param, ctx)
            try:
                out[name] = constant_value(rhs)
            except click.BadParameter as exc:
                self.fail(f"the value of {name}: {exc.message}", param, ctx)
            except AdcalcError as exc:
                self.fail(f"the value of {name} is not a number: {exc.spelled(FLAGS)}",
                          param, ctx)
        return out


class NamesType(click.ParamType):
    """``x2,x1``: a comma-separated list of variable names."""

    name = "name,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> list[str]:
        if isinstance(value, list):
            return value
        names = [s.strip() for s in str(value).split(",")]
        for n in names:
            if not NAME_RE.fullmatch(n):
                self.fail(f"{n!r} is not a variable name", param, ctx)
        return names


class VectorType(click.ParamType):
    """``x=1,y=-1`` (by name) or ``1,-1`` (by position)."""

    name = "x=1,y=-1 | 1,-1"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> dict[str, float] | list[float]:
        if isinstance(value, (dict, list)):
            return value
        if "=" in str(value):
            return POINT.convert(value, param, ctx)
        out = []
        for part in split_top_level(str(value)):
            try:
                out.append(constant_value(part.strip()))
            except (click.BadParameter, AdcalcError) as exc:
                why = exc.spelled(FLAGS) if isinstance(exc, AdcalcError) else exc.message
                self.fail(f"expected numbers separated by commas or name=value pairs; "
                          f"{part.strip()!r}: {why}", param, ctx)
        return out


class ExpressionType(click.ParamType):
    """EXPRESSION: the text itself, or a program read from ``@file`` or ``-`` (standard
    input).  Standard input is not read when ``--points -`` (given before, as the command
    line sorts options first) reads it."""

    name = "expression"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> str:
        if value == "-" and ctx is not None and ctx.params.get("points") == "-":
            raise click.UsageError("the expression and the points cannot both come from "
                                   "standard input (-): give the expression as text or @FILE",
                                   ctx)
        return read_source(value)


class ToleranceType(click.ParamType):
    """A finite number >= 0 (click's FloatRange lets nan through, and with it every
    comparison of --check passes)."""

    name = "tolerance"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            tol = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not (math.isfinite(tol) and tol >= 0):
            self.fail(f"{value!r} is not a finite number >= 0", param, ctx)
        return tol


POINT = PointType()
TOLERANCE = ToleranceType()
NAMES = NamesType()
VECTOR = VectorType()
EXPRESSION = ExpressionType()


def read_source(expression: str) -> str:
    """The expression itself, or a program from ``@file`` or ``-`` (standard input)."""
    from adcalc.frontend.inputs import read_source as read

    try:
        return read(expression)
    except AdcalcError as exc:
        raise click.BadParameter(exc.spelled(FLAGS), param_hint="'EXPRESSION'") from None


def merge_points(points: tuple[dict[str, float], ...]) -> dict[str, float]:
    merged: dict[str, float] = {}
    for p in points:
        for name, v in p.items():
            if name in merged:
                raise click.BadParameter(f"{name} is given twice", param_hint="'--at'")
            merged[name] = v
    return merged


def merge_at(ctx: click.Context, param: click.Parameter, value: tuple[dict[str, float], ...]
             ) -> dict[str, float]:
    """The callback of ``--at``: every ``--at`` given, merged into one point (``{}``
    without one); a name given twice is a usage error."""
    return merge_points(value)


