"""The engine: the table of primitives, the tape, the algebras, the three walks (sweeps)
and what reads them (checks, descriptions, exact and high-precision numbers)."""
