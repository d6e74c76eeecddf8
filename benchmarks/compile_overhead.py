"""Forward + backward time of the compiled GoogLeNet and of its exported code, against a
hand-written torchvision-style GoogLeNet of the same architecture, in the same process.

The three models run alternately (A B C, A B C, ...) so that load from anything else on
the machine hits all of them alike; the figures are medians, and the ratios are what to
quote. Training mode, aux heads included, loss = sum(logits) + 0.3 * sum(aux logits).

    python benchmarks/compile_overhead.py [--batch 8] [--reps 7] [--threads 1 2]

Targets: compiled / hand-written <= 1.02; exported = hand-written within noise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from designer.compiler.build import compile_model  # noqa: E402
from designer.compiler.codegen import generate  # noqa: E402


# --------------------------------------------------------------------------- hand-written
class Conv(nn.Module):
    def __init__(self, cin: int, cout: int, **kw) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, **kw)

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu_(self.conv(x))


class Inception(nn.Module):
    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pp: int) -> None:
        super().__init__()
        self.branch1 = Conv(cin, c1, kernel_size=1)
        self.branch2 = nn.Sequential(Conv(cin, c3r, kernel_size=1), Conv(c3r, c3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(Conv(cin, c5r, kernel_size=1), Conv(c5r, c5, kernel_size=5, padding=2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), Conv(cin, pp, kernel_size=1))

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class Aux(nn.Module):
    def __init__(self, cin: int, classes: int) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(5, 3)
        self.conv = Conv(cin, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, classes)
        self.dropout = nn.Dropout(0.7)

    def forward(self, x: Tensor) -> Tensor:
        x = torch.flatten(self.conv(self.pool(x)), 1)
        return self.fc2(self.dropout(torch.relu_(self.fc1(x))))


class Outputs(NamedTuple):
    logits: Tensor
    aux_logits: tuple[Tensor, ...]


class GoogLeNet(nn.Module):
    """The paper's GoogLeNet (conv with bias + ReLU, true 5x5, aux heads on 4a and 4d)."""

    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = Conv(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = Conv(64, 64, kernel_size=1)
        self.conv3 = Conv(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.aux1 = Aux(512, classes)
        self.aux2 = Aux(528, classes)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(1024, classes)

    def forward(self, x: Tensor) -> Tensor | Outputs:
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        a = self.inception4a(x)
        x = self.inception4c(self.inception4b(a))
        d = self.inception4d(x)
        x = self.maxpool4(self.inception4e(d))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))
        if self.training:
            return Outputs(x, (self.aux1(a), self.aux2(d)))
        return x


# --------------------------------------------------------------------------- design
def design():
    try:
        from designer.examples import build

        return build("googlenet")
    except (ImportError, KeyError):  # pragma: no cover - before the examples existed
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "compiler"))
        from compiler_designs import googlenet

        return googlenet()


def exported_model(doc) -> nn.Module:
    module = types.ModuleType("exported_googlenet")
    exec(compile(generate(doc), "<exported>", "exec"), module.__dict__)
    cls = next(
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, nn.Module) and hasattr(v, "input_shape")
    )
    return cls()


def step(model: nn.Module, x: Tensor) -> float:
    t = time.perf_counter()
    out = model(x)
    loss = out.logits.sum() + 0.3 * sum(a.sum() for a in out.aux_logits)
    loss.backward()
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)

    doc = design()
    compiled = compile_model(doc, seed=0)
    exported = exported_model(doc)
    exported.load_state_dict(compiled.state_dict(), strict=True)
    hand = GoogLeNet()
    counts = {
        name: sum(p.numel() for p in m.parameters())
        for name, m in (("compiled", compiled), ("exported", exported), ("hand", hand))
    }
    assert len(set(counts.values())) == 1, counts
    models = {"hand-written": hand, "compiled": compiled, "exported": exported}
    for m in models.values():
        m.train()
    print(
        f"GoogLeNet, {counts['hand']:,} params, batch {args.batch} x {' x '.join(map(str, compiled.input_shape))}, "
        f"train mode, forward + backward, {args.reps} reps, torch {torch.__version__}"
    )
    x = torch.randn(args.batch, *compiled.input_shape)
    for threads in args.threads:
        torch.set_num_threads(threads)
        times: dict[str, list[float]] = {k: [] for k in models}
        for m in models.values():  # warm-up
            m.zero_grad(set_to_none=True)
            step(m, x)
        for _ in range(args.reps):
            for name, m in models.items():
                m.zero_grad(set_to_none=True)
                times[name].append(step(m, x))
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\n{threads} thread{'s' * (threads > 1)}:")
        for k, v in med.items():
            spread = (max(times[k]) - min(times[k])) / v
            print(f"  {k:13s} median {v * 1000:8.1f} ms   (min {min(times[k]) * 1000:7.1f}, spread {spread:5.1%})")
        print(f"  compiled / hand-written = {med['compiled'] / med['hand-written']:.3f}")
        print(f"  exported / hand-written = {med['exported'] / med['hand-written']:.3f}")
        print(f"  compiled / exported     = {med['compiled'] / med['exported']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
