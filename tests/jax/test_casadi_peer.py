"""CasADi's generated C as the peer of ccx's scalar C code
(scripts/casadi_peer.py, `ccx bench jacobian --peer casadi`), run by
scripts/test.sh in build/venv-jax (which has casadi):

    CCX_BIN=build/ccx build/venv-jax/bin/python -m unittest tests/jax/test_casadi_peer.py -v

The peer is built from ccx's own JAX module of the function, so CasADi sees
the same expression graph; the benchmark checks every code (ccx's and
CasADi's) against ccx's interpreter on 64 points before it times anything,
and refuses to time code that differs by more than 1e-9 of the path-sum
scale. Here: that check passes on the four scalar tasks, and CasADi's
Jacobian sparsity is never larger than ccx's structural nonzeros.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CCX = os.environ.get("CCX_BIN", os.path.join(ROOT, "build", "ccx"))

try:
    import casadi  # noqa: F401
    HAVE_CASADI = True
except ImportError:
    HAVE_CASADI = False

TASKS = {"RoeFlux_1d": None, "RobotArm_6DOF": None, "HumanHeartDipole": None,
         "PropaneCombustion": 53}


def nnz_of(c_file, name):
    with open(c_file) as fh:
        m = re.search(r"const int %s_jac_nnz = (\d+);" % name, fh.read())
    return int(m.group(1))


@unittest.skipUnless(HAVE_CASADI, "casadi is not installed in this environment")
class CasadiPeer(unittest.TestCase):
    def test_bench_checks_and_times_casadi_beside_ccx(self):
        env = dict(os.environ, CCX_PYTHON=sys.executable, CCX_ROOT=ROOT)
        for task in TASKS:
            r = subprocess.run([CCX, "bench", "jacobian", task, "--peer", "casadi", "--orders",
                                "reverse", "--points", "2000", "--reps", "1", "--batch", "5,16"],
                               capture_output=True, text=True, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            rows = [l.split() for l in r.stdout.splitlines() if l.startswith("casadi ")]
            self.assertEqual([row[1] for row in rows], ["5", "16"], r.stdout)
            for row in rows:
                self.assertLessEqual(float(row[-1]), 1e-9, row)

    def test_sparsity_within_ccx_nonzeros(self):
        with tempfile.TemporaryDirectory() as d:
            for task, want in TASKS.items():
                mod, c_peer, c_ccx = (os.path.join(d, task + s) for s in (".py", "_peer.c", ".c"))
                subprocess.run([CCX, "codegen", task, "--order", "reverse", "--lang", "jax", "-o",
                                mod], check=True, capture_output=True)
                subprocess.run([CCX, "codegen", task, "--order", "reverse", "--name", "t", "-o",
                                c_ccx], check=True, capture_output=True)
                subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "casadi_peer.py"),
                                mod, c_peer, "--name", "p"], check=True, capture_output=True)
                ours, theirs = nnz_of(c_ccx, "t"), nnz_of(c_peer, "p")
                self.assertLessEqual(theirs, ours, task)
                if want is not None:
                    self.assertEqual(ours, want, task)


if __name__ == "__main__":
    unittest.main()
