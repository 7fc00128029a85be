#!/usr/bin/env python3
"""Adversarial fuzz run of the gensor command line (issue 13).

Generates a fixed, seeded set of cases: expressions (valid, long, deeply nested,
mutated, NaN-producing, colliding names, huge tensors), spec files (malformed
JSON, wrong types, a directory, a FIFO, /dev/zero, UTF-16), profiles (extreme and
inconsistent figures), records files (torn, forged, not records at all), output
paths, schedules, measure-worker input and control characters. Each case runs
the real binary in a fresh directory and is judged by the rules of the README:

  * exit 0 (it works), or exit 2 with exactly one line on stderr that starts
    with "error: ", no stack trace, no raw control character, and nothing
    written or changed in the case's directory;
  * never a crash, an internal error (exit 1), a hang or a wait of minutes;
  * plus an oracle per case where the answer is known: a forged record is never
    reported, a valid expression verifies, an all-NaN output is not "verified",
    a launch has a positive group size, a refused records file is left unchanged,
    a cost estimate is a positive time.

Usage:
  scripts/fuzz-cli.py --gensor "dotnet src/Gensor.Cli/bin/Release/net10.0/gensor.dll" [--seed 13] [--only CATEGORY] [--name TEXT]
                      [--jobs N] [--json out.json]

It prints one line per failing case and a summary: cases, passed, failed, and
the failures by category. Exit status 0 when every case passed, 1 otherwise.
"""

import argparse
import concurrent.futures
import json
import os
import random
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter

CASE_TIMEOUT = 120  # seconds; a case that takes longer is a hang
SLOW_BAD_INPUT = 20  # seconds; bad input must be refused quickly

# ----------------------------------------------------------------------------
# cases


class Case:
    def __init__(self, group, name, argv, files=None, stdin=None, checks=(), allow_exit3=False, timeout=CASE_TIMEOUT,
                 env=None, stdout=None, keep=()):
        self.group = group
        self.name = name
        self.argv = argv  # list of str; "{d}" is replaced by the case directory
        self.files = files or {}  # name -> bytes | "fifo" | "dir" | ("link", target)
        self.stdin = stdin
        self.checks = list(checks)
        self.allow_exit3 = allow_exit3
        self.timeout = timeout
        self.env = env or {}  # variables set for the run; "{d}" is replaced by the case directory
        self.stdout = stdout  # None (a pipe), "closed" (fd 1 closed) or "read-only" (fd 1 open for reading only)
        self.keep = list(keep)  # names whose state after the run the checks may read (Result.kept)


class Result:
    def __init__(self, rc, out, err, seconds, changed, directory, kept=None):
        self.rc = rc
        self.out = out
        self.err = err
        self.seconds = seconds
        self.changed = changed  # paths created, changed or removed in the case directory
        self.directory = directory
        self.kept = kept or {}  # name in Case.keep -> bytes (a file), ("link", target), "other" or None (absent)

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError:
            return None


def snapshot(directory):
    state = {}
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, directory)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as handle:
                    state[rel] = ("file", st.st_size, hash(handle.read()))
            else:
                state[rel] = ("other", stat.S_IFMT(st.st_mode), 0)
    return state


def kept_state(path):
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(path))
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as handle:
            return handle.read()
    return "other"


def run_case(gensor, case):
    directory = tempfile.mkdtemp(prefix="gensor-fuzz-")
    try:
        for name, content in case.files.items():
            path = os.path.join(directory, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if content == "fifo":
                os.mkfifo(path)
            elif content == "dir":
                os.makedirs(path, exist_ok=True)
            elif isinstance(content, tuple) and content[0] == "link":
                os.symlink(content[1], path)
            else:
                with open(path, "wb") as handle:
                    handle.write(content)
        before = snapshot(directory)
        argv = gensor + [a.replace("{d}", directory) for a in case.argv]
        if case.stdout is not None:
            # The child must start with fd 1 closed (or read-only), which Popen cannot arrange without preexec_fn.
            redirect = {"closed": "exec 1>&-", "read-only": "exec 1</dev/null"}[case.stdout]
            argv = ["bash", "-c", redirect + '; exec "$@"', "_"] + argv
        env = None
        if case.env:
            env = dict(os.environ)
            env.update({k: v.replace("{d}", directory) for k, v in case.env.items()})
        start = time.monotonic()
        process = subprocess.Popen(argv, cwd=directory, stdin=subprocess.PIPE if case.stdin is not None else subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env)
        try:
            out, err = process.communicate(case.stdin, timeout=case.timeout)
            rc = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
            rc = None
        seconds = time.monotonic() - start
        after = snapshot(directory)
        changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        kept = {name: kept_state(os.path.join(directory, name)) for name in case.keep}
        return Result(rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), seconds, changed, directory, kept)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def judge(case, res):
    """The failure categories of one result; empty when it passed."""
    if res.rc is None:
        return ["hang"]
    if res.rc < 0 or res.rc >= 128 or res.rc not in (0, 1, 2, 3):
        return ["crash"]
    if res.rc == 1:
        return ["internal-error"]
    fails = []
    if "   at " in res.err or "Unhandled exception" in res.err:
        fails.append("stack-trace")
    if any(ord(c) < 32 and c not in "\n\t\r" for c in res.err + res.out):
        fails.append("control-char")
    if res.rc == 2:
        lines = [line for line in res.err.split("\n") if line.strip()]
        if len(lines) != 1 or not lines[0].startswith("error: "):
            fails.append("error-format")
        if res.changed:
            fails.append("files-left")
        if res.seconds > SLOW_BAD_INPUT:
            fails.append("slow-refusal")
    if res.rc == 3 and not case.allow_exit3:
        fails.append("no-result")
    for check in case.checks:
        problem = check(res)
        if problem:
            fails.append(problem)
    return fails


# ----------------------------------------------------------------------------
# oracles


def verified_best(res):
    """A tune --format json that exits 0 must have a verified best with a finite error."""
    if res.rc != 0:
        return None
    report = res.json()
    if report is None or report.get("best") is None:
        return "wrong-result"
    best = report["best"]
    if not best.get("verified") or best.get("max_abs_error") is None:
        return "wrong-result"
    return None


def must_verify(res):
    """A valid expression must tune and verify (exit 0)."""
    if res.rc in (2, 3):
        return "valid-input-rejected"
    return verified_best(res)


def not_verified(res):
    """Nothing can be checked (the reference is NaN everywhere): the result must not be called verified."""
    if res.rc == 0:
        return "nan-verified"
    return None


def exit_code(code, category):
    return lambda res: None if res.rc == code else category


def absent(text, category):
    return lambda res: category if text in res.out else None


def unchanged(name, category):
    return lambda res: category if any(p == name for p in res.changed) and res.rc != 0 else None


def never_changed(name, category):
    return lambda res: category if name in res.changed else None


def no_temp_files(res):
    return "files-left" if any(".tmp-" in p for p in res.changed) else None


def positive_group(res):
    if res.rc != 0:
        return None
    for line in res.out.split("\n"):
        if line.startswith("launch:") and ("group 0," in line or "group -" in line):
            return "wrong-result"
    return None


NEGATIVE_ESTIMATE = re.compile(r"(estimated |^ +\d+ +)(-\d|NaN|-?Infinity|-?∞)", re.MULTILINE)


def positive_estimates(res):
    """An estimate (emit's "estimated X ms", explain's candidate lines) is a finite positive time."""
    return "wrong-result" if res.rc == 0 and NEGATIVE_ESTIMATE.search(res.out) else None


def no_raw_line(marker):
    """A name with a newline must not start a line of its own in the output."""
    return lambda res: "control-char" if any(line.startswith(marker) for line in (res.out + res.err).split("\n")) else None


# ----------------------------------------------------------------------------
# generators

