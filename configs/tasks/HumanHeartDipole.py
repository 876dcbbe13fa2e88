"""HumanHeartDipole: the MINPACK-2 human heart dipole problem (residuals of
the nonlinear system solved with Newton's method).
Transcribed from graphax src/graphax/examples/minpack.py (HumanHeartDipole),
keeping its evaluation order and expression structure so that vertex
numbers equal JAX tracing order: 8 inputs, 86 vertices (78 + 8 outputs).

The same function as configs/tasks/HumanHeartDipole.ccx, in JAX: exported with
scripts/jax_export.py it gives the same graph (tests/jax/test_export.py).
"""

sigma_mx = 1.
sigma_my = 1.
sigma_A = 1.
sigma_B = 1.
sigma_C = 1.
sigma_D = 1.
sigma_E = 1.
sigma_F = 1.


def HumanHeartDipole(x1, x2, x3, x4, x5, x6, x7, x8):
    f1 = x1 + x2 - sigma_mx
    f2 = x3 + x4 - sigma_my
    f3 = x5 * x1 + x6 * x2 - x7 * x3 - x8 * x4 - sigma_A
    f4 = x7 * x1 + x8 * x2 + x5 * x3 + x6 * x4 - sigma_B

    x57 = (x5**2 - x7**2)
    x68 = (x6**2 - x8**2)

    f5 = x1 * x57 - 2 * x3 * x5 * x7 + x2 * x68 - 2 * x4 * x6 * x8 - sigma_C
    f6 = x3 * x57 - 2 * x1 * x5 * x7 + x4 * x68 - 2 * x2 * x6 * x8 - sigma_D

    x557 = x5 * (x5**2 - 3 * x7**2)
    x775 = x7 * (x7**2 - 3 * x5**2)
    x668 = x6 * (x6**2 - 3 * x8**2)
    x886 = x8 * (x8**2 - 3 * x6**2)

    # (the source subtracts sigma_E from both f7 and f8)
    f7 = x1 * x557 + x3 * x775 + x2 * x668 + x4 * x886 - sigma_E
    f8 = x3 * x557 - x1 * x775 + x4 * x668 - x2 * x886 - sigma_E

    return f1, f2, f3, f4, f5, f6, f7, f8


# Where tests and benchmarks draw random points: one (low, high) box for every
# argument, or one per argument.
DOMAIN = (0.5, 1.5)


def example_args():
    """The arguments AlphaGrad traced it with: float32 scalars."""
    import numpy as np
    return [np.float32(1.0)] * 8
