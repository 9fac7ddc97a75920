"""grad --step: the steps read off the sweeps, the frames, and the keys through a
pseudo-terminal."""

from __future__ import annotations

import os
import re

import pytest

from adcalc.commands.grad import gradient
from adcalc.commands.step import steps, walk
from adcalc.render.step_view import frame
from tests.helpers import Terminal

TEXT = "x*y + sin(x)"


def recorded():
    return gradient(TEXT, {"x": 1.0, "y": 2.0}, record=True)


def test_the_steps_are_the_sweeps_in_order() -> None:
    g = recorded()
    all_steps = steps(g)
    primal = [s for s in all_steps if s.phase == "primal"]
    adjoint = [s for s in all_steps if s.phase == "adjoint"]
    assert [s.node for s in primal] == [i for i, op in enumerate(g.tape.ops) if op >= 0]
    assert all_steps[: len(primal)] == primal  # the primal sweep first, then the adjoint
    assert adjoint[0].node == g.tape.output  # the first contribution leaves the output
    assert len(adjoint) == len(g.adjoint.edges)
    # after its last contribution every adjoint is the sweep's own
    last = {s.updates: s.after for s in walk(g).steps if s.phase == "adjoint"}
    for name in g.variables:
        assert last[g.tape.var_node[name]] == pytest.approx(g.gradient[name], rel=1e-15)


def test_each_frame_marks_the_step() -> None:
    w = walk(recorded())
    all_steps = w.steps
    first = frame(w, 0)
    assert first[1].text.startswith(f"Step 1 of {len(all_steps)}: primal sweep: v1 = ")
    table = first[2]
    assert table.kinds.count("current") == 1 and table.kinds.count("read") == 2
    # a value not computed yet is not shown
    assert any(row[3] == "" for row in table.rows)
    last = frame(w, len(all_steps) - 1)
    assert "adjoint sweep" in last[1].text
    assert last[3].kinds[-1] == "current"  # the contribution just made
    assert "▶" in last[-1].text and "◀" in last[-1].text


def test_without_a_terminal_it_says_so_and_prints_the_tables(cli) -> None:
    r = cli("grad", TEXT, "--at", "x=1,y=2", "--step")
    assert r.exit_code == 0
    assert "--step needs a terminal" in r.stderr
    assert "Adjoint trace" in r.stdout


def test_step_refuses_what_makes_no_sense(cli) -> None:
    for extra in (["--mode", "forward"], ["--seed", "x=1,y=0"], ["-q"], ["--format", "json"]):
        r = cli("grad", TEXT, "--at", "x=1,y=2", "--step", *extra)
        assert r.exit_code == 2, extra


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a pseudo-terminal")
def test_keys_through_a_pseudo_terminal() -> None:
    t = Terminal(["grad", TEXT, "--at", "x=1,y=2", "--step"], COLUMNS="120", LINES="60",
                 TERM="xterm")
    try:
        text = t.until(r"Step 1 of (\d+)[\s\S]*next · p")
        total = int(re.search(r"Step 1 of (\d+)", text).group(1))
        assert "▶" in text and "n, space or → next" in text
        t.write(b"n")
        t.until(r"Step 2 of[\s\S]*next · p")
        t.write(b"\x1b[C")  # the right arrow
        t.until(r"Step 3 of[\s\S]*next · p")
        t.write(b"p")
        t.until(r"Step 2 of[\s\S]*next · p")
        for _ in range(total):
            t.write(b" ")
        text = t.until(rf"Step {total} of {total}: adjoint sweep[\s\S]*next · p")
        assert "contributions so far" in text
        t.write(b"q")
        text = t.until(r"Result \(reverse mode[\s\S]*∂f/∂x\s+2\.5403023058681398")
        after = text.rsplit("q quit", 1)[-1]  # the walk showed the traces; now what they gave
        assert "Result" in after and "Primal trace" not in after
        assert t.close() == 0
    except BaseException:
        t.kill()
        raise


def test_every_frame_fits_the_terminal_and_keeps_the_step_in_view() -> None:
    """On an 80×24 terminal (22 lines for the frame, 2 for the keys) every frame of the
    seed example fits, and the tables and the picture keep the step's own rows."""
    from adcalc.render.step_view import lines

    g = gradient("log((x1+x2)^2 + sin(x1*x2))", {"x1": 1.0, "x2": 0.5}, record=True)
    w = walk(g)
    for k in range(len(w.steps)):
        blocks = frame(w, k, 22)
        assert sum(map(lines, blocks)) + len(blocks) - 1 <= 22, k
        current = [t for t in blocks[2:] if not hasattr(t, "text")][-1]
        assert "current" in current.kinds, k  # the step's row is never cut
        assert "▶" in blocks[-1].text
        for table in blocks[2:-1]:  # the ⋮ rows count what they leave out
            whole = frame(w, k)[blocks.index(table)]
            left = sum(int(row[1].split()[1]) for row in table.rows if row[1].startswith("⋮"))
            assert left + sum(not row[1].startswith("⋮") for row in table.rows) == len(
                whole.rows), k
    assert frame(w, 0, 200) == frame(w, 0)  # room enough: nothing is cut


def test_nothing_to_step_through_says_so(cli) -> None:
    for text in ("x", "a = x; a"):
        r = cli("grad", text, "--at", "x=1", "--step")
        assert r.exit_code == 0 and "Traceback" not in r.stderr
        assert "an operation to step through" in r.stderr and "Result" in r.stdout


def test_the_tour_shows_a_real_frame() -> None:
    from pathlib import Path

    from adcalc.render.plain import render

    tour = (Path(__file__).resolve().parents[2] / "docs" / "tour.md").read_text()
    shown = tour.split("--step`, as plain text:\n\n```text\n", 1)[1].split("\n```", 1)[0]
    g = recorded()
    g.expression = TEXT
    assert render(frame(walk(g), 5)).rstrip("\n") == shown


def test_a_program_s_frames_show_its_decisions() -> None:
    """Each frame of a program shows its path (the compared values, the outcomes, the
    trip count); the primal step computing a decision's last side says what it decided,
    and that decision's row is the one highlighted."""
    from adcalc.render.plain import render

    text = "y = x; while y > 1 { y = y/2 }; if y > 0.5 then y^2 else -y"
    g = gradient(text, {"x": 3.0}, record=True)
    w = walk(g)
    assert [d.outcome for d in g.tape.decisions] == [True, True, False, True]
    second = frame(w, 1)  # v2 = v1/2 = 0.75 settles the loop's last test and the if
    assert second[1].text.endswith(
        "v2 = v1/2 = 0.75; while y > 1 (iteration 3) decides v2 = 0.75 > 1.0: false; "
        "if y > 0.5 decides v2 = 0.75 > 0.5: true")
    path = second[2]
    assert path.title.startswith("Path taken at this point")
    assert path.kinds == ["", "", "current", "current", ""]
    assert path.rows[-1] == ["while y > 1", "", "2 iterations"]
    assert path.rows[0][1] == "v0 = 3.0 > 1.0"
    assert "decides" not in frame(w, 2)[1].text and frame(w, 2)[2].kinds.count("current") == 0
    last = render(frame(w, len(w.steps) - 1))
    assert "adjoint sweep" in last and "if y > 0.5                 v2 = 0.75 > 0.5  true" in last
    for k in range(len(w.steps)):  # a frame cut to a small terminal keeps the step in view
        blocks = frame(w, k, 22)
        assert any("current" in getattr(b, "kinds", ()) for b in blocks[3:]), k