SMALL = "m=8,n=8"
CPU_TUNE = ["--device", "cpu", "--top-k", "1", "--format", "json"]


def tune_inline(compute, shape, *extra):
    return ["tune", "--compute", compute, "--shape", shape, *CPU_TUNE, *extra]


def explain_inline(compute, shape, *extra):
    return ["explain", "--compute", compute, "--shape", shape, "--target", "h100", "--top-k", "2", *extra]


def random_expr(rng, depth, leaves, allow_exp=True):
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.8:
            return rng.choice(leaves)
        return rng.choice(["0.5", "2", "1.25", "3", "0.001", "1e-3", "7.5"])
    kind = rng.random()
    if kind < 0.3:
        functions = ["relu", "tanh", "sigmoid", "abs", "-"] + (["exp"] if allow_exp else [])
        f = rng.choice(functions)
        inner = random_expr(rng, depth - 1, leaves, allow_exp and f != "exp")
        return f"-({inner})" if f == "-" else f"{f}({inner})"
    left = random_expr(rng, depth - 1, leaves, allow_exp)
    right = random_expr(rng, depth - 1, leaves, allow_exp)
    op = rng.choice(["+", "-", "*", "max", "min"])
    if op in ("max", "min"):
        return f"{op}({left}, {right})"
    return f"({left} {op} {right})"


def valid_expressions(rng):
    cases = []
    elementwise = ["A[m,n]", "B[m,n]", "A[n,m]", "D[m]", "D[n]", "A[m,n+1]", "B[m+1,n]"]
    for i in range(24):
        body = random_expr(rng, rng.randint(1, 4), elementwise)
        if "[" not in body:
            body = f"A[m,n] + {body}"
        cases.append(Case("expr-valid", f"elementwise {i}", tune_inline(f"C[m,n] = {body}", SMALL), checks=[must_verify]))
    reduce_leaves = ["A[m,k]", "B[k,n]", "A[m,k+1]", "E[k]"]
    for i in range(16):
        body = random_expr(rng, rng.randint(1, 3), reduce_leaves)
        if "[" not in body:
            body = f"A[m,k] * {body}"
        op = rng.choice(["+=", "+=", "max="])
        epilogue = []
        if rng.random() < 0.4:
            epilogue = ["--epilogue", rng.choice(["relu(C[m,n])", "C[m,n] * 0.5 + D[n]", "tanh(C[m,n]) + 1", "max(C[m,n], D[m])"])]
        cases.append(Case("expr-valid", f"reduction {i}", tune_inline(f"C[m,n] {op} {body}", "m=8,n=8,k=12", *epilogue), checks=[must_verify]))
    return cases


def long_expressions():
    cases = []
    for n in (100, 300):
        body = " + ".join(f"A[m]*{(i % 7) + 1}" for i in range(n))
        cases.append(Case("expr-long", f"{n} reads of one tensor", tune_inline(f"C[m] = {body}", "m=16"), checks=[must_verify]))
    for n in (150, 300):
        body = " + ".join(f"T{i}[m]" for i in range(n))
        cases.append(Case("expr-long", f"{n} distinct tensors", tune_inline(f"C[m] = {body}", "m=8"), checks=[must_verify]))
    epilogue = " + ".join(["C[m]"] + [f"B[m]*0.{(i % 9) + 1}" for i in range(199)])
    cases.append(Case("expr-long", "200-term epilogue", tune_inline("C[m] += A[m,k]", "m=8,k=8", "--epilogue", epilogue), checks=[must_verify]))
    body = " + ".join(f"A[m,k]*{(i % 5) + 1}" for i in range(64))
    cases.append(Case("expr-long", "64-term reduction body", tune_inline(f"C[m] += {body}", "m=8,k=512"), checks=[must_verify]))
    # Cancellation: float32 rounding of a large sum that nearly cancels.
    cases.append(Case("expr-long", "cancelling sum", tune_inline("C[m] += A[m,k]*1000 - A[m,k]*999.999", "m=8,k=4096"), checks=[must_verify]))
    return cases


def deep_spec(name, compute, shape, epilogue=None):
    """An expression too long for a command line (128 KiB per argument) goes in a spec file."""
    spec = {"name": "deep", "compute": compute, "shape": shape}
    if epilogue is not None:
        spec["epilogue"] = epilogue
    return Case("expr-deep", name, ["explain", "{d}/s.json", "--target", "h100", "--top-k", "2"], files={"s.json": json.dumps(spec).encode()})


def deep_expressions():
    cases = []
    for n in (1000, 20000, 100000):
        cases.append(deep_spec(f"{n} nested parentheses", "C[m] = " + "(" * n + "A[m]" + ")" * n, {"m": 4}))
    for n in (1000, 50000, 200000):
        cases.append(deep_spec(f"{n} unary minuses", "C[m] = " + "-" * n + "A[m]", {"m": 4}))
    for n in (5000, 25000):
        cases.append(deep_spec(f"{n}-term flat sum", "C[m] = " + " + ".join(["A[m]"] * n), {"m": 4}))
    cases.append(deep_spec("nested function calls", "C[m] = " + "relu(" * 30000 + "A[m]" + ")" * 30000, {"m": 4}))
    cases.append(deep_spec("nested index parentheses", "C[m] = A[" + "(" * 30000 + "m" + ")" * 30000 + "]", {"m": 4}))
    cases.append(deep_spec("deep epilogue", "C[m] = A[m]", {"m": 4}, "(" * 40000 + "C[m]" + ")" * 40000))
    cases.append(deep_spec("deep negated parentheses", "C[m] = " + "-(" * 30000 + "A[m]" + ")" * 30000, {"m": 4}))
    cases.append(Case("expr-deep", "deeply nested JSON spec", ["explain", "{d}/s.json"], files={"s.json": b"[" * 100000 + b"]" * 100000}))
    return cases


VALID_SEEDS = [
    "C[m,n] += A[m,k] * B[k,n]",
    "C[m] = relu(A[m] + B[m])",
    "O[b,f,y,x] += I[b,c,y*2+r-1,x*2+s-1] * W[f,c,r,s]",
    "C[m] max= A[m,k]",
    "C[m,n] = max(A[m,n], 0.5) * exp(B[n])",
]
SEED_SHAPES = ["m=4,n=4,k=4", "m=4", "b=1,f=2,y=2,x=2,c=2,r=3,s=3", "m=4,k=4", "m=4,n=4"]
ALPHABET = list("[](),+-*/=. 0123456789mnkABCxyz_") + ["max=", "+=", "relu", "\t", "\u00e9", "\u2212", "\x00", "\x1b", "\n", "1e99", "1e-99", "2147483648"]


def mutated_expressions(rng):
    cases = []
    for i in range(70):
        j = rng.randrange(len(VALID_SEEDS))
        text = list(VALID_SEEDS[j])
        for _ in range(rng.randint(1, 4)):
            action = rng.random()
            position = rng.randrange(len(text) + 1)
            if action < 0.4 and text:
                del text[min(position, len(text) - 1)]
            elif action < 0.8:
                text.insert(position, rng.choice(ALPHABET))
            elif text:
                text[min(position, len(text) - 1)] = rng.choice(ALPHABET)
        compute = "".join(text)
        if "\x00" in compute:
            compute = compute.replace("\x00", "\x01")  # argv cannot carry NUL
        shape = SEED_SHAPES[j]
        if rng.random() < 0.2:
            shape = rng.choice(["m=0", "m=-1", "m=99999999999", "m", "=4", "m=4,m=4", "m=4,,k=2", "m=1e3", "m=4,n=4,k=4,extra=2"])
        cases.append(Case("expr-mutated", f"mutation {i}", explain_inline(compute, shape)))
    return cases


