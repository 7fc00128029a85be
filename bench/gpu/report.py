#!/usr/bin/env python3
"""Join a benchmark run's Gensor tune reports and vendor times into one table.

Usage: report.py RUN_DIR [RUN_DIR ...] [--quiet]

RUN_DIR is what run_benchmark.sh writes (it works offline on saved files):
  suite.json          the suite (JSON array of operator specs, with `count`)
  meta.json           gpu, date, policies, top_k (optional)
  ops/NN_name.json    one spec per operator (file stem names the tune reports)
  tune/POLICY/NN_name.json   `gensor tune --format json` output (may be empty on failure)
  walltimes.jsonl     {"op","file","policy","wall_s","rc"} per tune call
  vendor.json         vendor_baseline.py output (JSON array)

Prints a Markdown table per run and writes RUN_DIR/report.md and RUN_DIR/report.json.
Per operator: its element types (the spec's dtype/dtypes; which sides ran TF32),
measured ms of each policy's best verified kernel, the cost model's
estimate, tune wall time, vendor ms, "x of vendor speed" = vendor_ms / gensor_ms and
gensor vs roller = roller_ms / gensor_ms (> 1: gensor faster). Per suite: geometric
means of those ratios and the end-to-end sum of count x time.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys


def _load_json(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def _safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


_DTYPE = {"f32": "f32", "float32": "f32", "f16": "f16", "float16": "f16", "bf16": "bf16", "bfloat16": "bf16"}


def spec_dtype(spec):
    """The spec's element types in short: its dtype (f32 when absent), then any per-tensor
    types that differ, e.g. "f16", "bf16 (C=f32)"."""
    default = _DTYPE.get(spec.get("dtype", "f32"), spec.get("dtype"))
    per = {t: _DTYPE.get(v, v) for t, v in (spec.get("dtypes") or {}).items()}
    other = [f"{t}={v}" for t, v in per.items() if v != default]
    return default + (f" ({', '.join(other)})" if other else "")


def geomean(xs):
    xs = [x for x in xs if x is not None and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def _ranks(xs):
    """Ranks from 1, ties sharing their mean rank."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs, ys):
    """Spearman's rank correlation (Pearson's of the ranks); None for fewer than 3 pairs or a constant side."""
    if len(xs) < 3:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else None


def candidate_fit(report):
    """How the cost model's estimates rank a tune report's measured candidates: tried, verified,
    Spearman of estimate and measured time over the verified ones, and the measured time of the
    model's first choice among them over the best measured (1.0: the model picked the fastest)."""
    cands = [c for c in (report.get("candidates") or []) if not c.get("from_records")]
    ok = [c for c in cands if c.get("verified") and c.get("measured_ms") and c.get("estimated_ms") is not None]
    fit = {"tried": len(cands), "verified": len(ok), "spearman": None, "first_choice_x_best": None,
           "failures": sorted({(c.get("error") or "").split(":")[0] for c in cands if not c.get("verified")} - {""})}
    if ok:
        fit["spearman"] = spearman([c["estimated_ms"] for c in ok], [c["measured_ms"] for c in ok])
        first = min(ok, key=lambda c: c["estimated_ms"])
        fit["first_choice_x_best"] = first["measured_ms"] / min(c["measured_ms"] for c in ok)
    return fit


