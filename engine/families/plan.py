"""The three families side by side: one diffusion model, one VAE and one GAN, on the same label
and the same seeds, each as one ordinary run (a batch of the seeds: sample i is seed s + i).

It is the sweep over `model` that `noisescope sweep --y model=...` runs (engine/sweep/plan.py),
with one cell per model: the same checks, and the same rule for a model without class labels
(it draws any digit, unconditionally, and a note says so). A VAE with a fitted latent prior has
the digits' labels: the label picks its class's Gaussian (engine/models/latent_prior.py). Guidance is left to each model's
own default, since only the diffusion model takes it. Torch-free: the window plans with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import InvalidRecipe
from engine.kinds import Family
from engine.models.info import ModelInfo
from engine.recipe import MAX_BATCH, Recipe
from engine.sweep.axes import Axis
from engine.sweep.plan import fit_labels, make_plan

ORDER = (Family.DIFFUSION, Family.VAE, Family.GAN)  # the columns, left to right
DEFAULT_SEEDS = 4


@dataclass(frozen=True)
class FamilyRun:
    info: ModelInfo
    recipe: Recipe  # seed = the first seed, batch = how many seeds

    @property
    def family(self) -> Family:
        return self.info.family


@dataclass(frozen=True)
class FamiliesPlan:
    runs: tuple[FamilyRun, ...]  # in ORDER, one per family found
    notes: tuple[str, ...]  # e.g. a VAE without a fitted prior has no class labels
    first_seed: int
    count: int

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(range(self.first_seed, self.first_seed + self.count))

    def describe(self) -> str:
        """`label 3, seeds 20-22: tiny-diffusion, tiny-vae, tiny-gan` (the history's group names it so)."""
        label = next((run.recipe.label for run in self.runs if run.recipe.label is not None), None)
        seeds = f"seed {self.first_seed}" if self.count == 1 else f"seeds {self.first_seed}-{self.seeds[-1]}"
        models = ", ".join(run.info.name for run in self.runs)
        return f"{'label ' + label if label is not None else 'no label'}, {seeds}: {models}"


def pick_models(models: Sequence[ModelInfo], preferred: Iterable[str] = ()) -> dict[Family, ModelInfo]:
    """One image model per family, all drawing the same kind of image (size and channels: the digits,
    not the digits beside colour emoji), so the columns compare like with like. The preferred model
    (the form's) and its kind come first when that kind has two families to compare; otherwise the kind
    with the most families (twemoji-diffusion on the form: the digits trio). Within a kind, the first
    of each family in the list (the catalog lists bundled models first). Text-to-image models are left
    out: they do not draw the digits the others draw."""
    wanted = set(preferred)
    kinds: dict[tuple[int, int, int], dict[Family, ModelInfo]] = {}
    for info in sorted(models, key=lambda m: m.name not in wanted):  # stable: the catalog's order otherwise
        if not info.takes_text:
            kinds.setdefault((info.height, info.width, info.channels), {}).setdefault(info.family, info)
    if not kinds:
        return {}
    first = next(iter(kinds.values()))  # the preferred model's kind, when it is an image model
    chosen = first if len(first) >= 2 else max(kinds.values(), key=len)
    return {family: chosen[family] for family in ORDER if family in chosen}


def plan_families(base: Recipe, models: dict[Family, ModelInfo], first_seed: int, count: int = DEFAULT_SEEDS,
                  extra_model_paths: Iterable[Path] = ()) -> FamiliesPlan:
    """Each family's run of `base` (its label, sampler, steps...) for seeds first_seed ..
    first_seed + count - 1; InvalidRecipe saying what does not fit."""
    if len(models) < 2:
        missing = ", ".join(family.value for family in ORDER if family not in models)
        raise InvalidRecipe(f"the families side by side need at least two of diffusion, VAE and GAN; no {missing} "
                            "model was found (the bundled digits models are digits-diffusion, digits-vae, digits-gan)")
    if not 1 <= count <= MAX_BATCH:
        raise InvalidRecipe(f"the number of seeds must be 1 to {MAX_BATCH}, not {count}")
    shared = base.replace(family=None, seed=first_seed, batch=count, guidance=None, guide_model=None,
                          variation_seed=0, variation_strength=0.0, branch=None)  # each model's own defaults
    # a model given by its folder (--model PATH, a test's tiny model) is found again by that path
    axis = Axis("x", "model", "model", tuple(info.source if info.origin == "path" else info.name
                                             for info in models.values()))
    paths = list(extra_model_paths)
    plan, notes = fit_labels(make_plan(shared, [axis]), paths)
    plan.check(paths)
    runs = tuple(FamilyRun(info, cell.recipe) for info, cell in zip(models.values(), plan.cells))
    return FamiliesPlan(runs, notes, first_seed, count)
