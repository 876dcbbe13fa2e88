"""f: a random vector/matrix program from graphax src/graphax/examples/randoms.py
(the paper's task "f": 4 inputs, 80 vertices = 75 + 5 outputs).

Written so that jax.make_jaxpr gives, under JAX 0.4.26, exactly the jaxpr
AlphaGrad built its graph from (tests/data/alphagrad/f.jaxpr.txt): the
graphax source as of the paper, less its unused argument, with the one
reshape it reuses, |x| under one square root and a sum where the later
version takes a minimum. Exported with scripts/jax_export.py it gives
AlphaGrad's graph record for record (tests/jax/test_export.py).
"""
import jax.numpy as jnp
import jax.lax as lax


def f(v0, v1, v2, v4):
    v5 = jnp.power(v2, 3)
    v6 = lax.dot_general(v4, v5, dimension_numbers=(((0,), (0,)), ((), ())))
    v7 = lax.dot_general(v5, v6, dimension_numbers=(((0,), (1,)), ((), ())))
    v8 = jnp.power(v6, 2)
    v9 = lax.dot_general(v0, v8, dimension_numbers=(((0,), (1,)), ((), ())))
    v10 = jnp.sqrt(v0)
    v11 = jnp.arccos(v7)
    v12 = jnp.transpose(v1, axes=[0, 1])
    v13 = lax.dot_general(v11, v8, dimension_numbers=(((1,), (0,)), ((), ())))
    _v9 = v9.reshape([1, 1])
    v14 = jnp.add(v11, _v9)
    _v9 = v9.reshape([1, 1])
    v15 = jnp.subtract(v14, _v9)
    v16 = jnp.cos(v9)
    _v10 = jnp.reshape(v10, [4, 1])
    v17 = jnp.add(_v10, v13)
    v18 = jnp.arcsinh(v17)
    _v16 = v16.reshape([1, 1])
    v19 = jnp.add(v15, _v16)
    v20 = jnp.negative(v12)
    v21 = jnp.sqrt(v10)
    v22 = lax.dot_general(v21, v18, dimension_numbers=(((0,), (1,)), ((), ())))
    v23 = jnp.tanh(v12)
    v24 = jnp.arctan(v19)
    v25 = jnp.square(v24)
    v26 = jnp.cos(v22)
    v27 = jnp.subtract(_v16, v25)
    v28 = jnp.cosh(v23)
    v29 = jnp.sum(v20, axis=0)
    v30 = jnp.transpose(v28, axes=[1, 0])
    v31 = jnp.sum(v16, axis=0)
    v32 = jnp.squeeze(v26)
    _v29 = jnp.reshape(v29, [3, 1])
    v33 = jnp.subtract(_v29, v30)
    v34 = jnp.divide(v31, v33)
    _v10 = v10.reshape([4, 1])
    v35 = jnp.add(v13, _v10)
    _v32 = jnp.reshape(v32, [4, 1])
    v36 = jnp.multiply(_v32, v35)
    v37 = jnp.power(v32, 2)
    v38 = jnp.amax(v34, axis=1)
    v39 = jnp.sinh(v36)
    v40 = jnp.exp(v27)
    v41 = lax.slice(v39, start_indices=[3, 3], limit_indices=[4, 4])
    v42 = jnp.sum(v37, axis=0)
    v43 = jnp.add(v42, v38)
    v44 = lax.dot_general(v32, v40, dimension_numbers=(((0,), (0,)), ((), ())))
    v45 = jnp.arcsinh(v43)
    v46 = lax.dot_general(v24, v15, dimension_numbers=(((1,), (1,)), ((), ())))
    v47 = lax.stop_gradient(v41)
    v48 = lax.logistic(v45)
    v49 = lax.dot_general(v29, v48, dimension_numbers=(((0,), (0,)), ((), ())))
    v50 = lax.dot_general(v22, v21, dimension_numbers=(((0,), (0,)), ((), ())))
    v51 = lax.dot_general(v44, v47, dimension_numbers=(((0,), (1,)), ((), ())))
    v52 = lax.dot_general(v30, v33, dimension_numbers=(((0,), (0,)), ((), ())))
    v53 = jnp.multiply(v46, v50)
    v54 = jnp.sqrt(v37)
    v55 = jnp.sqrt(jnp.abs(v51))
    v56 = jnp.subtract(v52, v49)
    v57 = jnp.cosh(v54)
    v58 = jnp.negative(v37)
    _v57 = jnp.reshape(v57, [4, 1])
    v59 = jnp.add(_v57, v53)
    v60 = jnp.square(v57)
    v61 = jnp.sin(v58)
    v62 = jnp.arctan(v59)
    v63 = jnp.sum(v62, axis=0)
    v64 = jnp.amin(v63, axis=0)
    v65 = jnp.subtract(v64, v55)
    v66 = jnp.sqrt(v2)
    v67 = jnp.sum(v56, axis=1)
    _v61 = jnp.reshape(v61, [4, 1])
    v68 = jnp.subtract(_v61, v66)
    v69 = lax.dot_general(v60, v61, dimension_numbers=(((0,), (0,)), ((), ())))
    v70 = lax.dot_general(v68, v62, dimension_numbers=(((0,), (0,)), ((), ())))
    _v22 = jnp.reshape(v22, [4, 1])
    v71 = jnp.add(_v22, v2)
    v72 = lax.logistic(v70)
    v73 = lax.dot_general(v72, v71, dimension_numbers=(((0,), (0,)), ((), ())))
    _v37 = v37.reshape([1, 4])
    v74 = jnp.divide(v6, _v37)
    return v74, v65, v67, v69, v73


# Where tests and benchmarks draw random points: one (low, high) box for every
# argument, or one per argument:
# small enough for arccos to stay in its domain.
DOMAIN = (0.05, 0.3)


def example_args():
    """The arguments AlphaGrad traced it with (float32 arrays; Python floats
    stay weak-typed scalars)."""
    import numpy as np
    return [np.ones(4, np.float32), np.ones((2, 3), np.float32), np.ones((4, 4), np.float32),
            np.ones((4, 1), np.float32)]
