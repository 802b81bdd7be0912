"""Captions into image metadata: an XMP packet (dc:description per language, IPTC alt text,
dc:subject keywords) for a saved copy or a .xmp sidecar, and EXIF ImageDescription.

The original photo is never touched: a sidecar is a new file next to it (or in the
output folder), written atomically.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

from captag_desktop.core.atomic import write_text_atomic

EXIF_IMAGE_DESCRIPTION = 0x010E


def _alt(values: dict[str, str], default: str) -> str:
    items = [f'<rdf:li xml:lang="x-default">{escape(values[default])}</rdf:li>'] if default in values else []
    items += [f'<rdf:li xml:lang="{escape(lang)}">{escape(text)}</rdf:li>' for lang, text in values.items()]
    return "<rdf:Alt>" + "".join(items) + "</rdf:Alt>"


def build_xmp(captions: dict[str, str], hashtags: dict[str, list[str]] | None = None, alt_text: dict[str, str] | None = None,
              default_lang: str = "en") -> str:
    """An XMP packet. captions/alt_text: language -> text; hashtags become dc:subject keywords."""
    captions = {k: v for k, v in captions.items() if v}
    keywords = []
    for tags in (hashtags or {}).values():
        for t in tags:
            word = t.lstrip("#")
            if word and word not in keywords:
                keywords.append(word)
    default = default_lang if default_lang in captions else next(iter(captions), default_lang)
    body = []
    if captions:
        body.append(f"<dc:description>{_alt(captions, default)}</dc:description>")
    alt = {k: v for k, v in (alt_text or captions).items() if v}
    if alt:
        body.append(f"<Iptc4xmpCore:AltTextAccessibility>{_alt(alt, default)}</Iptc4xmpCore:AltTextAccessibility>")
    if keywords:
        body.append("<dc:subject><rdf:Bag>" + "".join(f"<rdf:li>{escape(k)}</rdf:li>" for k in keywords)
                    + "</rdf:Bag></dc:subject>")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/">\n'
            + "\n".join(body) + "\n</rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>")


def sidecar_path(image: str | os.PathLike, out_dir: str | os.PathLike | None = None, keep_suffix: bool = False) -> Path:
    """NAME.xmp (Adobe's convention), or NAME.EXT.xmp with keep_suffix."""
    image = Path(image)
    return Path(out_dir or image.parent) / ((image.name if keep_suffix else image.stem) + ".xmp")


def sidecar_paths(images: list[str], out_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """Each photo's sidecar. Photos that would share one (x.jpg and x.png in a folder, or in one output
    folder) each get NAME.EXT.xmp instead, so neither photo's captions are lost. Names that differ only
    in letter case count as one, as on macOS and Windows."""
    plain = {image: sidecar_path(image, out_dir) for image in images}
    uses = Counter(str(p).casefold() for p in plain.values())
    return {image: sidecar_path(image, out_dir, keep_suffix=True) if uses[str(p).casefold()] > 1 else p
            for image, p in plain.items()}


def write_sidecar(image: str | os.PathLike, xmp: str, out_dir: str | os.PathLike | None = None,
                  target: Path | None = None) -> Path:
    """Writes the sidecar (at `target` if given, else sidecar_path) atomically."""
    target = target or sidecar_path(image, out_dir)
    write_text_atomic(target, xmp)
    return target
