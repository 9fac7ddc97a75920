"""The famous examples, built in: ``adcalc examples`` lists them, ``adcalc examples NAME``
prints one and runs it (with any of its command's options).  Each carries the numbers
its source publishes, and a test reproduces every one of them."""

from __future__ import annotations

from typing import NamedTuple


class Example(NamedTuple):
    name: str
    title: str
    source: str
    command: str
    """grad or jacobian."""
    program: str
    point: str
    published: dict[str, str]
    """What the source prints, to the digits it prints: label → value."""
    note: str = ""
    """How the source's numbers were made, where that explains their last digit."""
    closed: str = ""
    """The closed form the numbers are checked against, where no source prints them."""

    def about(self) -> str:
        """The lines printed above the example: what it is, where from, its numbers."""
        lines = [self.title, f"from {self.source}"]
        if self.published:
            lines.append("published: " + ", ".join(f"{k} = {v}" for k, v in
                                                   self.published.items()) + self.note)
        elif self.closed:
            lines.append(f"closed form: {self.closed}")
        else:
            lines.append("no numbers published: adcalc's are checked against SymPy and "
                         "finite differences")
        return "\n".join([*lines, *self.program.splitlines(), ""])


EXAMPLES = [
    Example("baydin", "f(x1, x2) = ln(x1) + x1·x2 − sin(x2), the survey's worked example",
            "Baydin, Pearlmutter, Radul & Siskind, Automatic differentiation in machine "
            "learning: a survey (JMLR 18, 2018), Tables 2 and 3",
            # bound in the order of the survey's evaluation trace: v3 = sin(v0) before the sum
            "grad", "a = ln(x1)\nb = x1*x2\nc = sin(x2)\na + b - c", "x1=2,x2=5",
            {"f": "11.652", "∂f/∂x1": "5.5", "∂f/∂x2": "1.716"}),
    Example("griewank", "the running example of Griewank & Walther's book",
            "Griewank & Walther, Evaluating Derivatives (2nd ed., SIAM 2008)",
            # grouped as the book's procedure: v4 = v1 - v3 is computed once, used twice
            "grad", "(sin(x1/x2) + (x1/x2 - exp(x2)))*(x1/x2 - exp(x2))", "x1=1.5,x2=0.5",
            {"f": "2.0167", "∂f/∂x1": "3.0118", "∂f/∂x2": "-13.7239"},
            " (the book rounds every step to four decimals, so its last digit may differ)"),
    Example("seed", "this README's first example", "adcalc's README",
            "grad", "log((x1+x2)^2 + sin(x1*x2))", "x1=1,x2=0.5",
            {"f": "1.0040911616346275", "∂f/∂x1": "1.2598956199053317",
             "∂f/∂x2": "1.4206588555162871"}),
    Example("softmax", "the Jacobian of softmax: diag(s) - s·sᵀ", "any deep-learning text",
            "jacobian", "softmax([a, b, c])", "a=1,b=2,c=3", {}),
    Example("logistic", "a logistic-regression loss on one example (x = (2, 1), y = 1)",
            "the log-loss -log(sigmoid(w·x + b)), as in any ML course",
            "grad", "z = w1*2 + w2*1 + b\nsoftplus(-z)", "w1=0.5,w2=-1,b=0.1", {}),
    Example("xor", "a 2-2-1 tanh network's squared error on the XOR data",
            "the XOR exercise of the backpropagation tutorials",
            "grad",
            "h1 = tanh(w11*0 + w12*0 + b1); h2 = tanh(w21*0 + w22*0 + b2)\n"
            "o1 = sigmoid(u1*h1 + u2*h2 + c)\n"
            "h3 = tanh(w11*0 + w12*1 + b1); h4 = tanh(w21*0 + w22*1 + b2)\n"
            "o2 = sigmoid(u1*h3 + u2*h4 + c)\n"
            "h5 = tanh(w11*1 + w12*0 + b1); h6 = tanh(w21*1 + w22*0 + b2)\n"
            "o3 = sigmoid(u1*h5 + u2*h6 + c)\n"
            "h7 = tanh(w11*1 + w12*1 + b1); h8 = tanh(w21*1 + w22*1 + b2)\n"
            "o4 = sigmoid(u1*h7 + u2*h8 + c)\n"
            "o1^2 + (o2 - 1)^2 + (o3 - 1)^2 + o4^2",
            "w11=0.5,w12=-0.4,w21=0.3,w22=0.8,b1=0.1,b2=-0.2,u1=1.2,u2=-0.7,c=0.05",
            {}),
    # programs: loops and branches, traced at the point
    Example("newton", "Newton's (Babylonian) square root: 6 steps of y = (y + x/y)/2 from "
            "y = x", "Griewank & Walther, Evaluating Derivatives (2nd ed., SIAM 2008), "
            "ch. 15: derivatives of fixed-point iterations",
            "grad", "y = x\nrepeat 6 {\n  y = (y + x/y)/2\n}\ny", "x=2", {},
            closed="f → sqrt(x) = 1.4142135623730951, ∂f/∂x → 1/(2*sqrt(x)) = "
            "0.35355339059327373"),
    Example("network", "a two-layer network: sigmoid(Σ_i w[i]*relu(Σ_j v[i,j]*x[j] + b[i]))",
            "the backpropagation tutorials' two-layer network, written with for loops",
            "grad",
            "s = 0\nfor i in 1..2 {\n  h = b[i]\n  for j in 1..2 {\n    h = h + v[i,j]*x[j]\n"
            "  }\n  s = s + w[i]*relu(h)\n}\nsigmoid(s)",
            "w[1]=0.7,w[2]=-1.1,b[1]=0.1,b[2]=-0.2,v[1,1]=0.5,v[1,2]=-0.2,v[2,1]=-0.8,"
            "v[2,2]=0.4,x[1]=1,x[2]=2", {},
            closed="with hidden unit 2 off (h2 = -0.2), ∂f/∂w[1] = σ'(s)·h1, ∂f/∂v[1,j] = "
            "σ'(s)·w[1]·x[j], and every derivative through unit 2 is 0"),
    Example("huber", "the Huber loss of a residual y - t, quadratic within d of 0",
            "Huber, Robust estimation of a location parameter (Ann. Math. Stat. 35, 1964)",
            "grad", "r = y - t\nif abs(r) <= d then r^2/2 else d*(abs(r) - d/2)",
            "y=2.5,t=1,d=1", {},
            closed="|r| > d: f = d*(|r| - d/2) = 1, ∂f/∂y = d*sign(r) = 1, ∂f/∂t = -1, "
            "∂f/∂d = |r| - d = 0.5"),
    Example("euler", "10 explicit Euler steps of x' = -k*x (step h = 0.1) from x0",
            "any numerical-analysis text: the recurrence x_{n+1} = (1 - h*k)*x_n",
            "grad", "h = 0.1\nx = x0\nrepeat 10 {\n  x = x - h*k*x\n}\nx", "k=0.5,x0=1",
            {}, closed="x10 = x0*(1 - h*k)^10, ∂/∂k = -10*h*x0*(1 - h*k)^9, "
            "∂/∂x0 = (1 - h*k)^10"),
]
"""Every example; ``published`` is empty where the numbers are this table's own (the
tests check them against SymPy instead)."""

BY_NAME = {e.name: e for e in EXAMPLES}
