"""The networks of the CNN benchmarks, as ``torch.nn`` modules.

* :class:`LeNet` — the deeplearning.net tutorial LeNet the Hyperband paper tunes in §3.3
  (2-D for images, 1-D for MNIST-1D signals).
* :class:`CudaConvnet` — Krizhevsky's cuda-convnet "18% model" as the Hyperband authors ran it
  in Caffe (§4.1), with Caffe's within-channel LRN (:class:`WithinChannelLRN`).

All three are ``None`` when torch is not installed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .device import F, nn, torch

__all__ = ["LeNet", "WithinChannelLRN", "CudaConvnet"]

if torch is not None:

    class LeNet(nn.Module):
        """The deeplearning.net tutorial LeNet used in the Hyperband paper (§3.3).

        ``conv(k1, 5) → max-pool 2 → act → conv(k2, 5) → max-pool 2 → act → fc 500 → act →
        linear n_classes`` (softmax in the loss). ``act`` is ``tanh`` as in the tutorial (or
        ``relu``). Inputs of length-1 shape ``(L,)`` give the 1-D variant (Conv1d, kernel 5).

        ``padding="valid"`` is the tutorial's (28×28 → 24 → 12 → 8 → 4); ``"same"`` keeps the
        size through each convolution so that 8×8 digits (8 → 4 → 2) and 40-long MNIST-1D
        signals (40 → 20 → 10) fit.

        Initialization follows the tutorial: weights uniform in ±sqrt(6 / (fan_in + fan_out))
        (for convolutions fan_out is divided by the pool size), output layer and biases zero.
        All draws come from ``generator``.

        Args:
            k1, k2: kernels in the first and second convolution.
            input_shape: ``(C, H, W)`` or ``(C, L)``.
            n_classes: output classes.
            hidden: units of the fully connected layer (500).
            activation: ``"tanh"`` or ``"relu"``.
            padding: ``"same"`` or ``"valid"``.
            generator: torch generator for the initial weights.
        """

        def __init__(
            self,
            k1: int,
            k2: int,
            input_shape: tuple[int, ...] = (1, 8, 8),
            n_classes: int = 10,
            hidden: int = 500,
            activation: str = "tanh",
            padding: str = "same",
            generator: Any = None,
        ):
            super().__init__()
            if activation not in ("tanh", "relu"):
                raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
            if padding not in ("same", "valid"):
                raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
            channels, *spatial = input_shape
            if len(spatial) not in (1, 2):
                raise ValueError(f"input_shape must be (C, L) or (C, H, W), got {input_shape}")
            self.dims = len(spatial)
            conv = nn.Conv1d if self.dims == 1 else nn.Conv2d
            pad = 2 if padding == "same" else 0
            self.conv1 = conv(channels, int(k1), 5, padding=pad)
            self.conv2 = conv(int(k1), int(k2), 5, padding=pad)
            self.act = torch.tanh if activation == "tanh" else torch.relu
            self._pool = F.max_pool1d if self.dims == 1 else F.max_pool2d
            size = []
            for s in spatial:
                for _ in range(2):
                    s = (s + 2 * pad - 4) // 2
                if s < 1:
                    raise ValueError(f"input {tuple(spatial)} is too small for LeNet with padding={padding!r}")
                size.append(s)
            self.fc = nn.Linear(int(k2) * int(np.prod(size)), hidden)
            self.out = nn.Linear(hidden, n_classes)
            self.reset_parameters(generator)

        def reset_parameters(self, generator: Any = None) -> None:
            """Tutorial initialization, drawn from ``generator``."""
            pool = 2**self.dims
            with torch.no_grad():
                for conv in (self.conv1, self.conv2):
                    receptive = int(np.prod(conv.kernel_size))
                    fan_in = conv.in_channels * receptive
                    fan_out = conv.out_channels * receptive / pool
                    bound = math.sqrt(6.0 / (fan_in + fan_out))
                    nn.init.uniform_(conv.weight, -bound, bound, generator=generator)
                    conv.bias.zero_()
                bound = math.sqrt(6.0 / (self.fc.in_features + self.fc.out_features))
                nn.init.uniform_(self.fc.weight, -bound, bound, generator=generator)
                self.fc.bias.zero_()
                self.out.weight.zero_()
                self.out.bias.zero_()

        def forward(self, x):
            x = self.act(self._pool(self.conv1(x), 2))
            x = self.act(self._pool(self.conv2(x), 2))
            x = self.act(self.fc(x.flatten(1)))
            return self.out(x)

    class WithinChannelLRN(nn.Module):
        """Caffe's ``LRN`` with ``norm_region: WITHIN_CHANNEL``:
        ``x / (1 + alpha · mean_{size×size}(x²))^beta`` (zero-padded window, divisor size²)."""

        def __init__(self, size: int = 3, alpha: float = 5e-5, beta: float = 0.75):
            super().__init__()
            self.size, self.alpha, self.beta = int(size), float(alpha), float(beta)

        def forward(self, x):
            mean_sq = F.avg_pool2d(x * x, self.size, stride=1, padding=self.size // 2, count_include_pad=True)
            return x / (1.0 + self.alpha * mean_sq).pow(self.beta)

    class CudaConvnet(nn.Module):
        """cuda-convnet's "18% model" for 32×32 RGB as the Hyperband authors ran it in Caffe.

        ``conv1 5×5×32 pad 2 → max-pool 3/2 → ReLU → LRN → conv2 5×5×32 pad 2 → ReLU →
        avg-pool 3/2 → LRN → conv3 5×5×64 pad 2 → ReLU → avg-pool 3/2 → fc n_classes``
        (pooling rounds up as in Caffe: 32 → 16 → 8 → 4). LRN is within-channel, size 3, with
        the searched scale ``alpha`` and power ``beta``. Gaussian initialization, std 1e-4 for
        conv1 and 1e-2 elsewhere, biases zero, drawn from ``generator``.
        """

        def __init__(
            self,
            lrn_scale: float = 5e-5,
            lrn_power: float = 0.75,
            in_channels: int = 3,
            image_size: int = 32,
            n_classes: int = 10,
            generator: Any = None,
        ):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, 32, 5, padding=2)
            self.conv2 = nn.Conv2d(32, 32, 5, padding=2)
            self.conv3 = nn.Conv2d(32, 64, 5, padding=2)
            self.norm1 = WithinChannelLRN(3, lrn_scale, lrn_power)
            self.norm2 = WithinChannelLRN(3, lrn_scale, lrn_power)
            s = image_size
            for _ in range(3):
                s = math.ceil((s - 3) / 2) + 1
            self.fc = nn.Linear(64 * s * s, n_classes)
            with torch.no_grad():
                for layer, std in ((self.conv1, 1e-4), (self.conv2, 1e-2), (self.conv3, 1e-2), (self.fc, 1e-2)):
                    nn.init.normal_(layer.weight, 0.0, std, generator=generator)
                    layer.bias.zero_()

        def forward(self, x):
            x = self.norm1(F.relu(F.max_pool2d(self.conv1(x), 3, 2, ceil_mode=True)))
            x = self.norm2(F.avg_pool2d(F.relu(self.conv2(x)), 3, 2, ceil_mode=True))
            x = F.avg_pool2d(F.relu(self.conv3(x)), 3, 2, ceil_mode=True)
            return self.fc(x.flatten(1))

else:  # pragma: no cover
    LeNet = CudaConvnet = WithinChannelLRN = None
