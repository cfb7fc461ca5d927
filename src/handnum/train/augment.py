"""Batched augmentation on (B, 1, 28, 28) tensors: what real sheets do to digits.

Small rotations, scale, shear and shifts (one random affine per sample), stroke thickness
changes (grey dilation/erosion) and a little blur. Everything draws from the generator
passed in, so an epoch is reproducible from its seed.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _u(g: torch.Generator, n: int, lo: float, hi: float) -> torch.Tensor:
    return torch.rand(n, generator=g) * (hi - lo) + lo


def random_affine(x: torch.Tensor, g: torch.Generator, rotate: float = 12.0, scale: tuple = (0.85, 1.1),
                  shear: float = 0.25, shift: float = 2.5) -> torch.Tensor:
    """One random affine per sample: rotation (degrees), scale, shear and shift (pixels)."""
    b = x.shape[0]
    a = _u(g, b, -rotate, rotate) * math.pi / 180
    s = _u(g, b, *scale)
    aspect = _u(g, b, 0.9, 1.1)
    sh = _u(g, b, -shear, shear)
    tx, ty = _u(g, b, -shift, shift) * 2 / 28, _u(g, b, -shift, shift) * 2 / 28
    cos, sin = torch.cos(a), torch.sin(a)
    # inverse map (output -> input coordinates), so divide by the scale
    m = torch.zeros(b, 2, 3)
    m[:, 0, 0] = cos / (s * aspect)
    m[:, 0, 1] = (-sin + sh * cos) / (s * aspect)
    m[:, 1, 0] = sin / s
    m[:, 1, 1] = (cos + sh * sin) / s
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    grid = F.affine_grid(m, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_stroke(x: torch.Tensor, g: torch.Generator, p_thick: float = 0.25, p_thin: float = 0.2) -> torch.Tensor:
    """Thicken (grey dilation) or thin (grey erosion) strokes of some samples, blended for subtlety."""
    r = torch.rand(x.shape[0], generator=g).view(-1, 1, 1, 1)
    w = torch.rand(x.shape[0], generator=g).view(-1, 1, 1, 1) * 0.6 + 0.4
    thick = F.max_pool2d(x, 3, 1, 1)
    thin = -F.max_pool2d(-x, 3, 1, 1)
    out = torch.where(r < p_thick, x * (1 - w) + thick * w, x)
    return torch.where((r >= p_thick) & (r < p_thick + p_thin), x * (1 - w) + thin * w, out)


def random_blur(x: torch.Tensor, g: torch.Generator, p: float = 0.15) -> torch.Tensor:
    """Soften some samples with a 3×3 box blur, as a blurry photo would."""
    r = torch.rand(x.shape[0], generator=g).view(-1, 1, 1, 1)
    blurred = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    return torch.where(r < p, blurred, x)


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """The full training augmentation; output stays in [0, 1]."""
    x = random_affine(x, g)
    x = random_stroke(x, g)
    x = random_blur(x, g)
    return x.clamp_(0, 1)
