"""Symbolic derivatives: derivative tapes, their simplification and canonical form, and
whole formulas in plain text and LaTeX."""
