"""Renderers: they turn sweep records into text and never compute derivatives.

``document`` holds the neutral model (paragraphs and tables); ``trace`` builds it from a
gradient record; ``plain``, ``rich_tty`` and ``json_out`` write it out.
"""
