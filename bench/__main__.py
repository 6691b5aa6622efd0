"""All the benchmarks in turn, then one table of the figures: ``python -m bench``.

Each benchmark also runs alone: ``python -m bench.store`` (``.http``, ``.latency``,
``.fanout``, ``.dashboard``, ``.memory``, ``.rush``: the last, the issue's evening of
5 minutes after a warm-up, takes ~7 minutes). With ``PASSLINE_BENCH_PROFILE=1`` the
backend's loop thread is profiled with cProfile in the benchmarks that start a backend,
and the top functions printed.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench import dashboard, fanout, http, latency, memory, pipeline, rush, store
from bench.common import Figure, Section, figures_table, run_section

BENCHMARKS: list[tuple[str, Callable[[], list[Figure]]]] = [
    (store.TITLE, store.run),
    (http.TITLE, http.run),
    (latency.TITLE, latency.run),
    (fanout.TITLE, fanout.run),
    (pipeline.TITLE, pipeline.run),
    (dashboard.TITLE, dashboard.run),
    (memory.TITLE, memory.run),
    (rush.TITLE, rush.run),
]


def cpu_model() -> str:
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main() -> None:
    started = time.perf_counter()
    print(
        f"Passline benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs "
        f"({cpu_model()}); Python {platform.python_version()}; {platform.platform()}"
    )
    sections: list[Section] = []
    for title, bench in BENCHMARKS:
        sections.append(run_section(title, bench))
    print(f"\n== all figures ({time.perf_counter() - started:.0f} s)\n")
    print(figures_table([figure for section in sections for figure in section.figures]))
    for section in sections:
        print(f"- {section.title}: {section.machine_note()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
