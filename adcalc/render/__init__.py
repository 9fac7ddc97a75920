"""Renderers: they turn command records into text and never compute derivatives.

``document`` holds the neutral model (paragraphs and tables).  Each record module turns
one kind of record into it, with the same four functions (``blocks``, ``to_json``,
``quiet_text``, ``warnings``): ``trace`` (grad), ``vector_report`` (jacobian, hessian, jvp,
vjp), ``diff_report`` (diff).  ``output`` is the one place that prints them: as rich
tables (``rich_tty``), plain text (``plain``), Markdown or LaTeX (``notes``), JSON
(``json_out``) or the numbers only.  ``points_out`` writes batches; ``graph_image``,
``graph_text`` and ``dot`` draw graphs; ``step_view`` is the frames of ``--step``.
"""
