"""Functions written the way their fields write them (not for ccx), for
tests/jax/test_user_functions.py: each exports without rewriting and its
generated Jacobian equals jax.jacrev, or, for what ccx does not take yet, the
refusal names the primitive and the line. ARGS gives each one's arguments
(shapes; values are drawn in [0.5, 1.5])."""
import jax
import jax.numpy as jnp
from jax.scipy.special import erf, logsumexp


def seir(y, beta, gamma):
    """epidemiology: an SEIR right-hand side, the state packed in one vector"""
    s, e, i, r = jnp.split(y, 4)
    n = s + e + i + r
    inf = beta * s * i / n
    return jnp.concatenate([-inf, inf - 0.2 * e, 0.2 * e - gamma * i, gamma * i])


def mlp_layernorm_xent(x, W1, b1, W2, target):
    """machine learning: a layer-normed MLP under a cross-entropy loss"""
    h = W1 @ x + b1
    mu = jnp.mean(h)
    var = jnp.mean((h - mu) ** 2)
    h = jnp.tanh((h - mu) / jnp.sqrt(var + 1e-5))
    logits = W2 @ h
    return -jnp.sum(target * (logits - logsumexp(logits)))


def black_scholes_call(S, K, T, r, sigma):
    """finance: the Black-Scholes price of a European call"""
    d1 = (jnp.log(S / K) + (r + 0.5 * sigma ** 2) * T) / (sigma * jnp.sqrt(T))
    d2 = d1 - sigma * jnp.sqrt(T)
    N = lambda z: 0.5 * (1.0 + erf(z / jnp.sqrt(2.0)))  # noqa: E731
    return S * N(d1) - K * jnp.exp(-r * T) * N(d2)


def double_pendulum(y, m1, m2, l1, l2):
    """mechanics: the double pendulum's equations of motion, state y = (t1, t2, w1, w2)"""
    t1, t2, w1, w2 = y[0], y[1], y[2], y[3]
    g = 9.81
    d = t1 - t2
    den = 2 * m1 + m2 - m2 * jnp.cos(2 * d)
    a1 = (-g * (2 * m1 + m2) * jnp.sin(t1) - m2 * g * jnp.sin(t1 - 2 * t2)
          - 2 * jnp.sin(d) * m2 * (w2 ** 2 * l2 + w1 ** 2 * l1 * jnp.cos(d))) / (l1 * den)
    a2 = (2 * jnp.sin(d) * (w1 ** 2 * l1 * (m1 + m2) + g * (m1 + m2) * jnp.cos(t1)
          + w2 ** 2 * l2 * m2 * jnp.cos(d))) / (l2 * den)
    return jnp.stack([w1, w2, a1, a2])


def kinetics(c, k):
    """chemistry: three reactions with mass-action and Arrhenius-like rates"""
    r1 = k[0] * c[0] * c[1]
    r2 = k[1] * c[2] ** 1.5
    r3 = k[2] * jnp.exp(-1.0 / c[3]) * c[0]
    return jnp.stack([-r1 - r3, -r1 + r2, r1 - r2, r3])


def newton_step(x, A, b):
    """numerics: one Newton step for A x + sin(x) = b (jnp.linalg.solve)"""
    F = A @ x + jnp.sin(x) - b
    J = A + jnp.diag(jnp.cos(x))
    return x - jnp.linalg.solve(J, F)


def softplus_logreg(w, X, y):
    """statistics: an L2-regularised logistic regression loss"""
    z = X @ w
    return jnp.mean(jnp.logaddexp(0.0, z) - y * z) + 0.01 * jnp.sum(w ** 2)


def kalman_update(x, P, z, H, R):
    """estimation: a Kalman filter's measurement update (jnp.linalg.inv)"""
    S = H @ P @ H.T + R
    K = P @ H.T @ jnp.linalg.inv(S)
    return x + K @ (z - H @ x), P - K @ H @ P


def lennard_jones(R):
    """molecular dynamics: a Lennard-Jones energy over pairwise differences (rank 3)"""
    d = R[:, None, :] - R[None, :, :]
    r2 = jnp.sum(d ** 2, axis=-1) + jnp.eye(R.shape[0])
    inv6 = (1.0 / r2) ** 3
    return jnp.sum((inv6 ** 2 - inv6) * (1 - jnp.eye(R.shape[0])))


ARGS = {
    "seir": [(8,), (), ()],
    "mlp_layernorm_xent": [(8,), (16, 8), (16,), (4, 16), (4,)],
    "black_scholes_call": [(), (), (), (), ()],
    "double_pendulum": [(4,), (), (), (), ()],
    "kinetics": [(4,), (3,)],
    "softplus_logreg": [(3,), (6, 3), (6,)],
    "kalman_update": [(2,), (2, 2), (1,), (1, 2), (1, 1)],
    "newton_step": [(3,), (3, 3), (3,)],
    "lennard_jones": [(4, 3)],
}
# what ccx refuses today, and the words the refusal must contain
REFUSED = {
    "lennard_jones": ["rank 3", "user_functions.py:"],
}


