"""How long generating the PyTorch source takes (the Code panel does it after every edit).

python benchmarks/codegen_speed.py
"""

from __future__ import annotations

import statistics
import time

from designer.compiler.codegen import generate
from designer.examples import example_path
from designer.io.project import load


def main() -> int:
    for name in ("inception_module", "googlenet", "inception_v3", "inception_resnet", "xception"):
        doc = load(example_path(name))
        generate(doc)  # warm caches
        times = []
        for _ in range(7):
            t = time.perf_counter()
            generate(doc)
            times.append(time.perf_counter() - t)
        print(
            f"{name:18s} {len(doc.nodes):4d} nodes: median {statistics.median(times) * 1000:6.1f} ms, "
            f"best {min(times) * 1000:6.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
