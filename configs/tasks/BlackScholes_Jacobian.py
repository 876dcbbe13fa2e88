"""BlackScholes_Jacobian: the reverse-mode Jacobian of the Black-Scholes price
(graphax src/graphax/examples/economics.py: jacve(BlackScholes, order="rev",
argnums=(0, 1, 2, 3, 4))), i.e. the second-order greeks as a function of
(S, K, r, sigma, T), each of shape (1,). 134 vertices = 129 + 5 outputs.

graphax's jacve traces BlackScholes and emits, for every operation, its value
and its local partial derivatives, then a reverse sweep that multiplies
cotangents back to the inputs. BlackScholes_Jacobian below writes that
program out, one operation per line, in jacve's order, so that
jax.make_jaxpr gives, under JAX 0.4.26, exactly the jaxpr AlphaGrad built its
graph from (tests/data/alphagrad/BlackScholes_Jacobian.jaxpr.txt), the unused
partials included (JAX drops their results: the `_` equations). Its values
equal jax.jacrev(BlackScholes) (tests/jax/test_export.py).
"""
import jax.numpy as jnp
import jax.scipy.special as jss


def Phi(z):
    return (1. + jss.erf(z / jnp.sqrt(2.))) / 2


def Black76(F, K, r, sigma, T):
    d1 = (jnp.log(F / K) + (sigma**2) / 2. * T) / (sigma * jnp.sqrt(T))
    d2 = d1 - sigma * jnp.sqrt(T)
    return jnp.exp(-r * T) * (F * Phi(d1) - K * Phi(d2))


def BlackScholes(S, K, r, sigma, T):
    F = jnp.exp(r * T) * S
    return Black76(F, K, r, sigma, T)


def BlackScholes_Jacobian(S, K, r, sigma, T):
    import numpy as np
    one = np.float32(1.0)   # a strongly typed 1: its negations multiply without a convert
    # ---- primal, each operation followed by its local partials
    rT = r * T
    erT = jnp.exp(rT)
    F = erT * S
    FK = F / K
    dFK_dF = 1.0 / K
    dFK_dK = -F / K**2
    lFK = jnp.log(FK)
    dlFK = 1.0 / FK
    s2 = sigma**2
    ds2 = 2.0 * sigma**1
    s2h = s2 / 2.0
    _ = -s2 / 4.0
    s2hT = s2h * T
    num1 = lFK + s2hT
    sT = jnp.sqrt(T)
    dsT = 0.5 / sT
    den1 = sigma * sT
    d1 = num1 / den1
    dd1_dnum = 1.0 / den1
    dd1_dden = -num1 / den1**2
    sT2 = jnp.sqrt(T)
    dsT2 = 0.5 / sT2
    ssT2 = sigma * sT2
    d2 = d1 - ssT2
    dd2_dssT2 = jnp.negative(one)
    mr = -r
    dmr = jnp.negative(one)
    mrT = mr * T
    emrT = jnp.exp(mrT)
    # Phi(d1)
    r2 = jnp.sqrt(2.)
    _ = 0.5 / r2
    r2 = r2.astype(jnp.float32)
    z1 = d1 / r2
    dz1 = 1.0 / r2
    dz1_dr2 = -d1 / r2**2
    e1 = jss.erf(z1)
    de1 = 2.0 * jnp.exp(-z1**2) / jnp.sqrt(jnp.pi).astype(jnp.float32)
    n1 = 1.0 + e1
    P1 = n1 / 2.0
    _ = -n1 / 4.0
    FP1 = F * P1
    # Phi(d2)
    r2b = jnp.sqrt(2.)
    _ = 0.5 / r2b
    r2b = r2b.astype(jnp.float32)
    z2 = d2 / r2b
    dz2 = 1.0 / r2b
    dz2_dr2 = -d2 / r2b**2
    e2 = jss.erf(z2)
    de2 = 2.0 * jnp.exp(-z2**2) / jnp.sqrt(jnp.pi).astype(jnp.float32)
    n2 = 1.0 + e2
    P2 = n2 / 2.0
    _ = -n2 / 4.0
    KP2 = K * P2
    diff = FP1 - KP2
    ddiff = jnp.negative(one)
    _ = emrT * diff
    # ---- reverse sweep (graphax's jacve, order="rev")
    c_FP1 = emrT * 1.0
    c_KP2 = emrT * ddiff
    c_K1 = c_KP2 * P2
    c_P2 = c_KP2 * K
    c_n2 = c_P2 * 0.5
    c_e2 = c_n2 * 1.0
    c_z2 = c_e2 * de2
    c_d2 = c_z2 * dz2
    _ = c_z2 * dz2_dr2
    c_F1 = c_FP1 * P1
    c_P1 = c_FP1 * F
    c_n1 = c_P1 * 0.5
    c_e1 = c_n1 * 1.0
    c_z1 = c_e1 * de1
    c_d1a = c_z1 * dz1
    _ = c_z1 * dz1_dr2
    c_mrT = diff * emrT
    c_mr = c_mrT * T
    c_T1 = c_mrT * mr
    c_r1 = c_mr * dmr
    c_d1b = c_d2 * 1.0
    c_d1 = c_d1b + c_d1a
    c_ssT2 = c_d2 * dd2_dssT2
    c_sigma1 = c_ssT2 * sT2
    c_sT2 = c_ssT2 * sigma
    c_T2 = c_sT2 * dsT2
    c_T3 = c_T2 + c_T1
    c_num = c_d1 * dd1_dnum
    c_den = c_d1 * dd1_dden
    c_sigma2 = c_den * sT
    c_sigma3 = c_sigma2 + c_sigma1
    c_sT = c_den * sigma
    c_T4 = c_sT * dsT
    c_T5 = c_T4 + c_T3
    c_lFK = c_num * 1.0
    c_s2hT = c_num * 1.0
    c_s2h = c_s2hT * T
    c_T6 = c_s2hT * s2h
    c_T = c_T6 + c_T5
    c_s2 = c_s2h * 0.5
    c_sigma4 = c_s2 * ds2
    d_sigma = c_sigma4 + c_sigma3
    c_FK = c_lFK * dlFK
    c_F2 = c_FK * dFK_dF
    c_F = c_F2 + c_F1
    c_K2 = c_FK * dFK_dK
    d_K = c_K2 + c_K1
    c_erT = c_F * S
    d_S = c_F * erT
    c_rT = c_erT * erT
    c_r2 = c_rT * T
    d_r = c_r2 + c_r1
    c_T7 = c_rT * r
    d_T = c_T7 + c_T
    return d_S, d_K, d_r, d_sigma, d_T


# Where tests and benchmarks draw random points: one (low, high) box for every
# argument, or one per argument:
# spot, strike, rate, volatility, maturity.
DOMAIN = [(0.8, 1.2), (0.8, 1.2), (0.01, 0.05), (0.1, 0.4), (0.5, 2.0)]


def example_args():
    """The arguments AlphaGrad traced it with (float32 arrays; Python floats
    stay weak-typed scalars)."""
    import numpy as np
    return [np.ones(1, np.float32)] * 5
