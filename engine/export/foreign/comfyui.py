"""ComfyUI's PNG metadata: the `prompt` chunk, the API graph it ran ({node id: {class_type,
inputs}}, an input wired to another node is `[node id, output index]`).

The sampler node gives seed, steps, cfg, sampler_name and scheduler; its `latent_image` input
leads to the empty latent (width, height, batch_size); `positive` and `negative` lead, through
any conditioning nodes between, to the CLIPTextEncode nodes whose text is the prompt; `model`
leads, through LoRA loaders, to the checkpoint loader. Every walk is bounded (MAX_HOPS).
"""

from __future__ import annotations

from typing import Any

from engine.export.a1111 import RestoredRecipe
from engine.export.foreign.common import Collector, load_json, short

SAMPLER_NODES = ("KSampler", "KSamplerAdvanced")
TEXT_INPUTS = ("text", "text_g", "text_l", "prompt")
MAX_HOPS = 16  # nodes followed from one input; a cycle or a long chain ends here


def is_graph(data: Any) -> bool:
    return isinstance(data, dict) and any(
        isinstance(node, dict) and "class_type" in node for node in list(data.values())[:1000])


def comfyui_recipe(text: dict[str, str]) -> RestoredRecipe | None:
    graph = load_json(text.get("prompt"))
    if not is_graph(graph):
        return None
    found = Collector("comfyui")
    samplers = [key for key, node in graph.items() if _node_type(node) in SAMPLER_NODES]
    if not samplers:
        kinds = sorted({kind for kind in map(_node_type, graph.values()) if kind})[:8]
        found.notes.append("its graph has no KSampler node, so no sampler settings were read "
                           f"(nodes: {', '.join(kinds)})")
    else:
        _read_sampler(graph, _inputs(graph[samplers[0]]), found)
        if len(samplers) > 1:
            found.notes.append(f"its graph has {len(samplers)} sampler nodes; node {samplers[0]} was read")
    return found.result()


def _node_type(node: Any) -> str | None:
    kind = node.get("class_type") if isinstance(node, dict) else None
    return kind if isinstance(kind, str) else None


def _inputs(node: Any) -> dict[str, Any]:
    inputs = node.get("inputs") if isinstance(node, dict) else None
    return inputs if isinstance(inputs, dict) else {}


def _read_sampler(graph: dict[str, Any], inputs: Any, found: Collector) -> None:
    inputs = inputs if isinstance(inputs, dict) else {}
    found.take("seed", _value(graph, inputs.get("seed", inputs.get("noise_seed"))), "seed")
    found.take("steps", _value(graph, inputs.get("steps")), "steps")
    found.take("guidance", _value(graph, inputs.get("cfg")), "cfg")
    found.sampler(_value(graph, inputs.get("sampler_name")), _value(graph, inputs.get("scheduler")),
                  "sampler_name", "scheduler")
    denoise = _value(graph, inputs.get("denoise"))
    if isinstance(denoise, (int, float)) and denoise != 1:
        found.unmapped.append(("denoise", short(denoise)))
    latent = _follow(graph, inputs.get("latent_image"), lambda node: "width" in _inputs(node))
    if latent is not None:
        size = _inputs(latent)
        found.size(_value(graph, size.get("width")), _value(graph, size.get("height")))
        found.take("batch", _value(graph, size.get("batch_size")), "batch_size")
    elif inputs.get("latent_image") is not None:
        found.unmapped.append(("latent_image", "from an image (image to image)"))
    positive, negative = (_prompt_text(graph, inputs.get(name)) for name in ("positive", "negative"))
    found.prompt(positive, negative or "")
    checkpoint = _follow(graph, inputs.get("model"), lambda node: "ckpt_name" in _inputs(node))
    if checkpoint is not None:
        found.model(_value(graph, _inputs(checkpoint).get("ckpt_name")), "ckpt_name")


def _linked(graph: dict[str, Any], value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int)):
        return graph.get(str(value[0]))
    return None


def _value(graph: dict[str, Any], value: Any) -> Any:
    """An input's value; one wired from a primitive node (a seed generator, a number) is read there."""
    for _ in range(MAX_HOPS):
        node = _linked(graph, value)
        if node is None:
            return value
        scalars = [v for v in _inputs(node).values() if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
        links = [v for v in _inputs(node).values() if _linked(graph, v) is not None]
        if len(scalars) == 1:
            return scalars[0]
        if len(links) != 1:
            return None
        value = links[0]
    return None


def _follow(graph: dict[str, Any], value: Any, wanted) -> Any:
    """The first node along the wire `value` (following each node's wired inputs) that is `wanted`."""
    queue, seen = [value], 0
    while queue and seen < MAX_HOPS:
        node = _linked(graph, queue.pop(0))
        if node is None:
            continue
        seen += 1
        if wanted(node):
            return node
        queue.extend(v for v in _inputs(node).values() if _linked(graph, v) is not None)
    return None


def _prompt_text(graph: dict[str, Any], value: Any) -> str | None:
    node = _follow(graph, value, lambda node: any(name in _inputs(node) for name in TEXT_INPUTS))
    if node is None:
        return None
    texts = [_value(graph, _inputs(node).get(name)) for name in TEXT_INPUTS]
    texts = [t for t in texts if isinstance(t, str) and t.strip()]
    return texts[0] if texts else None
