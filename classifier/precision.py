"""Which number format the classifier computes in: float32, bfloat16 (autocast) or int8 (dynamic quantisation)."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Literal

Precision = Literal["float32", "bfloat16", "int8"]
PrecisionSetting = Literal["auto", "float32", "bfloat16", "int8"]

NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})
"""/proc/cpuinfo flags of CPUs with bfloat16 arithmetic in hardware (x86 AVX-512/AMX, Arm v8.6+)."""


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """Feature flags of the first CPU listed in /proc/cpuinfo; empty where there is no such file."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            return set(value.split())
    return set()


def native_bfloat16(flags: set[str] | None = None) -> bool:
    """True where bfloat16 matrix products run in hardware; elsewhere they are emulated and slower than float32."""
    if flags is None:
        flags = cpu_flags() if platform.system() == "Linux" else set()
    return bool(flags & NATIVE_BF16_FLAGS)


def resolve_precision(setting: str, *, quantize: bool = False, flags: set[str] | None = None) -> Precision:
    """The precision to compute in: `quantize: true` means int8; `auto` means bfloat16 where the CPU has it."""
    if quantize or setting == "int8":
        return "int8"
    if setting == "auto":
        return "bfloat16" if native_bfloat16(flags) else "float32"
    if setting in ("float32", "bfloat16"):
        return setting  # type: ignore[return-value]
    raise ValueError(f"unknown precision {setting!r} (expected auto, float32, bfloat16 or int8)")
