"""What the numbers were measured on: CPU, cores, torch build, load, and the process's memory."""

from __future__ import annotations

import os
import platform
from typing import Any

# the CPU flags that decide which kernels MKL and oneDNN run (bf16 and AMX ones double the peak)
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def machine_info() -> dict[str, Any]:
    """CPU model, cores, torch build, threads, the CPU flags that decide the fast kernels, and the
    1-minute load average (the machine may be shared)."""
    import torch

    model, flags = platform.processor() or "unknown", set()
    try:
        for line in open("/proc/cpuinfo").read().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "flags": {f: f in flags for f in CPU_FLAGS}, "mkldnn": torch.backends.mkldnn.is_available(),
            "python": platform.python_version(), "load_avg_1min": os.getloadavg()[0]}


def gpu_info(index: int = 0) -> dict[str, Any]:
    """The CUDA device's name, memory, compute capability and count, and torch's CUDA version: what a
    GPU benchmark's numbers were measured on."""
    import torch

    props = torch.cuda.get_device_properties(index)
    return {"gpu": props.name, "gpu_memory_mb": props.total_memory // 2**20,
            "capability": f"{props.major}.{props.minor}", "gpus": torch.cuda.device_count(),
            "cuda": torch.version.cuda, "torch": torch.__version__}


def proc_status_kb(key: str) -> float:
    """VmRSS (resident now) or VmHWM (peak resident of this program image) in kB. Not getrusage's
    ru_maxrss: Linux carries that over from the parent across fork + exec."""
    for line in open("/proc/self/status").read().splitlines():
        if line.startswith(key + ":"):
            return float(line.split()[1])
    raise OSError(f"{key} not in /proc/self/status")
