"""PropaneCombustion: the MINPACK-2 propane combustion problem, full
formulation (residuals of the nonlinear system solved with Newton's method).
Transcribed from graphax src/graphax/examples/minpack.py (PropaneCombustion),
keeping its evaluation order and expression structure so that vertex
numbers equal JAX tracing order: 11 inputs, 62 vertices (51 + 11 outputs).

The same function as configs/tasks/PropaneCombustion.ccx, in JAX: exported with
scripts/jax_export.py it gives the same graph (tests/jax/test_export.py).
"""
import jax.numpy as jnp

p = 40.
R = 10.


def PropaneCombustion(x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11):
    px11 = jnp.sqrt(p / x11)
    f1 = x1 + x4 - 3.
    f2 = 2 * x1 + x2 + x4 + x7 + x8 + x9 + 2 * x10 - R
    f3 = 2 * x2 + 2 * x5 + x6 + x7 - 8.
    f4 = 2 * x3 + x9 - 4 * R
    f5 = x2 * x4 - x1 * x5
    f6 = jnp.sqrt(x2 * x4) - jnp.sqrt(x1) * px11 * x6
    f7 = jnp.sqrt(x1 * x2) - jnp.sqrt(x4) * x7 * px11
    f8 = x1 - x4 * x8 * p / x11
    f9 = x1 * jnp.sqrt(x3) - x4 * x9 * px11
    f10 = x1**2 - x4**2 * x10 * p / x11
    f11 = x11 - x1 - x2 - x3 - x4 - x5 - x6 - x7 - x8 - x9 - x10

    return f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11


# Where tests and benchmarks draw random points: one (low, high) box for every
# argument, or one per argument.
DOMAIN = (0.5, 1.5)


def example_args():
    """The arguments AlphaGrad traced it with: float32 scalars."""
    import numpy as np
    return [np.float32(1.0)] * 11
