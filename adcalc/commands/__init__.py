"""The commands, one function each, every one returning a record for the renderers.

    grad        commands.grad.gradient      Gradient
    grad --points  commands.points.run_batch  BatchSummary (rows streamed to the output)
    diff        commands.diff.diff          Diff
    jacobian    commands.vector.jacobian    VectorResult
    jvp, vjp    commands.vector.jvp / vjp   VectorResult
    hessian     commands.vector.hessian     HessianResult
    graph       commands.graph.graph        GraphResult

Each starts with ``common.prepare`` (parse, variables, point, primal sweep) and then runs
the sweeps of ``adcalc.sweeps``.  Commands import the core, never a renderer or the CLI.
"""
