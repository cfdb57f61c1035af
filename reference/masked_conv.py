"""Q1: receptive fields of stacked PixelCNN masked convolutions.

Conventions (ASSIGNMENT.md): cross-correlation as `torch.nn.functional.conv2d` (no kernel flip),
stride 1, zero padding k//2 so an n x n map stays n x n, one channel, pixels 1-indexed (row, col).
Mask "A": ones in every row above the centre row and in the centre row strictly left of the centre;
mask "B": A plus the centre itself.

The receptive field is computed twice, independently:
  * `receptive_field_from_gradient` builds the real network and backpropagates (the definition);
  * `receptive_field_by_composition` composes mask supports backwards in pure python.
`receptive_field_cells` (called by the rubric) returns the first and refuses to answer if they differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

Pixel = tuple[int, int]


def _check_kernel(kernel: int) -> None:
    if not isinstance(kernel, int) or kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"kernel must be a positive odd int, got {kernel!r}")


def _check_masks(masks: Iterable[str]) -> list[str]:
    masks = list(masks)
    if not masks:
        raise ValueError("at least one masked layer is needed")
    bad = [m for m in masks if m not in ("A", "B")]
    if bad:
        raise ValueError(f"mask types must be 'A' or 'B', got {bad!r}")
    return masks


def make_mask(kind: str, kernel: int = 3) -> list[list[int]]:
    """Mask as a kernel x kernel 0/1 list (row-major, index 0 = top row / left column)."""
    _check_kernel(kernel)
    if kind not in ("A", "B"):
        raise ValueError(f"mask type must be 'A' or 'B', got {kind!r}")
    c = kernel // 2
    return [
        [1 if (i < c or (i == c and j < c) or (kind == "B" and i == c and j == c)) else 0
         for j in range(kernel)]
        for i in range(kernel)
    ]


def mask_tensor(kind: str, kernel: int = 3, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(make_mask(kind, kernel), dtype=dtype)


class MaskedConv2d(nn.Conv2d):
    """Conv2d whose weight is multiplied by a fixed spatial mask on every forward pass.

    The mask is a registered buffer (moves with .to(), saved in state_dict, never trained) and is
    the same for every (out, in) channel pair: the assignment uses one channel, so no colour-channel
    grouping is needed. Padding defaults to k//2 so the map size is preserved.
    """

    def __init__(self, mask_type: str, in_channels: int, out_channels: int, kernel_size: int = 3,
                 **kwargs) -> None:
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
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    r, c = target
    if not (1 <= r <= size and 1 <= c <= size):
        raise ValueError(f"target {target} outside a {size}x{size} map (1-indexed)")


def receptive_field_from_gradient(masks: Sequence[str], kernel: int = 3, size: int = 5,
                                  target: Pixel = (3, 3)) -> set[Pixel]:
    """Input pixels (1-indexed) with a nonzero gradient of output pixel `target`.

    masks[0] is the first layer applied to the input. The network is linear (no nonlinearity: a
    ReLU could zero a gradient) with all-one weights times the mask and no bias, so every gradient
    entry is the number of paths from that input pixel to the target: a positive integer, never an
    accidental cancellation, and exact in float64.
    """
    masks = _check_masks(masks)
    _check_geometry(kernel, size, target)
    layers = []
    for m in masks:
        layer = MaskedConv2d(m, 1, 1, kernel, bias=False, dtype=torch.float64)
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


def receptive_field_by_composition(masks: Sequence[str], kernel: int = 3, size: int = 5,
                                   target: Pixel = (3, 3)) -> set[Pixel]:
    """Same set without torch: walk the mask supports backwards from the target.

    Cross-correlation means out[r, c] reads in[r + i - p, c + j - p] for mask[i][j] == 1 (p = k//2).
    Positions outside the map are zero padding, not pixels, so they are dropped at every layer
    (this matters at the borders, where an intermediate position may fall off the map).
    """
    masks = _check_masks(masks)
    _check_geometry(kernel, size, target)
    p = kernel // 2
    frontier = {tuple(target)}
    for m in reversed(masks):  # the last layer is nearest to the output
        offsets = [(i - p, j - p) for i, row in enumerate(make_mask(m, kernel))
                   for j, v in enumerate(row) if v]
        frontier = {(r + di, c + dj) for r, c in frontier for di, dj in offsets
                    if 1 <= r + di <= size and 1 <= c + dj <= size}
    return frontier


def _parse_label(target: str, size: int) -> Pixel:
    if size > 9:
        raise ValueError("pixel labels 'rc' are single digits: size must be <= 9")
    t = str(target).strip()
    if len(t) != 2 or not t.isdigit():
        raise ValueError(f"target label must be two digits 'rc' (1-indexed), got {target!r}")
    return int(t[0]), int(t[1])


def receptive_field_cells(masks: list[str], kernel: int = 3, size: int = 5,
                          target: str = "33") -> dict:
    """Rubric entry point: {"cells": sorted labels "rc"} of the receptive field of `target`.

    Computed by backpropagation; raises RuntimeError if the pure-python composition disagrees.
    Labels are single digits, so string order is row-major order.
    """
    pixel = _parse_label(target, size)
    by_grad = receptive_field_from_gradient(masks, kernel, size, pixel)
    by_comp = receptive_field_by_composition(masks, kernel, size, pixel)
    if by_grad != by_comp:
        raise RuntimeError(f"receptive field methods disagree for masks={masks}, kernel={kernel}, "
                           f"size={size}, target={target}: gradient-only {sorted(by_grad - by_comp)}, "
                           f"composition-only {sorted(by_comp - by_grad)}")
    return {"cells": sorted(f"{r}{c}" for r, c in by_grad)}
