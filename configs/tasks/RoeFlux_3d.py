"""RoeFlux_3d: Roe's approximate Riemann solver flux for the 3-D Euler
equations (gamma = 0.5), after graphax src/graphax/examples/roe.py, vmapped
over a batch of one as AlphaGrad built the task (6 inputs of shapes (1, 1)
and (1, 3), 146 vertices = 143 + 3 outputs: phi0, the momentum fluxes, phi4).

Written so that jax.make_jaxpr gives, under JAX 0.4.26, exactly the jaxpr
AlphaGrad built its graph from (tests/data/alphagrad/RoeFlux_3d.jaxpr.txt),
including the slices, the concatenated pressure vector and the batched dot.
"""
import jax
import jax.numpy as jnp

gamma = .5


def pressure_3d(u0, u, u4):
    return (gamma - 1.) * (u4 - .5 * jnp.sum(u**2) / u0)


def enthalpy_3d(u0, u4, p):
    return (u4 + p) / u0


def F_3d(u0, u, u4, p, v):
    v1 = v[0:1]
    pe = jnp.concatenate([p, jnp.zeros(2)])
    u1 = u[0:1]
    F = pe + u * v
    F4 = v1 * (p + u4)
    return u1, F, F4


def roe_flux_3d(ul0, ul, ul4, ur0, ur, ur4):
    du0 = ur0 - ul0
    du = ur - ul
    du1 = du[0:1]
    du2 = du[1:2]
    du3 = du[2:3]
    du4 = ur4 - ul4

    vl = ul / ul0
    vr = ur / ur0

    w1 = jnp.sqrt(ul0) + jnp.sqrt(ur0)
    uvw = (jnp.sqrt(ul0) * vl + jnp.sqrt(ur0) * vr) / w1
    u = uvw[0:1]
    v = uvw[1:2]
    w = uvw[2:3]

    pl = pressure_3d(ul0, ul, ul4)
    hl = enthalpy_3d(ul0, ul4, pl)
    pr = pressure_3d(ur0, ur, ur4)
    hr = enthalpy_3d(ur0, ur4, pr)

    h = (jnp.sqrt(ul0) * hl + jnp.sqrt(ur0) * hr) / w1
    q2 = jnp.sum(uvw**2)
    a2 = (gamma - 1.) * (h - .5 * q2)
    a = jnp.sqrt(a2)

    lp = u + a
    l = u
    lm = u - a

    c3 = ((gamma - 1.) / a2 * ((h - q2) * du0 + jnp.dot(uvw, du) - du4)) * l
    c2 = (du3 / w - du1) * l
    c1 = (du2 / v - du0) * l
    k1 = du0 - c3
    k2 = (du1 - u * du0) / a
    c0 = .5 * (k1 - k2) * lm
    c4 = .5 * (k1 + k2) * lp

    FL0, FL, FL4 = F_3d(ul0, ul, ul4, pl, vl)
    FR0, FR, FR4 = F_3d(ur0, ur, ur4, pr, vr)
    F0 = FL0 + FR0
    F = FL + FR
    F4 = FL4 + FR4

    dF0 = c0 + c3 + c4 * lp
    dF1 = c0 * lm + c3 * u + c4 * lp
    dF2 = c0 * v + c1 * v + c3 * v + c4 * v
    dF3 = c0 * w + c2 * w + c3 * w + c4 * w
    dF4 = c0 * (h - u * a) + c1 * v**2 + c2 * w**2 + c3 * .5 * q2 + c4 * (h + u * a)
    dF = jnp.concatenate([dF1, dF2, dF3])

    phi0 = .5 * (F0 - dF0)
    phi = .5 * (F - dF)
    phi4 = .5 * (F4 - dF4)
    return phi0, phi, phi4


RoeFlux_3d = jax.vmap(roe_flux_3d)


# Where tests and benchmarks draw random points: one (low, high) box for every
# argument, or one per argument:
# densities, momenta, energies of the two states: with gamma < 1 the
# speed of sound is real only where the kinetic energy dominates.
DOMAIN = [(0.8, 1.2), (1.5, 3.0), (0.05, 0.2)] * 2


def example_args():
    """The arguments AlphaGrad traced it with (float32 arrays; Python floats
    stay weak-typed scalars)."""
    import numpy as np
    s = np.ones((1, 1), np.float32)
    v = np.ones((1, 3), np.float32)
    return [s, v, s, s, v, s]
