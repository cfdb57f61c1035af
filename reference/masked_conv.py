"""Receptive fields of stacked masked convolutions (PixelCNN-style), for grid questions.

Conventions: cross-correlation as `torch.nn.functional.conv2d` (no kernel flip), stride 1, zero
padding k//2 so an n x n map stays n x n, one channel, pixels 1-indexed (row, col).

A mask is a 0/1 matrix of any odd size, given as drawn (its first row is the top of the picture),
or the name of a preset: "A" has ones in every row above the centre row and in the centre row
strictly left of the centre; "B" is A plus the centre itself (PixelCNN's masks, raster order from
the top-left). Layers may have masks of different sizes.

Pixel labels are "rc" (row, column, one digit each): row 1 is the top row (`origin: top-left`) or
the bottom row (`origin: bottom-left`, for maps numbered bottom-up). The presets assume the raster
order from the top-left: with another origin, give the masks as matrices. A question this code
cannot answer as asked (a label outside the map, a preset with another origin, a mask that is not
a square 0/1 matrix of odd size) is an error, never the answer to another question.

The receptive field is computed twice, independently:
  * `receptive_field_from_gradient` builds the real network and backpropagates (the definition);
  * `receptive_field_by_composition` composes mask supports backwards in pure python.
`receptive_field_cells` (called by rubrics) returns the first and refuses to answer if they differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

Pixel = tuple[int, int]
Mask = str | Sequence[Sequence[int]]
PRESETS = ("A", "B")
ORIGINS = ("top-left", "bottom-left")


def _check_kernel(kernel: int) -> None:
    if not isinstance(kernel, int) or kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"kernel must be a positive odd int, got {kernel!r}")


def _check_matrix(mask) -> list[list[int]]:
    rows = [list(row) for row in mask]
    k = len(rows)
    if k == 0 or k % 2 == 0 or any(len(row) != k for row in rows):
        raise ValueError(f"a mask matrix must be square with an odd size, got {len(rows)} rows of "
                         f"{sorted({len(r) for r in rows})} entries")
    if any(v not in (0, 1) or isinstance(v, bool) for row in rows for v in row):
        raise ValueError(f"a mask matrix holds 0s and 1s, got {rows}")
    return [[int(v) for v in row] for row in rows]


def _check_masks(masks: Iterable[Mask], kernel: int = 3) -> list[list[list[int]]]:
    """Every layer's mask as a 0/1 matrix: presets expanded at `kernel`, matrices checked."""
    masks = list(masks)
    if not masks:
        raise ValueError("at least one masked layer is needed")
    out = []
    for m in masks:
        if isinstance(m, str):
            if m not in PRESETS:
                raise ValueError(f"mask presets are 'A' or 'B'; give other masks as 0/1 matrices, got {m!r}")
            out.append(make_mask(m, kernel))
        else:
            out.append(_check_matrix(m))
    return out


def make_mask(kind: str, kernel: int = 3) -> list[list[int]]:
    """Preset mask as a kernel x kernel 0/1 list (row-major, index 0 = top row / left column)."""
    _check_kernel(kernel)
    if kind not in PRESETS:
        raise ValueError(f"mask type must be 'A' or 'B', got {kind!r}")
    c = kernel // 2
    return [
        [1 if (i < c or (i == c and j < c) or (kind == "B" and i == c and j == c)) else 0
         for j in range(kernel)]
        for i in range(kernel)
    ]