def index_extremes(rng):
    cases = []
    constants = ["2147483647", "2147483646", "1073741824", "65536", "0"]
    for c in constants:
        cases.append(Case("expr-index", f"A[m+{c}]", explain_inline(f"C[m] = A[m+{c}]", "m=4")))
        cases.append(Case("expr-index", f"A[m-{c}]", ["explain", "{d}/s.json"], files={"s.json": json.dumps(
            {"name": "x", "compute": f"C[m] = A[m-{c}]", "shape": {"m": 4}, "tensors": {"A": [4]}}).encode()}))
    cases.append(Case("expr-index", "int.MinValue constant", ["explain", "{d}/s.json", "--target", "h100"], files={"s.json": json.dumps(
        {"name": "x", "compute": "C[m] = A[m-2147483647-1]", "shape": {"m": 4}, "tensors": {"A": [4]}}).encode()}))
    cases.append(Case("expr-index", "int.MinValue constant, tuned", ["tune", "{d}/s.json", *CPU_TUNE], files={"s.json": json.dumps(
        {"name": "x", "compute": "C[m] = A[m-2147483647-1]", "shape": {"m": 4}, "tensors": {"A": [4]}}).encode()}))
    cases.append(Case("expr-index", "int.MinValue coefficient", ["explain", "{d}/s.json", "--target", "h100"], files={"s.json": json.dumps(
        {"name": "x", "compute": "C[m] = A[(0-2147483647-1)*m]", "shape": {"m": 4}, "tensors": {"A": [4]}}).encode()}))
    for coefficient in ("1073741824", "2147483647", "46341"):
        cases.append(Case("expr-index", f"coefficient {coefficient}", explain_inline(f"C[m] = A[m*{coefficient}]", "m=2")))
        cases.append(Case("expr-index", f"coefficient {coefficient} tuned", ["tune", "{d}/s.json", *CPU_TUNE], files={"s.json": json.dumps(
            {"name": "x", "compute": f"C[m] = A[m*{coefficient} - {coefficient}*m + m]", "shape": {"m": 4}}).encode()}))
    for extent in ("2147483647", "1073741824", "65536"):
        cases.append(Case("expr-index", f"extent {extent}", explain_inline("C[m,n] += A[m,k] * B[k,n]", f"m={extent},n=1,k=1"),
                          checks=[positive_estimates]))
        cases.append(Case("expr-index", f"extent {extent} emitted", ["emit", "--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", f"m={extent},n=1,k=1",
                                                                      "--target", "h100", "--out", "{d}/out"], checks=[positive_estimates]))
    return cases


def nan_expressions():
    cases = [
        Case("expr-nan", "0/0 everywhere", tune_inline("C[m] = (A[m]-A[m]) / 0", "m=16"), checks=[not_verified], allow_exit3=True),
        Case("expr-nan", "sqrt of a negative everywhere", tune_inline("C[m] = sqrt(-1 - abs(A[m]))", "m=16"), checks=[not_verified], allow_exit3=True),
        Case("expr-nan", "inf - inf", tune_inline("C[m] = exp(1000 + A[m]) - exp(1000 + A[m])", "m=16"), checks=[not_verified], allow_exit3=True),
        Case("expr-nan", "division by zero (infinities)", tune_inline("C[m] = (A[m] + 2) / 0", "m=16"), checks=[verified_best], allow_exit3=True),
        Case("expr-nan", "overflowing sum", tune_inline("C[m] += A[m,k] * 1e38 + 3e38", "m=4,k=64"), checks=[verified_best], allow_exit3=True),
        Case("expr-nan", "sqrt of |x|", tune_inline("C[m] = sqrt(abs(A[m]))", "m=16"), checks=[must_verify]),
        Case("expr-nan", "max over NaN", tune_inline("C[m] max= sqrt(A[m,k])", "m=8,k=8"), checks=[verified_best], allow_exit3=True),
        # Every output beyond float32: matching infinities check no arithmetic (it was "verified, error 0").
        Case("expr-nan", "overflow everywhere", tune_inline("C[m] = A[m] * 1e30 * 1e30", "m=8"), checks=[not_verified], allow_exit3=True),
        Case("expr-nan", "exp overflow everywhere", tune_inline("C[m] = exp(A[m]*0 + 100)", "m=8"), checks=[not_verified], allow_exit3=True),
    ]
    return cases


def found_2026_11_30():
    """Cases the session of 2026-11-30 found by hand (each was a crash, a lie or a silent drop)."""
    return [
        # A block stride of 2^31 times an always-zero block index: the kernel did not compile.
        Case("found", "index stride past 2^31", ["tune", "{d}/w.json", *CPU_TUNE],
             files={"w.json": b'{"name":"wrap","compute":"C[i] += A[i*268435456]","shape":{"i":8},"tensors":{"A":[8]}}'},
             checks=[must_verify]),
        # An index variable that cancels out of every index: refused, not silently dropped.
        Case("found", "cancelling index variable", explain_inline("C[i] += A[i+j-j]", "i=7"), checks=[exit_code(2, "bad-input-accepted")]),
        # Names the emitted C# uses: the launcher class gets a suffix (emit exits 0 either way; CI compiles these).
        Case("found", "operator named Launch", ["emit", "--compute", "C[m] = A[m]", "--shape", "m=8", "--name", "Launch", "--target", "h100", "--out", "{d}/o"]),
        Case("found", "f16 to OpenCL", ["emit", "--compute", "C[m] = A[m]", "--shape", "m=8", "--dtype", "f16", "--target", "h100",
                                          "--lang", "opencl", "--out", "{d}/o"], checks=[exit_code(2, "bad-input-accepted")]),
        Case("found", "records merge over a non-records file", ["records", "merge", "{d}/r.jsonl", "-o", "{d}/precious.txt"],
             files={"r.jsonl": b"", "precious.txt": b"precious\n"}, checks=[exit_code(2, "bad-input-accepted"), unchanged("precious.txt", "file-clobbered")]),
        Case("found", "calibrate name with a tab", ["calibrate", "{d}/r.jsonl", "--out", "{d}/p.json", "--name", "x\ty"],
             files={"r.jsonl": b""}, checks=[exit_code(2, "bad-input-accepted")]),
    ]


def message(text, category="wrong-message"):
    """A refusal (exit 2) says this."""
    return lambda res: category if res.rc == 2 and text not in res.err else None


def quicker_than(seconds):
    """Tighter than SLOW_BAD_INPUT, for input that can be refused from its first bytes."""
    return lambda res: f"slow-refusal-{seconds}s" if res.seconds > seconds else None


def no_lock_files(res):
    """A refused command takes no records writer's lock (FILE.lock, FILE.lock.owner stay behind once made)."""
    return "lock-left" if any(p.endswith((".lock", ".lock.owner")) for p in res.changed) else None


def link_kept(link, target, schedules):
    """The link is still a link to target, and target holds exactly the records with these schedules."""
    def check(res):
        if res.rc != 0:
            return None
        if res.kept.get(link) != ("link", target):
            return "link-replaced"
        content = res.kept.get(target)
        if not isinstance(content, bytes):
            return "wrong-result"
        try:
            found = sorted(json.loads(line)["schedule"] for line in content.decode("utf-8").split("\n") if line.strip())
        except (ValueError, KeyError, TypeError):
            return "wrong-result"
        return None if found == sorted(schedules) else "wrong-result"
    return check


