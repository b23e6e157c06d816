"""Build a class-per-folder image set of Twemoji from the npm package emoji-datasource-twitter.

    npm pack emoji-datasource-twitter && tar xzf emoji-datasource-twitter-*.tgz
    python scripts/make_emoji_folder.py package OUT_DIR
    noisescope train diffusion --images OUT_DIR --size 32 ...

Keeps the base emoji only: skin-tone variants are separate entries under `skin_variations` and are
not listed, and the "Component" category (skin-tone swatches, hair parts) is dropped. One subfolder
per emoji.json `category`, as a short slug ("smileys-emotion"), holding the 64x64 RGBA PNGs copied
unchanged; the trainer composites and resizes them. Writes OUT_DIR/dataset.json with the
CC-BY 4.0 attribution the model must carry. The data is not part of the repository.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

DROPPED = {"Component"}
ATTRIBUTION = "Twemoji by Twitter, Inc and other contributors"
DESCRIPTION = {
    "name": "Twemoji (emoji-datasource-twitter)",
    "attribution": f"{ATTRIBUTION}, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
    "source": "npm package emoji-datasource-twitter {version}, img/twitter/64/, base emoji without "
              "skin-tone variants or the Component category",
    "licence": f"Weights: trained by Noisescope's own code on Twemoji graphics. Graphics: {ATTRIBUTION}, "
               "licensed CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/).",
}


def slug(category: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-")


def main(package: Path, out: Path) -> int:
    entries = json.loads((package / "emoji.json").read_text(encoding="utf-8"))
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    counts: dict[str, int] = {}
    for entry in entries:
        source = package / "img" / "twitter" / "64" / entry["image"]
        if entry["category"] in DROPPED or not entry.get("has_img_twitter") or not source.is_file():
            continue
        folder = out / slug(entry["category"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / entry["image"])
        counts[folder.name] = counts.get(folder.name, 0) + 1
    description = {**DESCRIPTION, "source": DESCRIPTION["source"].format(version=version)}
    (out / "dataset.json").write_text(json.dumps(description, indent=2) + "\n", encoding="utf-8")
    for name, count in sorted(counts.items()):
        print(f"{name:20} {count}")
    print(f"{sum(counts.values())} images in {out}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