def van_der_pol(y, mu):
    """dynamics: the Van der Pol oscillator"""
    x, v = y[0], y[1]
    return jnp.array([v, mu * (1 - x ** 2) * v - x])


def lorenz(y, sigma, rho, beta):
    """chaos: the Lorenz system"""
    x, yy, z = y
    return jnp.stack([sigma * (yy - x), x * (rho - z) - yy, x * yy - beta * z])


def heat_stencil(u, alpha):
    """PDEs: one explicit step of the 1-D heat equation with fixed ends"""
    lap = u[:-2] - 2 * u[1:-1] + u[2:]
    return jnp.concatenate([u[:1], u[1:-1] + alpha * lap, u[-1:]])


def attention(X, Wq, Wk, Wv):
    """transformers: one softmax attention head"""
    q, k, v = X @ Wq, X @ Wk, X @ Wv
    a = jax.nn.softmax(q @ k.T / jnp.sqrt(q.shape[1]), axis=-1)
    return a @ v


def gru_cell(x, h, Wz, Uz, Wr, Ur, Wh, Uh):
    """recurrent nets: a GRU cell"""
    z = jax.nn.sigmoid(Wz @ x + Uz @ h)
    r = jax.nn.sigmoid(Wr @ x + Ur @ h)
    hh = jnp.tanh(Wh @ x + Uh @ (r * h))
    return (1 - z) * h + z * hh


def robot_arm_tip(q, lengths):
    """robotics: the tip of a planar arm (running sums of joint angles)"""
    a = jnp.cumsum(q)
    return jnp.stack([jnp.sum(lengths * jnp.cos(a)), jnp.sum(lengths * jnp.sin(a))])


def portfolio(w, Sigma, mu, risk):
    """finance: mean-variance utility of a portfolio"""
    return w @ mu - risk * w @ Sigma @ w


def michaelis_menten(S, Vmax, Km, I, Ki):
    """biochemistry: competitive inhibition kinetics"""
    return Vmax * S / (Km * (1 + I / Ki) + S)


def planck(lam, T):
    """physics: Planck's law (spectral radiance), in scaled units"""
    return 1.0 / lam ** 5 / jnp.expm1(1.0 / (lam * T))


def gaussian_nll(x, mu, log_sigma):
    """statistics: a diagonal Gaussian negative log-likelihood"""
    z = (x - mu) * jnp.exp(-log_sigma)
    return 0.5 * jnp.sum(z ** 2) + jnp.sum(log_sigma) + 0.5 * x.shape[0] * jnp.log(2 * jnp.pi)


def rosenbrock(x):
    """optimisation: the Rosenbrock function"""
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def spring_chain(x, k):
    """mechanics: forces in a chain of springs with fixed ends"""
    ext = jnp.diff(jnp.concatenate([jnp.zeros(1), x, jnp.ones(1)]))
    return k[1:] * ext[1:] - k[:-1] * ext[:-1]


ARGS.update({
    "van_der_pol": [(2,), ()],
    "lorenz": [(3,), (), (), ()],
    "heat_stencil": [(8,), ()],
    "attention": [(4, 6), (6, 3), (6, 3), (6, 3)],
    "gru_cell": [(3,), (4,), (4, 3), (4, 4), (4, 3), (4, 4), (4, 3), (4, 4)],
    "robot_arm_tip": [(4,), (4,)],
    "portfolio": [(4,), (4, 4), (4,), ()],
    "michaelis_menten": [(), (), (), (), ()],
    "planck": [(5,), ()],
    "gaussian_nll": [(5,), (5,), (5,)],
    "rosenbrock": [(5,)],
    "spring_chain": [(5,), (6,)],
})


def lennard_jones_per_coordinate(R):
    """lennard_jones as the exporter's refusal suggests writing it: pairwise
    differences per coordinate, every array at rank 2"""
    r2 = sum((R[:, k][:, None] - R[:, k][None, :]) ** 2 for k in range(R.shape[1]))
    r2 = r2 + jnp.eye(R.shape[0])
    inv6 = (1.0 / r2) ** 3
    return jnp.sum((inv6 ** 2 - inv6) * (1 - jnp.eye(R.shape[0])))


ARGS["lennard_jones_per_coordinate"] = [(4, 3)]


def symmetric_filter(x, w):
    """signal processing: a time-symmetric smoothing (x[::-1]) with weights"""
    y = 0.5 * (x + x[::-1])
    return w[0] * y + w[1] * jnp.tanh(y[::-1])


ARGS["symmetric_filter"] = [(6,), (2,)]
