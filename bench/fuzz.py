"""Fuzzers for what comes from outside (issue 12): recipe JSON, CLI flags, files for `show` and drop.

    .venv/bin/python -m bench.fuzz                 # the full run: 2,000+ cases each, prints the counts
    .venv/bin/python -m bench.fuzz --cases 300 --seed 7 --only files

A case passes when it ends in a result or in our own error (NoisescopeError, an argparse usage
message): a message for a person. A "traceback" is any other exception; a "hang" is a case past
HANG_S (stopped by SIGALRM where the platform has it). The same seed gives the same cases.
tests/engine/test_fuzz_*.py run a small seeded budget in CI.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import logging
import random
import signal
import struct
import sys
import tempfile
import time
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HANG_S = 10.0


@dataclass
class Tally:
    name: str
    cases: int = 0
    ok: int = 0  # a result
    refused: int = 0  # our own message
    tracebacks: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    slowest_s: float = 0.0
    seconds: float = 0.0
    netted: list[str] = field(default_factory=list)  # unforeseen errors the registry's net turned into messages

    def line(self) -> str:
        return (f"{self.name}: {self.cases} cases, {self.ok} restored/accepted, {self.refused} refused with a message, "
                f"{len(self.tracebacks)} tracebacks, {len(self.hangs)} hangs, {len(self.netted)} caught only by the "
                f"last-resort net; slowest {self.slowest_s * 1000:.0f} ms, {self.seconds:.1f} s in all")


class _NetWatcher(logging.Handler):
    """Counts the registry's last-resort catches (logged at debug with their traceback): bugs to
    fix, even though the person got a message."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.getMessage()}: {record.exc_info[1]!r}" if record.exc_info else record.getMessage())


class _Hang(BaseException):
    pass


def _alarm(_signum, _frame):
    raise _Hang


def run_case(tally: Tally, label: str, case: Callable[[], object]) -> None:
    from engine.errors import NoisescopeError

    tally.cases += 1
    watcher = _NetWatcher()
    watched = [logging.getLogger(name) for name in ("engine.export.formats.registry", "gui.recipe_drop")]
    levels = [logger.level for logger in watched]
    for logger in watched:
        logger.addHandler(watcher)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    began = time.perf_counter()
    use_alarm = hasattr(signal, "setitimer") and __import__("threading").current_thread() is \
        __import__("threading").main_thread()
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, HANG_S)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = case()
        if result is False:
            tally.refused += 1
        else:
            tally.ok += 1
    except _Hang:
        tally.hangs.append(label)
    except (NoisescopeError, SystemExit):
        tally.refused += 1
    except Exception:
        tally.tracebacks.append(f"{label}\n{traceback.format_exc()}")
    finally:
        for logger, level in zip(watched, levels, strict=True):
            logger.removeHandler(watcher)
            logger.setLevel(level)
            logger.propagate = True
        tally.netted.extend(f"{label}: {seen}" for seen in watcher.seen)
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        elapsed = time.perf_counter() - began
        tally.seconds += elapsed
        tally.slowest_s = max(tally.slowest_s, elapsed)
        if elapsed > HANG_S and label not in tally.hangs:
            tally.hangs.append(label)


# -- recipes ----------------------------------------------------------------------------------

def _value(rng: random.Random, depth: int = 0):
    kinds = ["int", "big", "neg", "float", "special", "str", "none", "bool", "list", "dict", "numstr"]
    kind = rng.choice(kinds if depth < 3 else kinds[:8])
    if kind == "int":
        return rng.randint(0, 100)
    if kind == "big":
        return rng.choice([2**63, 2**64 + 1, 10**300, -(2**63) - 1, 2**31])
    if kind == "neg":
        return -rng.randint(1, 10**6)
    if kind == "float":
        return rng.uniform(-1e6, 1e6)
    if kind == "special":
        return rng.choice([float("nan"), float("inf"), -float("inf"), 1e308, 5e-324, 0.0, -0.0])
    if kind == "str":
        return rng.choice(["", " ", "ddim", "euler", "karras", "diffusion", "gan", "vae", "none", "cpu", "cuda:9",
                           "\x00", "é" * 50, "a" * 20_000, "../../etc/passwd", "7", "digits-diffusion", "class 3",
                           "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace")])
    if kind == "numstr":
        return rng.choice(["12", "1e5", "NaN", "0x10", "9" * 5000, "-1"])
    if kind == "none":
        return None
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "list":
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["kind", "label", "prompt", "negative", "x"]): _value(rng, depth + 1)
            for _ in range(rng.randint(0, 3))}