def found_2026_11_30_b(template):
    """Fixes of 2026-11-30 (second round: commits d5f28fa, 6862860, b9df352), each as the case that showed it."""
    line = (json.dumps(template) + "\n").encode()
    other = (json.dumps(forged(template)) + "\n").encode()  # the same operator, another (legal) schedule
    long_name = "a" * 300
    long_path = "/".join(["b" * 200] * 25)  # each name legal, over 4096 bytes in all
    emit = ["emit", "--compute", "C[m] = A[m] * 2", "--shape", "m=16", "--target", "cpu"]
    tiny = ["--compute", "C[m] = A[m] * 2", "--shape", "m=16"]
    refused = lambda text: [exit_code(2, "bad-input-accepted"), message(text)]
    return [
        # A refused input left OUT.lock and OUT.lock.owner behind: merge took the output's lock before reading its inputs.
        Case("found", "merge a missing input: no lock left", ["records", "merge", "{d}/nope.jsonl", "-o", "{d}/m.jsonl"],
             checks=[*refused("no such file"), no_lock_files]),
        Case("found", "merge a non-UTF-8 input: no lock left", ["records", "merge", "{d}/ok.jsonl", "{d}/bad.jsonl", "-o", "{d}/m.jsonl"],
             files={"ok.jsonl": b"", "bad.jsonl": b"caf\xe9 {\"x\": 1}\n"}, checks=[*refused("not UTF-8"), no_lock_files]),
        # /dev/zero was read up to 1 GiB before it was refused (18-23 s); it stops at the first chunk with a NUL byte.
        Case("found", "records best /dev/zero is refused at once", ["records", "best", "/dev/zero"], timeout=60,
             checks=[*refused("holds NUL bytes"), quicker_than(8)]),
        Case("found", "merge /dev/zero is refused at once, no lock left", ["records", "merge", "/dev/zero", "-o", "{d}/m.jsonl"], timeout=60,
             checks=[*refused("holds NUL bytes"), quicker_than(8), no_lock_files]),
        Case("found", "tune --records /dev/zero is refused at once", ["tune", *tiny, *CPU_TUNE, "--records", "/dev/zero"], timeout=60,
             checks=[*refused("holds NUL bytes"), quicker_than(8)]),
        Case("found", "report /dev/zero is refused at once", ["report", "/dev/zero", "--out", "{d}/rep"], timeout=60,
             checks=[*refused("holds NUL bytes"), quicker_than(8)]),
        # A closed or read-only fd 1: an internal error at the first result line, after emit had written its files.
        Case("found", "emit with stdout closed", [*emit, "--out", "{d}/o"], stdout="closed", checks=refused("standard output is closed")),
        Case("found", "emit with stdout read-only", [*emit, "--out", "{d}/o"], stdout="read-only", checks=refused("standard output is closed")),
        Case("found", "records best with stdout closed", ["records", "best", "{d}/r.jsonl"], files={"r.jsonl": line}, stdout="closed",
             checks=refused("standard output is closed")),
        # A path past 255 bytes a name or 4096 in all: PathTooLongException was an internal error.
        Case("found", "emit --out a 300-byte name", [*emit, "--out", "{d}/" + long_name], checks=refused("the path is too long")),
        Case("found", "emit --out past 4096 bytes", [*emit, "--out", "{d}/" + long_path], checks=refused("the path is too long")),
        Case("found", "report --out a 300-byte name", ["report", "{d}/r.jsonl", "--out", "{d}/" + long_name], files={"r.jsonl": line},
             checks=refused("the path is too long")),
        Case("found", "tune --records a 250-byte name (its .lock.owner is too long)",
             ["tune", *tiny, "--device", "cpu", "--top-k", "1", "--records", "{d}/" + "r" * 250], checks=refused("the path is too long")),
        Case("found", "tune --out a 300-byte name", ["tune", *tiny, "--device", "cpu", "--top-k", "1", "--out", "{d}/" + long_name],
             checks=refused("the path is too long")),
        # 2147484 s overflowed the worker's timer (internal error); the limit is a day.
        Case("found", "candidate timeout 2147484 s", ["tune", *tiny, "--device", "cpu", "--isolate", "on", "--candidate-timeout", "2147484"],
             checks=refused("at most 86400")),
        Case("found", "candidate timeout a second past a day", ["tune", *tiny, "--device", "cpu", "--isolate", "on", "--candidate-timeout", "86401"],
             checks=refused("at most 86400")),
        # An architecture that is neither sm_XY nor cpu borrowed h100's figures.
        Case("found", "profile architecture foo (explain)", ["explain", *tiny, "--target", "{d}/p.json"],
             files={"p.json": b'{"name": "p", "architecture": "foo"}'}, checks=refused("'architecture'")),
        Case("found", "profile architecture foo (emit)", ["emit", *tiny, "--target", "{d}/p.json", "--out", "{d}/o"],
             files={"p.json": b'{"name": "p", "architecture": "foo"}'}, checks=refused("'architecture'")),
        # merge -o a symbolic link replaced the link by a file; the records land in its target, locked beside the target.
        Case("found", "merge -o a link to an empty file", ["records", "merge", "{d}/r.jsonl", "-o", "{d}/link.jsonl"],
             files={"r.jsonl": line, "target.jsonl": b"", "link.jsonl": ("link", "target.jsonl")}, keep=["link.jsonl", "target.jsonl"],
             checks=[exit_code(0, "valid-input-rejected"), link_kept("link.jsonl", "target.jsonl", [template["schedule"]]),
                     never_changed("link.jsonl.lock", "lock-beside-link")]),
        Case("found", "merge -o a link to a records file", ["records", "merge", "{d}/r.jsonl", "{d}/link.jsonl", "-o", "{d}/link.jsonl"],
             files={"r.jsonl": line, "target.jsonl": other, "link.jsonl": ("link", "target.jsonl")}, keep=["link.jsonl", "target.jsonl"],
             checks=[exit_code(0, "valid-input-rejected"), link_kept("link.jsonl", "target.jsonl", [template["schedule"], FORGED_SCHEDULE]),
                     never_changed("link.jsonl.lock", "lock-beside-link")]),
        # A FIFO where the JIT profile goes hung explain (the runtime blocked opening it).
        Case("found", "FIFO at the JIT profile", ["explain", *tiny], files={"jit/explain.jitprofile": "fifo"}, env={"GENSOR_JIT_PROFILE": "{d}/jit"},
             timeout=30, checks=[exit_code(0, "valid-input-rejected")]),
    ]


def found_2026_11_30_c():
    """Fixes of the 2026-11-30 afternoon (548474a, ed066e6), each as the case that showed it."""
    refused = lambda text: [exit_code(2, "bad-input-accepted"), message(text)]
    return [
        # Element 22 is 65521.0 +- 1.9: float16 rounds it to infinity (from 65520), but the reference took
        # 65504 (1 + u) = 65536 as the edge, called it certainly finite and failed the correct kernel (seed 0 only).
        Case("found", "f16 sum just past the midpoint above 65504",
             tune_inline("C[m] += A[m,k]*B[k]*30000", "m=32,k=64", "--dtype", "f16", "--seed", "0"), checks=[must_verify]),
        # An output name linking into a missing folder failed after the work (internal error).
        Case("found", "emit kernel.ptx links into a missing folder",
             ["emit", "--compute", "C[m] = A[m] * 2", "--shape", "m=16", "--target", "h100", "--lang", "ptx", "--out", "{d}"],
             files={"kernel.ptx": ("link", "nowhere/k.ptx")}, keep=["kernel.ptx"], checks=refused("does not exist")),
    ]


def colliding_names():
    names = ["Grid", "Group", "XMath", "ArrayView1D", "Stride1D", "SharedMemory", "Float4", "Interop", "ILGPU", "Math",
             "System", "Index1D", "int", "float", "var", "g_acc0", "Kernel", "MathF", "Warp", "Atomic", "Vector4", "Debug"]
    cases = []
    for name in names:
        out = "Cout" if name != "Cout" else "Dout"
        cases.append(Case("names", f"tensor named {name}", tune_inline(f"{out}[m] += {name}[m,k] * Q[k]", "m=4,k=4"), checks=[must_verify]))
    cases.append(Case("names", "output named Grid", tune_inline("Grid[m] = Group[m] + XMath[m]", "m=4"), checks=[must_verify]))
    cases.append(Case("names", "axis named like a type", tune_inline("C[Grid] = A[Grid]", "Grid=4"), checks=[must_verify]))
    return cases


