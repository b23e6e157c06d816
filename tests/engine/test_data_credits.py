"""The About box's data credits come from the bundled models' configs."""

from __future__ import annotations

import json
from pathlib import Path

from engine.models.data_credits import DataCredit, bundled_data_credits


def model(folder: Path, name: str, config: object) -> None:
    (folder / name).mkdir()
    (folder / name / "config.json").write_text(json.dumps(config) if not isinstance(config, str) else config)


def test_credits_are_grouped_by_attribution_and_unreadable_configs_skipped(tmp_path):
    model(tmp_path, "b-gan", {"name": "b-gan", "data": {"attribution": "Digits by someone (CC BY)"}})
    model(tmp_path, "a-vae", {"name": "a-vae", "data": {"attribution": "Digits by someone (CC BY)"}})
    model(tmp_path, "emoji", {"name": "emoji-diffusion", "data": {"attribution": " Emoji by others, CC-BY 4.0 "}})
    model(tmp_path, "own-data", {"name": "own-data", "data": {"name": "made here"}})  # nothing to credit
    model(tmp_path, "broken", "{ not json")
    model(tmp_path, "odd", ["a list"])
    assert bundled_data_credits(tmp_path) == [DataCredit("Digits by someone (CC BY)", ("a-vae", "b-gan")),
                                              DataCredit("Emoji by others, CC-BY 4.0", ("emoji-diffusion",))]


def test_the_bundled_digits_models_credit_mnist():
    credits = bundled_data_credits()
    mnist = next(credit for credit in credits if "MNIST" in credit.attribution)
    assert {"digits-diffusion", "digits-vae", "digits-gan"} <= set(mnist.models)