def recipe_cases(rng: random.Random, count: int) -> Iterator[tuple[str, Callable[[], object]]]:
    from engine.recipe import Recipe
    from engine.recipe_fields import FIELDS

    names = [row.name for row in FIELDS] + ["version", "recipe_version", "label", "prompt", "unknown"]
    valid = Recipe(model="digits-diffusion", label="3", steps=5, seed=1).to_dict()
    for index in range(count):
        if rng.random() < 0.5:
            data = dict(valid)
            for _ in range(rng.randint(1, 3)):
                data[rng.choice(names)] = _value(rng)
        else:
            data = {rng.choice(names): _value(rng) for _ in range(rng.randint(0, 8))}
        if rng.random() < 0.2:
            extra = _value(rng, 2)
            data["conditioning"] = {**(extra if isinstance(extra, dict) else {}),
                                    "kind": rng.choice(["none", "class", "text", "x", 3])}

        def case(data=data):
            recipe = Recipe.from_dict(data)
            Recipe.from_json(recipe.to_json())  # what was accepted also writes and reads back
            return True

        yield f"recipe #{index}: {json.dumps(data, default=str)[:300]}", case


# -- CLI flags --------------------------------------------------------------------------------

def cli_cases(rng: random.Random, count: int, files: list[Path]) -> Iterator[tuple[str, Callable[[], object]]]:
    from engine.cli.export_options import export_plan_from_args
    from engine.cli.main import build_parser
    from engine.cli.recipe_options import recipe_from_args

    parser = build_parser()
    generate = parser._subparsers._group_actions[0].choices["generate"]  # noqa: SLF001
    flags = [option for action in generate._actions for option in action.option_strings]  # noqa: SLF001
    values = ["0", "1", "-1", "7", "1e9", "nan", "inf", "", "ddim", "euler", "karras", "none", "digits-diffusion",
              "3", "a cat", "99999999999999999999999", "9" * 5000, "-", "--", "png,gif", "png,nope", "x_t", "grid",
              "é", "\x00", "512", "64x64"]
    for index in range(count):
        if rng.random() < 0.7:
            argv = ["generate", "--model", "digits-diffusion"]
            for _ in range(rng.randint(0, 6)):
                argv.append(rng.choice(flags))
                if rng.random() < 0.9:
                    argv.append(rng.choice(values))

            def case(argv=argv):
                from engine.config_file import clear_session_models_folders

                try:
                    with contextlib.redirect_stderr(io.StringIO()):
                        args = parser.parse_args(argv)
                finally:  # --models-folder adds to this process's catalog as it is parsed: undone
                    clear_session_models_folders()
                if getattr(args, "help", False):
                    return False
                from engine.cli.common import UsageError

                try:
                    recipe_from_args(args)
                    export_plan_from_args(args)
                except UsageError:
                    return False
                return True
        else:
            argv = ["show", str(rng.choice(files))] + (["--json"] if rng.random() < 0.5 else [])
            if rng.random() < 0.2:
                argv.insert(rng.randint(1, len(argv)), rng.choice(values + ["--bogus", "-h"]))

            def case(argv=argv):
                from engine.cli.main import main

                return main(argv) == 0

        yield f"cli #{index}: {argv!r}"[:400], case


# -- files for show and drop ------------------------------------------------------------------

