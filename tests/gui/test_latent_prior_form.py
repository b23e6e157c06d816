"""The form's Latent prior row: shown for a VAE with a fitted prior only, and what it puts in the recipe."""

from __future__ import annotations

from engine.models.catalog import find_model
from engine.samplers.registry import SAMPLERS
from gui.recipe_form import RecipeForm
from tests.factories import tiny_gan, tiny_prior_vae, tiny_vae


def test_the_latent_prior_row_applies_to_a_fitted_prior_only(qtbot, tmp_path):
    models = [find_model(str(build(tmp_path))) for build in (tiny_prior_vae, tiny_vae, tiny_gan)]
    form = RecipeForm()
    form.set_catalog(models, list(SAMPLERS.values()), models[0].name)
    assert form.capabilities().applies["latent_prior"]
    form.set_field("latent_prior", "standard")
    assert form.build_recipe().latent_prior == "standard"
    form.set_field("label", "3")  # the fitted prior's classes are the form's labels
    assert form.build_recipe().label == "3"
    for other in models[1:]:  # a plain VAE, a GAN: no row, and the recipe keeps the default
        form.set_field("model", other.name)
        assert not form.capabilities().applies["latent_prior"]
        assert form.build_recipe().latent_prior == "fitted"
