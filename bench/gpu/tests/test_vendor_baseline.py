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


if __name__ == "__main__":
    unittest.main()