def fast(res):
    """Gigabytes of buffers must be refused up front, not allocated over half a minute."""
    return "slow" if res.seconds > SLOW_BAD_INPUT else None


def huge_tensors():
    return [
        Case("memory", "1.5e9-element input", tune_inline("C[m] = A[m*100000000]", "m=16"), checks=[fast]),
        Case("memory", "large output", tune_inline("C[m,n] = A[m] + B[n]", "m=40000,n=40000"), checks=[fast]),
        Case("memory", "large reduction input", tune_inline("C[m] += A[m,k]", "m=30000,k=30000"), checks=[fast]),
    ]


# ----------------------------------------------------------------------------
# spec files


def spec_cases(rng):
    good = {"name": "g", "compute": "C[m,n] += A[m,k] * B[k,n]", "shape": {"m": 4, "n": 4, "k": 4}}
    cases = []
    raw = {
        "empty": b"",
        "spaces": b"   \n\t ",
        "not json": b"C[m] += A[m,k]",
        "truncated": json.dumps(good).encode()[:-5],
        "utf16": json.dumps(good).encode("utf-16"),
        "utf8 bom": b"\xef\xbb\xbf" + json.dumps(good).encode(),
        "latin1 garbage": bytes(range(128, 256)),
        "nul bytes": b"\x00" * 64,
        "number": b"42",
        "string": b"\"gemm\"",
        "null": b"null",
        "empty array": b"[]",
        "empty object": b"{}",
        "array of numbers": b"[1,2,3]",
        "trailing comma": b'{"name": "x", "compute": "C[m] = A[m]", "shape": {"m": 4},}',
        "comments": b'{"name": "x", /* c */ "compute": "C[m] = A[m]", "shape": {"m": 4}}',
        "duplicate keys": b'{"name": "x", "name": "y", "compute": "C[m] = A[m]", "shape": {"m": 4}}',
        "huge number": b'{"name": "x", "compute": "C[m] = A[m]", "shape": {"m": 1e400}}',
        "big exponent": b'{"name": "x", "compute": "C[m] = A[m]", "shape": {"m": 4e0}}',
        "two documents": json.dumps(good).encode() + b"\n" + json.dumps(good).encode(),
    }
    for name, content in raw.items():
        cases.append(Case("spec", name, ["explain", "{d}/s.json"], files={"s.json": content}))
    mutations = [
        ("name", None), ("name", 5), ("name", ""), ("name", "a\nb"), ("name", "x" * 100000),
        ("compute", None), ("compute", 7), ("compute", ""), ("compute", "C[m] = A[m]\u0000"),
        ("shape", None), ("shape", []), ("shape", {"m": "4"}), ("shape", {"m": 4.5}), ("shape", {"m": -4, "n": 4, "k": 4}),
        ("shape", {"m": 4, "n": 4, "k": 4, "z": 1}), ("shape", {"m": 9223372036854775807, "n": 4, "k": 4}),
        ("tensors", []), ("tensors", {"A": "4x4"}), ("tensors", {"A": [4]}), ("tensors", {"A": [4, 4, 4]}), ("tensors", {"Z": [4]}),
        ("tensors", {"A": [0, 4]}), ("tensors", {"A": [2147483647, 2147483647]}), ("tensors", {"A": [-1, 4]}), ("tensors", {"C": [4, 5]}),
        ("dtype", "float16"), ("dtype", 32), ("dtype", None), ("epilogue", 1), ("epilogue", ""), ("epilogue", "relu(C[m,n]"),
        ("epilogue", "C[m,k]"), ("epilogue", "C[n,m]"), ("count", 0), ("count", -1), ("count", 1.5), ("count", "2"), ("count", 2 ** 40),
        ("extra", 1),
    ]
    for field, value in mutations:
        spec = dict(good)
        if value is None and field in spec:
            del spec[field]
        else:
            spec[field] = value
        cases.append(Case("spec", f"{field}={str(value)[:30]!r}", ["explain", "{d}/s.json"], files={"s.json": json.dumps(spec).encode()}))
    # Suites with a bad member.
    cases.append(Case("spec", "suite with one operator through tune", ["tune", "{d}/s.json", *CPU_TUNE], files={"s.json": json.dumps([good]).encode()},
                      checks=[must_verify]))
    cases.append(Case("spec", "suite of two through explain", ["explain", "{d}/s.json"], files={"s.json": json.dumps([good, good]).encode()}))
    cases.append(Case("spec", "suite with a number", ["explain", "{d}/s.json"], files={"s.json": json.dumps([good, 3]).encode()}))
    # Things that are not files.
    cases.append(Case("spec", "directory as spec", ["explain", "{d}/specdir"], files={"specdir": "dir"}, checks=[
        lambda res: "wrong-message" if res.rc == 2 and "no such file" in res.err else None]))
    cases.append(Case("spec", "FIFO as spec", ["explain", "{d}/fifo"], files={"fifo": "fifo"}, timeout=30))
    cases.append(Case("spec", "FIFO as spec (tune)", ["tune", "{d}/fifo", "--device", "cpu"], files={"fifo": "fifo"}, timeout=30))
    cases.append(Case("spec", "/dev/zero as spec", ["explain", "/dev/zero"], timeout=60))
    cases.append(Case("spec", "/dev/null as spec", ["explain", "/dev/null"]))
    cases.append(Case("spec", "/dev/zero as suite", ["batch", "/dev/zero", "--device", "cpu"], timeout=60))
    cases.append(Case("spec", "FIFO as suite", ["batch", "{d}/fifo", "--device", "cpu"], files={"fifo": "fifo"}, timeout=30))
    cases.append(Case("spec", "/dev/zero as profile", ["explain", "--compute", "C[m] = A[m]", "--shape", "m=4", "--target", "/dev/zero"], timeout=60))
    cases.append(Case("spec", "FIFO as profile", ["explain", "--compute", "C[m] = A[m]", "--shape", "m=4", "--target", "{d}/fifo"],
                      files={"fifo": "fifo"}, timeout=30))
    cases.append(Case("spec", "directory as profile", ["explain", "--compute", "C[m] = A[m]", "--shape", "m=4", "--target", "{d}/pdir"], files={"pdir": "dir"}))
    cases.append(Case("spec", "big spec file", ["explain", "{d}/s.json"], files={"s.json": b"[" + b",".join([json.dumps(good).encode()] * 20000) + b"]"}))
    return cases


# ----------------------------------------------------------------------------
# profiles

PROFILE_FIELDS = ["multiprocessors", "warp_size", "max_threads_per_block", "max_threads_per_multiprocessor",
                  "max_blocks_per_multiprocessor", "registers_per_multiprocessor", "max_registers_per_thread",
                  "shared_memory_per_block", "shared_memory_per_multiprocessor", "l2_bytes", "dram_bandwidth_gbs",
                  "peak_gflops", "shared_memory_banks", "transaction_bytes"]
PROFILE_VALUES = [1, 2, 3, 7, 31, 33, 1024, 65536, 1 << 30, 2147483647, 2147483648, 1e300, 0.5, 1e-300, 0, -1, "x", None, True]


