"""Running one command and measuring it: wall time, CPU time and its own peak RSS; the machine."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """One finished command.

    Attributes
    ----------
    wall_s : float
        Wall time from start to exit, seconds.
    cpu_s : float
        User + system CPU time of the process and the children it waited for, seconds.
    peak_rss_mb : float
        Peak resident set size of the process (or of its largest waited-for child), MB.
    others_cpu_s : float
        CPU time the rest of the machine used meanwhile (all cores' busy time from
        ``/proc/stat`` less ``cpu_s``), seconds: the load that slowed this run down.
    returncode : int
        Exit code (negative: killed by that signal).
    stderr : str
        The last lines it wrote to stderr.
    """

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    others_cpu_s: float
    returncode: int
    stderr: str


#: ``python -I -S -c`` script: run ``argv[2:]``, wait for it, and write its wall seconds,
#: exit code, CPU seconds and ``ru_maxrss`` (KB) to the file ``argv[1]``.
_LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall_s = time.perf_counter() - start
with open(sys.argv[1], "w") as fh:
    code = os.waitstatus_to_exitcode(status)
    fh.write(f"{wall_s} {code} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}")
"""


def run(cmd: Sequence[str], *, env: Mapping[str, str] | None = None) -> Run:
    """Run ``cmd`` to its end and measure it with its own ``rusage`` (``os.wait4``).

    ``resource.getrusage(RUSAGE_CHILDREN)`` would give the maximum over every child so far,
    so each command is waited for with ``wait4``. And a process starts its peak RSS count
    from the memory of the process it was forked from (Linux records the old memory's high
    water mark at ``exec``): started from this harness, which made the 5 M point scan, every
    command would show this harness' peak. So each command is started by a small launcher
    process (``python -I -S``, about 10 MB), which times it and reports its ``rusage``.
    On Linux ``ru_maxrss`` is in KB.
    """
    launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER]
    with tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "rusage"
        busy_s = _busy_cpu_s()
        proc = subprocess.Popen(
            [*launcher, str(report), *cmd], stdout=subprocess.DEVNULL, stderr=err, env=env
        )
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0  # reaped here, not by Popen
        busy_s = _busy_cpu_s() - busy_s
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()[-5:]
        if not report.exists():
            raise RuntimeError(f"could not run {' '.join(cmd[:3])}:\n" + "\n".join(tail))
        wall, code, cpu, maxrss_kb = report.read_text().split()
    return Run(
        wall_s=float(wall),
        cpu_s=float(cpu),
        peak_rss_mb=int(maxrss_kb) / 1024.0,
        others_cpu_s=max(0.0, busy_s - usage.ru_utime - usage.ru_stime),
        returncode=int(code),
        stderr="\n".join(tail),
    )


def _busy_cpu_s() -> float:
    """Busy CPU seconds of all cores since boot (user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields)
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def checked(result: Run, cmd: Sequence[str], ok: tuple[int, ...] = (0,)) -> Run:
    """``result``, or a RuntimeError with its stderr if its exit code is not in ``ok``."""
    if result.returncode not in ok:
        raise RuntimeError(
            f"{' '.join(cmd[:4])} ... exited with {result.returncode}:\n{result.stderr}"
        )
    return result


def load_average() -> float:
    """The 1-minute load average."""
    return round(os.getloadavg()[0], 2)


def machine() -> dict[str, object]:
    """CPU model, cores, RAM, Python and OS of this machine."""
    cpu = "unknown"
    memory_gb = 0.0
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 1024.0**2, 1)
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "ram_gb": memory_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
