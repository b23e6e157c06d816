"""A small CNN digit classifier: the judge of the evaluation (is this sample a recognisable digit?).

Trained on the training split only, with random shifts of up to 2 px; its accuracy on the
held-out real digits is the reference every generative model is compared with. Shipped as
assets/data/digits-classifier.safetensors (fp16, ~0.3 MB) so `noisescope evaluate` needs no training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from engine.atomic import write_atomically
from engine.paths import assets_dir
from engine.training.data import Digits, to_model_input


def default_classifier_path() -> Path:
    return assets_dir() / "data" / "digits-classifier.safetensors"


class DigitClassifier(nn.Module):
    def __init__(self, width: int = 32):
        super().__init__()

        def block(inputs: int, outputs: int) -> list[nn.Module]:
            return [nn.Conv2d(inputs, outputs, 3, padding=1), nn.BatchNorm2d(outputs), nn.ReLU(True)]

        self.body = nn.Sequential(
            *block(1, width), *block(width, width), nn.MaxPool2d(2),  # 16x16
            *block(width, 2 * width), *block(2 * width, 2 * width), nn.MaxPool2d(2),  # 8x8
            *block(2 * width, 4 * width), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Dropout(0.2), nn.Linear(4 * width, 10),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 1, 32, 32) in [-1, 1] -> logits (N, 10)."""
        return self.body(images)


def _shift(images: torch.Tensor, generator: torch.Generator, pixels: int = 2) -> torch.Tensor:
    padded = F.pad(images, (pixels,) * 4, value=-1.0)
    dy, dx = (int(v) for v in torch.randint(0, 2 * pixels + 1, (2,), generator=generator))
    return padded[:, :, dy:dy + images.shape[2], dx:dx + images.shape[3]]


def train_classifier(train: Digits, steps: int = 600, batch: int = 128, seed: int = 0,
                     width: int = 32) -> DigitClassifier:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    images, labels = to_model_input(train.images), torch.from_numpy(train.labels)
    model = DigitClassifier(width).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
    for _ in range(steps):
        index = torch.randint(0, len(images), (batch,), generator=generator)
        loss = F.cross_entropy(model(_shift(images[index], generator)), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


def save_classifier(model: DigitClassifier, path: Path) -> Path:
    state = {k: v.detach().half().contiguous() if v.is_floating_point() else v.contiguous()
             for k, v in model.state_dict().items()}
    width = model.body[0].out_channels
    return write_atomically(Path(path), lambda t: save_file(state, str(t), metadata={"width": str(width)}))


def load_classifier(path: Path | None = None) -> DigitClassifier:
    from safetensors import safe_open

    path = Path(path) if path else default_classifier_path()
    with safe_open(str(path), "pt") as handle:
        width = int((handle.metadata() or {}).get("width", 32))
    model = DigitClassifier(width)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in load_file(str(path)).items()})
    return model.eval()


def load_or_train_classifier(path: Path | None, train: Digits) -> DigitClassifier:
    """The saved classifier, or (when there is none yet) one trained now (~5 CPU minutes) and saved."""
    path = Path(path) if path else default_classifier_path()
    if path.is_file():
        return load_classifier(path)
    model = train_classifier(train)
    save_classifier(model, path)
    return load_classifier(path)  # as saved (fp16 weights), so figures do not depend on this run


@torch.no_grad()
def predict(model: DigitClassifier, images: np.ndarray, batch: int = 500) -> np.ndarray:
    """uint8 (N, 28, 28) or (N, 32, 32) -> class probabilities (N, 10)."""
    inputs = to_model_input(images)
    return torch.cat([model(inputs[i:i + batch]).softmax(1) for i in range(0, len(inputs), batch)]).numpy()
