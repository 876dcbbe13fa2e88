"""Functions from several fields, written without ccx in mind
(tests/jax/user_functions.py): each exports unchanged and its generated JAX
Jacobian equals jax.jacrev of the original to 1e-10 in every order; those ccx
does not take yet are refused with the primitive (or rank) and the line. Run
by scripts/test.sh with the rest of tests/jax."""
import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts"))

import jax  # noqa: E402

import jax_export  # noqa: E402
import user_functions as uf  # noqa: E402
from test_jacobian import ORDERS, Generated, order_arg  # noqa: E402


class UserFunctions(Generated):
    def test_each_function_exports_and_gives_jacrev(self):
        for k, (name, shapes) in enumerate(sorted(uf.ARGS.items())):
            if name in uf.REFUSED:
                continue
            f = getattr(uf, name)
            with self.subTest(f=name):
                rng = np.random.default_rng(k)
                args = [rng.uniform(0.5, 1.5, s) for s in shapes]
                path = os.path.join(self.dir.name, name + ".graph.json")
                jax_export.write(jax_export.export(f, *args), path)
                ref = jax.jacrev(f, argnums=tuple(range(len(args))))(*args)
                for order in ORDERS:
                    self.check_tensor(path, order_arg(path, order, k), args, ref)

    def test_what_ccx_does_not_take_is_refused_with_the_line(self):
        for name, words in sorted(uf.REFUSED.items()):
            with self.subTest(f=name):
                args = [np.ones(s) for s in uf.ARGS[name]]
                with self.assertRaises(jax_export.ExportError) as cm:
                    jax_export.export(getattr(uf, name), *args)
                for w in words:
                    self.assertIn(w, str(cm.exception))


if __name__ == "__main__":
    unittest.main()