def profile_cases(rng):
    cases = []
    gemm = ["--compute", "C[m,n] += A[m,k] * B[k,n]", "--shape", "m=64,n=64,k=64"]
    for i in range(60):
        profile = {"name": "fuzz", "architecture": rng.choice(["sm_80", "sm_90", "sm_70", "cpu", "gfx90a", "sm_"])}
        for _ in range(rng.randint(1, 3)):
            profile[rng.choice(PROFILE_FIELDS)] = rng.choice(PROFILE_VALUES)
        command = rng.choice(["explain", "emit", "explain-roller"])
        if command == "emit":
            argv = ["emit", *gemm, "--target", "{d}/p.json", "--out", "{d}/out"]
        else:
            argv = ["explain", *gemm, "--target", "{d}/p.json", "--policy", "roller" if command == "explain-roller" else "gensor"]
        # A strange but valid profile may leave no legal schedule: exit 3 says so.
        cases.append(Case("profile", f"profile {i} {json.dumps(profile)[:80]}", argv, files={"p.json": json.dumps(profile).encode()},
                          checks=[positive_group], allow_exit3=True))
    extremes = [
        ("warp_size int.MaxValue", {"warp_size": 2147483647}),
        ("banks 2^30", {"shared_memory_banks": 1 << 30}),
        ("banks int.MaxValue", {"shared_memory_banks": 2147483647}),
        ("transaction bytes int.MaxValue", {"transaction_bytes": 2147483647}),
        ("shared per block above per SM", {"shared_memory_per_block": 200000, "shared_memory_per_multiprocessor": 1000}),
        ("threads per block below a warp", {"max_threads_per_block": 16, "warp_size": 32}),
        ("threads per block above per SM", {"max_threads_per_block": 4096, "max_threads_per_multiprocessor": 2048}),
        ("registers per thread above per SM", {"max_registers_per_thread": 100000, "registers_per_multiprocessor": 1000}),
        ("one multiprocessor with huge everything", {"multiprocessors": 1, "max_threads_per_block": 2147483647,
                                                      "max_threads_per_multiprocessor": 2147483647, "registers_per_multiprocessor": 2147483647}),
    ]
    for name, fields in extremes:
        profile = {"name": "fuzz", "architecture": "sm_80", **fields}
        inconsistent = name.startswith(("shared per block above", "threads per block below", "threads per block above", "registers per thread above"))
        for command in ("explain", "emit"):
            argv = (["explain", *gemm, "--target", "{d}/p.json", "--policy", "gensor"] if command == "explain"
                    else ["emit", *gemm, "--target", "{d}/p.json", "--out", "{d}/out"])
            checks = [positive_group] + ([exit_code(2, "inconsistent-profile-accepted")] if inconsistent else [])
            cases.append(Case("profile", f"{name} ({command})", argv, files={"p.json": json.dumps(profile).encode()}, checks=checks))
    cases.append(Case("profile", "name with a newline", ["explain", *gemm, "--target", "{d}/p.json"],
                      files={"p.json": json.dumps({"name": "a\nINJECTED", "architecture": "sm_80"}).encode()}, checks=[no_raw_line("INJECTED")]))
    cases.append(Case("profile", "architecture with escape", ["emit", *gemm, "--target", "{d}/p.json", "--out", "{d}/out", "--lang", "ptx"],
                      files={"p.json": json.dumps({"name": "p", "architecture": "sm_\u001b[31m80"}).encode()}))
    cases.append(Case("profile", "profile is an array", ["explain", *gemm, "--target", "{d}/p.json"], files={"p.json": b"[]"}))
    cases.append(Case("profile", "profile utf16", ["explain", *gemm, "--target", "{d}/p.json"],
                      files={"p.json": json.dumps({"name": "p", "architecture": "sm_80"}).encode("utf-16")}))
    return cases


# ----------------------------------------------------------------------------
# records

RECORD_OP = ["--compute", "C[m] = A[m]*2", "--shape", "m=16"]


def make_template(gensor):
    """One real record line, measured by the binary under test."""
    directory = tempfile.mkdtemp(prefix="gensor-fuzz-template-")
    try:
        path = os.path.join(directory, "r.jsonl")
        subprocess.run(gensor + ["tune", *RECORD_OP, "--device", "cpu", "--top-k", "1", "--records", path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300, cwd=directory)
        with open(path, encoding="utf-8") as handle:
            return json.loads(handle.readline())
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# Legal on the cpu profile (a block of whole warps of 32), and not the schedule the template's tune chose,
# so "tune reuses" cases measure this very schedule and would take it from the records if the forgery were believed.
FORGED_SCHEDULE = "block=32 thread=1 vthread=1 reduce=- shared=- vector=1"


def forged(template, **fields):
    record = dict(template)
    record["schedule"] = FORGED_SCHEDULE
    record.update(fields)
    return record


def records_cases(rng, template):
    cases = []
    line = (json.dumps(template) + "\n").encode()
    forgeries = {
        "verified with error 12345": dict(max_abs_error=12345.0, measured_ms=1e-6, min_ms=1e-6, max_ms=1e-6),
        "negative time": dict(measured_ms=-5.0, min_ms=-6.0, max_ms=-4.0),
        "zero time": dict(measured_ms=0.0, min_ms=0.0, max_ms=0.0),
        "median outside spread": dict(measured_ms=1e-6, min_ms=5.0, max_ms=6.0),
        "min above max": dict(measured_ms=1e-6, min_ms=7.0, max_ms=1e-7),
        "NaN time (string)": dict(measured_ms="NaN", min_ms=1e-6, max_ms=1e-6),
        "verified without time": dict(measured_ms=None, min_ms=None, max_ms=None),
        "verified without error": dict(max_abs_error=None, measured_ms=1e-6, min_ms=1e-6, max_ms=1e-6),
        "negative error": dict(max_abs_error=-1.0, measured_ms=1e-6, min_ms=1e-6, max_ms=1e-6),
        "zero repetitions": dict(repetitions=0, measured_ms=1e-6, min_ms=1e-6, max_ms=1e-6),
        "time as string": dict(measured_ms="0.000001", min_ms=1e-6, max_ms=1e-6),
        "verified as string": dict(verified="true", measured_ms=1e-6, min_ms=1e-6, max_ms=1e-6),
        "hash of another op": dict(op_hash="0000000000000000", measured_ms=1e-6, min_ms=1e-6, max_ms=1e-6),
        "huge time": dict(measured_ms=1e308 * 10 if False else 1.7e308, min_ms=1e-6, max_ms=1.7e308),
        "bad schedule for op": dict(schedule="block=2x2 thread=1x1 reduce=- shared=- vector=1", measured_ms=1e-6, min_ms=1e-6, max_ms=1e-6),
        "tolerance forged huge": dict(max_abs_error=12345.0, tolerance=1e9, measured_ms=1e-6, min_ms=1e-6, max_ms=1e-6),
    }
    for name, fields in forgeries.items():
        record = forged(template, **fields)
        content = line + (json.dumps(record) + "\n").encode()
        cases.append(Case("records", f"best ignores: {name}", ["records", "best", "{d}/r.jsonl"], files={"r.jsonl": content},
                          checks=[absent(FORGED_SCHEDULE, "forged-record-trusted")]))
        cases.append(Case("records", f"best json ignores: {name}", ["records", "best", "{d}/r.jsonl", "--format", "json"], files={"r.jsonl": content},
                          checks=[absent(FORGED_SCHEDULE, "forged-record-trusted")]))
        if name in ("verified with error 12345", "negative time", "median outside spread", "tolerance forged huge"):
            cases.append(Case("records", f"tune reuses: {name}",
                              ["tune", *RECORD_OP, *CPU_TUNE, "--records", "{d}/r.jsonl", "--schedule", FORGED_SCHEDULE.replace(" shared=- vector=1", "")],
                              files={"r.jsonl": content}, checks=[verified_best, lambda res: "forged-record-trusted" if res.rc == 0 and res.json()
                                                                   and res.json()["best"] and res.json()["best"].get("from_records") else None]))
            cases.append(Case("records", f"emit uses: {name}", ["emit", *RECORD_OP, "--target", "cpu", "--records", "{d}/r.jsonl", "--out", "{d}/out"],
                              files={"r.jsonl": content}, checks=[lambda res: "forged-record-trusted" if "(records)" in res.out else None]))
    # Random damage to real lines.
    for i in range(40):
        data = bytearray(line * 3)
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(data))
            action = rng.random()
            if action < 0.4:
                data[position] = rng.randrange(256)
            elif action < 0.7:
                del data[position]
            else:
                data.insert(position, rng.choice(b"{}[]\",:0123456789-eE\n\x00\xff"))
        command = rng.choice(["best", "best-json", "merge", "tune"])
        if command == "best":
            argv = ["records", "best", "{d}/r.jsonl"]
        elif command == "best-json":
            argv = ["records", "best", "{d}/r.jsonl", "--format", "json"]
        elif command == "merge":
            argv = ["records", "merge", "{d}/r.jsonl", "{d}/r.jsonl", "-o", "{d}/merged.jsonl"]
        else:
            argv = ["tune", *RECORD_OP, *CPU_TUNE, "--records", "{d}/r.jsonl"]
        cases.append(Case("records", f"damaged {i} ({command})", argv, files={"r.jsonl": bytes(data)}, checks=[verified_best] if command == "tune" else []))
    # Files that are not records files.
    spec = json.dumps({"name": "x", "compute": "C[m] = A[m]*2", "shape": {"m": 16}}, indent=2).encode()
    not_records = {
        "a spec file": spec,
        "a UTF-16 file": (json.dumps(template) + "\n").encode("utf-16"),
        "a binary file": bytes(range(256)) * 4,
        "a text file": b"hello\nworld\n",
    }
    for name, content in not_records.items():
        cases.append(Case("records", f"tune refuses {name}", ["tune", *RECORD_OP, *CPU_TUNE, "--records", "{d}/r.jsonl"], files={"r.jsonl": content},
                          checks=[never_changed("r.jsonl", "records-file-spoiled")]))
    cases.append(Case("records", "records in a missing directory", ["tune", *RECORD_OP, *CPU_TUNE, "--records", "{d}/nope/r.jsonl"],
                      checks=[exit_code(2, "missing-directory-accepted")], timeout=150))
    cases.append(Case("records", "records is a directory", ["tune", *RECORD_OP, *CPU_TUNE, "--records", "{d}/rdir"], files={"rdir": "dir"}, timeout=150))
    cases.append(Case("records", "records best on a directory", ["records", "best", "{d}/rdir"], files={"rdir": "dir"}))
    cases.append(Case("records", "records best on a FIFO", ["records", "best", "{d}/fifo"], files={"fifo": "fifo"}, timeout=30))
    cases.append(Case("records", "records best on /dev/zero", ["records", "best", "/dev/zero"], timeout=60))
    cases.append(Case("records", "merge missing input", ["records", "merge", "{d}/nope.jsonl", "-o", "{d}/m.jsonl"]))
    cases.append(Case("records", "emit with records overflowing the block", ["emit", *RECORD_OP, "--target", "cpu", "--records", "{d}/r.jsonl", "--out", "{d}/out"],
                      files={"r.jsonl": (json.dumps(forged(template, schedule="block=65536x65536 thread=1x1 vthread=1x1 reduce=- shared=- vector=1")) + "\n").encode()},
                      checks=[positive_group]))
    overflow_2d = forged(template, schedule="block=65536x65536 thread=1x1 vthread=1x1 reduce=- shared=- vector=1",
                         op=template["op"].replace("T0[s0]", "T0[s0,s1]"))
    cases.append(Case("records", "emit 2-D with overflowing record", ["emit", "--compute", "C[m,n] = A[m,n]", "--shape", "m=16,n=16", "--target", "cpu",
                                                                        "--records", "{d}/r.jsonl", "--out", "{d}/out"],
                      files={"r.jsonl": (json.dumps(overflow_2d) + "\n").encode()}, checks=[positive_group]))
    return cases


