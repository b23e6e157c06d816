"""One-pass decoders: a VAE decoder or a GAN generator, seeded latents in, images out."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from engine.decoder_run import decode
from engine.events import Event
from engine.models.loaded import DecoderModel
from engine.pipelines import expect_model, register_pipeline
from engine.recipe import Recipe


class Decoder:
    key = "decoder"

    def run(self, model: DecoderModel, recipe: Recipe, cancel: threading.Event | None, *,
            previews: bool = True) -> Iterator[Event]:
        expect_model(model, DecoderModel, self.key)
        yield from decode(model, recipe, cancel)  # one step: there is nothing to preview


register_pipeline(Decoder())
