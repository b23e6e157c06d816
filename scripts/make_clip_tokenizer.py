"""Write the CLIP tokenizer files (vocab.json, merges.txt) that Stable Diffusion checkpoints need.

The CLIP BPE vocabulary is published in the `open-clip-torch` wheel (MIT licence) as
open_clip/bpe_simple_vocab_16e6.txt.gz. This script turns it into the two files that
transformers' CLIPTokenizer reads, exactly as OpenAI's SimpleTokenizer builds its table:
256 byte symbols, the same with "</w>", one token per merge, then the two special tokens
(49,408 tokens in all). Run once; the output is kept in assets/configs/clip-tokenizer/.

    pip download open-clip-torch --no-deps -d /tmp/oc
    python scripts/make_clip_tokenizer.py /tmp/oc/open_clip_torch-*.whl
"""

from __future__ import annotations

import argparse
import gzip
import json
import zipfile
from pathlib import Path

VOCAB_MEMBER = "open_clip/bpe_simple_vocab_16e6.txt.gz"
MERGES_USED = 49152 - 256 - 2  # SimpleTokenizer keeps this many merges (the vocabulary's size, 49,408, follows)
OUT = Path(__file__).resolve().parent.parent / "assets" / "configs" / "clip-tokenizer"


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character table, as CLIP uses it."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def build(bpe_text: str) -> tuple[dict[str, int], list[str]]:
    merges = bpe_text.split("\n")[1:MERGES_USED + 1]
    symbols = list(bytes_to_unicode().values())
    vocab = symbols + [s + "</w>" for s in symbols]
    vocab += ["".join(merge.split()) for merge in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {token: i for i, token in enumerate(vocab)}, merges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the open-clip-torch wheel")
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        text = gzip.decompress(wheel.read(VOCAB_MEMBER)).decode("utf-8")
    vocab, merges = build(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    (OUT / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    print(f"{len(vocab)} tokens, {len(merges)} merges -> {OUT}")


if __name__ == "__main__":
    main()