def collect(run_dir):
    suite = _load_json(os.path.join(run_dir, "suite.json")) or []
    if isinstance(suite, dict):
        suite = [suite]
    meta = _load_json(os.path.join(run_dir, "meta.json")) or {}
    vendor = _load_json(os.path.join(run_dir, "vendor.json")) or []
    vendor_by_name = {v.get("name"): v for v in vendor}
    walls = {}
    wt = os.path.join(run_dir, "walltimes.jsonl")
    if os.path.exists(wt):
        with open(wt) as f:
            for line in f:
                if line.strip():
                    w = json.loads(line)
                    walls[(w["file"], w["policy"])] = w
    policies = meta.get("policies") or sorted(
        d for d in os.listdir(os.path.join(run_dir, "tune")) if os.path.isdir(os.path.join(run_dir, "tune", d))
    ) if os.path.isdir(os.path.join(run_dir, "tune")) else (meta.get("policies") or [])

    ops = []
    simulated = False
    gensor_devices = set()
    for i, spec in enumerate(suite):
        name = spec.get("name", f"op{i}")
        stem = f"{i:02d}_{_safe(name)}"
        row = {"name": name, "count": int(spec.get("count", 1)), "compute": spec.get("compute"),
               "shape": spec.get("shape"), "dtype": spec_dtype(spec), "policies": {}}
        for p in policies:
            rep = _load_json(os.path.join(run_dir, "tune", p, stem + ".json"))
            w = walls.get((stem + ".json", p), {})
            entry = {"measured_ms": None, "estimated_ms": None, "min_ms": None, "max_ms": None,
                     "verified": False, "schedule": None, "states_visited": None,
                     "tune_wall_s": w.get("wall_s"), "rc": w.get("rc")}
            if rep and isinstance(rep, dict) and rep.get("best"):
                b = rep["best"]
                entry.update(estimated_ms=b.get("estimated_ms"), verified=bool(b.get("verified")),
                             schedule=(b.get("schedule") or {}).get("text"),
                             states_visited=rep.get("states_visited"), timings=rep.get("timings"),
                             tf32=bool(rep.get("tf32")))
                if b.get("verified"):
                    entry.update(measured_ms=b.get("measured_ms"), min_ms=b.get("min_ms"), max_ms=b.get("max_ms"))
                simulated |= bool(rep.get("simulated"))
            if rep and isinstance(rep, dict):
                entry["fit"] = candidate_fit(rep)
                if rep.get("device"):
                    gensor_devices.add(rep["device"])
            row["policies"][p] = entry
        v = vendor_by_name.get(name) or {}
        row["vendor"] = {"pattern": v.get("pattern"), "call": v.get("call"), "median_ms": v.get("median_ms"),
                         "min_ms": v.get("min_ms"), "max_ms": v.get("max_ms"), "reps": v.get("reps"),
                         "note": v.get("note") or v.get("error"), "dtype": v.get("dtype"),
                         "tf32": bool(v.get("tf32"))}
        if v and "dtypes" not in v and row["dtype"] != "f32":
            # A vendor.json from before the kit carried element types: timed in f32.
            row["vendor"]["note"] = (f"vendor timed in f32, the operator is {row['dtype']}: not comparable"
                                     + (f"; {row['vendor']['note']}" if row["vendor"]["note"] else ""))
        g = row["policies"].get("gensor", {}).get("measured_ms")
        r = row["policies"].get("roller", {}).get("measured_ms")
        vm = row["vendor"]["median_ms"]
        comparable = "not comparable" not in (row["vendor"]["note"] or "")
        row["x_of_vendor"] = (vm / g) if (g and vm and comparable) else None
        row["roller_x_of_vendor"] = (vm / r) if (r and vm and comparable) else None
        row["gensor_vs_roller"] = (r / g) if (g and r) else None
        ops.append(row)

    def e2e(getter):
        vals = [(o["count"], getter(o)) for o in ops]
        missing = [o["name"] for o, (_, t) in zip(ops, vals) if t is None]
        total = sum(c * t for c, t in vals if t is not None)
        return {"ms": total if ops and not missing else None, "partial_ms": total, "missing": missing}

    summary = {
        "geomean_x_of_vendor": geomean([o["x_of_vendor"] for o in ops]),
        "geomean_roller_x_of_vendor": geomean([o["roller_x_of_vendor"] for o in ops]),
        "geomean_gensor_vs_roller": geomean([o["gensor_vs_roller"] for o in ops]),
        "end_to_end": {p: e2e(lambda o, p=p: o["policies"].get(p, {}).get("measured_ms")) for p in policies},
        "mean_spearman": {p: _mean([(o["policies"].get(p, {}).get("fit") or {}).get("spearman") for o in ops]) for p in policies},
    }
    summary["end_to_end"]["vendor"] = e2e(lambda o: o["vendor"]["median_ms"])
    vdev = sorted({v.get("device") for v in vendor if v.get("device")})
    return {"run_dir": run_dir, "suite": meta.get("suite") or os.path.basename(run_dir),
            "gpu": meta.get("gpu") or (vdev[0] if vdev else None), "date": meta.get("date"),
            "vendor_device": vdev, "gensor_device": sorted(gensor_devices), "simulated": simulated,
            "policies": policies, "top_k": meta.get("top_k"), "operators": ops, "summary": summary}


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def _f(x, digits=4):
    return "-" if x is None else f"{x:.{digits}f}"