def mask_tensor(mask: Mask, kernel: int = 3, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(_check_masks([mask], kernel)[0], dtype=dtype)


class MaskedConv2d(nn.Conv2d):
    """Conv2d whose weight is multiplied by a fixed spatial mask on every forward pass.

    The mask (a preset name or a 0/1 matrix, whose size sets the kernel size) is a registered
    buffer (moves with .to(), saved in state_dict, never trained) and is the same for every
    (out, in) channel pair: one channel is enough here, so no colour-channel grouping is needed.
    Padding defaults to k//2 so the map size is preserved.
    """

    def __init__(self, mask_type: Mask, in_channels: int, out_channels: int, kernel_size: int = 3,
                 **kwargs) -> None:
        if not isinstance(mask_type, str):
            kernel_size = len(_check_matrix(mask_type))
        _check_kernel(kernel_size)
        kwargs.setdefault("padding", kernel_size // 2)
        super().__init__(in_channels, out_channels, kernel_size, **kwargs)
        self.mask_type = mask_type
        mask = mask_tensor(mask_type, kernel_size, dtype=self.weight.dtype)
        self.register_buffer("mask", mask.expand_as(self.weight).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)


def _check_geometry(kernel: int, size: int, target: Pixel) -> None:
    _check_kernel(kernel)
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    r, c = target
    if not (1 <= r <= size and 1 <= c <= size):
        raise ValueError(f"target {target} outside a {size}x{size} map (1-indexed)")


def receptive_field_from_gradient(masks: Sequence[Mask], kernel: int = 3, size: int = 5,
                                  target: Pixel = (3, 3)) -> set[Pixel]:
    """Input pixels (1-indexed) with a nonzero gradient of output pixel `target`.

    masks[0] is the first layer applied to the input. The network is linear (no nonlinearity: a
    ReLU could zero a gradient) with all-one weights times the mask and no bias, so every gradient
    entry is the number of paths from that input pixel to the target: a positive integer, never an
    accidental cancellation, and exact in float64.
    """
    matrices = _check_masks(masks, kernel)
    _check_geometry(kernel, size, target)
    layers = []
    for m in matrices:
        layer = MaskedConv2d(m, 1, 1, len(m), bias=False, dtype=torch.float64)
        with torch.no_grad():
            layer.weight.fill_(1.0)
        layers.append(layer)
    net = nn.Sequential(*layers)
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = net(x)
    assert out.shape == x.shape, "padding k//2 must keep the map size"
    r, c = target
    out[0, 0, r - 1, c - 1].backward()
    grad = x.grad[0, 0]
    return {(i + 1, j + 1) for i, j in torch.nonzero(grad != 0).tolist()}


def receptive_field_by_composition(masks: Sequence[Mask], kernel: int = 3, size: int = 5,
                                   target: Pixel = (3, 3)) -> set[Pixel]:
    """Same set without torch: walk the mask supports backwards from the target.

    Cross-correlation means out[r, c] reads in[r + i - p, c + j - p] for mask[i][j] == 1 (p = k//2).
    Positions outside the map are zero padding, not pixels, so they are dropped at every layer
    (this matters at the borders, where an intermediate position may fall off the map).
    """
    matrices = _check_masks(masks, kernel)
    _check_geometry(kernel, size, target)
    frontier = {tuple(target)}
    for m in reversed(matrices):  # the last layer is nearest to the output
        p = len(m) // 2
        offsets = [(i - p, j - p) for i, row in enumerate(m) for j, v in enumerate(row) if v]
        frontier = {(r + di, c + dj) for r, c in frontier for di, dj in offsets
                    if 1 <= r + di <= size and 1 <= c + dj <= size}
    return frontier


def _parse_target(target, size: int) -> Pixel:
    """A target as a label "rc" (one digit each) or [row, col]; outside the map is an error."""
    if isinstance(target, (list, tuple)) and len(target) == 2 and all(isinstance(x, int) for x in target):
        r, c = target
    else:
        t = str(target).strip()
        if len(t) != 2 or not t.isdigit():
            raise ValueError(f"target label must be two digits 'rc' (1-indexed), or [row, col], got {target!r}")
        r, c = int(t[0]), int(t[1])
    if not (1 <= r <= size and 1 <= c <= size):
        raise ValueError(f"target {target!r} is outside a {size}x{size} map (1-indexed)")
    return r, c


def receptive_field_cells(masks: list[Mask], kernel: int = 3, size: int = 5, target: str | list[int] = "33",
                          origin: str = "top-left") -> dict:
    """Rubric entry point: {"cells": sorted labels "rc"} of the receptive field of `target`.

    `masks[0]` is the first layer applied to the input: preset names or 0/1 matrices as drawn.
    `kernel` is the presets' size (matrices carry their own). Computed by backpropagation; raises
    RuntimeError if the pure-python composition disagrees. Labels are single digits, so string
    order is row-major order.
    """
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {ORIGINS}, got {origin!r}")
    if not isinstance(size, int) or not 1 <= size <= 9:
        raise ValueError(f"pixel labels 'rc' are single digits: size must be 1..9, got {size!r}")
    if origin != "top-left" and any(isinstance(m, str) for m in masks):
        raise ValueError("the presets A and B follow the raster order from the top-left; with origin "
                         f"{origin!r}, give the masks as 0/1 matrices, as drawn")
    row, col = _parse_target(target, size)
    flip = origin == "bottom-left"
    pixel = (size + 1 - row, col) if flip else (row, col)  # in picture rows, top first
    by_grad = receptive_field_from_gradient(masks, kernel, size, pixel)
    by_comp = receptive_field_by_composition(masks, kernel, size, pixel)
    if by_grad != by_comp:
        raise RuntimeError(f"receptive field methods disagree for masks={masks}, kernel={kernel}, "
                           f"size={size}, target={target}: gradient-only {sorted(by_grad - by_comp)}, "
                           f"composition-only {sorted(by_comp - by_grad)}")
    return {"cells": sorted(f"{size + 1 - r if flip else r}{c}" for r, c in by_grad)}
