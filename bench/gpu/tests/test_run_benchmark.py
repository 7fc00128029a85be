"""run_benchmark.sh --dry-run (needs no GPU, no torch and, in a clone, no build): the overrides
reach both gensor's specs and the vendor's call."""
import os
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
SCRIPT = os.path.join(BENCH, "run_benchmark.sh")


def samples_dir():
    # In a clone: ROOT/bench/gpu/tests; in the kit: KIT/bench/tests (samples at KIT/samples).
    for up in (os.path.dirname(os.path.dirname(BENCH)), os.path.dirname(BENCH)):
        if os.path.isfile(os.path.join(up, "samples", "gemm-f16.json")):
            return os.path.join(up, "samples")
    raise unittest.SkipTest("no samples/gemm-f16.json next to the kit")


def dry_run(*args):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(["bash", SCRIPT, "--dry-run", *args], capture_output=True, text=True, env=env, timeout=60)


class DryRunTests(unittest.TestCase):
    def test_f16_gemm_at_4096_is_compared_in_f16(self):
        r = dry_run("--shape", "m=4096,n=4096,k=4096", "--policies", "gensor",
                    os.path.join(samples_dir(), "gemm-f16.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"shape":{"m":4096,"n":4096,"k":4096},"dtype":"f16"', r.stdout)
        self.assertIn("gemm_f16: matmul: torch.mm(A, B)  [A, B, C: torch.float16;", r.stdout)
        self.assertNotIn("--allow-tf32", r.stdout)

    def test_dtype_replaces_the_spec_dtype_and_keeps_its_dtypes(self):
        r = dry_run("--dtype", "f16", os.path.join(samples_dir(), "gemm-bf16.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"dtype":"f16","dtypes":{"C":"f32"}', r.stdout)
        self.assertIn("torch.mm(A, B, torch.float32)  [A, B: torch.float16 -> C: torch.float32;", r.stdout)

    def test_allow_tf32_reaches_both_sides(self):
        r = dry_run("--allow-tf32", "--policies", "gensor", os.path.join(samples_dir(), "gemm.json"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--policy gensor --allow-tf32", r.stdout)
        self.assertIn("vendor_baseline.py RUN_DIR/suite.json --reps 20 --allow-tf32", r.stdout)
        self.assertIn("TF32 on (allow_tf32", r.stdout)

    def test_bad_overrides_are_one_error_line_and_exit_2(self):
        for args, says in ((["--dtype", "f8"], "--dtype 'f8' is not an element type"),
                           (["--shape", "q=4"], "--shape names 'q', which operator gemm_f16 has no extent for"),
                           (["--shape", "m=0"], "--shape wants NAME=EXTENT pairs")):
            r = dry_run(*args, os.path.join(samples_dir(), "gemm-f16.json"))
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            lines = r.stderr.splitlines()
            self.assertEqual(len(lines), 1, r.stderr)
            self.assertTrue(lines[0].startswith("error: ") and says in lines[0], lines[0])
            self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    unittest.main()
