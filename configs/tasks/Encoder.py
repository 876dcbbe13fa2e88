"""Encoder: two transformer encoder blocks (attention with softmax, layer norm,
SiLU) and a cross-entropy loss, from graphax src/graphax/examples/deep_learning.py
(the paper's task "Encoder": 16 inputs, 91 vertices = 90 + 1 output).

Written so that jax.make_jaxpr gives, under JAX 0.4.26, exactly the jaxpr
AlphaGrad built its graph from (tests/data/alphagrad/Encoder.jaxpr.txt).
Note the layer norm as graphax wrote it: the per-row mean (shape (4,))
broadcasts as a row, and the four scalars gamma/beta are Python floats in
example_args (weak-typed, hence the converts). Newer JAX adds a `max`
vertex per softmax (README "From a JAX function").
"""
import jax.nn as jnn
import jax.numpy as jnp


def sigmoid(x):
    return 1. / (1. + jnp.exp(-x))


def SiLU(x):
    return x * sigmoid(x)


def layer_norm(x, gamma, beta):
    mu = jnp.mean(x, axis=1)
    sigma = jnp.mean((x - mu)**2, axis=1)
    return (x - mu) / jnp.sqrt(sigma + 1e-6) * gamma + beta


def attn(q, k, v):
    a = q.T @ k
    z = jnn.softmax(a, axis=1)
    return z @ v


def encoder_block(x, WQ, WK, WV, W, b, gamma, beta):
    q = WQ @ x
    k = WK @ x
    v = WV @ x
    a = x + attn(q, k, v)
    c = layer_norm(a, gamma, beta)
    return SiLU(W @ c + b)


def Encoder(x, y, WQ1, WQ2, WK1, WK2, WV1, WV2, W1, W2, b1, b2, gamma1, beta1, gamma2, beta2):
    z1 = encoder_block(x, WQ1, WK1, WV1, W1, b1, gamma1, beta1)
    z2 = encoder_block(z1, WQ2, WK2, WV2, W2, b2, gamma2, beta2)
    return -jnp.sum(y * jnp.log(jnn.softmax(z2, axis=1)), axis=1)


# Where tests and benchmarks draw random points: one (low, high) box for every
# argument, or one per argument.
DOMAIN = (0.5, 1.5)


def example_args():
    """The arguments AlphaGrad traced it with (float32 arrays; Python floats
    stay weak-typed scalars)."""
    import numpy as np
    m = lambda *s: np.ones(s, np.float32)
    return [m(4, 4), m(2, 4), m(4, 4), m(4, 4), m(4, 4), m(4, 4), m(4, 4), m(4, 4), m(4, 4),
            m(2, 4), m(4), m(2, 1), 1., 1., 1., 1.]
