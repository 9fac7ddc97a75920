"""What becomes a tape: the grammar's LALR driver and builder, the Python tracer (Var),
the catalogue of functions and the text the user hands over."""