def seed_files(folder: Path) -> list[Path]:
    """Our exports of a small finished run, and files as other tools write them."""
    import numpy as np
    from PIL import Image, PngImagePlugin

    from engine import Recipe
    from engine.events import Finished, Started, Step
    from engine.export.plan import ExportPlan, export_run
    from engine.export.xmp import xmp_packet
    from engine.trajectory import Trajectory

    rng = np.random.default_rng(3)
    recipe = Recipe(model="digits-diffusion", sampler="ddim", steps=3, seed=5, batch=2, label="4")
    run = Trajectory()
    run.record(Started(recipe, 3, (8, 8, 1), "cpu", "float32", "digits-diffusion"))
    for index in range(3):
        frames = [rng.integers(0, 256, (2, 8, 8, 1), dtype=np.uint8) for _ in range(3)]
        run.record(Step(index, 3, 900.0 - index, 1.0, *frames, elapsed_s=0.0))
    run.record(Finished(recipe, rng.integers(0, 256, (2, 8, 8, 1), dtype=np.uint8), 0.1))
    formats = ("png", "grid", "gif", "apng", "webp", "sheet", "zip", "trajectory")
    paths = [written.path for written in export_run(run, folder / "ours", ExportPlan(formats=formats))]

    def png(name, **chunks):
        info = PngImagePlugin.PngInfo()
        for key, value in chunks.items():
            info.add_text(key, value if isinstance(value, str) else json.dumps(value), zip=len(str(value)) > 300)
        Image.new("RGB", (8, 8)).save(folder / name, pnginfo=info)
        return folder / name

    a1111 = ("a lighthouse\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1, "
             "Size: 512x512, Model hash: 0123456789, Model: sd15, Lora hashes: \"a: 1, b: 2\"")
    graph = {"3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7, "sampler_name": "euler",
                   "scheduler": "karras", "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0],
                   "model": ["4", 0]}},
             "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "x.safetensors"}},
             "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
             "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a fox", "clip": ["4", 1]}},
             "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}}}
    paths += [
        png("a1111.png", parameters=a1111),
        png("comfy.png", prompt=graph, workflow={"nodes": []}),
        png("invoke.png", invokeai_metadata={"positive_prompt": "x", "seed": 3, "steps": 9, "scheduler": "euler_k",
                                             "width": 64, "height": 64, "model": {"name": "m"}}),
        png("nai.png", Software="NovelAI", Comment={"prompt": "x", "uc": "y", "steps": 28, "scale": 5, "seed": 2,
                                                     "sampler": "k_euler", "width": 64, "height": 64}),
        png("fooocus.png", parameters={"prompt": "x", "resolution": "(64, 64)", "guidance_scale": 4, "seed": "1",
                                       "base_model": "m.safetensors"}, fooocus_scheme="fooocus"),
        png("swarm.png", parameters={"sui_image_params": {"prompt": "x", "seed": 1, "steps": 3}}),
    ]
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + a1111.encode("utf-16-be")
    for name, fmt in (("a1111.jpg", "JPEG"), ("a1111.webp", "WEBP")):
        Image.new("RGB", (8, 8)).save(folder / name, fmt, exif=exif)
        paths.append(folder / name)
    Image.new("RGB", (8, 8)).save(folder / "edited.webp", "WEBP", xmp=b"<?xpacket begin=''?>\n  " + xmp_packet(
        recipe.to_json()) + b"\n<?xpacket end='w'?>")
    paths.append(folder / "edited.webp")
    return paths


