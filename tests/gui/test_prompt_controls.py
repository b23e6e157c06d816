"""The form for a model that takes text: prompt and negative prompt instead of a class, a size
with presets in multiples of 8, the preview choice, and the model list grouped by kind.
A fake text-to-image ModelInfo stands in for a Stable Diffusion model: nothing is loaded."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from engine.conditioning import ClassLabel, TextPrompt
from engine.errors import InvalidRecipe
from engine.models.info import ModelInfo
from engine.preview_modes import PreviewMode, preview_settings
from engine.recipe import Recipe
from engine.samplers import SAMPLERS
from gui.controls_panel import ControlsPanel
from gui.form_controls import HEADER
from gui.recipe_form import RecipeForm
from gui.run_state import RunState, RunStatus

TEXT_FIELDS = {"takes_text": True, "size_multiple": 8, "latent_space": "sd", "default_guidance": 7.5,
               "supports_guidance": True, "fixed_size": False}


def text_model(name="tiny-sd", size=512) -> ModelInfo:
    base = {"name": name, "family": "diffusion", "format": "diffusers", "source": "/nowhere", "origin": "user",
            "height": size, "width": size, "channels": 3}
    try:  # once ModelInfo has the text-to-image fields
        return ModelInfo(**base, **TEXT_FIELDS, pipeline="text-to-image")
    except TypeError:
        info = ModelInfo(**base, supports_guidance=True, default_guidance=7.5, fixed_size=False)
        for key in ("takes_text", "size_multiple", "latent_space"):
            object.__setattr__(info, key, TEXT_FIELDS[key])
        return info


def digits_model() -> ModelInfo:
    return ModelInfo("digits", "diffusion", "noisescope", "/nowhere", "bundled", 28, 28, 1,
                     labels=tuple(str(d) for d in range(10)), supports_guidance=True)


@pytest.fixture
def panel(qtbot):
    form, status = RecipeForm(), RunStatus()
    status.state = RunState.IDLE
    form.set_catalog([digits_model(), text_model()], list(SAMPLERS.values()), "tiny-sd")
    widget = ControlsPanel(form, status)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def shown(panel, name) -> bool:
    return panel.form.isRowVisible(panel.controls[name].widget)


def test_a_text_model_shows_prompts_size_and_preview_instead_of_a_class(panel):
    assert all(shown(panel, name) for name in ("prompt", "negative", "preview", "width", "height"))
    assert not shown(panel, "label")
    assert panel.form.isRowVisible(panel.size_preset.combo)
    assert panel.guidance.isEnabled()  # the prompt is the conditioning CFG needs
    panel.recipe_form.set_field("model", "digits")
    assert shown(panel, "label") and not shown(panel, "prompt") and not shown(panel, "preview")
    assert not shown(panel, "width") and not panel.form.isRowVisible(panel.size_preset.combo)


def test_the_prompt_becomes_the_recipes_text_conditioning(panel, qtbot):
    form = panel.recipe_form
    with pytest.raises(InvalidRecipe, match="prompt is empty"):
        form.build_recipe()
    panel.controls["prompt"].box.setPlainText("a lighthouse at dusk\noil painting")
    panel.controls["negative"].box.setPlainText("blurry")
    recipe = form.build_recipe()
    assert recipe.conditioning == TextPrompt("a lighthouse at dusk\noil painting", "blurry")
    assert recipe.width is None and recipe.height is None  # the model's native size
    form.set_field("model", "digits")
    form.set_field("label", "3")
    assert form.build_recipe().conditioning == ClassLabel("3")  # the prompt is kept but not used


def test_ctrl_enter_in_the_prompt_generates_and_adds_no_line(panel, qtbot):
    box = panel.controls["prompt"].box
    box.setFocus()
    qtbot.keyClicks(box, "a cat")
    with qtbot.waitSignal(panel.generateRequested, timeout=1000):
        qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert box.toPlainText() == "a cat" and panel.recipe_form.fields.prompt == "a cat"


def test_size_presets_and_multiples_of_eight(panel):
    form, combo = panel.recipe_form, panel.size_preset.combo
    form.set_field("prompt", "a cat")
    assert combo.itemText(0) == "Model size (512×512)" and combo.currentIndex() == 0
    combo.setCurrentIndex(combo.findText("768×512"))
    assert (form.fields.width, form.fields.height) == (768, 512)
    assert form.build_recipe().width == 768
    form.set_field("width", 771)  # typed: snapped down to the model's multiple
    assert form.fields.width == 768
    form.set_field("height", 700)
    assert form.fields.height == 696 and combo.currentText() == "Custom"
    combo.setCurrentIndex(0)
    assert (form.fields.width, form.fields.height) == (None, None)


def test_preview_choice_sets_how_the_next_run_previews(panel, tmp_path):
    combo = panel.controls["preview"].combo
    assert [combo.itemData(i) for i in range(combo.count())] == ["approx", "taesd", "vae", "none"]
    assert preview_settings().mode == PreviewMode.APPROX
    combo.setCurrentIndex(combo.findData("taesd"))
    panel.recipe_form.set_field("taesd", str(tmp_path))
    settings = preview_settings()
    assert settings.mode == PreviewMode.TAESD and settings.taesd == tmp_path
    panel.recipe_form.set_field("preview", "none")
    assert preview_settings().mode == PreviewMode.NONE
    panel.recipe_form.set_field("preview", "approx")


def test_the_model_list_is_grouped_by_kind(panel):
    combo = panel.controls["model"].combo
    items = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
    assert items == [("Digits and small models", HEADER), ("digits", "digits"), ("Text to image", HEADER),
                     ("tiny-sd", "tiny-sd")]
    assert not combo.model().item(0).isEnabled() and combo.currentData() == "tiny-sd"


def test_a_restored_text_recipe_fills_the_prompt_boxes(panel):
    recipe = Recipe(model="tiny-sd", conditioning=TextPrompt("a red fox", "text, watermark"), width=640, height=448,
                    guidance=6.0, seed=42)
    panel.recipe_form.use_recipe(recipe)
    assert panel.controls["prompt"].box.toPlainText() == "a red fox"
    assert panel.controls["negative"].box.toPlainText() == "text, watermark"
    assert panel.recipe_form.build_recipe().conditioning == recipe.conditioning
    assert (panel.controls["width"].input.value(), panel.controls["height"].input.value()) == (640, 448)
    assert panel.size_preset.combo.currentText() == "Custom"


def test_a_restored_prompt_blend_is_kept_shown_and_dropped_when_the_prompt_is_edited(panel):
    """An interpolation frame between prompts restores whole: its blend is in the recipe Generate runs
    and said under the prompt; typing another prompt makes it a plain prompt again."""
    form, note = panel.recipe_form, panel.blend_note
    frame = Recipe(model="tiny-sd", conditioning=TextPrompt("a red cat", "blurry", "a blue dog", 0.3333), seed=7)
    assert not panel.form.isRowVisible(note)
    form.use_recipe(frame)
    assert panel.controls["prompt"].box.toPlainText() == "a red cat"
    assert form.build_recipe().conditioning == frame.conditioning  # not only the first prompt
    assert panel.form.isRowVisible(note) and "0.3333 of the way towards “a blue dog”" in note.text()
    form.use_recipe(frame.replace(conditioning=TextPrompt("a green frog")))  # a plain recipe clears it
    assert form.build_recipe().conditioning == TextPrompt("a green frog") and not panel.form.isRowVisible(note)
    form.use_recipe(frame)
    panel.controls["prompt"].box.setPlainText("a red cat, sitting")  # as typed
    assert form.build_recipe().conditioning == TextPrompt("a red cat, sitting", "blurry")
    assert not panel.form.isRowVisible(note) and note.text() == ""
    form.restore_fields({"blend_to": "", "blend": 0.5})  # a saved pair that does not fit: a plain prompt
    assert form.build_recipe().conditioning == TextPrompt("a red cat, sitting", "blurry")


def test_a_text_models_form_fits_a_small_window_and_scrolls(panel, qtbot):
    """A text model's form (prompts, size, preview, More) is taller than a 700 px window: it scrolls,
    Generate stays in view, and no field is cut off on the right of a 270 px panel."""
    panel.resize(270, 560)
    qtbot.waitUntil(lambda: panel.scroll.viewport().width() > 0)
    fields = panel.scroll.widget()
    assert panel.minimumSizeHint().height() < 560  # the panel does not force the window taller
    assert panel.scroll.verticalScrollBar().maximum() > 0  # the fields scroll instead
    assert panel.generate.isVisible() and panel.generate.geometry().bottom() <= panel.height()
    assert fields.minimumSizeHint().width() <= panel.scroll.viewport().width()  # nothing clipped on the right
