"""A fuzzer of model folders (issue 12): one value of a tiny model's config (our config.json, its
architecture_config or scheduler; a diffusers folder's unet/config.json, scheduler config or
model_index.json) set to a hostile one, then a whole run of it.

    .venv/bin/python -m bench.fuzz_model_folders              # 2,000 cases, prints the counts
    .venv/bin/python -m bench.fuzz_model_folders --cases 300 --seed 7

A case passes when the run finishes or fails with a message of its own kind (a bad folder, a recipe
that does not fit it); a Failed("internal") is a value no check caught: a "traceback" here.
tests/engine/test_fuzz_model_folders.py runs a small seeded budget in CI.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from bench.fuzz import Tally, run_case

# Wrong types, nulls, huge and tiny numbers, NaN, lists and nested lists, names of other things.
VALUES: list[object] = [None, "x", "", -1, 0, 1, 2, 3, 7, 16, 0.5, 1e9, 10**9, 10**30, -(10**30), float("nan"),
                        True, [], {}, [1], [1, 2, 3], [4, 8], [[1]], ["x"], "DownBlock2D", "epsilon"]


def seed_folders(folder: Path) -> dict[str, Path]:
    from tests import factories

    return {"diffusion": factories.tiny_diffusion(folder), "vae": factories.tiny_vae(folder),
            "gan": factories.tiny_gan(folder), "diffusers": factories.tiny_diffusers_folder(folder)}


def _targets(kind: str) -> list[tuple[str, tuple[str, ...]]]:
    """(file, path of keys to the object edited) a mutation may touch."""
    if kind == "diffusers":
        return [("unet/config.json", ()), ("unet/config.json", ()), ("scheduler/scheduler_config.json", ()),
                ("model_index.json", ())]
    ours = [("config.json", ()), ("config.json", ("architecture_config",)),
            ("config.json", ("architecture_config",))]
    return ours + [("config.json", ("scheduler",))] if kind == "diffusion" else ours


def folder_cases(rng: random.Random, cases: int, seeds: dict[str, Path],
                 work: Path) -> Iterator[tuple[str, Callable[[], object]]]:
    from engine import Recipe, run
    from engine.events import Failed
    from engine.kinds import ErrorKind

    for index in range(cases):
        kind = rng.choice(list(seeds))
        file_name, keys = rng.choice(_targets(kind))
        folder = work / f"case-{index}"
        shutil.copytree(seeds[kind], folder)
        data = json.loads((folder / file_name).read_text())
        target = data
        for key in keys:
            target = target[key]
        key = rng.choice([*target, "extra"])
        value = rng.choice(VALUES)
        target[key] = value
        (folder / file_name).write_text(json.dumps(data))
        decoder = kind in ("vae", "gan")
        recipe = Recipe(model=str(folder), steps=2, device="cpu", sampler="none" if decoder else "ddim",
                        label="1" if kind in ("diffusion", "gan") else None)

        def case(folder=folder, recipe=recipe) -> bool:
            try:
                last = list(run(recipe))[-1]
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            if isinstance(last, Failed) and last.kind == ErrorKind.INTERNAL:
                raise AssertionError(last.message)
            return not isinstance(last, Failed)

        yield f"{kind} {file_name} {'/'.join(keys)} {key!r} = {value!r}", case


def run_folders(cases: int, seed: int) -> Tally:
    rng = random.Random(seed)
    tally = Tally("model folders")
    with tempfile.TemporaryDirectory() as temporary:
        seeds = seed_folders(Path(temporary) / "seeds")
        work = Path(temporary) / "cases"
        work.mkdir()
        for label, case in folder_cases(rng, cases, seeds, work):
            run_case(tally, label, case)
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)
    tally = run_folders(args.cases, args.seed)
    print(tally.line())
    for failure in (tally.tracebacks + tally.hangs)[:8]:
        print("  ", failure.replace("\n", "\n   ")[-600:])
    return 1 if tally.tracebacks or tally.hangs else 0


if __name__ == "__main__":
    sys.exit(main())
