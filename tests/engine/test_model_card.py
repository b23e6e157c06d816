"""`noisescope evaluate MODEL --card`: measured figures written into the card, the prose kept, the curve grown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.paths import bundled_models_dir
from engine.training.model_card import (
    CURVE,
    CURVE_HEADER,
    FIGURES,
    CardError,
    curve_row,
    merge_curve,
    update_card,
)
from tests.engine.test_training import tiny_data  # noqa: F401 (a fixture)

PROSE_TOP = "# a model\n\nHand-written words about it.\n\n## Quality\n\n"
PROSE_BOTTOM = "\n\nMore words, with a table of their own:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"


def result(confident: float, samples: int = 20) -> dict:
    figures = {"samples": samples, "confident": confident, "coverage": 10, "histogram": [2] * 10,
               "nearest_train_median": 5.0, "copies": 0.0}
    return {"model": "m", "unconditional": figures, "conditional": {**figures, "label_accuracy": 0.9},
            "real_reference": {**figures, "samples": 1000, "label_accuracy": 0.986}}


def card(curve_rows: str = "") -> str:
    return (f"{PROSE_TOP}{FIGURES[0]}\nold figures\n{FIGURES[1]}\n\n## Curve\n\n{CURVE[0]}\n{curve_rows}{CURVE[1]}"
            f"{PROSE_BOTTOM}")


def test_only_the_blocks_change_and_the_curve_keeps_step_order():
    text = card(curve_row(1000, result(0.3)) + "\n" + curve_row(9000, result(0.6)) + "\n")
    updated = update_card(text, "NEW FIGURES", curve_row(5000, result(0.5)), Path("card.md"))
    assert updated.startswith(PROSE_TOP + FIGURES[0] + "\nNEW FIGURES\n" + FIGURES[1])
    assert updated.endswith(CURVE[1] + PROSE_BOTTOM) and "old figures" not in updated
    rows = [line for line in updated.splitlines() if line.startswith("| ") and "%" in line]
    assert [row.split(" | ")[0] for row in rows] == ["| 1,000", "| 5,000", "| 9,000"]


def test_measuring_the_same_steps_again_replaces_that_row():
    block = merge_curve(merge_curve("", curve_row(2000, result(0.4))), curve_row(2000, result(0.7)))
    assert "70.0%" in block and "40.0%" not in block and block.count("| 2,000 |") == 1


def test_the_curve_says_the_sampler_steps_and_older_rows_without_them_are_kept():
    older = "| 1,000 | 30.0% | — | — | 10/10 | 0.0% | 20 |"  # written before the sampler steps column
    block = merge_curve(CURVE_HEADER + "\n" + older, curve_row(2000, {**result(0.5), "sampler_steps": 30}))
    header, _, *rows = block.splitlines()
    assert header.endswith("| samples | sampler steps |")
    assert rows == [older + " — |", "| 2,000 | 50.0% | 50.0% | 90.0% | 10/10 / 10/10 | 0.0% / 0.0% | 20 | 30 |"]
    assert {row.count("|") for row in rows} == {header.count("|")}
    assert curve_row(3000, {**result(0.5), "sampler_steps": None}).endswith("| 20 | — |")  # one decode: none


def test_an_autoguided_model_has_its_unguided_row_and_its_curve_stays_unguided():
    from engine.training.model_card import figures_block

    measured = {**result(0.8), "guide": "early", "unguided": result(0.6)["unconditional"]}
    block = figures_block(measured, "how")
    rows = [line.split(" | ")[0:3] for line in block.splitlines() if line.startswith("| no label")]
    assert rows == [["| no label", "20", "80.0%"], ["| no label, unguided", "20", "60.0%"]]
    assert curve_row(100, measured).startswith("| 100 | 60.0% |")  # the model's own progress, unguided


def test_a_card_without_a_curve_block_gets_figures_only():
    text = f"{PROSE_TOP}{FIGURES[0]}\n{FIGURES[1]}{PROSE_BOTTOM}"
    assert update_card(text, "F", curve_row(1, result(0.1)), Path("c.md")) == \
        f"{PROSE_TOP}{FIGURES[0]}\nF\n{FIGURES[1]}{PROSE_BOTTOM}"


@pytest.mark.parametrize("text", ["# no blocks\n", f"{FIGURES[1]}\n{FIGURES[0]}\n", f"{FIGURES[0]}\n{FIGURES[0]}\n"])
def test_a_card_without_one_well_formed_figures_block_is_refused(text):
    with pytest.raises(CardError, match="figures"):
        update_card(text, "F", None, Path("c.md"))


@pytest.fixture
def gan_copy(tmp_path) -> Path:
    folder = tmp_path / "digits-gan-copy"
    shutil.copytree(bundled_models_dir() / "digits-gan", folder)
    return folder


@pytest.fixture
def quick(tiny_data, tmp_path) -> list[str]:  # noqa: F811
    """Tiny reference data and an untrained classifier: the figures are real measurements, made fast."""
    from engine.training.classifier import DigitClassifier, save_classifier

    classifier = save_classifier(DigitClassifier(width=4).eval(), tmp_path / "classifier.safetensors")
    return ["--data", str(tiny_data), "--classifier", str(classifier)]


def test_evaluate_card_writes_the_measured_figures_into_the_models_card(gan_copy, quick, capsys):
    steps = json.loads((gan_copy / "config.json").read_text())["training"]["steps"]
    (gan_copy / "MODEL_CARD.md").write_text(card(curve_row(1, result(0.25)) + "\n"))
    capsys.readouterr()
    assert main(["evaluate", str(gan_copy), "--count", "20", "--card", "--json", *quick]) == 0
    measured = json.loads(capsys.readouterr().out)
    text = (gan_copy / "MODEL_CARD.md").read_text()
    assert measured["card"] == str(gan_copy / "MODEL_CARD.md")
    assert measured["samples"] == str(gan_copy / "samples.png")  # its sample grid drawn again beside it
    assert text.startswith(PROSE_TOP) and text.endswith(PROSE_BOTTOM)
    free, asked = measured["unconditional"], measured["conditional"]
    assert f"| no label | 20 | {free['confident']:.1%} | {free['coverage']}/10 |" in text
    assert f"| label asked | 20 | {asked['confident']:.1%} | {asked['coverage']}/10 | " \
           f"{asked['label_accuracy']:.1%} |" in text
    assert "`noisescope evaluate digits-gan --count 20 --seed 1000`" in text
    assert "| 1 | 25.0% |" in text  # the earlier curve row is kept
    assert f"| {steps:,} | {free['confident']:.1%} | {asked['confident']:.1%} |" in text
    assert not list(gan_copy.glob(".MODEL_CARD.md.*"))  # no temporary file left behind


def test_evaluate_card_refuses_a_card_without_a_block_before_measuring(gan_copy, quick, capsys):
    before = "# digits-gan\n\nA card with no figures block.\n"
    (gan_copy / "MODEL_CARD.md").write_text(before)
    capsys.readouterr()
    assert main(["evaluate", str(gan_copy), "--count", "20", "--card", *quick]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and FIGURES[0] in err  # refused before any sampling
    assert (gan_copy / "MODEL_CARD.md").read_text() == before


def test_evaluate_card_to_a_new_path_creates_a_card(gan_copy, quick, tmp_path, capsys):
    new = tmp_path / "cards" / "new.md"
    assert main(["evaluate", str(gan_copy), "--count", "10", "--card", str(new), *quick]) == 0
    text = new.read_text()
    assert text.startswith("# digits-gan\n") and "| no label | 10 |" in text and CURVE[0] in text
