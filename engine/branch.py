"""Branch: a run that continues another diffusion run from one of its steps, with changed settings.

A branch is a Recipe whose `branch` field holds its parent's recipe and the step it starts from
(`from_step`, a 0-based index into the parent's recorded steps). The recipe's own fields are the
settings after the branch point; `changes()` lists the ones that differ from the parent. So a
branch exported to a file carries everything needed to make it again: running the recipe replays
the parent (deterministically, from the same seed) to that step and continues from there
(engine/course.py says how the steps are laid out).

What a branch may change: sampler, schedule type, steps, guidance, conditioning (label or
prompt), eta and device. What it keeps: model, seed, batch and size, which define the sample the
parent's step holds, and the guide model (autoguidance), which a run loads once. Torch-free: anything may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.errors import InvalidRecipe

if TYPE_CHECKING:
    from engine.recipe import Recipe

# A branch keeps these from its parent: they make the samples the parent's step holds.
INHERITED = ("model", "seed", "variation_seed", "variation_strength", "batch", "width", "height", "init_image",
             "strength", "seed_plane", "guide_model")
CHANGEABLE = ("conditioning", "sampler", "schedule", "steps", "guidance", "eta", "device")
MAX_DEPTH = 64  # branches of branches; far more than a person makes, bounded against hostile files


@dataclass(frozen=True)
class Branch:
    parent: Recipe
    from_step: int

    def __post_init__(self) -> None:
        from engine.recipe import Recipe  # recipe.py imports this module through the field table

        if not isinstance(self.parent, Recipe):
            raise InvalidRecipe(f"a branch's parent must be a recipe, not {type(self.parent).__name__}")
        if isinstance(self.from_step, bool) or not isinstance(self.from_step, int) or self.from_step < 0:
            raise InvalidRecipe(f"a branch starts at a step index 0 or more, not {self.from_step!r}")
        if self.parent.sampler == "none":
            raise InvalidRecipe("only a diffusion run can be branched: a VAE or GAN run has one step, "
                                "nothing to continue from")
        if self.depth > MAX_DEPTH:
            raise InvalidRecipe(f"branches nested more than {MAX_DEPTH} deep are not read")

    @property
    def depth(self) -> int:
        """1 for a branch of a plain run, 2 for a branch of a branch ..."""
        parent_branch = self.parent.branch
        return 1 + (parent_branch.depth if parent_branch is not None else 0)

    def root(self) -> Recipe:
        """The plain run at the start of the lineage."""
        recipe = self.parent
        while recipe.branch is not None:
            recipe = recipe.branch.parent
        return recipe

    def check_child(self, child: Recipe) -> None:
        """InvalidRecipe when the child changes what a branch must keep."""
        for name in INHERITED:
            mine, parents = getattr(child, name, None), getattr(self.parent, name, None)
            # Unset (None) size or guide: the parent's (a run loads one guide, so its segments share it).
            if mine != parents and not (name in ("width", "height", "guide_model") and None in (mine, parents)):
                raise InvalidRecipe(f"a branch keeps its parent's {name} ({parents}), not {mine}: a branch "
                                    "continues the same samples; start a new run to change it")

    def changes(self, child: Recipe) -> dict[str, tuple[Any, Any]]:
        """The settings the child changes: name -> (parent's value, child's value)."""
        return {name: (getattr(self.parent, name), getattr(child, name)) for name in CHANGEABLE
                if getattr(self.parent, name) != getattr(child, name)}

    def describe(self) -> str:
        from engine.samplers.registry import SAMPLERS

        parent = self.parent
        sampler = SAMPLERS[parent.sampler].display_name if parent.sampler in SAMPLERS else parent.sampler
        return f"from step {self.from_step} of a {sampler} run of {parent.steps} steps, seed {parent.seed}"

    def to_dict(self) -> dict[str, Any]:
        return {"from_step": self.from_step, "parent": self.parent.to_dict()}

    @classmethod
    def from_dict(cls, data: Any) -> Branch:
        """The inverse of to_dict; InvalidRecipe naming what is wrong."""
        from engine.recipe import Recipe

        if isinstance(data, Branch):
            return data
        if not isinstance(data, dict) or set(data) != {"from_step", "parent"} or not isinstance(data["parent"], dict):
            raise InvalidRecipe(f"branch must be an object with from_step and parent (a recipe), not {data!r:.200}")
        _check_depth(data)  # before recursing: a hostile file may nest thousands deep
        return cls(Recipe.from_dict(data["parent"]), data["from_step"])


def _check_depth(data: dict[str, Any]) -> None:
    depth = 0
    while isinstance(data, dict) and isinstance(data.get("parent"), dict):
        depth += 1
        if depth > MAX_DEPTH:
            raise InvalidRecipe(f"branches nested more than {MAX_DEPTH} deep are not read")
        data = data["parent"].get("branch")


def describe_changes(child: Recipe) -> str:
    """One line for a person: "from step 12 of ...; sampler dpmpp_2m -> euler"."""
    if child.branch is None:
        return "not a branch"
    changed = child.branch.changes(child)
    text = "; ".join(f"{name} {_text(old)} -> {_text(new)}" for name, (old, new) in changed.items())
    return f"{child.branch.describe()}; " + (text or "no setting changed")


def _text(value: Any) -> str:
    return value.describe() if hasattr(value, "describe") else str(value)
