"""Issue 12, item 5: `noisescope show` and drop give every file a message, in bounded time.

Each file here gave a traceback (or hung, or a silent drop) before: bad UTF-8 in a GIF comment,
a trajectory without a recipe, deeply nested JSON, a 5,000-digit integer, a zTXt chunk over
Pillow's limit, a 20000x20000 PNG header, a `parameters` chunk after the image data.
"""

import os
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from engine import Recipe
from engine.cli.main import main
from engine.errors import NoisescopeError
from engine.export.png import save_png
from engine.export.restore import read_recipe

RECIPE = Recipe(model="digits-diffusion", sampler="ddim", steps=7, seed=3, label="5")
BUDGET_S = 2.0  # each file; the slowest here takes milliseconds


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int, height: int, before: list[bytes], after: list[bytes] = ()) -> bytes:
    """A PNG by hand (chunks as other tools lay them out); its IDAT need not decode."""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    idat = chunk(b"IDAT", zlib.compress(b"\0" * 64))
    return b"\x89PNG\r\n\x1a\n" + header + b"".join(before) + idat + b"".join(after) + chunk(b"IEND", b"")


def text_chunk(key: str, value: str) -> bytes:
    return chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1"))


def ztxt_chunk(key: str, value: bytes) -> bytes:
    return chunk(b"zTXt", key.encode("latin-1") + b"\0\0" + zlib.compress(value, 9))


def outcome(path):
    """(restored or None, the message); asserts it came within the time budget."""
    began = time.perf_counter()
    try:
        restored, message = read_recipe(path), ""
    except NoisescopeError as exc:
        restored, message = None, exc.message
    assert time.perf_counter() - began < BUDGET_S, path.name
    return restored, message


def show(capsys, path):
    code = main(["show", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_bad_utf8_in_a_gif_comment(tmp_path, capsys):
    path = tmp_path / "bad.gif"
    Image.new("L", (4, 4)).save(path, comment=b'{"steps": \xff\xfe}')
    restored, message = outcome(path)
    assert restored is None and "'comment' text is not valid UTF-8" in message
    code, _, err = show(capsys, path)
    assert code != 0 and "bad.gif" in err


def test_a_trajectory_without_a_recipe(tmp_path, capsys):
    from safetensors.numpy import save_file

    path = tmp_path / "run.trajectory.safetensors"
    save_file({"x_t": np.zeros((1, 1, 2, 2, 1), np.uint8)}, str(path),
              metadata={"format": "noisescope-trajectory", "format_version": "1"})
    restored, message = outcome(path)
    assert restored is None and "run.trajectory.safetensors" in message
    assert show(capsys, path)[0] != 0


@pytest.mark.parametrize(("recipe_json", "says"), [
    ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
    ('{"seed": 1' + "0" * 5000 + "}", "cannot be read"),
    ('{"steps": ' + "1" * 2_000_000 + "}", "characters; at most"),
])
def test_hostile_recipe_json_in_a_png(tmp_path, capsys, recipe_json, says):
    path = tmp_path / "hostile.png"
    path.write_bytes(png_bytes(4, 4, [chunk(b"iTXt", b"noisescope_recipe\0\0\0\0\0" + recipe_json.encode())]))
    restored, message = outcome(path)
    assert restored is None and says in message
    assert show(capsys, path)[0] != 0


def test_a_ztxt_chunk_over_pillows_limit_is_read(tmp_path):
    # Pillow refuses text over 1 MB decompressed (ValueError on open); a long prompt is legitimate.
    text = "x" * 1_500_000 + "\nSteps: 12, Seed: 4"
    path = tmp_path / "long.png"
    path.write_bytes(png_bytes(4, 4, [ztxt_chunk("parameters", text.encode())]))
    restored, _ = outcome(path)
    assert restored.fields["steps"] == 12 and ("Prompt", "x" * 1_500_000) in restored.unmapped


def test_a_zip_bomb_text_chunk_is_capped_and_named(tmp_path, capsys):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_bytes(4, 4, [ztxt_chunk("parameters", b"a" * (200 << 20))]))  # 200 MB from ~200 KB
    restored, message = outcome(path)
    assert restored is None and "'parameters' text is over 8 MB: skipped" in message
    assert show(capsys, path)[0] != 0


def test_a_huge_png_header_gives_its_metadata_without_decoding(tmp_path, capsys):
    # 20000x20000 is a DecompressionBombError for Image.open; the recipe is only text.
    path = tmp_path / "huge.png"
    path.write_bytes(png_bytes(20000, 20000, [text_chunk("noisescope_recipe", RECIPE.to_json())]))
    restored, _ = outcome(path)
    assert restored.recipe() == RECIPE
    code, out, _ = show(capsys, path)
    assert code == 0 and "Noisescope recipe" in out


def test_a_parameters_chunk_after_the_image_data(tmp_path):
    path = tmp_path / "late.png"
    path.write_bytes(png_bytes(4, 4, [], [text_chunk("parameters", "a fox\nSteps: 9, Sampler: DDIM, Seed: 8")]))
    restored, _ = outcome(path)
    assert (restored.fields["steps"], restored.fields["seed"], restored.fields["sampler"]) == (9, 8, "ddim")


@pytest.mark.parametrize("cut", [8, 20, 40, 60])
def test_a_png_cut_short_still_gets_a_message(tmp_path, cut):
    whole = tmp_path / "whole.png"
    save_png(np.zeros((8, 8, 1), np.uint8), whole, RECIPE)
    path = tmp_path / "cut.png"
    path.write_bytes(whole.read_bytes()[:cut])
    restored, message = outcome(path)
    assert restored is None and message


def test_a_pipe_named_like_a_recipe_file(tmp_path, capsys):
    path = tmp_path / "stuck.png"
    os.mkfifo(path)
    restored, message = outcome(path)  # opening a FIFO for reading would wait for a writer forever
    assert restored is None and "not a regular file" in message
    assert show(capsys, path)[0] != 0


def test_an_unknown_binary_file_with_an_image_suffix(tmp_path):
    path = tmp_path / "noise.PNG"
    path.write_bytes(bytes(range(256)) * 40)
    restored, message = outcome(path)
    assert restored is None and "noise.PNG" in message