# ----------------------------------------------------------------------------
# outputs and schedules


def output_cases():
    existing = b"keep me\n"
    return [
        Case("outputs", "tune --out is a file", ["tune", *RECORD_OP, "--device", "cpu", "--top-k", "1", "--out", "{d}/f"], files={"f": existing},
             checks=[exit_code(2, "late-output-check")]),
        Case("outputs", "tune --out empty", ["tune", *RECORD_OP, "--device", "cpu", "--top-k", "1", "--out", ""], checks=[exit_code(2, "late-output-check")]),
        Case("outputs", "emit --out is a file", ["emit", *RECORD_OP, "--target", "h100", "--out", "{d}/f"], files={"f": existing},
             checks=[exit_code(2, "late-output-check")]),
        Case("outputs", "emit --out empty", ["emit", *RECORD_OP, "--target", "h100", "--out", ""], checks=[exit_code(2, "late-output-check")]),
        Case("outputs", "emit launch.json is a directory", ["emit", *RECORD_OP, "--target", "h100", "--out", "{d}/out"], files={"out/launch.json": "dir"},
             checks=[exit_code(2, "late-output-check"), no_temp_files]),
        Case("outputs", "emit kernel.cs is a directory", ["emit", *RECORD_OP, "--target", "h100", "--out", "{d}/out"], files={"out/kernel.cs": "dir"},
             checks=[exit_code(2, "late-output-check"), no_temp_files]),
        Case("outputs", "emit into a file's child", ["emit", *RECORD_OP, "--target", "h100", "--out", "{d}/f/sub"], files={"f": existing},
             checks=[exit_code(2, "late-output-check")]),
        Case("outputs", "tune report.json is a directory", ["tune", *RECORD_OP, "--device", "cpu", "--top-k", "1", "--out", "{d}/out"],
             files={"out/report.json": "dir"}, checks=[exit_code(2, "late-output-check"), no_temp_files]),
        Case("outputs", "merge -o is a directory", ["records", "merge", "{d}/r.jsonl", "-o", "{d}/mdir"], files={"r.jsonl": b"", "mdir": "dir"},
             checks=[exit_code(2, "late-output-check"), no_temp_files]),
        Case("outputs", "merge -o empty", ["records", "merge", "{d}/r.jsonl", "-o", ""], files={"r.jsonl": b""}, checks=[exit_code(2, "late-output-check")]),
        Case("outputs", "merge -o in a missing directory", ["records", "merge", "{d}/r.jsonl", "-o", "{d}/no/m.jsonl"], files={"r.jsonl": b""},
             checks=[exit_code(2, "late-output-check")]),
        Case("outputs", "merge -o onto its input", ["records", "merge", "{d}/r.jsonl", "-o", "{d}/r.jsonl"], files={"r.jsonl": b""}),
        Case("outputs", "tune --out under a missing parent is created", ["tune", *RECORD_OP, *CPU_TUNE, "--out", "{d}/a/b/c"], checks=[must_verify]),
    ]


