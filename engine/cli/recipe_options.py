"""The recipe flags of `noisescope generate`, made from the field table (engine/recipe_fields.py).

Each row with a `cli_flag` is one flag. Values are taken as text and converted by the row's
`from_text` after parsing, so a mistake is one line naming the field and what it accepts (as the
Recipe's own checks are), never argparse's usage dump. A flag left out takes the Recipe's
default, except --model (the first model found) and --seed (a random one, printed in the JSON
summary and the PNGs). A row's `cli_parts` add flags for parts of one field: --prompt and
--negative-prompt fill the conditioning.
"""

from __future__ import annotations

import secrets

from engine.cli.common import UsageError
from engine.errors import NoisescopeError
from engine.models import default_model_name, discover_models
from engine.recipe import Recipe
from engine.recipe_fields import FIELDS, IMAGE, RecipeField


def add_recipe_options(parser) -> None:
    for row in FIELDS:
        if row.cli_flag:
            parser.add_argument(row.cli_flag, dest=f"recipe_{row.name}", metavar=_metavar(row),
                                help=_help(row))
        for flag, keyword, help_text in row.cli_parts:
            parser.add_argument(flag, dest=f"recipe_part_{keyword}", metavar="TEXT", help=help_text)


def recipe_from_args(args) -> Recipe:
    values = {row.name: getattr(args, f"recipe_{row.name}") for row in FIELDS if row.cli_flag}
    # Parts of a field (--prompt, --negative-prompt) go to Recipe(...) as its shorthand keywords, as typed.
    parts = {keyword: getattr(args, f"recipe_part_{keyword}") for row in FIELDS for _, keyword, _ in row.cli_parts}
    try:
        given = {name: _field(name).from_text(text) for name, text in values.items() if text is not None}
        given.update({keyword: text for keyword, text in parts.items() if text is not None})
        if "prompt" in given and "conditioning" in given:
            raise UsageError("give --label or --prompt, not both")
        if "model" not in given:
            given["model"] = default_model_name(discover_models(args.model_paths))
            if given["model"] is None:
                raise UsageError("no models found; give --model PATH to a model folder")
        given.setdefault("seed", secrets.randbelow(2**32))
        return Recipe(**given)
    except NoisescopeError as exc:
        raise UsageError(exc.message) from None


def _field(name: str) -> RecipeField:
    return next(row for row in FIELDS if row.name == name)


def _metavar(row: RecipeField) -> str:
    return "LABEL" if row.name == "conditioning" else "FILE" if row.kind == IMAGE else row.name.upper()


def _help(row: RecipeField) -> str:
    text = row.cli_help or row.help
    if row.name in ("model", "seed", "conditioning") or "default" in text:
        return text
    default = row.default
    return f"{text} (default: {default if default is not None else row.unset_text})"
