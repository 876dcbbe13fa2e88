"""RobotArm_6DOF: forward kinematics of a 6-DOF robot arm, end-effector
position (px, py, pz) and Tait-Bryan angles (z, y_, z__).
Transcribed from graphax src/graphax/examples/differential_kinematics.py
(RobotArm_6DOF; arm from https://dergipark.org.tr/en/download/article-file/2289226),
keeping its evaluation order and expression structure so that vertex
numbers equal JAX tracing order: 6 inputs, 114 vertices (108 + 6 outputs).

The same function as configs/tasks/RobotArm_6DOF.ccx, in JAX: exported with
scripts/jax_export.py it gives the same graph (tests/jax/test_export.py).
"""
import jax.numpy as jnp

a1 = 175.
a2 = 890.
a3 = 50.

d1 = 575.
d4 = 1035.
d6 = 185.


def S(a, b):
    return jnp.cos(a) * jnp.sin(b) + jnp.sin(a) * jnp.cos(b)


def C(a, b):
    return jnp.cos(a) * jnp.cos(b) - jnp.sin(a) * jnp.sin(b)


def RobotArm_6DOF(t1, t2, t3, t4, t5, t6):
    c1 = jnp.cos(t1)
    c2 = jnp.cos(t2)
    c4 = jnp.cos(t4)
    c5 = jnp.cos(t5)
    c6 = jnp.cos(t6)

    c23 = C(t2, t3)

    s1 = jnp.sin(t1)
    s2 = jnp.sin(t2)
    s4 = jnp.sin(t4)
    s5 = jnp.sin(t5)
    s6 = jnp.sin(t6)

    s23 = S(t2, t3)

    ax = s5 * (c1 * c23 * c4 + s1 * s4) + c1 * s23 * c5
    ay = s5 * (s1 * c23 * c4 - c1 * s4) + s1 * s23 * c5
    az = s23 * c4 * s5 - c23 * c5

    nz = c6 * (c23 * s5 + s23 * c4 * c5) - s23 * s4 * s6
    oz = -s6 * (c23 * s5 + s23 * c4 * c5) - s23 * s4 * c6

    # Tait-Bryan angles
    z = jnp.arctan2(ay, ax)
    y_ = jnp.arctan2(jnp.sqrt((1. - az**2)), az)
    z__ = jnp.arctan2(oz, -nz)

    x1 = d6 * (s5 * (c1 * c23 * c4 + s1 * s4) + c1 * s23 * c5)
    x2 = c1 * (a1 + a2 * c2 + a3 * c23 + d4 * s23)
    px = x1 + x2

    y1 = d6 * (s5 * (s1 * c23 * c4 + c1 * s4) + s1 * s23 * c5)
    y2 = s1 * (a1 + a2 * c2 + a3 * c23 + d4 * s23)
    py = y1 + y2

    pz = a2 * s2 + d1 + a3 * s23 - d4 * c23 + d6 * (s23 * c4 * s5 - c23 * c5)

    return px, py, pz, z, y_, z__


# Where tests and benchmarks draw random points: one (low, high) box for every
# argument, or one per argument.
DOMAIN = (0.5, 1.5)


def example_args():
    """The arguments AlphaGrad traced it with: float32 scalars."""
    import numpy as np
    return [np.float32(1.0)] * 6
