"""Pattern recognition of vendor_baseline.py (pure Python, no torch)."""
import io
import os
import sys
import unittest
from contextlib import redirect_stdout

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import vendor_baseline as vb  # noqa: E402


def plan(compute, shape, tensors=None, **extra):
    spec = {"name": "fixture_op", "compute": compute, "shape": shape, **extra}
    if tensors:
        spec["tensors"] = tensors
    return vb.plan_op(vb.parse_op(spec))


class AffineTests(unittest.TestCase):
    def test_parse(self):
        a = vb.parse_affine("y*2+r-1")
        self.assertEqual((a.coef("y"), a.coef("r"), a.const), (2, 1, -1))
        b = vb.parse_affine("2*x + s*2 - 3")
        self.assertEqual((b.coef("x"), b.coef("s"), b.const), (2, 2, -3))
        self.assertTrue(vb.parse_affine("k").plain)
        with self.assertRaises(vb.ParseError):
            vb.parse_affine("y*r")


class PatternTests(unittest.TestCase):
    def test_matmul_layouts(self):
        s = {"m": 8, "n": 8, "k": 8}
        self.assertEqual(plan("C[m,n] += A[m,k] * B[k,n]", s).call, "torch.mm(A, B)")
        self.assertEqual(plan("C[m,n] += A[k,m] * B[k,n]", s).call, "torch.mm(A.t(), B)")
        self.assertEqual(plan("C[m,n] += A[m,k] * B[n,k]", s).call, "torch.mm(A, B.t())")
        p = plan("C[m,n] += A[k,m] * B[n,k]", s)
        self.assertEqual((p.pattern, p.call, p.params["layout"]), ("matmul", "torch.mm(A.t(), B.t())", "TT"))
        self.assertEqual(plan("C[m,n] += B[k,n] * A[m,k]", s).call, "torch.mm(A, B)")

    def test_batched(self):
        p = plan("S[b,i,j] += Q[b,i,d] * K[b,j,d]", {"b": 2, "i": 4, "j": 4, "d": 8})
        self.assertEqual((p.pattern, p.call), ("batched_matmul", "torch.bmm(Q, K.mT)"))
        p = plan("S[b,h,i,j] += Q[b,h,i,d] * K[b,h,j,d]", {"b": 1, "h": 2, "i": 4, "j": 4, "d": 8})
        self.assertEqual(p.call, "torch.matmul(Q, K.mT)")

    def test_gemv(self):
        self.assertEqual(plan("y[i] += A[i,j] * x[j]", {"i": 4, "j": 4}).call, "torch.mv(A, x)")
        self.assertEqual(plan("y[i] += A[j,i] * x[j]", {"i": 4, "j": 4}).call, "torch.mv(A.t(), x)")

    def test_conv_stride_padding(self):
        p = plan("O[n,f,y,x] += I[n,c,y*2+r-1,x*2+s-1] * W[f,c,r,s]",
                 {"n": 1, "f": 32, "y": 16, "x": 16, "c": 16, "r": 3, "s": 3}, {"I": [1, 16, 32, 32]})
        self.assertEqual(p.pattern, "conv2d")
        self.assertEqual((p.params["stride"], p.params["padding"], p.params["dilation"]), ((2, 2), (1, 1), (1, 1)))
        self.assertIn("stride=2, padding=1", p.call)
        self.assertIsNone(p.note)

    def test_conv_dilation(self):
        p = plan("O[n,f,y,x] += I[n,c,y+r*2-2,x+s*2-2] * W[f,c,r,s]",
                 {"n": 1, "f": 4, "y": 8, "x": 8, "c": 4, "r": 3, "s": 3}, {"I": [1, 4, 8, 8]})
        self.assertEqual((p.pattern, p.params["dilation"], p.params["padding"]), ("conv2d", (2, 2), (2, 2)))

    def test_depthwise(self):
        p = plan("O[n,c,y,x] += I[n,c,y+r-1,x+s-1] * W[c,r,s]",
                 {"n": 1, "c": 64, "y": 56, "x": 56, "r": 3, "s": 3}, {"I": [1, 64, 56, 56]})
        self.assertEqual(p.pattern, "depthwise_conv2d")
        self.assertIn("groups=64", p.call)

    def test_maxpool(self):
        p = plan("O[n,c,y,x] max= I[n,c,y*2+r,x*2+s]", {"n": 1, "c": 4, "y": 8, "x": 8, "r": 2, "s": 2})
        self.assertEqual(p.pattern, "maxpool2d")
        self.assertNotIn("F.pad", p.call)
        p = plan("O[n,c,y,x] max= I[n,c,y*2+r-1,x*2+s-1]", {"n": 1, "c": 4, "y": 56, "x": 56, "r": 3, "s": 3},
                 {"I": [1, 4, 112, 112]})
        self.assertEqual(p.params["padding"], (1, 1))
        self.assertIn("F.pad", p.call)  # zero padding, as Gensor reads outside a tensor as 0

    def test_generic(self):
        self.assertEqual(plan("S[i] += A[i,j]", {"i": 4, "j": 4}).call, "torch.einsum('ab->a', A)")
        self.assertEqual(plan("C[m,n] = A[m,n] * 2 + B[m,n]", {"m": 4, "n": 4}).pattern, "elementwise")
        p = plan("C[m,n] += A[m,k] * B[k,n]", {"m": 4, "n": 4, "k": 4}, epilogue="relu(C[m,n] + bias[n])")
        self.assertIn("epilogue", p.call)

    def test_unsupported(self):
        p = plan("O[i] += A[i*2+j]", {"i": 4, "j": 3}, {"A": [8]})
        self.assertEqual(p.pattern, "unsupported")

    def test_dry_run_names_the_element_types(self):
        root = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
        buf = io.StringIO()
        with redirect_stdout(buf):
            self.assertEqual(vb.main(["--dry-run", os.path.join(root, "samples", "gemm-f16.json")]), 0)
        self.assertIn("gemm_f16: matmul: torch.mm(A, B)  [A, B, C: torch.float16; f32 accumulation", buf.getvalue())

    def test_dry_run_on_samples(self):
        root = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
        suite = os.path.join(os.path.dirname(HERE), "square_gemm.json")
        buf = io.StringIO()
        with redirect_stdout(buf):
            self.assertEqual(vb.main(["--dry-run", suite]), 0)
        self.assertIn("gemm_4096: matmul: torch.mm(A, B)", buf.getvalue())
        samples = os.path.join(root, "samples")
        if os.path.isdir(samples):
            for f in sorted(os.listdir(samples)):
                if f.endswith(".json"):
                    with redirect_stdout(io.StringIO()):
                        self.assertEqual(vb.main(["--dry-run", os.path.join(samples, f)]), 0)


