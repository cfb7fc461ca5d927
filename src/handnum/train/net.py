"""The digit classifier: a small VGG-style CNN, 28×28 gray in, 11 logits out (0–9 and "not a digit")."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


@dataclass
class NetConfig:
    channels: tuple[int, int] = (32, 64)
    hidden: int = 256
    dropout: float = 0.3
    classes: int = 11

    def to_dict(self) -> dict:
        return asdict(self)


def _conv(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class DigitNet(nn.Module):
    """Two conv blocks (2 convs each, max-pool) and a two-layer head; input in [0, 1], ink bright."""

    def __init__(self, config: NetConfig = NetConfig()):
        super().__init__()
        self.config = config
        c1, c2 = config.channels
        self.features = nn.Sequential(
            *_conv(1, c1), *_conv(c1, c1), nn.MaxPool2d(2),   # (B, c1, 14, 14)
            *_conv(c1, c2), *_conv(c2, c2), nn.MaxPool2d(2),  # (B, c2, 7, 7)
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(config.dropout),
            nn.Linear(c2 * 49, config.hidden), nn.ReLU(inplace=True),
            nn.Dropout(config.dropout), nn.Linear(config.hidden, config.classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (B, 1, 28, 28) float in [0, 1]
        return self.head(self.features((x - MNIST_MEAN) / MNIST_STD))  # (B, classes) logits
