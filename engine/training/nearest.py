"""The two nearest training images of each sample: the distances behind the copies and memorised
figures of `noisescope evaluate`, for the digits (evaluate.py) and the colour models (image_originality.py).
"""

from __future__ import annotations

import numpy as np
import torch

DUPLICATE = 1e-3  # L2 in [0, 1] pixels: under one 8-bit level in a single pixel, the same picture


def _flat(images: np.ndarray) -> torch.Tensor:
    # float64: cdist's matrix-product form leaves float32 errors of ~1e-2 here, above a one-level difference
    return torch.from_numpy(images.reshape(len(images), -1).astype(np.float64) / 255)


def two_nearest(queries: np.ndarray, reference: np.ndarray, skip_duplicates: bool = False, rows: int = 1024,
                columns: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) L2 distances of each query to its nearest and second nearest reference image, and (N,) the
    nearest's index. Chunked both ways, each reference chunk converted once, so a folder of 200,000
    images is measured in a few hundred MB. skip_duplicates: ignore reference images under DUPLICATE
    away (the query itself, when the queries are training images)."""
    best = torch.full((len(queries), 2), float("inf"), dtype=torch.float64)
    index = torch.zeros((len(queries), 2), dtype=torch.long)
    for column in range(0, len(reference), columns):
        chunk = _flat(reference[column:column + columns])
        for row in range(0, len(queries), rows):
            distances = torch.cdist(_flat(queries[row:row + rows]), chunk)
            if skip_duplicates:
                distances = distances.masked_fill(distances < DUPLICATE, float("inf"))
            values, found = distances.topk(min(2, distances.shape[1]), dim=1, largest=False)
            candidates = torch.cat([best[row:row + rows], values], 1)
            order = candidates.topk(2, dim=1, largest=False).indices
            index[row:row + rows] = torch.cat([index[row:row + rows], found + column], 1).gather(1, order)
            best[row:row + rows] = candidates.gather(1, order)
    return best.float().numpy(), index[:, 0].numpy()
