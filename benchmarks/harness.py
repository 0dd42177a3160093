"""What every benchmark script shares: run one variant in a fresh process, describe the machine.

Each measured variant runs in its own Python process so that its start-up, imports and peak
memory are its own: the peak is that child's ``ru_maxrss`` from ``os.wait4``, which a parent that
imports nothing heavy cannot inflate.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_child(cmd: list[str], env: dict[str, str], label: str) -> tuple[dict, float, float]:
    """Run ``cmd``; return the JSON it printed (the whole output, or its last JSON line), its
    wall time and its peak RSS (MB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        _pid, status, usage = os.wait4(proc.pid, 0)  # the rusage of exactly this child
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{label} failed:\n{stderr[-3000:]}")
    try:  # one JSON document (an `ist-analyse ... --json` command) ...
        return json.loads(stdout), wall, usage.ru_maxrss / 1024
    except ValueError:  # ... or a script's last JSON line
        lines = [x for x in stdout.splitlines() if x.startswith("{")]
        return json.loads(lines[-1]), wall, usage.ru_maxrss / 1024


def machine() -> str:
    """Cores, CPU model, Python, OS, date and load average: the context of every figure."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    a, b, c = os.getloadavg()
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, {time.strftime('%Y-%m-%d')}, "
            f"load average {a:.1f} {b:.1f} {c:.1f}")
