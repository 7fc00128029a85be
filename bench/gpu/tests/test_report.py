"""report.py on a synthetic run directory (fixtures/synthetic_run: made-up figures, not measurements)."""
import io
import math
import os
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import report  # noqa: E402


class ReportTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.run = os.path.join(self.tmp, "run")
        shutil.copytree(os.path.join(HERE, "fixtures", "synthetic_run"), self.run)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_ratios_and_end_to_end(self):
        rep = report.collect(self.run)
        ops = {o["name"]: o for o in rep["operators"]}
        self.assertEqual(ops["fixture_op_a"]["policies"]["gensor"]["measured_ms"], 2.0)
        self.assertEqual(ops["fixture_op_a"]["policies"]["gensor"]["estimated_ms"], 1.0)
        self.assertEqual(ops["fixture_op_a"]["policies"]["gensor"]["tune_wall_s"], 1.5)
        self.assertAlmostEqual(ops["fixture_op_a"]["x_of_vendor"], 0.5)
        self.assertAlmostEqual(ops["fixture_op_a"]["gensor_vs_roller"], 2.0)
        self.assertAlmostEqual(ops["fixture_op_b"]["x_of_vendor"], 2.0)
        self.assertIsNone(ops["fixture_op_b"]["policies"]["naive"]["measured_ms"])  # failed tune call
        s = rep["summary"]
        self.assertAlmostEqual(s["geomean_x_of_vendor"], 1.0)
        self.assertAlmostEqual(s["geomean_gensor_vs_roller"], math.sqrt(2.0))
        self.assertAlmostEqual(s["end_to_end"]["gensor"]["ms"], 6.0)   # 2 x 2 + 1 x 2
        self.assertAlmostEqual(s["end_to_end"]["roller"]["ms"], 10.0)  # 2 x 4 + 1 x 2
        self.assertAlmostEqual(s["end_to_end"]["vendor"]["ms"], 6.0)   # 2 x 1 + 1 x 4
        self.assertIsNone(s["end_to_end"]["naive"]["ms"])
        self.assertEqual(s["end_to_end"]["naive"]["missing"], ["fixture_op_b"])
        self.assertFalse(rep["simulated"])

    def test_main_writes_markdown_and_json(self):
        buf = io.StringIO()
        with redirect_stdout(buf):
            self.assertEqual(report.main([self.run]), 0)
        md = buf.getvalue()
        self.assertIn("FIXTURE GPU (synthetic)", md)
        self.assertIn("| fixture_op_a | 2 |", md)
        self.assertIn("naive: incomplete", md)
        self.assertTrue(os.path.exists(os.path.join(self.run, "report.json")))
        self.assertTrue(os.path.exists(os.path.join(self.run, "report.md")))

    def test_simulated_reports_are_flagged(self):
        import json
        p = os.path.join(self.run, "tune", "gensor", "00_fixture_op_a.json")
        with open(p) as f:
            d = json.load(f)
        d["simulated"] = True
        with open(p, "w") as f:
            json.dump(d, f)
        self.assertIn("SIMULATED", report.markdown(report.collect(self.run)))


    def _rewrite(self, name, change):
        import json
        p = os.path.join(self.run, name)
        with open(p) as f:
            d = json.load(f)
        change(d)
        with open(p, "w") as f:
            json.dump(d, f)

    def test_the_element_types_are_named(self):
        def typed(suite):
            suite[0]["dtype"] = "bfloat16"
            suite[0]["dtypes"] = {"C": "f32"}
        self._rewrite("suite.json", typed)
        self._rewrite("vendor.json", lambda v: v[0].update(dtype="bf16->f32", dtypes={"A": "bf16", "B": "bf16", "C": "f32"}))
        rep = report.collect(self.run)
        ops = {o["name"]: o for o in rep["operators"]}
        self.assertEqual(ops["fixture_op_a"]["dtype"], "bf16 (C=f32)")
        self.assertEqual(ops["fixture_op_b"]["dtype"], "f32")
        self.assertAlmostEqual(ops["fixture_op_a"]["x_of_vendor"], 0.5)
        self.assertIn("| fixture_op_a | 2 | bf16 (C=f32) |", report.markdown(rep))

    def test_tf32_is_named_per_side(self):
        self._rewrite("tune/gensor/00_fixture_op_a.json", lambda d: d.update(tf32=True))
        self._rewrite("vendor.json", lambda v: v[0].update(tf32=True, dtype="f32 (TF32)", dtypes={}))
        self.assertIn("| fixture_op_a | 2 | f32; TF32: gensor, vendor |", report.markdown(report.collect(self.run)))

    def test_an_f32_vendor_time_is_not_compared_with_a_16_bit_operator(self):
        self._rewrite("suite.json", lambda suite: suite[0].update(dtype="f16"))  # vendor.json has no dtypes: f32
        ops = {o["name"]: o for o in report.collect(self.run)["operators"]}
        self.assertIsNone(ops["fixture_op_a"]["x_of_vendor"])
        self.assertIn("not comparable", ops["fixture_op_a"]["vendor"]["note"])


if __name__ == "__main__":
    unittest.main()


class CandidateFitTests(unittest.TestCase):
    def test_spearman_of_ranks_with_ties(self):
        self.assertAlmostEqual(report.spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1.0)
        self.assertAlmostEqual(report.spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1.0)
        # Tied estimates share their mean rank: x ranks 1.5, 1.5, 3, 4 against 1, 2, 3, 4.
        self.assertAlmostEqual(report.spearman([5, 5, 6, 7], [1, 2, 3, 4]), 0.9486832980505138)
        self.assertIsNone(report.spearman([1, 2], [1, 2]))
        self.assertIsNone(report.spearman([3, 3, 3], [1, 2, 3]))

    def test_fit_counts_only_verified_candidates_and_names_failures(self):
        def cand(est, ms, ok=True, error=None):
            return {"estimated_ms": est, "measured_ms": ms if ok else None, "verified": ok, "error": error}
        rep = {"candidates": [cand(1.0, 3.0), cand(2.0, 1.0), cand(3.0, 2.0), cand(0.5, None, False, "wrong result: 3 of 9")]}
        fit = report.candidate_fit(rep)
        self.assertEqual((fit["tried"], fit["verified"]), (4, 3))
        self.assertAlmostEqual(fit["spearman"], -0.5)
        # The lowest estimate among the verified (1.0) measured 3.0 against the fastest 1.0.
        self.assertAlmostEqual(fit["first_choice_x_best"], 3.0)
        self.assertEqual(fit["failures"], ["wrong result"])