def schedule_cases(rng):
    cases = []
    fixed = [
        "block=65536x65536 thread=1x1 reduce=-", "block=2147483647x2 thread=1x1 reduce=-", "block=4x4 thread=4x4 vthread=2147483647x1 reduce=-",
        "block=46341x46341 thread=1x1 reduce=-", "block=4x4 thread=1x1 reduce=- vector=2147483647", "block=4x4 thread=1x1 reduce=- pad=2147483647 shared=A",
        "block=4x4 thread=1x1 reduce=- pad=4 shared=A prefetch=1", "block=4x4 thread=65536x65536 reduce=-", "block=0x4 thread=1x1 reduce=-",
        "block=4x4 thread=1x1 reduce=4", "block=4x4 thread=1x1", "block=4x4 thread=1x1 reduce=- shared=B", "block=4x4 thread=1x1 reduce=- shared=A,A",
        "block=4x4 thread=1x1 reduce=- prefetch=2", "", "   ", "block=4x4\nthread=1x1 reduce=-", "block=4x4 thread=1x1 reduce=- bogus=1",
    ]
    for text in fixed:
        cases.append(Case("schedule", f"--schedule {text[:40]!r}", ["tune", "--compute", "C[m,n] = A[m,n]", "--shape", "m=4,n=4", *CPU_TUNE, "--schedule", text],
                          checks=[verified_best]))
    for i in range(12):
        dims = lambda: "x".join(str(rng.choice([1, 2, 3, 4, 8, 1024, 65536, 2147483647])) for _ in range(2))
        text = f"block={dims()} thread={dims()} vthread={dims()} reduce={rng.choice(['-', '4', '0'])}"
        cases.append(Case("schedule", f"random schedule {i}", ["tune", "--compute", "C[m,n] = A[m,n]", "--shape", "m=8,n=8", *CPU_TUNE, "--schedule", text],
                          checks=[verified_best]))
    # Reduce steps far beyond the reduction: a records file's step of 2^31 - 1 hung calibrate (each estimate
    # counted down through a billion unroll factors); estimating one must stay quick.
    for step in ["2147483647", "1073741824", "2147483647x3"]:
        compute, shape = ("C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=8") if "x" not in step else ("C[m] += A[m,k,j] * B[j,k]", "m=16,k=8,j=3")
        block = "block=16x16 thread=16x8" if "x" not in step else "block=16 thread=8"
        cases.append(Case("schedule", f"explain reduce={step}", explain_inline(compute, shape, "--schedule", f"{block} reduce={step}", "--compiler-check", "off"),
                          checks=[quicker_than(20)]))
    return cases


def worker_cases():
    inputs = [
        b"", b"\n", b"not json\n", b"{}\n", b"[]\n", b"{\"spec\": 1}\n", b"{\"spec\": {\"name\": \"x\"}}\n",
        json.dumps({"spec": {"name": "x", "compute": "C[m] = A[m]", "shape": {"m": 4}}, "seed": 0, "device": "tpu", "schedules": []}).encode() + b"\n",
        json.dumps({"spec": {"name": "x", "compute": "C[m] = A[m]", "shape": {"m": 4}}, "seed": "x", "device": "cpu", "schedules": []}).encode() + b"\n",
        json.dumps({"spec": {"name": "x", "compute": "C[m] = A[m]", "shape": {"m": 4}}, "seed": 0, "device": "cpu", "schedules": ["bogus"]}).encode() + b"\n",
        json.dumps({"spec": {"name": "x", "compute": "C[m] = ", "shape": {"m": 4}}, "seed": 0, "device": "cpu", "schedules": []}).encode() + b"\n",
        json.dumps({"spec": {"name": "x", "compute": "C[m] = A[m]", "shape": {"m": 4}}, "seed": 0, "device": "cpu", "schedules": [5]}).encode() + b"\n",
        json.dumps({"spec": {"name": "x", "compute": "C[m] = A[m]", "shape": {"m": 4}}, "seed": 0, "device": "cpu",
                    "schedules": ["block=4 thread=1 reduce=-"]}).encode() + b"\n",
        b"\xff\xfe\x00\x00\n",
    ]
    return [Case("worker", f"measure-worker stdin {data[:40]!r}", ["measure-worker"], stdin=data) for data in inputs]


def control_cases():
    cases = []
    names = ["a\nINJECTED", "a\rINJECTED", "\x1b[31mred", "tab\there", "bell\x07", "nul\x01x", "\u202eevil"]
    for name in names:
        spec = {"name": name, "compute": "C[m] = A[m]*2", "shape": {"m": 8}}
        cases.append(Case("control", f"name {name!r} (explain)", ["explain", "{d}/s.json"], files={"s.json": json.dumps(spec).encode()},
                          checks=[no_raw_line("INJECTED")]))
        bad = dict(spec, compute="C[m] = B[k]")
        cases.append(Case("control", f"name {name!r} in an error", ["explain", "{d}/s.json"], files={"s.json": json.dumps(bad).encode()},
                          checks=[no_raw_line("INJECTED")]))
    cases.append(Case("control", "name with newline (tune)", ["tune", "{d}/s.json", "--device", "cpu", "--top-k", "1"],
                      files={"s.json": json.dumps({"name": "a\nINJECTED", "compute": "C[m] = A[m]*2", "shape": {"m": 8}}).encode()},
                      checks=[no_raw_line("INJECTED")]))
    cases.append(Case("control", "newline in a path", ["explain", "{d}/a\nINJECTED.json"], checks=[no_raw_line("INJECTED")]))
    cases.append(Case("control", "escape in --compute", ["explain", "--compute", "C[m] = A[m]\x1b[2J", "--shape", "m=4"]))
    cases.append(Case("control", "newline in --shape", ["explain", "--compute", "C[m] = A[m]", "--shape", "m=4\nINJECTED"], checks=[no_raw_line("INJECTED")]))
    cases.append(Case("control", "newline in --target", ["explain", "--compute", "C[m] = A[m]", "--shape", "m=4", "--target", "x\nINJECTED"],
                      checks=[no_raw_line("INJECTED")]))
    cases.append(Case("control", "newline in --schedule", ["tune", "--compute", "C[m] = A[m]", "--shape", "m=4", "--device", "cpu", "--schedule",
                                                           "block=4\nINJECTED=1 thread=1 reduce=-"], checks=[no_raw_line("INJECTED")]))
    return cases


# ----------------------------------------------------------------------------


def all_cases(rng, gensor):
    template = make_template(gensor)
    return (valid_expressions(rng) + long_expressions() + deep_expressions() + mutated_expressions(rng) + index_extremes(rng)
            + nan_expressions() + found_2026_11_30() + found_2026_11_30_b(template) + found_2026_11_30_c() + colliding_names() + huge_tensors() + spec_cases(rng) + profile_cases(rng)
            + records_cases(rng, template) + output_cases() + schedule_cases(rng) + worker_cases() + control_cases())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gensor", required=True, help="the command that runs gensor, e.g. \"dotnet path/gensor.dll\"")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--only", help="run only the cases of this group")
    parser.add_argument("--name", help="run only the cases whose name contains this text")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at once (default 1; time limits are per case, so keep it below the free cores)")
    parser.add_argument("--json", help="write every case's outcome to this file")
    args = parser.parse_args()
    gensor = shlex.split(args.gensor)
    rng = random.Random(args.seed)
    cases = all_cases(rng, gensor)
    if args.only:
        cases = [c for c in cases if c.group == args.only]
    if args.name:
        cases = [c for c in cases if args.name in c.name]
    failures = Counter()
    by_group = Counter()
    failed_groups = Counter()
    outcomes = [None] * len(cases)
    start = time.monotonic()

    def run_one(number):
        case = cases[number - 1]
        res = run_case(gensor, case)
        return number, case, res, judge(case, res)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for number, case, res, fails in pool.map(run_one, range(1, len(cases) + 1)):
            by_group[case.group] += 1
            if fails:
                failed_groups[case.group] += 1
                failures[fails[0]] += 1
                first_error = next((line for line in res.err.split("\n") if line.strip()), "")
                print(f"FAIL [{number}/{len(cases)}] {case.group}: {case.name[:70]!r}: {', '.join(fails)} (exit {res.rc}, {res.seconds:.1f} s) {first_error[:150]!r}",
                      flush=True)
            outcomes[number - 1] = {"group": case.group, "name": case.name, "exit": res.rc, "seconds": round(res.seconds, 2), "fails": fails}
    passed = len(cases) - sum(failures.values())
    print(f"\ncases: {len(cases)}, passed: {passed}, failed: {len(cases) - passed} ({time.monotonic() - start:.0f} s)")
    print("failed by category (first failure of each case): " + (", ".join(f"{k} {v}" for k, v in failures.most_common()) or "none"))
    print("cases by group: " + ", ".join(f"{g} {n} ({failed_groups[g]} failed)" for g, n in by_group.items()))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"cases": len(cases), "passed": passed, "failures": failures, "outcomes": outcomes}, handle, indent=1)
    return 0 if passed == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