def _x(x):
    return "-" if x is None else f"{x:.2f}x"


def markdown(rep):
    pol = rep["policies"]
    lines = [f"## {rep['suite']}", "",
             f"GPU: {rep['gpu'] or 'unknown'}; date: {rep['date'] or 'unknown'}; "
             f"gensor device: {', '.join(rep['gensor_device']) or '-'}; vendor device: "
             f"{', '.join(rep['vendor_device']) or '-'}; top-k: {rep['top_k'] if rep['top_k'] is not None else '-'}", ""]
    if rep["simulated"]:
        lines += ["**SIMULATED: at least one Gensor time comes from ILGPU's CPU accelerator; "
                  "these times say nothing about a GPU.**", ""]
    head = ["operator", "count", "dtype"] + [f"{p} ms" for p in pol] + [f"{p} est ms" for p in pol] + \
           [f"{p} tune s" for p in pol] + ["vendor ms", "vendor call", "x of vendor (gensor)", "gensor vs roller"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for o in rep["operators"]:
        pp = o["policies"]
        tf32 = [p for p in pol if pp[p].get("tf32")] + (["vendor"] if o["vendor"].get("tf32") else [])
        cells = [o["name"], str(o["count"]), o["dtype"] + (f"; TF32: {', '.join(tf32)}" if tf32 else "")]
        cells += [_f(pp[p]["measured_ms"]) for p in pol]
        cells += [_f(pp[p]["estimated_ms"]) for p in pol]
        cells += [_f(pp[p]["tune_wall_s"], 1) for p in pol]
        v = o["vendor"]
        cells += [_f(v["median_ms"]), (v["pattern"] or "-") + (" (note)" if v["note"] else ""),
                  _x(o["x_of_vendor"]), _x(o["gensor_vs_roller"])]
        lines.append("| " + " | ".join(cells) + " |")
    s = rep["summary"]
    lines += ["", f"Geometric mean, x of vendor speed (vendor_ms / gensor_ms): {_x(s['geomean_x_of_vendor'])}; "
                  f"roller: {_x(s['geomean_roller_x_of_vendor'])}; "
                  f"gensor vs roller (roller_ms / gensor_ms): {_x(s['geomean_gensor_vs_roller'])}", "",
              "End to end (sum of count x time):"]
    for k, e in s["end_to_end"].items():
        if e["ms"] is not None:
            lines.append(f"- {k}: {e['ms']:.4f} ms")
        else:
            lines.append(f"- {k}: incomplete ({len(e['missing'])} operators without a time; "
                         f"partial {e['partial_ms']:.4f} ms)")
    fits = [(o, p, o["policies"][p].get("fit")) for p in pol for o in rep["operators"] if o["policies"][p].get("fit")]
    if fits:
        lines += ["", "Estimate against measurement, per tune call's measured candidates (Spearman over the verified "
                      "ones; first choice = measured time of the lowest estimate over the fastest measured):", "",
                  "| operator | policy | verified / tried | spearman | first choice x best | failures |", "|---|---|---|---|---|---|"]
        for o, p, f in fits:
            lines.append(f"| {o['name']} | {p} | {f['verified']} / {f['tried']} | {_f(f['spearman'], 3)} | "
                         f"{_f(f['first_choice_x_best'], 3)} | {', '.join(f['failures']) or '-'} |")
        for p in pol:
            if s["mean_spearman"].get(p) is not None:
                lines.append(f"\nMean Spearman, {p}: {s['mean_spearman'][p]:.3f}")
    notes = [(o["name"], o["vendor"]["note"]) for o in rep["operators"] if o["vendor"]["note"]]
    if notes:
        lines += ["", "Vendor notes:"] + [f"- {n}: {t}" for n, t in notes]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dirs", nargs="+")
    ap.add_argument("--quiet", action="store_true", help="write the files, print nothing")
    args = ap.parse_args(argv)
    for d in args.run_dirs:
        rep = collect(d)
        md = markdown(rep)
        with open(os.path.join(d, "report.md"), "w") as f:
            f.write(md)
        with open(os.path.join(d, "report.json"), "w") as f:
            json.dump(rep, f, indent=1)
        if not args.quiet:
            print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
