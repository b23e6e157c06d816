"""Issue 12, "Other generators' files": what other tools write, restored field by field.

Each file is built here with Pillow, its metadata laid out as that tool writes it.
"""

import json

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from engine import Recipe
from engine.conditioning import TextPrompt
from engine.errors import ExportError
from engine.export.formats.registry import readable_suffixes
from engine.export.restore import read_recipe
from engine.export.xmp import XMP_NAMESPACE, xmp_packet

PARAMETERS = ("a lighthouse at dusk, oil painting\nNegative prompt: blurry\n"
              "Steps: 24, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6, Seed: 77, Size: 640x448, "
              "Model hash: 0123456789, Model: juggernaut, Version: f2.0.1")


def png(path, **chunks):
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value if isinstance(value, str) else json.dumps(value))
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    return path


def exif_with_user_comment(comment: bytes) -> Image.Exif:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = comment
    return exif


@pytest.mark.parametrize(("suffix", "fmt", "encoding"), [
    (".jpg", "JPEG", "utf-16-be"),  # A1111 and Forge (piexif's UNICODE: big-endian)
    (".jpeg", "JPEG", "utf-16-le"),  # SD.Next and others: little-endian
    (".webp", "WEBP", "utf-16-be"),
])
def test_a1111_parameters_in_exif_user_comment(tmp_path, suffix, fmt, encoding):
    path = tmp_path / f"a1111{suffix}"
    Image.new("RGB", (8, 8)).save(path, fmt, exif=exif_with_user_comment(b"UNICODE\0" + PARAMETERS.encode(encoding)))
    restored = read_recipe(path)
    assert restored.source == "a1111" and restored.model_hash == "0123456789"
    assert restored.fields["conditioning"] == TextPrompt("a lighthouse at dusk, oil painting", "blurry")
    assert (restored.fields["steps"], restored.fields["sampler"], restored.fields["schedule"]) == (24, "dpmpp_2m",
                                                                                                   "karras")
    assert (restored.fields["width"], restored.fields["height"], restored.fields["seed"]) == (640, 448, 77)
    assert ("Version", "f2.0.1") in restored.unmapped
    assert suffix in readable_suffixes()  # the window accepts the drop


