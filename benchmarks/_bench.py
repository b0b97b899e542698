"""Helpers shared by the benchmark scripts (not a benchmark itself).

Every script exposes ``run() -> list[Row]``: it prints its own figures and returns one
``Row`` per target, which ``run_all.py`` gathers into the summary table.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON = sys.executable

# Variables that would make a child process talk to a real LLM, read the learner's real
# settings or change what it prints.
SCRUBBED = (
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "MLOPS_PRIMER_MODEL", "MLOPS_PRIMER_LESSONS",
    "MLOPS_PRIMER_TIMEOUT", "MLOPS_PRIMER_MAX_TOKENS", "MLOPS_PRIMER_CONTEXT",
    "MLOPS_PRIMER_DEBUG", "MLOPS_PRIMER_HOME", "XDG_CONFIG_HOME",
    "XDG_DATA_HOME", "MLOPS_PRIMER_API_KEY",
)

# A bytecode cache owned by the benchmarks. Some environments (this one included) set
# PYTHONDONTWRITEBYTECODE=1, and uv does not compile bytecode at install time, so a
# package that was never imported with bytecode writing on (pydantic, yaml, ...) is
# compiled from source on *every* start: that adds ~0.1-0.2 s and is not what a learner
# sees from the second run on. The children therefore write .pyc files here (never
# into the venv) and the warm-up runs fill it.
PYCACHE = Path(tempfile.gettempdir()) / "mlops-primer-bench-pycache"


@dataclass(frozen=True)
class Row:
    """One figure of the summary: what was measured, its value, the target, met or not."""

    figure: str
    value: str
    target: str
    met: bool | None  # None: reported, no target


def cli_command() -> list[str]:
    """The console script in the venv if present, else ``python -m mlops_primer``."""
    script = BIN / ("mlops-primer.exe" if os.name == "nt" else "mlops-primer")
    return [str(script)] if script.exists() else [PYTHON, "-m", "mlops_primer"]


def child_env(home: Path | None = None, *, bytecode_cache: bool = True, **extra: str) -> dict:
    """Environment for a measured child process."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env["COLUMNS"] = "100"
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    if home is not None:
        env["MLOPS_PRIMER_HOME"] = str(home)
    env.update(extra)
    return env


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return float("nan")
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed_run(cmd: Sequence[str], env: dict, *, check: bool = True) -> tuple[float, float]:
    """(wall seconds, user+system CPU seconds) of one child process, output discarded.

    CPU time is less disturbed than wall time by other work on a busy machine.
    """
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, cwd=ROOT)
    dt = time.perf_counter() - t0
    cpu = _children_cpu() - c0
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n"
                           f"{proc.stderr.decode(errors='replace')}")
    return dt, cpu


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def percentile(xs: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))
    return s[k]


def ms(seconds: float) -> str:
    """Milliseconds, with three decimals below 1 ms."""
    v = seconds * 1000
    return f"{v:.3f} ms" if v < 1 else f"{v:.1f} ms"


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "NO")


def importtime(cmd: Sequence[str], env: dict) -> dict[str, tuple[int, int]]:
    """``-X importtime`` of one run: {module: (self us, cumulative us)}."""
    proc = subprocess.run([*cmd], env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, cwd=ROOT)
    out: dict[str, tuple[int, int]] = {}
    for line in proc.stderr.decode(errors="replace").splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3:
            continue
        try:
            out[parts[2].strip()] = (int(parts[0]), int(parts[1]))
        except ValueError:
            continue
    return out


def python_child(code: str, env: dict) -> subprocess.CompletedProcess:
    """Run ``python -c code`` in the venv's interpreter."""
    return subprocess.run([PYTHON, "-c", code], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, cwd=ROOT)
