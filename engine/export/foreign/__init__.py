"""Other generators' metadata, one module per tool: what each file's text says, as recipe fields.

foreign_recipe(text) takes the text an image carries (engine/export/formats/image_metadata.py:
PNG chunks, EXIF fields, XMP) and asks each tool's reader in turn; a reader returns None for
"not mine", a RestoredRecipe of the fields that fit (the rest listed), or raises ExportError
naming the tool when it knows the format but cannot read it. A1111's text is engine.export.a1111's.
"""

from __future__ import annotations

from engine.errors import ExportError
from engine.export.a1111 import RestoredRecipe
from engine.export.foreign.comfyui import comfyui_recipe
from engine.export.foreign.fooocus import fooocus_recipe, json_parameters, swarmui_recipe
from engine.export.foreign.invokeai import invokeai_recipe
from engine.export.foreign.novelai import novelai_recipe

READERS = (comfyui_recipe, invokeai_recipe, novelai_recipe, swarmui_recipe, fooocus_recipe)

# Metadata we recognise but do not read: (a key it sits under, the tool, what to say).
KNOWN = (
    ("workflow", "ComfyUI", "only its UI `workflow` graph, without the `prompt` graph it ran"),
    ("generation_data", "Civitai's generator", "its `generation_data`"),
)


def foreign_recipe(text: dict[str, str]) -> RestoredRecipe | None:
    """Another tool's recipe in this text; None when no tool's metadata is in it."""
    for reader in READERS:
        restored = reader(text)
        if restored is not None:
            return restored
    for key, tool, what in KNOWN:
        if key in text:
            raise ExportError(f"written by {tool}: {what}, which Noisescope does not read")
    if json_parameters(text) is not None:
        raise ExportError("its `parameters` hold JSON from a tool Noisescope does not know (not A1111, Fooocus "
                          "or SwarmUI)")
    return None
