"""RoeFlux_1d: Roe's approximate Riemann solver flux for the 1-D Euler
equations (Roe 1981), gamma = 0.5.
Transcribed from graphax src/graphax/examples/roe.py (RoeFlux_1d), keeping
its evaluation order and expression structure so that vertex numbers equal
JAX tracing order: 6 inputs, 101 vertices (98 intermediates + 3 outputs).

The same function as configs/tasks/RoeFlux_1d.ccx, in JAX: exported with
scripts/jax_export.py it gives the same graph (tests/jax/test_export.py).
"""
import jax.numpy as jnp

gamma = .5


def pressure_1d(u0, u1, u2):
    return (gamma - 1.) * (u2 - .5 * u1**2 / u0)


def enthalpy_1d(u0, u4, p):
    return (u4 + p) / u0


# Flux term of the Euler equations
def F_1d(u0, u1, u2, p):
    v = u1 / u0
    return u1, p + u1 * v, v * (p + u2)


def RoeFlux_1d(ul0, ul1, ul2, ur0, ur1, ur2):
    du0 = ur0 - ul0
    ulr0 = jnp.sqrt(ul0 * ur0)

    w1 = jnp.sqrt(ul0) + jnp.sqrt(ur0)

    vl = ul1 / ul0
    pl = pressure_1d(ul0, ul1, ul2)
    hl = enthalpy_1d(ul0, ul2, pl)

    vr = ur1 / ur0
    pr = pressure_1d(ur0, ur1, ur2)
    hr = enthalpy_1d(ur0, ur2, pr)

    dp = pr - pl
    dv = vr - vl

    # Roe averaging
    u = (jnp.sqrt(ul0) * vl + jnp.sqrt(ur0) * vr) / w1
    h = (jnp.sqrt(ul0) * hl + jnp.sqrt(ur0) * hr) / w1

    q2 = u**2
    a2 = (gamma - 1.) * (h - .5 * q2)
    a = jnp.sqrt(a2)

    lp = jnp.abs(u + a)
    l = jnp.abs(u)
    ln = jnp.abs(u)

    # Coefficients of the approximation
    n = a * ulr0
    c0 = (du0 - dp / a2) * l
    c1 = (dv + dp / n) * lp
    c2 = (dv - dp / n) * ln

    FL0, FL1, FL2 = F_1d(ul0, ul1, ul2, pl)
    FR0, FR1, FR2 = F_1d(ur0, ur1, ur2, pr)

    F0 = FL0 + FR0
    F1 = FL1 + FR1
    F2 = FL2 + FR2

    c = .5 * ulr0 / a

    dF0 = c0 + c * c1 - c * c2
    dF1 = c0 * u + c * c1 * (u + a) - c * c2 * (u - a)
    dF2 = c0 * .5 * q2 + c * c1 * (h + u * a) - c * c2 * (h - u * a)

    phi0 = .5 * (F0 - dF0)
    phi1 = .5 * (F1 - dF1)
    phi2 = .5 * (F2 - dF2)

    return phi0, phi1, phi2


# Where tests and benchmarks draw random points: one (low, high) box for every
# argument, or one per argument:
# densities, momenta, energies of the two states: with gamma < 1 the
# speed of sound is real only where the kinetic energy dominates.
DOMAIN = [(0.8, 1.2), (1.5, 3.0), (0.05, 0.2)] * 2


def example_args():
    """The arguments AlphaGrad traced it with: float32 scalars."""
    import numpy as np
    return [np.float32(1.0)] * 6
