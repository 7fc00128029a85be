#!/usr/bin/env python3
"""Vendor baseline for a Gensor suite: time each operator with PyTorch (cuBLAS / cuDNN).

Usage:
  vendor_baseline.py SUITE.json [--reps N] [--warmup N] [--min-total-ms T]
                     [--allow-tf32] [--dry-run] [--check] [--out FILE.json]

For every operator of the suite (a JSON array of Gensor specs, or one spec object)
the `compute` text is parsed and a pattern is recognised:

  matmul      C[m,n] += A[m,k] * B[k,n], any transposition of A or B (views via .t()),
              with optional leading batch axes shared by all three (torch.matmul)
  gemv        y[i] += A[i,j] * x[j] (either layout of A) (torch.mv)
  conv2d      O[n,f,y,x] += I[n,c,y*S+r*D-P,x*S+s*D-P] * W[f,c,r,s] (F.conv2d)
  depthwise   O[n,c,y,x] += I[n,c,...] * W[c,r,s] (F.conv2d with groups=C)
  maxpool     O[n,c,y,x] max= I[n,c,y*S+r*D-P,...] (F.max_pool2d); Gensor reads outside
              a tensor as 0, so with padding the input is zero-padded once, outside the
              timed region, and the pool runs with padding=0 (PyTorch pads with -inf)
  einsum      any other sum of products with plain indices (torch.einsum)
  elementwise `=` with plain indices (broadcast torch expression)
  amax        `max=` of one tensor with plain indices (torch.amax)
  unsupported anything else (strided/padded indices outside the patterns above)

An `epilogue` is applied after the main call, unfused, in eager PyTorch; the torch call
says so. cudnn.benchmark on. Each call is timed with CUDA events after warm-up; the
number of repetitions grows until their total lasts >= --min-total-ms.

Element types follow the spec, as Gensor reads them: `dtype` (f32, f16, bf16; also
float32, float16, bfloat16) for every tensor, `dtypes` {"C": "f32"} per tensor, f32 when
neither is given. Inputs are created in their type; the call runs in the inputs' type
(all inputs must share one); a different output type is torch.mm/bmm's out_dtype for
16-bit inputs into f32 (cuBLAS accumulates and stores f32), else an unfused .to() after
the call (the call says so). Gensor accumulates in f32, so cuBLAS's reduced-precision
reductions for f16/bf16 are switched off. TF32 stays off unless --allow-tf32 (give it
when Gensor's run had --allow-tf32): then torch.backends.cuda.matmul.allow_tf32 is on,
for float32 matrix products only (cuDNN's TF32 stays off: Gensor uses TF32 only for
matrix products).

--dry-run needs no torch and no GPU: it prints the pattern, the torch call and its
element types per operator and exits 0. Without --dry-run the output is one JSON array
(stdout, or --out), one object per operator: name, pattern, call, dtype, dtypes, tf32,
median_ms, min_ms, max_ms, reps, device, count, ...
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import re
import statistics
import sys
from dataclasses import dataclass, field

# ----------------------------------------------------------------------------------
# Parsing (pure Python: used by --dry-run, no torch)
# ----------------------------------------------------------------------------------

_ACCESS = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\[([^\[\]]*)\]")
_FUNCS = {"relu", "exp", "tanh", "sigmoid", "sqrt", "abs", "max", "min"}


class ParseError(ValueError):
    pass


@dataclass(frozen=True)
class Affine:
    """sum(coef[v] * v) + const"""
    coefs: tuple  # ((var, coef), ...) in order of appearance
    const: int

    @property
    def vars(self):
        return [v for v, _ in self.coefs]

    def coef(self, var):
        return dict(self.coefs).get(var, 0)

    @property
    def plain(self):
        """Exactly one variable with coefficient 1 and no constant."""
        return len(self.coefs) == 1 and self.coefs[0][1] == 1 and self.const == 0

    def text(self):
        return "".join(
            (f"{'+' if i and c > 0 else ('-' if c < 0 else '')}{v}" + (f"*{abs(c)}" if abs(c) != 1 else ""))
            for i, (v, c) in enumerate(self.coefs)
        ) + (f"{self.const:+d}" if self.const else "")


def parse_affine(text: str) -> Affine:
    s = text.replace(" ", "")
    if not s:
        raise ParseError("empty index")
    if s[0] not in "+-":
        s = "+" + s
    coefs: dict[str, int] = {}
    const = 0
    pos = 0
    for m in re.finditer(r"([+-])([^+-]+)", s):
        if m.start() != pos:
            raise ParseError(f"cannot parse index '{text}'")
        pos = m.end()
        sign = -1 if m.group(1) == "-" else 1
        factors = m.group(2).split("*")
        coef, var = sign, None
        for f in factors:
            if re.fullmatch(r"\d+", f):
                coef *= int(f)
            elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", f):
                if var is not None:
                    raise ParseError(f"non-affine index '{text}'")
                var = f
            else:
                raise ParseError(f"cannot parse index term '{f}' in '{text}'")
        if var is None:
            const += coef
        else:
            coefs[var] = coefs.get(var, 0) + coef
    if pos != len(s):
        raise ParseError(f"cannot parse index '{text}'")
    return Affine(tuple((v, c) for v, c in coefs.items() if c != 0), const)


@dataclass
class Access:
    tensor: str
    indices: list  # [Affine]

    @property
    def plain_vars(self):
        return [a.vars[0] for a in self.indices] if all(a.plain for a in self.indices) else None


@dataclass
class Op:
    name: str
    out: Access
    reduce_op: str  # '+=', 'max=', '='
    rhs_text: str  # with accesses replaced by __t0, __t1, ...
    inputs: list  # [Access]
    shape: dict
    tensors: dict  # name -> explicit shape (list)
    epilogue: str | None
    count: int
    spec: dict = field(repr=False, default_factory=dict)
    types: dict = field(default_factory=dict)  # tensor name -> canonical element type (f32, f16, bf16)

    def type_of(self, tensor: str) -> str:
        return self.types.get(tensor, "f32")

    @property
    def out_vars(self):
        return self.out.plain_vars

    @property
    def reduce_vars(self):
        outs = set(self.out_vars or [])
        seen = []
        for acc in self.inputs:
            for a in acc.indices:
                for v in a.vars:
                    if v not in outs and v not in seen:
                        seen.append(v)
        return seen

    def tensor_shape(self, acc: Access) -> list:
        """Explicit shape if given, else the range its indices cover (from 0)."""
        if acc.tensor in self.tensors:
            return list(self.tensors[acc.tensor])
        dims = []
        for a in acc.indices:
            hi = a.const + sum(c * (self.shape[v] - 1) for v, c in a.coefs if c > 0)
            dims.append(max(hi + 1, 1))
        return dims


def parse_op(spec: dict) -> Op:
    compute = spec["compute"]
    m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*\[([^\]]*)\]\s*(\+=|max=|=)\s*(.+?)\s*", compute)
    if not m:
        raise ParseError(f"cannot parse compute '{compute}'")
    out = Access(m.group(1), [parse_affine(x) for x in m.group(2).split(",")])
    if out.plain_vars is None:
        raise ParseError("output indices must be plain variables")
    inputs: list[Access] = []

    def repl(mm):
        name = mm.group(1)
        if name in _FUNCS:
            raise ParseError(f"'{name}' used as a tensor")
        inputs.append(Access(name, [parse_affine(x) for x in mm.group(2).split(",")]))
        return f"__t{len(inputs) - 1}"

    rhs = _ACCESS.sub(repl, m.group(4))
    shape = {k: int(v) for k, v in spec.get("shape", {}).items()}
    for acc in [out] + inputs:
        for a in acc.indices:
            for v in a.vars:
                if v not in shape:
                    raise ParseError(f"index '{v}' has no extent in shape")
    epilogue = spec.get("epilogue")
    names = [out.tensor] + [a.tensor for a in inputs]
    if epilogue:
        names += [mm.group(1) for mm in _ACCESS.finditer(epilogue)]
    return Op(spec.get("name", out.tensor), out, m.group(3), rhs, inputs, shape,
              {k: list(v) for k, v in spec.get("tensors", {}).items()},
              epilogue, int(spec.get("count", 1)), spec, element_types(spec, names))


# Gensor's names of the element types (src/Gensor.Core/Etir/ElementTypes.cs), canonical first.
DTYPE_NAMES = {"f32": "f32", "float32": "f32", "f16": "f16", "float16": "f16", "bf16": "bf16", "bfloat16": "bf16"}
TORCH_DTYPES = {"f32": "torch.float32", "f16": "torch.float16", "bf16": "torch.bfloat16"}
# Unit roundoff of each type (2^-p, p the significand's bits), for the --check tolerance.
UNIT_ROUNDOFF = {"f32": 2.0 ** -24, "f16": 2.0 ** -11, "bf16": 2.0 ** -8}


def _dtype(name, where) -> str:
    if not isinstance(name, str) or name not in DTYPE_NAMES:
        raise ParseError(f"{where}: unknown element type {name!r} (f32, f16, bf16; or float32, float16, bfloat16)")
    return DTYPE_NAMES[name]


def element_types(spec: dict, tensors: list) -> dict:
    """The element type of every tensor, as Gensor reads a spec: `dtypes` per tensor over
    `dtype` over f32."""
    default = _dtype(spec["dtype"], "dtype") if "dtype" in spec else "f32"
    per = spec.get("dtypes") or {}
    if not isinstance(per, dict):
        raise ParseError("dtypes must be an object of tensor name -> type")
    for t in per:
        if t not in tensors:
            raise ParseError(f"dtypes names '{t}', which the operator does not use")
    return {t: (_dtype(per[t], f"dtypes.{t}") if t in per else default) for t in dict.fromkeys(tensors)}


# ----------------------------------------------------------------------------------
# Pattern recognition -> Plan (pure Python)
# ----------------------------------------------------------------------------------

@dataclass
class Plan:
    pattern: str
    call: str
    params: dict
    note: str | None = None
    in_dtype: str = "f32"   # the type of every input, in which the call runs
    out_dtype: str = "f32"  # the output's type
    cast: str | None = None  # None, "out_dtype" (torch.mm/bmm's argument) or "to" (an unfused .to() after)
    tf32: bool = False      # TF32 allowed for this call (float32 matrix product with --allow-tf32)
    dtype_text: str = ""    # the element types, in words, for the dry run and the record

    @property
    def dtype(self) -> str:
        """Short label: f32, f16, bf16, bf16->f32, f32 (TF32)."""
        t = self.in_dtype if self.in_dtype == self.out_dtype else f"{self.in_dtype}->{self.out_dtype}"
        return t + (" (TF32)" if self.tf32 else "")


# Patterns whose torch call is a cuBLAS matrix product, where allow_tf32 applies.
MATRIX_PATTERNS = ("matmul", "batched_matmul", "gemv", "einsum")


def _is_product_of_two(op: Op) -> bool:
    return re.fullmatch(r"__t0\s*\*\s*__t1", op.rhs_text) is not None and len(op.inputs) == 2


def _match_matmul(op: Op) -> Plan | None:
    if op.reduce_op != "+=" or not _is_product_of_two(op):
        return None
    a, b = op.inputs
    av, bv, ov = a.plain_vars, b.plain_vars, op.out_vars
    if av is None or bv is None:
        return None
    red = op.reduce_vars
    # gemv: y[i] += A[i,j] * x[j]  (or x[j] * A[i,j], or A[j,i])
    if len(ov) == 1 and len(red) == 1:
        mat, vec = (a, b) if len(av) == 2 else (b, a)
        mv, vv = mat.plain_vars, vec.plain_vars
        if len(mv) == 2 and vv == red and set(mv) == {ov[0], red[0]}:
            t = mv[0] != ov[0]
            return Plan("gemv", f"torch.mv({mat.tensor}{'.t()' if t else ''}, {vec.tensor})",
                        {"mat": 0 if mat is a else 1, "transpose": t})
    if len(ov) < 2 or len(red) != 1:
        return None
    batch = ov[:-2]
    i, j = ov[-2:]
    k = red[0]
    if len(av) != len(ov) or len(bv) != len(ov) or av[:len(batch)] != batch or bv[:len(batch)] != batch:
        return None
    left, right = (a, b) if i in av else (b, a)
    lv, rv = left.plain_vars[len(batch):], right.plain_vars[len(batch):]
    if set(lv) != {i, k} or set(rv) != {k, j}:
        return None
    lt, rt = lv != [i, k], rv != [k, j]
    tr = ".mT" if batch else ".t()"
    name = "matmul" if not batch else "batched_matmul"
    fn = "torch.mm" if not batch else ("torch.bmm" if len(batch) == 1 else "torch.matmul")
    call = f"{fn}({left.tensor}{tr if lt else ''}, {right.tensor}{tr if rt else ''})"
    layout = ("T" if lt else "N") + ("T" if rt else "N")
    return Plan(name, call, {"left": op.inputs.index(left), "right": op.inputs.index(right),
                             "lt": lt, "rt": rt, "nbatch": len(batch), "layout": layout})


def _conv_geometry(op: Op, inp: Access, ys: str, xs: str, rs: str, ss: str):
    wy = parse_window(inp.indices[2], ys, rs)
    wx = parse_window(inp.indices[3], xs, ss)
    if wy is None or wx is None:
        return None
    (sy, dy, py), (sx, dx, px) = wy, wx
    if sy <= 0 or sx <= 0 or dy <= 0 or dx <= 0 or py < 0 or px < 0:
        return None
    H, W = op.tensor_shape(inp)[2:4]
    R, S = op.shape[rs], op.shape[ss]
    Y, X = op.shape[ys], op.shape[xs]
    note = None
    ty = (H + 2 * py - dy * (R - 1) - 1) // sy + 1
    tx = (W + 2 * px - dx * (S - 1) - 1) // sx + 1
    if (ty, tx) != (Y, X):
        note = f"torch output {ty}x{tx} differs from the spec's {Y}x{X}; time not comparable"
    return {"stride": (sy, sx), "dilation": (dy, dx), "padding": (py, px), "kernel": (R, S)}, note


def parse_window(a: Affine, out_var: str, red_var: str):
    if not set(a.vars) <= {out_var, red_var} or out_var not in a.vars:
        return None
    return a.coef(out_var), (a.coef(red_var) if red_var in a.vars else 1), -a.const


def _geom_text(g):
    def t(p):
        return p[0] if p[0] == p[1] else p
    return f"stride={t(g['stride'])}, padding={t(g['padding'])}, dilation={t(g['dilation'])}"


def _match_conv(op: Op) -> Plan | None:
    if op.reduce_op != "+=" or not _is_product_of_two(op) or len(op.out_vars) != 4:
        return None
    n, f, ys, xs = op.out_vars
    for inp, w in (op.inputs, op.inputs[::-1]):
        wv = w.plain_vars
        if wv is None or len(inp.indices) != 4 or not inp.indices[0].plain or not inp.indices[1].plain:
            continue
        if inp.indices[0].vars[0] != n:
            continue
        c = inp.indices[1].vars[0]
        if len(wv) == 4 and wv[0] == f and wv[1] == c and c not in op.out_vars:
            rs, ss = wv[2], wv[3]
            g = _conv_geometry(op, inp, ys, xs, rs, ss)
            if g is None:
                continue
            geom, note = g
            return Plan("conv2d", f"F.conv2d({inp.tensor}, {w.tensor}, {_geom_text(geom)})",
                        {"input": op.inputs.index(inp), "weight": op.inputs.index(w), **geom}, note)
        if len(wv) == 3 and c == f and wv[0] == c:
            rs, ss = wv[1], wv[2]
            g = _conv_geometry(op, inp, ys, xs, rs, ss)
            if g is None:
                continue
            geom, note = g
            C = op.shape[c]
            return Plan("depthwise_conv2d",
                        f"F.conv2d({inp.tensor}, {w.tensor}.view({C},1,{geom['kernel'][0]},{geom['kernel'][1]}), "
                        f"{_geom_text(geom)}, groups={C})",
                        {"input": op.inputs.index(inp), "weight": op.inputs.index(w), **geom}, note)
    return None


def _match_maxpool(op: Op) -> Plan | None:
    if op.reduce_op != "max=" or op.rhs_text.strip() != "__t0" or len(op.out_vars) != 4:
        return None
    inp = op.inputs[0]
    n, c, ys, xs = op.out_vars
    if len(inp.indices) != 4 or not (inp.indices[0].plain and inp.indices[1].plain):
        return None
    if [inp.indices[0].vars[0], inp.indices[1].vars[0]] != [n, c]:
        return None
    red = op.reduce_vars
    if len(red) != 2:
        return None
    rs = [v for v in inp.indices[2].vars if v != ys]
    ss = [v for v in inp.indices[3].vars if v != xs]
    rs = rs[0] if rs else red[0]
    ss = ss[0] if ss else red[1]
    g = _conv_geometry(op, inp, ys, xs, rs, ss)
    if g is None:
        return None
    geom, note = g
    py, px = geom["padding"]
    k = geom["kernel"]
    if py or px:
        call = (f"F.max_pool2d(Ipad, kernel_size={k}, stride={geom['stride']}, dilation={geom['dilation']}) "
                f"where Ipad = F.pad({inp.tensor}, ({px},{px},{py},{py})) with zeros, made once outside the timing "
                f"(Gensor reads outside a tensor as 0; PyTorch would pad with -inf)")
    else:
        call = f"F.max_pool2d({inp.tensor}, kernel_size={k}, stride={geom['stride']}, dilation={geom['dilation']})"
    return Plan("maxpool2d", call, {"input": 0, **geom}, note)


def _match_generic(op: Op) -> Plan | None:
    if any(acc.plain_vars is None for acc in op.inputs):
        return None
    letters = {}
    for v in list(op.out_vars) + op.reduce_vars:
        letters[v] = chr(ord("a") + len(letters))
    if len(letters) > 26:
        return None
    if op.reduce_op == "+=" and re.fullmatch(r"__t\d+(\s*\*\s*__t\d+)*", op.rhs_text.strip()):
        order = [int(x) for x in re.findall(r"__t(\d+)", op.rhs_text)]
        subs = ",".join("".join(letters[v] for v in op.inputs[i].plain_vars) for i in order)
        eq = f"{subs}->{''.join(letters[v] for v in op.out_vars)}"
        return Plan("einsum", f"torch.einsum('{eq}', {', '.join(op.inputs[i].tensor for i in order)})",
                    {"equation": eq, "order": order})
    if op.reduce_op == "=" and not op.reduce_vars:
        expr = op.rhs_text
        for i, acc in enumerate(op.inputs):
            expr = expr.replace(f"__t{i}", acc.tensor)
        return Plan("elementwise", f"eager torch expression: {expr} (broadcast views)", {})
    if op.reduce_op == "max=" and op.rhs_text.strip() == "__t0":
        dims = tuple(op.inputs[0].plain_vars.index(v) for v in op.reduce_vars)
        return Plan("amax", f"torch.amax({op.inputs[0].tensor}, dim={dims}) (then permuted view)", {"dims": dims})
    return None


def plan_op(op: Op, allow_tf32: bool = False) -> Plan:
    for matcher in (_match_matmul, _match_conv, _match_maxpool, _match_generic):
        p = matcher(op)
        if p is not None:
            p = _apply_types(op, p, allow_tf32)
            if p.pattern == "unsupported":
                return p
            if op.epilogue:
                p.call += f"; then epilogue '{op.epilogue}' in eager torch (unfused)"
            if p.cast == "to":
                p.call += f"; then .to({TORCH_DTYPES[p.out_dtype]}) (unfused cast)"
            return p
    return Plan("unsupported", "-", {}, "no vendor equivalent recognised (strided or padded indices "
                                          "outside the matmul/conv/pool patterns)")


def _apply_types(op: Op, p: Plan, allow_tf32: bool) -> Plan:
    """The call in the spec's element types: inputs in their (common) type, the output's type
    through out_dtype where cuBLAS stores it directly, else an unfused cast after."""
    ins = list(dict.fromkeys(op.type_of(a.tensor) for a in op.inputs))
    out_t = op.type_of(op.out.tensor)
    if len(ins) > 1:
        each = ", ".join(f"{a.tensor}={op.type_of(a.tensor)}" for a in op.inputs)
        return Plan("unsupported", "-", {}, f"inputs of different element types ({each}): "
                                            "no single torch call takes them; not measured")
    in_t = ins[0] if ins else out_t
    p.in_dtype, p.out_dtype = in_t, out_t
    p.tf32 = allow_tf32 and in_t == "f32" and p.pattern in MATRIX_PATTERNS
    if out_t != in_t:
        direct = (p.pattern == "matmul" or (p.pattern == "batched_matmul" and p.params["nbatch"] == 1))
        if direct and in_t in ("f16", "bf16") and out_t == "f32" and not op.epilogue:
            p.cast = "out_dtype"
            p.call = p.call[:-1] + f", {TORCH_DTYPES[out_t]})"
        else:
            p.cast = "to"
    names_in = ", ".join(dict.fromkeys(a.tensor for a in op.inputs))
    if in_t == out_t:
        text = f"{names_in}, {op.out.tensor}: {TORCH_DTYPES[in_t]}" if names_in else f"{op.out.tensor}: {TORCH_DTYPES[in_t]}"
    else:
        text = f"{names_in}: {TORCH_DTYPES[in_t]} -> {op.out.tensor}: {TORCH_DTYPES[out_t]}"
    if in_t == "f32":
        text += "; TF32 on (allow_tf32, as gensor --allow-tf32)" if p.tf32 else "; TF32 off"
    elif p.pattern in MATRIX_PATTERNS:
        text += "; f32 accumulation (reduced-precision reduction off)"
    p.dtype_text = text
    return p


# ----------------------------------------------------------------------------------
# Execution (torch only from here)
# ----------------------------------------------------------------------------------

def _namespace(torch):
    def _max(a, b):
        return torch.maximum(torch.as_tensor(a), torch.as_tensor(b)) if _is_t(torch, a, b) else max(a, b)

    def _min(a, b):
        return torch.minimum(torch.as_tensor(a), torch.as_tensor(b)) if _is_t(torch, a, b) else min(a, b)

    return {"relu": torch.relu, "exp": torch.exp, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "sqrt": torch.sqrt, "abs": torch.abs, "max": _max, "min": _min, "__builtins__": {}}


def _is_t(torch, *xs):
    return any(isinstance(x, torch.Tensor) for x in xs)


def _broadcast_view(t, vars_, target_vars):
    """View tensor t (indexed by vars_) so it broadcasts over target_vars (no copy)."""
    order = sorted(range(len(vars_)), key=lambda i: target_vars.index(vars_[i]))
    if order != list(range(len(vars_))):
        t = t.permute(*order)
    present = set(vars_)
    return t[tuple(slice(None) if v in present else None for v in target_vars)]


def build(op: Op, plan: Plan, torch, device, gen):
    """Returns (fn, tensors): fn() runs the timed torch call and returns the output."""
    F = torch.nn.functional
    tdt = {k: getattr(torch, v.split(".")[1]) for k, v in TORCH_DTYPES.items()}
    ts = [torch.randn(op.tensor_shape(acc), device=device, dtype=tdt[op.type_of(acc.tensor)], generator=gen)
          for acc in op.inputs]
    p = plan.params
    if plan.pattern in ("matmul", "batched_matmul"):
        L, R = ts[p["left"]], ts[p["right"]]
        if p["nbatch"] == 0:
            Lv, Rv = (L.t() if p["lt"] else L), (R.t() if p["rt"] else R)
            product = torch.mm
        else:
            Lv, Rv = (L.mT if p["lt"] else L), (R.mT if p["rt"] else R)
            product = torch.bmm if p["nbatch"] == 1 else torch.matmul
        if plan.cast == "out_dtype":
            od = tdt[plan.out_dtype]
            fn0 = lambda: product(Lv, Rv, od)  # noqa: E731
            try:  # older PyTorch has no out_dtype: then cast after the call and say so
                fn0()
            except (TypeError, RuntimeError):
                plan.cast = "to"
                plan.call = plan.call[:plan.call.rindex(",")] + f"); then .to({TORCH_DTYPES[plan.out_dtype]}) " \
                    "(unfused cast: this torch's mm/bmm take no out_dtype)"
                fn0 = lambda: product(Lv, Rv)  # noqa: E731
        else:
            fn0 = lambda: product(Lv, Rv)  # noqa: E731
    elif plan.pattern == "gemv":
        M, v = ts[p["mat"]], ts[1 - p["mat"]]
        Mv = M.t() if p["transpose"] else M
        fn0 = lambda: torch.mv(Mv, v)  # noqa: E731
    elif plan.pattern == "conv2d":
        I, W = ts[p["input"]], ts[p["weight"]]
        fn0 = lambda: F.conv2d(I, W, stride=p["stride"], padding=p["padding"], dilation=p["dilation"])  # noqa: E731
    elif plan.pattern == "depthwise_conv2d":
        I, W = ts[p["input"]], ts[p["weight"]]
        Wv = W.view(W.shape[0], 1, W.shape[1], W.shape[2])
        fn0 = lambda: F.conv2d(I, Wv, stride=p["stride"], padding=p["padding"], dilation=p["dilation"],  # noqa: E731
                               groups=I.shape[1])
    elif plan.pattern == "maxpool2d":
        I = ts[0]
        py, px = p["padding"]
        Ip = F.pad(I, (px, px, py, py)) if (py or px) else I
        fn0 = lambda: F.max_pool2d(Ip, kernel_size=p["kernel"], stride=p["stride"], dilation=p["dilation"])  # noqa: E731
    elif plan.pattern == "einsum":
        args = [ts[i] for i in p["order"]]
        fn0 = lambda: torch.einsum(p["equation"], *args)  # noqa: E731
    elif plan.pattern == "elementwise":
        ns = _namespace(torch)
        for i, acc in enumerate(op.inputs):
            ns[f"__t{i}"] = _broadcast_view(ts[i], acc.plain_vars, op.out_vars)
        code = compile(op.rhs_text, "<rhs>", "eval")
        out_shape = [op.shape[v] for v in op.out_vars]
        fn0 = lambda: torch.broadcast_to(eval(code, ns), out_shape)  # noqa: E731,S307
    elif plan.pattern == "amax":
        keep = [v for v in op.inputs[0].plain_vars if v not in op.reduce_vars]
        perm = [keep.index(v) for v in op.out_vars]
        fn0 = lambda: torch.amax(ts[0], dim=p["dims"]).permute(*perm)  # noqa: E731
    else:
        raise RuntimeError(f"pattern {plan.pattern} cannot run")
    # The output's own type, when the call cannot store it: cast last (after any epilogue).
    cast_to = tdt[plan.out_dtype] if plan.cast == "to" else None
    if not op.epilogue:
        if cast_to is None:
            return fn0, ts
        return (lambda: fn0().to(cast_to)), ts
    # Epilogue: accesses to the output tensor take the main result; others are new inputs.
    ns = _namespace(torch)
    ep_inputs = []

    def repl(mm):
        acc = Access(mm.group(1), [parse_affine(x) for x in mm.group(2).split(",")])
        ep_inputs.append(acc)
        return f"__e{len(ep_inputs) - 1}"

    ep_text = _ACCESS.sub(repl, op.epilogue)
    ep_code = compile(ep_text, "<epilogue>", "eval")
    extra = {}
    for i, acc in enumerate(ep_inputs):
        if acc.tensor != op.out.tensor and acc.plain_vars is not None:
            shape = [op.shape[v] for v in acc.plain_vars]
            t = torch.randn(shape, device=device, dtype=tdt[op.type_of(acc.tensor)], generator=gen)
            extra[i] = _broadcast_view(t, acc.plain_vars, op.out_vars)

    def fn():
        out = fn0()
        for i, acc in enumerate(ep_inputs):
            ns[f"__e{i}"] = out if acc.tensor == op.out.tensor else extra[i]
        res = eval(ep_code, ns)  # noqa: S307
        return res if cast_to is None else res.to(cast_to)

    return fn, ts


def time_fn(torch, fn, warmup, min_reps, min_total_ms, max_reps=100000):
    for _ in range(max(warmup, 1)):
        fn()
    torch.cuda.synchronize()
    # Estimate one call, then pick the repetitions so that their total lasts >= min_total_ms.
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(5):
        fn()
    e.record()
    torch.cuda.synchronize()
    est = max(s.elapsed_time(e) / 5, 1e-4)
    reps = int(min(max(min_reps, math.ceil(min_total_ms / est)), max_reps))
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    for i in range(reps):
        starts[i].record()
        fn()
        ends[i].record()
    torch.cuda.synchronize()
    times = [a.elapsed_time(b) for a, b in zip(starts, ends)]
    return statistics.median(times), min(times), max(times), reps


def reference_points(op: Op, ts, torch, npoints, gen):
    """Naive reference at a few random output points, in float64 on the CPU.
    Reads outside a tensor are 0, as in Gensor. Returns (indices, values, magnitudes): a
    magnitude is the sum of |terms| of the reduction (|value| without one)."""
    out_vars, red_vars = op.out_vars, op.reduce_vars
    cpu = [t.detach().double().cpu() for t in ts]
    grids = torch.meshgrid(*[torch.arange(op.shape[v]) for v in red_vars], indexing="ij") if red_vars else []
    red_idx = {v: g.reshape(-1) for v, g in zip(red_vars, grids)}
    ns = _namespace(torch)
    pts, vals, mags = [], [], []
    for _ in range(npoints):
        pt = {v: int(torch.randint(op.shape[v], (1,), generator=gen)) for v in out_vars}
        env = {**{v: torch.tensor([x]) for v, x in pt.items()}, **red_idx}
        for i, (acc, t) in enumerate(zip(op.inputs, cpu)):
            idx = [a.const + sum(c * env[v] for v, c in a.coefs) for a in acc.indices]
            idx = [torch.as_tensor(x).reshape(-1) for x in idx]
            n = max(len(x) for x in idx)
            idx = [x.expand(n) if len(x) == 1 else x for x in idx]
            ok = torch.ones(n, dtype=torch.bool)
            for d, x in enumerate(idx):
                ok &= (x >= 0) & (x < t.shape[d])
            safe = [torch.where(ok, x, torch.zeros_like(x)) for x in idx]
            ns[f"__t{i}"] = torch.where(ok, t[tuple(safe)], torch.zeros(n, dtype=torch.float64))
        v = eval(op.rhs_text, ns)  # noqa: S307
        v = torch.as_tensor(v, dtype=torch.float64)
        mag = v.abs().sum()
        if op.reduce_op == "+=":
            v = v.sum()
        elif op.reduce_op == "max=":
            v = v.max()
        pts.append([pt[x] for x in out_vars])
        vals.append(float(v.reshape(-1)[0]))
        mags.append(float(mag) if op.reduce_op == "+=" else abs(vals[-1]))
    return pts, vals, mags


def check_tolerance(plan: Plan, red: int, scale: float, value: float, magnitude: float) -> float:
    """What a correct vendor result may be off at one point: the f32 allowance of before
    (1e-4 sqrt(n) of the scale), plus TF32's rounding of both inputs (2 * 2^-11 of the sum
    of |terms|), plus one rounding to each 16-bit type the result is stored in (twice its
    unit roundoff of |value|): the output's, and the call's own when a cast follows it.
    16-bit inputs are exact: the reference reads the very same values."""
    tol = 1e-4 * math.sqrt(red) * scale
    if plan.tf32:
        tol += 2 * 2.0 ** -11 * magnitude
    stored = [plan.out_dtype] + ([plan.in_dtype] if plan.cast == "to" else [])
    for t in stored:
        if t != "f32":
            tol += 2 * UNIT_ROUNDOFF[t] * abs(value)
    return tol


def check(op: Op, plan: Plan, torch, device):
    gen = torch.Generator(device=device).manual_seed(1)
    if op.epilogue:
        return None, "skipped: epilogue"
    fn, ts = build(op, plan, torch, device, gen)
    out = fn()
    if str(out.dtype) != TORCH_DTYPES[plan.out_dtype]:
        return None, f"MISMATCH (output is {out.dtype}, the spec says {TORCH_DTYPES[plan.out_dtype]})"
    out = out.detach().double().cpu()
    pts, ref, mags = reference_points(op, ts, torch, 16, torch.Generator().manual_seed(2))
    red = max(1, math.prod(op.shape[v] for v in op.reduce_vars))
    scale = max(1.0, max(abs(r) for r in ref))
    errs = [abs(out[tuple(p)].item() - r) for p, r in zip(pts, ref)]
    tols = [check_tolerance(plan, red, scale, r, m) for r, m in zip(ref, mags)]
    worst = max(range(len(errs)), key=lambda i: errs[i] / tols[i])
    ok = all(e <= t for e, t in zip(errs, tols))
    return max(errs), ("ok" if ok else f"MISMATCH (error {errs[worst]:.3g} over tolerance {tols[worst]:.3g})")


# ----------------------------------------------------------------------------------

def load_suite(path):
    with open(path) as f:
        data = json.load(f)
    return data if isinstance(data, list) else [data]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("suite")
    ap.add_argument("--reps", type=int, default=20, help="minimum timed repetitions (default 20)")
    ap.add_argument("--warmup", type=int, default=10, help="warm-up calls (default 10)")
    ap.add_argument("--min-total-ms", type=float, default=50.0,
                    help="repeat until the timed calls last at least this long in total (default 50)")
    ap.add_argument("--allow-tf32", action="store_true",
                    help="let float32 matrix products use TF32 (give it when gensor ran with --allow-tf32)")
    ap.add_argument("--dry-run", action="store_true", help="print patterns and calls; needs no torch")
    ap.add_argument("--check", action="store_true", help="also compare torch's result with a naive reference")
    ap.add_argument("--out", help="write the JSON array here instead of stdout")
    args = ap.parse_args(argv)

    specs = load_suite(args.suite)
    planned = []
    for spec in specs:
        try:
            op = parse_op(spec)
            plan = plan_op(op, args.allow_tf32)
        except (ParseError, KeyError) as ex:
            op, plan = None, Plan("unsupported", "-", {}, f"parse error: {ex}")
        planned.append((spec, op, plan))

    if args.dry_run:
        print(f"vendor baseline (dry run) for {args.suite}: {len(planned)} operators")
        for spec, op, plan in planned:
            print(f"  {spec.get('name', '?')}: {plan.pattern}: {plan.call}"
                  + (f"  [{plan.dtype_text}]" if plan.dtype_text else "")
                  + (f"  [note: {plan.note}]" if plan.note else ""))
        return 0

    try:
        import torch  # noqa: PLC0415
    except ImportError as ex:
        print(f"error: PyTorch is needed to time the vendor baseline ({ex}); --dry-run works without it",
              file=sys.stderr)
        return 2

    if not torch.cuda.is_available():
        print("error: torch sees no CUDA device", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = args.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    # Gensor accumulates 16-bit products in f32: so must cuBLAS (its default may reduce in 16 bits).
    for flag in ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
        if hasattr(torch.backends.cuda.matmul, flag):
            setattr(torch.backends.cuda.matmul, flag, False)
    torch.backends.cudnn.benchmark = True
    device = torch.device("cuda")
    dev_name = torch.cuda.get_device_name(device)
    date = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    results = []
    for spec, op, plan in planned:
        rec = {"name": spec.get("name"), "pattern": plan.pattern, "call": plan.call, "count": int(spec.get("count", 1)),
               "dtype": plan.dtype if plan.pattern != "unsupported" else None,
               "dtypes": op.types if op else None, "dtype_text": plan.dtype_text or None,
               "device": dev_name, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
               "tf32": plan.tf32, "allow_tf32": args.allow_tf32, "reduced_precision_reduction": False,
               "date": date, "median_ms": None, "min_ms": None, "max_ms": None, "reps": 0}
        if plan.note:
            rec["note"] = plan.note
        if plan.pattern != "unsupported":
            try:
                gen = torch.Generator(device=device).manual_seed(0)
                fn, _ = build(op, plan, torch, device, gen)
                rec["call"] = plan.call  # build may fall back to a cast when this torch lacks out_dtype
                med, lo, hi, reps = time_fn(torch, fn, args.warmup, args.reps, args.min_total_ms)
                rec.update(median_ms=med, min_ms=lo, max_ms=hi, reps=reps)
                if args.check:
                    err, verdict = check(op, plan, torch, device)
                    rec["check"] = verdict
                    rec["check_max_abs_error"] = err
                del fn
                torch.cuda.empty_cache()
            except Exception as ex:  # noqa: BLE001 - report and go on with the suite
                rec["error"] = f"{type(ex).__name__}: {ex}"
        results.append(rec)
        shown = f"{rec['median_ms']:.4f} ms (min {rec['min_ms']:.4f}, max {rec['max_ms']:.4f}, {rec['reps']} reps)" \
            if rec["median_ms"] is not None else rec.get("error", rec.get("note", "not measured"))
        print(f"  {rec['name']}: {plan.pattern} [{rec['dtype'] or '-'}]: {shown}"
              + (f"  check {rec['check']}" if "check" in rec else ""),
              file=sys.stderr)
    text = json.dumps(results, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
