#!/usr/bin/env python3
"""Add the registers of the kernels a records file timed, as the build that timed them lowers them.

Records written before they carried "registers" (the H200 records of 2026-11-29) are estimated by
`gensor calibrate` with the model's register estimate, for this build's lowering of each schedule,
which is not the kernel that ran. This script builds the commit that timed them (the "version" of
the records, or --commit) in a temporary git worktree, emits every record's schedule with
`gensor emit --lang sass` for the target profile (ptxas on PATH or in .tools/cuda/bin), and writes
the records again with "registers": ptxas's count for that build's kernel. ptxas here is an offline
one (11.8 for sm_90), not the driver's JIT that ran the kernel: close, not the same.

Usage:
  scripts/record-registers.py RECORDS OUT [--commit HASH] [--target h100] [--jobs 2]

A record that already has "registers", or whose kernel the build cannot emit, is written unchanged
(the latter is counted on stderr). Nothing is written when the build fails. Exit status 0 on success.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records")
    parser.add_argument("out")
    parser.add_argument("--commit", help="the build to lower with (default: the commit in the records' version)")
    parser.add_argument("--target", default="h100", help="the profile whose architecture ptxas compiles for")
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()

    root = run(["git", "rev-parse", "--show-toplevel"]).stdout.strip()
    if not root:
        fail("run it inside the gensor repository")
    try:
        lines = open(options.records, encoding="utf-8").read().splitlines()
    except OSError as error:
        fail(f"cannot read {options.records}: {error.strerror}")
    records = [json.loads(line) for line in lines if line.strip()]
    commits = {r.get("version", "").partition("+")[2] for r in records}
    commit = options.commit or (commits.pop() if len(commits) == 1 else None)
    if not commit:
        fail(f"the records come from several builds ({', '.join(sorted(commits)) or 'none named'}): give --commit")

    env = dict(os.environ)
    tools = os.path.join(root, ".tools", "cuda", "bin")
    if os.path.isdir(tools):
        env["PATH"] = tools + os.pathsep + env["PATH"]

    with tempfile.TemporaryDirectory(prefix="gensor-registers-") as work:
        tree = os.path.join(work, "tree")
        added = run(["git", "worktree", "add", "--detach", tree, commit], cwd=root)
        if added.returncode != 0:
            fail(f"cannot check out {commit}: {added.stderr.strip()}")
        try:
            print(f"building {commit} ...", file=sys.stderr)
            built = run(["dotnet", "build", "-c", "Release", "src/Gensor.Cli"], cwd=tree)
            if built.returncode != 0:
                fail(f"{commit} does not build: {built.stdout[-500:]}")
            gensor = os.path.join(tree, "src", "Gensor.Cli", "bin", "Release", "net10.0", "gensor.dll")

            def registers(index):
                record = records[index]
                if "registers" in record:
                    return record["registers"]
                op = record["op"]
                compute = op.split(";")[0].strip()
                extents = re.search(r"extents ([^;]+)", op).group(1).replace(" ", "")
                emitted = run(["dotnet", gensor, "emit", "--compute", compute, "--shape", extents, "--target", options.target,
                               "--lang", "sass", "--out", os.path.join(work, str(index)), "--schedule", record["schedule"]], env=env)
                found = re.search(r"resources: sm_\d+: (\d+) registers", emitted.stdout)
                return int(found.group(1)) if found else None

            with concurrent.futures.ThreadPoolExecutor(options.jobs) as pool:
                counts = list(pool.map(registers, range(len(records))))
        finally:
            run(["git", "worktree", "remove", "--force", tree], cwd=root)

    missing = sum(1 for count in counts if count is None)
    with open(options.out + ".tmp", "w", encoding="utf-8") as out:
        for line, record, count in zip([l for l in lines if l.strip()], records, counts):
            # The writer's own line with one more field: every other byte as the record was written.
            out.write(line if count is None or "registers" in record else line[:-1] + f',"registers":{count}' + "}")
            out.write("\n")
    os.replace(options.out + ".tmp", options.out)
    print(f"{len(records) - missing} of {len(records)} records with registers ({commit}, {options.target}); {missing} not emitted", file=sys.stderr)


if __name__ == "__main__":
    main()
