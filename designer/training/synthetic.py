"""The built-in synthetic dataset: textured shapes at several scales and positions.

Ten classes, each a pair (coarse shape, fine texture): five shapes (disc, square,
ring, triangle, cross) times two textures (stripes at a random angle, or a checker
pattern), drawn in random colours at random sizes and positions on a noisy, cluttered
background. Telling the shape apart needs a large receptive field; telling the texture
apart needs fine 2-4 pixel detail. That is the point of an Inception module: 1x1, 3x3
and 5x5 branches side by side. A linear model on the pixels does little better than
chance, because colour, position and scale carry no information about the class.

The generator uses torch only (no NumPy, no files), is deterministic for a seed, and
is self-contained so that :mod:`designer.training.script` can embed its source in the
standalone ``train.py``.
"""

from __future__ import annotations

import math

import torch

__all__ = ["SYNTHETIC_CLASSES", "make_synthetic"]

SYNTHETIC_CLASSES = (
    "disc/stripes",
    "disc/checker",
    "square/stripes",
    "square/checker",
    "ring/stripes",
    "ring/checker",
    "triangle/stripes",
    "triangle/checker",
    "cross/stripes",
    "cross/checker",
)


def make_synthetic(n: int, seed: int, size: int = 32, chunk: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
    """Generate ``n`` images of the synthetic dataset.

    Parameters
    ----------
    n : int
        Number of images; the classes are balanced (``n // 10`` each, the rest spread).
    seed : int
        Seed of a private generator: the same seed gives the same images on any machine.
    size : int
        Height and width in pixels (32 by default; the shapes scale with it).
    chunk : int
        Images generated at once (bounds the temporary memory).

    Returns
    -------
    images : torch.Tensor
        ``uint8`` tensor of shape ``n x 3 x size x size``.
    labels : torch.Tensor
        ``int64`` tensor of shape ``n`` with values in ``0..9`` (see ``SYNTHETIC_CLASSES``).
    """
    g = torch.Generator().manual_seed(int(seed))
    labels = torch.arange(n) % 10
    labels = labels[torch.randperm(n, generator=g)]
    images = torch.empty(n, 3, size, size, dtype=torch.uint8)
    for start in range(0, n, chunk):
        y = labels[start : start + chunk]
        images[start : start + chunk] = _draw(y, g, size)
    return images, labels


def _rand(g: torch.Generator, m: int, lo: float, hi: float) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(m, generator=g)


def _colours(g: torch.Generator, m: int, avoid: torch.Tensor | None = None) -> torch.Tensor:
    """Random RGB colours in [0, 1], at least 0.35 away from ``avoid`` where given."""
    c = torch.rand(m, 3, generator=g)
    if avoid is not None:
        for _ in range(8):
            close = (c - avoid).norm(dim=1) < 0.35
            if not close.any():
                break
            c[close] = torch.rand(int(close.sum()), 3, generator=g)
    return c


def _draw(labels: torch.Tensor, g: torch.Generator, size: int) -> torch.Tensor:
    m = labels.numel()
    shape, texture = labels // 2, labels % 2
    s = float(size)
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    yy = coords.view(1, size, 1).expand(m, size, size)
    xx = coords.view(1, 1, size).expand(m, size, size)

    # coarse: the shape, radius 22-40 % of the image, anywhere it fits
    r = _rand(g, m, 0.22 * s, 0.40 * s)
    cx = r + torch.rand(m, generator=g) * (s - 2 * r)
    cy = r + torch.rand(m, generator=g) * (s - 2 * r)
    dx = (xx - cx.view(m, 1, 1)) / r.view(m, 1, 1)
    dy = (yy - cy.view(m, 1, 1)) / r.view(m, 1, 1)
    d = torch.sqrt(dx * dx + dy * dy)
    masks = torch.stack(
        [
            d <= 1.0,  # disc
            torch.maximum(dx.abs(), dy.abs()) <= 0.82,  # square
            (d <= 1.0) & (d >= 0.55),  # ring
            (dy <= 0.75) & (dx.abs() <= (dy + 0.95) * 0.62),  # triangle, point up
            ((dx.abs() <= 0.3) | (dy.abs() <= 0.3)) & (torch.maximum(dx.abs(), dy.abs()) <= 0.95),  # cross
        ],
        dim=1,
    )
    mask = masks[torch.arange(m), shape].float()

    # fine: stripes at a random angle, or a checker pattern; period 3-5 pixels
    period = _rand(g, m, 3.0, 5.0).view(m, 1, 1) * (s / 32.0)
    theta = (torch.randint(0, 4, (m,), generator=g).float() * (math.pi / 4)).view(m, 1, 1)
    phase = _rand(g, m, 0.0, 2 * math.pi).view(m, 1, 1)
    k = 2 * math.pi / period
    stripes = torch.cos(k * (xx * torch.cos(theta) + yy * torch.sin(theta)) + phase) > 0
    checker = (torch.cos(k * xx + phase) * torch.cos(k * yy + phase)) > 0
    pattern = torch.where(texture.view(m, 1, 1) == 0, stripes, checker).float()

    bg = _colours(g, m)
    fg1 = _colours(g, m, avoid=bg)
    fg2 = _colours(g, m, avoid=fg1)
    fg = fg1.view(m, 3, 1, 1) * pattern.unsqueeze(1) + fg2.view(m, 3, 1, 1) * (1 - pattern.unsqueeze(1))

    # background: a colour with a gentle gradient, and a few small clutter blobs
    grad = _rand(g, m, -0.25, 0.25).view(m, 1, 1, 1) * (xx.unsqueeze(1) / s - 0.5)
    img = bg.view(m, 3, 1, 1) + grad
    for _ in range(3):
        bx, by = _rand(g, m, 0, s).view(m, 1, 1), _rand(g, m, 0, s).view(m, 1, 1)
        br = _rand(g, m, 0.5, 2.0).view(m, 1, 1) * (s / 32.0)
        blob = (((xx - bx) ** 2 + (yy - by) ** 2) <= br * br).float().unsqueeze(1)
        img = img * (1 - blob) + _colours(g, m).view(m, 3, 1, 1) * blob
    img = img * (1 - mask.unsqueeze(1)) + fg * mask.unsqueeze(1)
    img = img + 0.06 * torch.randn(img.shape, generator=g)
    return (img.clamp(0, 1) * 255).round().to(torch.uint8)