@functools.cache
def _zip_bomb() -> bytes:
    return zlib.compress(b"a" * (50 << 20), 9)  # 50 MB of text in ~50 KB


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(9)
        at = rng.randrange(max(len(data), 1))
        if choice == 0 and data:  # flip bits
            data[at] ^= 1 << rng.randrange(8)
        elif choice == 1:  # random bytes
            data[at:at] = rng.randbytes(rng.randint(1, 64))
        elif choice == 2:  # cut
            del data[at:at + rng.randint(1, 256)]
        elif choice == 3:  # truncate
            data = data[:at]
        elif choice == 4 and len(data) > 8:  # a length field made huge or zero
            data[at:at + 4] = struct.pack(">I", rng.choice([0, 0xFFFFFFFF, 0x7FFFFFFF, 1 << 24, 13]))
        elif choice == 5:  # a slice repeated (chunks duplicated)
            piece = data[at:at + rng.randint(1, 512)]
            data[at:at] = piece * rng.randint(2, 50)
        elif choice == 6:  # interesting text
            data[at:at] = rng.choice([b"{" * 5000, b"[" * 100_000, b"Steps: " + b"9" * 5000, b"\xff\xfe\x00",
                                      b"noisescope_recipe\x00", b'"' * 1000, b"<!DOCTYPE x>", b"UNICODE\x00"])
        elif choice == 7:  # a text chunk of our own, hostile inside
            body = rng.choice([b"[" * 50_000, b'{"seed": 1' + b"0" * 5000 + b"}", _zip_bomb()])
            kind = rng.choice([b"tEXt", b"zTXt", b"iTXt"])
            payload = rng.choice([b"noisescope_recipe", b"parameters", b"prompt"]) + b"\0" + (
                b"\0" if kind == b"zTXt" else b"\0\0\0\0" if kind == b"iTXt" else b"") + body
            chunk = struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
            data[min(at, 33):min(at, 33)] = chunk
        else:  # swap two slices
            other = rng.randrange(max(len(data), 1))
            data[at:at + 16], data[other:other + 16] = data[other:other + 16], data[at:at + 16]
    return bytes(data)


def file_cases(rng: random.Random, count: int, seeds: list[Path], folder: Path,
               drop: Callable[[Path], object] | None = None) -> Iterator[tuple[str, Callable[[], object]]]:
    from engine.cli.main import main

    originals = [(path, path.read_bytes()) for path in seeds]
    for index in range(count):
        source, data = rng.choice(originals)
        mutated = _mutate(data, rng)
        path = folder / f"case{index % 50}{''.join(source.suffixes)}"
        path.write_bytes(mutated)

        def case(path=path):
            code = main(["show", str(path)] + (["--json"] if rng.random() < 0.3 else []))
            if drop is not None:
                result = drop(path)
                if not getattr(result, "message", ""):
                    raise AssertionError("a drop without a message")
            return code == 0

        yield f"file #{index} (from {source.name}, {len(mutated)} bytes)", case


def run_all(cases: int, seed: int, only: tuple[str, ...] = ("recipes", "cli", "files"),
            drop: Callable[[Path], object] | None = None) -> list[Tally]:
    rng = random.Random(seed)
    tallies = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        seeds = seed_files(folder)
        work = folder / "cases"
        work.mkdir()
        if "recipes" in only:
            tally = Tally("recipes")
            for label, case in recipe_cases(rng, cases):
                run_case(tally, label, case)
            tallies.append(tally)
        if "cli" in only:
            tally = Tally("cli flags")
            for label, case in cli_cases(rng, cases, seeds + [folder / "missing.png", folder]):
                run_case(tally, label, case)
            tallies.append(tally)
        if "files" in only:
            tally = Tally("files (show" + (" and drop)" if drop else ")"))
            for label, case in file_cases(rng, cases, seeds, work, drop):
                run_case(tally, label, case)
            tallies.append(tally)
    return tallies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases per fuzzer (default 2000)")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--only", action="append", choices=("recipes", "cli", "files"))
    parser.add_argument("--drop", action="store_true", help="files also go through the window's drop path (Qt)")
    args = parser.parse_args(argv)
    drop = None
    if args.drop:
        from gui.recipe_drop import recipe_from_file

        drop = recipe_from_file
    tallies = run_all(args.cases, args.seed, tuple(args.only or ("recipes", "cli", "files")), drop)
    for tally in tallies:
        print(tally.line())
        for failure in (tally.tracebacks + tally.hangs + tally.netted)[:8]:
            print("  ", failure.replace("\n", "\n   "))
    return 1 if any(t.tracebacks or t.hangs for t in tallies) else 0


if __name__ == "__main__":
    sys.exit(main())