COMFY_GRAPH = {
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd15/dreamshaper_8.safetensors"}},
    "10": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "x.safetensors"}},
    "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 768, "batch_size": 2}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox in snow", "clip": ["10", 1]}},
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "watermark", "clip": ["10", 1]}},
    "11": {"class_type": "ConditioningSetArea", "inputs": {"conditioning": ["6", 0], "width": 64, "height": 64,
                                                           "x": 0, "y": 0, "strength": 1.0}},
    "20": {"class_type": "Seed (rgthree)", "inputs": {"seed": 123456}},
    "3": {"class_type": "KSampler", "inputs": {
        "seed": ["20", 0], "steps": 30, "cfg": 7.5, "sampler_name": "euler_ancestral", "scheduler": "normal",
        "denoise": 1.0, "model": ["10", 0], "positive": ["11", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
    "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
}


def test_comfyui_prompt_graph(tmp_path):
    path = png(tmp_path / "ComfyUI_00001_.png", prompt=COMFY_GRAPH, workflow={"nodes": [], "links": []})
    restored = read_recipe(path)
    assert restored.source == "comfyui" and "ComfyUI" in restored.message()
    assert restored.fields == {"seed": 123456, "steps": 30, "guidance": 7.5, "sampler": "euler_a",
                               "schedule": "default", "width": 512, "height": 768, "batch": 2,
                               "conditioning": TextPrompt("a red fox in snow", "watermark"), "model": "dreamshaper_8"}


def test_comfyui_advanced_sampler_and_unknown_scheduler(tmp_path):
    graph = dict(COMFY_GRAPH)
    graph["3"] = {"class_type": "KSamplerAdvanced", "inputs": {
        "noise_seed": 9, "steps": 12, "cfg": 5, "sampler_name": "dpmpp_2m_sde_gpu", "scheduler": "sgm_uniform",
        "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0], "model": ["4", 0]}}
    restored = read_recipe(png(tmp_path / "adv.png", prompt=graph))
    assert restored.fields["seed"] == 9 and restored.fields["steps"] == 12 and "sampler" not in restored.fields
    assert ("sampler_name", "dpmpp_2m_sde_gpu") in restored.unmapped and ("scheduler", "sgm_uniform") in restored.unmapped


def test_comfyui_workflow_alone_names_the_tool(tmp_path):
    with pytest.raises(ExportError, match="written by ComfyUI"):
        read_recipe(png(tmp_path / "wf.png", workflow={"nodes": []}))


def test_invokeai_metadata(tmp_path):
    metadata = {"generation_mode": "txt2img", "positive_prompt": "a castle", "negative_prompt": "fog",
                "width": 768, "height": 512, "seed": 4242, "steps": 25, "cfg_scale": 6.5, "scheduler": "dpmpp_2m_k",
                "model": {"name": "stable-diffusion-v1-5", "base": "sd-1", "hash": "blake3:abcd"}}
    restored = read_recipe(png(tmp_path / "invoke.png", invokeai_metadata=metadata))
    assert restored.source == "invokeai"
    assert restored.fields == {"conditioning": TextPrompt("a castle", "fog"), "width": 768, "height": 512,
                               "seed": 4242, "steps": 25, "guidance": 6.5, "sampler": "dpmpp_2m", "schedule": "karras",
                               "model": "stable-diffusion-v1-5"}
    assert ("generation_mode", "txt2img") in restored.unmapped
    with pytest.raises(ExportError, match="InvokeAI 2"):
        read_recipe(png(tmp_path / "old.png", **{"sd-metadata": {"image": {"prompt": "x"}}}))


def test_novelai_comment(tmp_path):
    comment = {"prompt": "1girl, scenery", "uc": "lowres", "steps": 28, "height": 832, "width": 1216, "scale": 5.0,
               "seed": 3110, "n_samples": 1, "sampler": "k_euler_ancestral", "noise_schedule": "native",
               "cfg_rescale": 0.2}
    path = png(tmp_path / "nai.png", Software="NovelAI", Source="Stable Diffusion XL C1E1DE52",
               Description="1girl, scenery", Comment=comment)
    restored = read_recipe(path)
    assert restored.source == "novelai"
    assert restored.fields == {"conditioning": TextPrompt("1girl, scenery", "lowres"), "width": 1216, "height": 832,
                               "seed": 3110, "steps": 28, "guidance": 5.0, "batch": 1, "sampler": "euler_a",
                               "schedule": "default"}
    assert ("cfg_rescale", "0.2") in restored.unmapped
    with pytest.raises(ExportError, match="written by NovelAI"):
        read_recipe(png(tmp_path / "nai2.png", Software="NovelAI", Comment="{broken"))


def test_fooocus_json(tmp_path):
    data = {"prompt": "a cozy cabin", "negative_prompt": "", "resolution": "(1152, 896)", "guidance_scale": 4,
            "sampler": "dpmpp_2m_sde_gpu", "scheduler": "karras", "seed": "1234", "steps": 30,
            "base_model": "juggernautXL_v8Rundiffusion.safetensors", "styles": "['Fooocus V2']",
            "version": "Fooocus v2.5.5"}
    restored = read_recipe(png(tmp_path / "fooocus.png", parameters=data, fooocus_scheme="fooocus"))
    assert restored.source == "fooocus"
    assert restored.fields["conditioning"] == TextPrompt("a cozy cabin")
    assert (restored.fields["width"], restored.fields["height"], restored.fields["seed"]) == (1152, 896, 1234)
    assert restored.fields["model"] == "juggernautXL_v8Rundiffusion" and "sampler" not in restored.fields
    assert ("sampler", "dpmpp_2m_sde_gpu") in restored.unmapped


def test_swarmui_json_in_png_and_jpeg(tmp_path):
    data = {"sui_image_params": {"prompt": "a koi pond", "negativeprompt": "text", "model": "OfficialStableDiffusion/"
            "sd_xl_base_1.0", "seed": 55, "steps": 20, "cfgscale": 7, "width": 1024, "height": 1024,
            "sampler": "euler", "scheduler": "karras", "swarm_version": "0.9.2"}, "sui_extra_data": {"date": "x"}}
    restored = read_recipe(png(tmp_path / "swarm.png", parameters=data))
    assert restored.source == "swarmui"
    assert restored.fields == {"conditioning": TextPrompt("a koi pond", "text"), "width": 1024, "height": 1024,
                               "seed": 55, "steps": 20, "guidance": 7.0, "sampler": "euler", "schedule": "karras",
                               "model": "OfficialStableDiffusion/sd_xl_base_1.0"}
    jpeg = tmp_path / "swarm.jpg"
    Image.new("RGB", (8, 8)).save(jpeg, "JPEG", exif=exif_with_user_comment(
        b"UNICODE\0" + json.dumps(data).encode("utf-16-be")))
    assert read_recipe(jpeg).fields == restored.fields


def test_unknown_json_parameters_are_named_not_called_no_recipe(tmp_path):
    with pytest.raises(ExportError, match="JSON from a tool Noisescope does not know"):
        read_recipe(png(tmp_path / "odd.png", parameters={"foo": 1}))
    with pytest.raises(ExportError, match="carries no recipe"):
        read_recipe(png(tmp_path / "plain.png", Comment="hello"))


RECIPE = Recipe(model="digits-diffusion", sampler="ddim", steps=7, seed=3, label="5")


def _rewritten_xmp(recipe_json: str, as_element: bool) -> bytes:
    """Our packet as an XMP editor leaves it: wrapped, pretty-printed, other namespaces beside ours."""
    escaped = recipe_json.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    ours = (f"   <noisescope:recipe>{escaped}</noisescope:recipe>\n" if as_element else "")
    attribute = "" if as_element else f'\n    noisescope:recipe="{escaped}"'
    return (f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Image::ExifTool 12.76">\n'
            ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '  <rdf:Description rdf:about=""\n    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
            f'    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n    xmlns:noisescope="{XMP_NAMESPACE}"{attribute}>\n'
            '   <dc:creator><rdf:Seq><rdf:li>someone</rdf:li></rdf:Seq></dc:creator>\n'
            '   <xmp:Rating>5</xmp:Rating>\n' + ours +
            '  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n' + " " * 200 +
            '\n<?xpacket end="w"?>').encode()


@pytest.mark.parametrize("as_element", [False, True])
def test_our_webp_recipe_survives_an_xmp_edit(tmp_path, as_element):
    path = tmp_path / "ours.webp"
    Image.new("RGB", (8, 8)).save(path, "WEBP", lossless=True, xmp=_rewritten_xmp(RECIPE.to_json(), as_element))
    assert read_recipe(path).recipe() == RECIPE
    plain = tmp_path / "plain.webp"
    Image.new("RGB", (8, 8)).save(plain, "WEBP", xmp=xmp_packet(RECIPE.to_json()))
    assert read_recipe(plain).recipe() == RECIPE


def test_an_xmp_with_entities_is_not_expanded(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "' + "a" * 1000 + '"><!ENTITY b "&a;&a;&a;&a;">]>'
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><r xmlns:noisescope="{XMP_NAMESPACE}" noisescope:recipe="&b;"/>'
            '</x:xmpmeta>').encode()
    path = tmp_path / "bomb.webp"
    Image.new("RGB", (8, 8)).save(path, "WEBP", xmp=bomb)
    with pytest.raises(ExportError, match="carries no recipe"):
        read_recipe(path)


@pytest.mark.parametrize("family, label", [("vae", None), ("gan", "3")])
def test_our_vae_and_gan_png_sampler_reads_back(tmp_path, family, label):
    from engine.export.png import save_png

    recipe = Recipe(model=f"digits-{family}", family=family, sampler="none", steps=1, seed=7, label=label)
    path = save_png(np.zeros((8, 8, 1), np.uint8), tmp_path / f"{family}.png", recipe)
    with Image.open(path) as image:
        from engine.export.restore import parse_a1111

        restored = parse_a1111(image.text["parameters"])
    assert restored.unmapped == ()
    assert (restored.fields["sampler"], restored.fields["family"].value) == ("none", family)


def test_upper_case_suffixes(tmp_path):
    from engine.export.png import save_png

    path = save_png(np.zeros((8, 8, 1), np.uint8), tmp_path / "SHOUT.PNG", RECIPE)
    assert read_recipe(path).recipe() == RECIPE
