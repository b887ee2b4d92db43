"""Profile zarrlib on one benchmark workload with py-spy (all threads) and print where the
time goes: inclusive and self share of samples per function, counting only stacks that pass
through zarrlib's chunk I/O (so setup, imports and data generation are left out).

    python benchmarks/profile.py tutorial-dir write       # needs `pip install py-spy`
    python benchmarks/profile.py small-chunks read --repeat 10 --quick

Run it as root or with ptrace allowed. The raw py-spy samples are kept next to the results.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from harness import READ_OPS, Selections, make_data, warm_memory, workloads  # noqa: E402


def target(workload: str, op: str, repeat: int, quick: bool, workdir: str) -> None:
    """The profiled process: run ``op`` ``repeat`` times on zarrlib."""
    from peers import ZarrlibPeer

    w = next(w for w in workloads(quick) if w.name == workload)
    warm_memory(0 if quick else 4 * w.nbytes)
    peer, data, sel = ZarrlibPeer(), make_data(w), Selections.for_workload(w)
    path = None if w.store == "memory" else os.path.join(workdir, "array")
    handle = peer.create(w, path)
    peer.write(handle, data)
    for _ in range(repeat):
        if op == "write":
            if path is not None:
                shutil.rmtree(path)
            handle = peer.create(w, path)
            peer.write(handle, data)
        elif op == "read":
            peer.read(handle)
        else:
            getattr(peer, op)(handle, sel)


def summarize(raw_path: str, keep: str, top: int) -> str:
    """Inclusive and self percentages per function from py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(raw_path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if not re.search(keep, stack):
                continue
            n = int(count)
            total += n
            frames = [re.sub(r":\d+\)$", ")", fr) for fr in stack.split(";")]
            for fr in set(frames):
                inclusive[fr] += n
            own[frames[-1]] += n
    if not total:
        return "no samples matched"
    skip = re.compile(r"threading\.py|concurrent/futures|importlib")
    lines = [f"{total} samples through {keep!r}", "", "inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {fr}" for fr, n in inclusive.most_common() if not skip.search(fr)][:top]
    lines += ["", "self (time in this frame, including C code it calls):"]
    lines += [f"  {100 * n / total:5.1f}%  {fr}" for fr, n in own.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=[w.name for w in workloads()])
    parser.add_argument("op", choices=["write", *READ_OPS])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "profiles"))
    parser.add_argument("--target", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.target:
        target(args.workload, args.op, args.repeat, args.quick, args.workdir)
        return 0
    if shutil.which("py-spy") is None:
        parser.error("py-spy is not installed: pip install py-spy")
    os.makedirs(args.out, exist_ok=True)
    raw = os.path.join(args.out, f"{args.workload}-{args.op}.txt")
    with tempfile.TemporaryDirectory(prefix="zarrlib-profile-") as workdir:
        child = [sys.executable, __file__, args.workload, args.op, "--target", "--workdir", workdir]
        child += ["--repeat", str(args.repeat)] + (["--quick"] if args.quick else [])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(os.path.dirname(HERE), "src"), HERE]))
        cmd = ["py-spy", "record", "--rate", str(args.rate), "--format", "raw", "--output", raw, "--", *child]
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # stacks through io.read (or io.write), on the caller's thread or a worker's
    verb = "write" if args.op == "write" else "read"
    keep = rf"(^|;){verb}(\.<locals>\.[\w<>]+)? \([^)]*zarrlib/io\.py"
    summary = summarize(raw, keep, args.top)
    with open(raw.removesuffix(".txt") + ".summary.txt", "w") as f:
        f.write(summary + "\n")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
