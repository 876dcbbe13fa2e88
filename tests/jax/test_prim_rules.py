"""The exporter's primitive -> record rule (scripts/jax_export.py records())
and ccx's (host/graph/prim_rules.c) agree on every primitive the exporter
knows. tests/data/alphagrad/prim_rule_cases.txt holds the Python rule's
records on a sweep of cases of every primitive in its table; this test keeps
the file equal to the rule, and tests/test_prim_rules.cc checks the C rule
gives every record in it. After changing a rule, regenerate the file with

    python3 scripts/jax_export.py --rule-cases > tests/data/alphagrad/prim_rule_cases.txt

and the C test says whether the C rule still agrees. Needs no JAX (run by
scripts/test.sh with the rest of tests/jax).
"""
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import jax_export  # noqa: E402

CASES = os.path.join(ROOT, "tests", "data", "alphagrad", "prim_rule_cases.txt")


class RuleCases(unittest.TestCase):
    def test_the_case_file_is_the_python_rules_output(self):
        with open(CASES) as fh:
            have = fh.read()
        want = jax_export.rule_cases_text()
        if have != want:
            old = set(have.splitlines())
            diff = [line for line in want.splitlines() if line not in old][:10]
            self.fail("%s is not scripts/jax_export.py's rule (%d lines differ; first new ones:\n%s)\n"
                      "regenerate it: python3 scripts/jax_export.py --rule-cases > %s\n"
                      "then tests/test_prim_rules.cc checks host/graph/prim_rules.c agrees"
                      % (CASES, len(set(want.splitlines()) ^ old), "\n".join(diff),
                         os.path.relpath(CASES, ROOT)))

    def test_every_primitive_of_the_table_has_cases(self):
        with open(CASES) as fh:
            prims = {line.split()[0] for line in fh if line.strip() and not line.startswith("#")}
        self.assertEqual(sorted(jax_export.KNOWN - prims), [], "primitives without a case")
        self.assertEqual(sorted(prims - jax_export.KNOWN), [], "cases of unknown primitives")
        # tests/test_prim_rules.cc checks it saw this many primitives
        self.assertEqual(len(prims), 72)

    def test_every_branch_gives_a_record(self):
        # each primitive with edges has at least one case with an edge, so the
        # C test compares real records, not only "no edge"
        with_edge = set()
        with open(CASES) as fh:
            for line in fh:
                if line.strip() and not line.startswith("#") and "rec=[0, 0, 0, 0, 0]" not in line:
                    with_edge.add(line.split()[0])
        self.assertEqual(sorted(jax_export.KNOWN - jax_export.NO_EDGE - with_edge), [])


class CodeGenerator(unittest.TestCase):
    def test_the_jax_code_generator_evaluates_every_exported_primitive(self):
        # host/jac/codegen_tensor.c's KNOWN (what `ccx codegen --lang jax` accepts)
        # must cover what the exporter writes, and the runtime must name each one
        import re
        with open(os.path.join(ROOT, "host", "jac", "codegen_tensor.c")) as fh:
            c = fh.read()
        start = c.index("static const char *const KNOWN[] = {")
        accepted = set(re.findall(r'"([a-z_0-9]+)"', c[start:c.index("};", start)]))
        self.assertEqual(sorted(jax_export.KNOWN - accepted), [], "exported but refused by codegen")
        with open(os.path.join(ROOT, "host", "jac", "jax_tensor_runtime.py")) as fh:
            runtime = fh.read()
        self.assertEqual(sorted(p for p in accepted if '"%s"' % p not in runtime), [],
                         "accepted by codegen but unknown to the runtime")


if __name__ == "__main__":
    unittest.main()
