"""Perceptron: a two-layer perceptron with layer norm and a softmax
cross-entropy loss, from graphax src/graphax/examples/deep_learning.py (the
paper's task "Perceptron" (MLP): 8 inputs, 39 vertices = 38 + 1 output).

Written so that jax.make_jaxpr gives, under JAX 0.4.26, exactly the jaxpr
AlphaGrad built its graph from (tests/data/alphagrad/Perceptron.jaxpr.txt):
W @ x.T as jnp.inner, the row means as mu[:, None], and gamma, beta as Python
floats in example_args (weak-typed, hence the converts). Newer JAX adds a
`max` vertex to the softmax (README "From a JAX function").
"""
import jax.nn as jnn
import jax.numpy as jnp


def layer_norm(x, gamma, beta):
    mu = jnp.mean(x, axis=1)
    sigma = jnp.mean((x - mu[:, None])**2, axis=1)
    return (x - mu[:, None]) / jnp.sqrt(sigma + 1e-6)[:, None] * gamma + beta


def Perceptron(x, y, W1, b1, W2, b2, gamma, beta):
    y1 = jnp.inner(W1, x).T
    z1 = y1 + b1
    a1 = jnp.tanh(z1)
    a1 = layer_norm(a1, gamma, beta)
    y2 = jnp.inner(W2, a1).T
    z2 = y2 + b2
    a2 = jnp.tanh(z2)
    p = jnn.softmax(a2, axis=1)
    return -jnp.sum(y * jnp.log(p), axis=1)


# Where tests and benchmarks draw random points: one (low, high) box for every
# argument, or one per argument.
DOMAIN = (0.5, 1.5)


def example_args():
    """The arguments AlphaGrad traced it with: x, y (1, 4), W1 (8, 4), b1 (8,),
    W2 (4, 8), b2 (4,), and gamma, beta as Python floats."""
    import numpy as np
    m = lambda *s: np.ones(s, np.float32)  # noqa: E731
    return [m(1, 4), m(1, 4), m(8, 4), m(8), m(4, 8), m(4), 1., 1.]