class ElementTypeTests(unittest.TestCase):
    GEMM = "C[m,n] += A[m,k] * B[k,n]"
    S = {"m": 8, "n": 8, "k": 8}

    def test_f32_is_the_default_with_tf32_off(self):
        p = plan(self.GEMM, self.S)
        self.assertEqual((p.in_dtype, p.out_dtype, p.tf32, p.cast, p.dtype), ("f32", "f32", False, None, "f32"))
        self.assertEqual(p.dtype_text, "A, B, C: torch.float32; TF32 off")

    def test_f16_runs_in_f16_from_end_to_end(self):
        p = plan(self.GEMM, self.S, dtype="f16")
        self.assertEqual((p.call, p.in_dtype, p.out_dtype, p.cast), ("torch.mm(A, B)", "f16", "f16", None))
        self.assertIn("A, B, C: torch.float16", p.dtype_text)

    def test_long_names_are_accepted(self):
        self.assertEqual(plan(self.GEMM, self.S, dtype="bfloat16").dtype, "bf16")
        self.assertEqual(plan(self.GEMM, self.S, dtype="float16", dtypes={"C": "float32"}).dtype, "f16->f32")

    def test_bf16_into_f32_uses_out_dtype(self):
        p = plan(self.GEMM, self.S, dtype="bf16", dtypes={"C": "f32"})
        self.assertEqual((p.call, p.cast, p.dtype), ("torch.mm(A, B, torch.float32)", "out_dtype", "bf16->f32"))
        self.assertIn("A, B: torch.bfloat16 -> C: torch.float32", p.dtype_text)

    def test_other_output_types_are_cast_after_the_call(self):
        p = plan("S[b,h,i,j] += Q[b,h,i,d] * K[b,h,j,d]", {"b": 1, "h": 2, "i": 4, "j": 4, "d": 8},
                 dtype="f16", dtypes={"S": "f32"})
        self.assertEqual(p.cast, "to")  # torch.matmul has no out_dtype
        self.assertTrue(p.call.endswith("; then .to(torch.float32) (unfused cast)"), p.call)
        p = plan(self.GEMM, self.S, dtypes={"C": "f16"})
        self.assertEqual((p.cast, p.dtype), ("to", "f32->f16"))  # out_dtype takes 16-bit inputs only

    def test_the_cast_comes_after_an_epilogue(self):
        p = plan(self.GEMM, self.S, dtype="bf16", dtypes={"C": "f32"}, epilogue="relu(C[m,n])")
        self.assertEqual(p.cast, "to")
        self.assertLess(p.call.index("epilogue"), p.call.index(".to(torch.float32)"))

    def test_tf32_only_with_allow_tf32_and_only_for_f32_matrix_products(self):
        spec = {"name": "g", "compute": self.GEMM, "shape": self.S}
        p = vb.plan_op(vb.parse_op(spec), allow_tf32=True)
        self.assertEqual((p.tf32, p.dtype), (True, "f32 (TF32)"))
        self.assertIn("TF32 on (allow_tf32", p.dtype_text)
        self.assertFalse(vb.plan_op(vb.parse_op({**spec, "dtype": "f16"}), allow_tf32=True).tf32)
        conv = {"name": "c", "compute": "O[n,f,y,x] += I[n,c,y+r,x+s] * W[f,c,r,s]",
                "shape": {"n": 1, "f": 4, "y": 4, "x": 4, "c": 4, "r": 3, "s": 3}}
        self.assertFalse(vb.plan_op(vb.parse_op(conv), allow_tf32=True).tf32)  # cuDNN's TF32 stays off

    def test_other_patterns_carry_the_type(self):
        p = plan("O[n,f,y,x] += I[n,c,y+r,x+s] * W[f,c,r,s]",
                 {"n": 1, "f": 4, "y": 4, "x": 4, "c": 4, "r": 3, "s": 3}, dtype="bf16")
        self.assertEqual((p.pattern, p.dtype), ("conv2d", "bf16"))
        p = plan("S[i] += A[i,j]", {"i": 4, "j": 4}, dtype="f16")
        self.assertEqual((p.pattern, p.dtype), ("einsum", "f16"))

    def test_inputs_of_different_types_are_not_measured(self):
        p = plan(self.GEMM, self.S, dtype="f16", dtypes={"B": "bf16"})
        self.assertEqual(p.pattern, "unsupported")
        self.assertIn("A=f16, B=bf16", p.note)

    def test_bad_types_are_parse_errors(self):
        with self.assertRaises(vb.ParseError):
            plan(self.GEMM, self.S, dtype="f8")
        with self.assertRaises(vb.ParseError):
            plan(self.GEMM, self.S, dtypes={"Z": "f16"})

    def test_check_tolerance_allows_tf32_and_16_bit_output_rounding(self):
        f32 = plan(self.GEMM, self.S)
        base = vb.check_tolerance(f32, 4096, 64.0, 64.0, 2600.0)
        self.assertAlmostEqual(base, 1e-4 * 64 * 64)
        f16 = plan(self.GEMM, self.S, dtype="f16")
        self.assertAlmostEqual(vb.check_tolerance(f16, 4096, 64.0, 64.0, 2600.0) - base, 2 * 2.0 ** -11 * 64)
        tf32 = vb.plan_op(vb.parse_op({"name": "g", "compute": self.GEMM, "shape": self.S}), allow_tf32=True)
        self.assertAlmostEqual(vb.check_tolerance(tf32, 4096, 64.0, 64.0, 2600.0) - base, 2 * 2.0 ** -11 * 2600)

    def test_check_tolerance_counts_the_call_s_own_rounding_before_a_cast(self):
        base = vb.check_tolerance(plan(self.GEMM, self.S), 4096, 64.0, 64.0, 2600.0)
        direct = plan(self.GEMM, self.S, dtype="bf16", dtypes={"C": "f32"})  # out_dtype: stored once, in f32
        self.assertAlmostEqual(vb.check_tolerance(direct, 4096, 64.0, 64.0, 2600.0), base)
        direct.cast = "to"  # what build falls back to on a torch without out_dtype: bf16 first
        self.assertAlmostEqual(vb.check_tolerance(direct, 4096, 64.0, 64.0, 2600.0) - base, 2 * 2.0 ** -8 * 64)


if __name__ == "__main__":
    unittest.main()
