"""Reports for notes and slides: Markdown (pipe tables) and LaTeX (tabular, compiles with
pdflatex).  The same blocks as every other renderer; the trace notation becomes the
textbook's: ``v̄3`` is ``\\bar{v}_{3}``, ``v-1`` is ``v_{-1}``, ``∂v6/∂v5`` is
``\\partial v_{6}/\\partial v_{5}``."""

from __future__ import annotations

import re

from adcalc.render.document import Block, Para

# -- Markdown -----------------------------------------------------------------------------


def _md(cell: str) -> str:
    """A cell as Markdown text: what would be markup (| * _ ` \\ [ <) is escaped."""
    for ch in "\\|*_`[<":
        cell = cell.replace(ch, "\\" + ch)
    return cell.replace("\n", " ")


def _md_line(line: str) -> str:
    """A line of a paragraph: a #, >, - or + that starts it would make a heading, a quote
    or a list, so it is escaped too (its indent kept)."""
    text = _md(line)
    body = text.lstrip()
    if body[:1] in ("#", ">", "-", "+"):
        return text[: len(text) - len(body)] + "\\" + body
    return text


def markdown(blocks: list[Block]) -> str:
    """The report as Markdown: paragraphs, and each table under its title in bold."""
    parts = []
    for b in blocks:
        if isinstance(b, Para):
            parts.append("  \n".join(_md_line(line) for line in b.text.splitlines()))
            continue
        lines = [f"**{_md(b.title)}**", "", "| " + " | ".join(_md(c) for c in b.columns) + " |",
                 "|" + "|".join("---:" if k in b.right else "---" for k in range(len(b.columns)))
                 + "|"]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in b.rows]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


# -- LaTeX --------------------------------------------------------------------------------

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}"}
_SYMBOLS = {"<=": r"\le ", ">=": r"\ge ", "|": "|", "<": "<", ">": ">",
            "∂": r"\partial ", "·": r"\cdot ", "∇": r"\nabla ", "λ": r"\lambda ",
            "×": r"\times ", "→": r"\to ", "ᵀ": "^{T}", "…": r"\dots ", "π": r"\pi ",
            "−": "-", "√": r"\surd ", "≤": r"\le ", "≥": r"\ge ", "σ": r"\sigma "}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_TOKEN = re.compile(r"v\u0304(-?\d+)|v\u0307(-?\d+)|\bv(-?\d+)\b|([⁰¹²³⁴⁵⁶⁷⁸⁹]+)|"
                    r"(<=|>=|[∂·∇λ×→ᵀ…π−√≤≥σ|<>])|\b([A-Za-z]\w*)\[(\d+)\]|"
                    r"\^(-?[\w.]+|\([^()]*\))")


def tex(text: str) -> str:
    """A cell in LaTeX: the trace's symbols in math mode, everything else escaped."""
    out = []
    last = 0
    for m in _TOKEN.finditer(text):
        out.append("".join(_SPECIAL.get(ch, ch) for ch in text[last:m.start()]))
        bar, dot, plain, power, symbol, name, index, raised = m.groups()
        if name is not None:  # an indexed name, w[1], as the formulas write it: w_{1}
            out.append(rf"$\mathit{{{name}}}_{{{index}}}$".replace("_", r"\_", name.count("_")))
        elif raised is not None:  # v1^2, x^(1/3)
            out.append(rf"\textsuperscript{{{tex(raised)}}}")
        elif bar is not None:
            out.append(rf"$\bar{{v}}_{{{bar}}}$")
        elif dot is not None:
            out.append(rf"$\dot{{v}}_{{{dot}}}$")
        elif plain is not None:
            out.append(rf"$v_{{{plain}}}$")
        elif power is not None:
            out.append(f"$^{{{power.translate(_SUPERSCRIPTS)}}}$")
        else:
            out.append(f"${_SYMBOLS[symbol]}$")
        last = m.end()
    out.append("".join(_SPECIAL.get(ch, ch) for ch in text[last:]))
    text = "".join(out).replace("$$", "").replace("[", "{[}")  # \\[ would be a length
    return "".join(ch if ord(ch) < 128 else f"[U+{ord(ch):04X}]" for ch in text)


def latex(blocks: list[Block]) -> str:
    """The report as a LaTeX fragment: paragraphs, and each table as a ``tabular``."""
    parts = []
    for b in blocks:
        if isinstance(b, Para):
            parts.append(" \\\\\n".join(tex(line) for line in b.text.splitlines()))
            continue
        spec = "".join("r" if k in b.right else "l" for k in range(len(b.columns)))
        lines = [rf"\noindent\textbf{{{tex(b.title)}}}\par\smallskip", "",
                 rf"\begin{{tabular}}{{{spec}}}", r"\hline",
                 " & ".join(rf"\textbf{{{tex(c)}}}" for c in b.columns) + r" \\", r"\hline"]
        lines += [" & ".join(tex(c) for c in row) + r" \\" for row in b.rows]
        lines += [r"\hline", r"\end{tabular}"]
        parts.append("\n".join(lines))
    return "\n\n\\bigskip\n\n".join(parts) + "\n"


def comment(text: str, fmt: str) -> str:
    """Lines about what follows (an example's title and source): ``# `` lines in plain
    text, a block quote in Markdown, ``%`` comments in LaTeX."""
    lines = text.splitlines()
    if fmt == "markdown":
        return "\n".join("> " + _md_line(line) + "  " for line in lines).rstrip() + "\n"
    mark = "%" if fmt == "latex" else "#"
    return "\n".join(f"{mark} {line}".rstrip() for line in lines) + "\n"


def document(body: str) -> str:
    """A whole file that pdflatex compiles (``--format latex`` prints the fragment)."""
    return ("\\documentclass{article}\n\\usepackage[margin=1cm,landscape]{geometry}\n"
            "\\begin{document}\n\\small\n" + body + "\\end{document}\n")
