"""NVIDIA GPU readings for the hardware monitor: through NVML (``pynvml``, from the
``nvidia-ml-py`` package) when it is installed, else through ``nvidia-smi``.

Both answer the same :class:`GpuReading` per card; a machine without NVIDIA GPUs, drivers or
tools answers an empty list, once, and is not asked again.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

QUERY = "index,utilization.gpu,memory.used,memory.total,power.draw,power.limit"


@dataclass(frozen=True)
class GpuReading:
    index: int
    usage_percent: float
    memory_used_gb: float
    memory_total_gb: float
    power_watts: float | None
    power_limit_watts: float | None


class GpuMonitor:
    """Reads every card; remembers when there is nothing to read."""

    def __init__(self) -> None:
        self._source: str | None = None  # "nvml", "smi", or "" (none)
        self._nvml: Any = None

    def read(self) -> list[GpuReading]:
        if self._source is None:
            self._source = self._pick()
        try:
            if self._source == "nvml":
                return self._read_nvml()
            if self._source == "smi":
                return read_nvidia_smi()
        except Exception:  # the driver went away: stop asking
            self._source = ""
        return []

    def _pick(self) -> str:
        try:
            import pynvml  # type: ignore[import-not-found]

            pynvml.nvmlInit()
            self._nvml = pynvml
            return "nvml"
        except Exception:
            pass
        if shutil.which("nvidia-smi") is not None:
            try:
                if read_nvidia_smi():
                    return "smi"
            except Exception:
                pass
        return ""

    def _read_nvml(self) -> list[GpuReading]:
        nvml = self._nvml
        readings = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            try:
                power = nvml.nvmlDeviceGetPowerUsage(handle) / 1000
                limit = nvml.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000
            except Exception:  # not every card reports power
                power = limit = None
            readings.append(
                GpuReading(
                    index,
                    float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu),
                    memory.used / 2**30,
                    memory.total / 2**30,
                    power,
                    limit,
                )
            )
        return readings


def read_nvidia_smi(timeout: float = 5.0) -> list[GpuReading]:
    """One reading per card from ``nvidia-smi --query-gpu`` (values in MiB and W)."""
    output = subprocess.run(
        ["nvidia-smi", f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    ).stdout
    return [parse_smi_line(line) for line in output.splitlines() if line.strip()]


def parse_smi_line(line: str) -> GpuReading:
    fields = [field.strip() for field in line.split(",")]
    if len(fields) != len(QUERY.split(",")):
        raise ValueError(f"unexpected nvidia-smi line: {line!r}")
    index, usage, used, total, power, limit = fields
    return GpuReading(
        int(index),
        float(usage),
        float(used) / 1024,
        float(total) / 1024,
        _optional(power),
        _optional(limit),
    )


def _optional(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:  # "[N/A]", "[Not Supported]"
        return None
