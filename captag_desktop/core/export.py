"""Export every photo's captions and hashtags as JSON or CSV, atomically."""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from captag_desktop.core.atomic import write_text_atomic
from captag_desktop.core.pipeline import PhotoResult

CSV_COLUMNS = ["image", "language", "caption", "hashtags", "error"]


def to_rows(results: list[PhotoResult], langs: list[str] | None = None) -> list[dict]:
    rows = []
    for r in results:
        if r.error is not None:
            rows.append({"image": r.image, "language": "", "caption": "", "hashtags": "", "error": r.error})
            continue
        for lang, caption in r.captions.items():
            if langs is None or lang in langs:
                rows.append({"image": r.image, "language": lang, "caption": caption,
                             "hashtags": " ".join(r.hashtags.get(lang, [])), "error": ""})
    return rows


def export_json(results: list[PhotoResult], target: str | os.PathLike, langs: list[str] | None = None) -> Path:
    data = []
    for r in results:
        item = r.to_json()
        if langs is not None and r.error is None:
            item["captions"] = {k: v for k, v in r.captions.items() if k in langs}
            item["hashtags"] = {k: v for k, v in r.hashtags.items() if k in langs}
        data.append(item)
    write_text_atomic(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return Path(target)


def export_csv(results: list[PhotoResult], target: str | os.PathLike, langs: list[str] | None = None) -> Path:
    buf = io.StringIO()
    # a BOM so spreadsheet apps read the Arabic and Indic text as UTF-8
    buf.write("\ufeff")
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(to_rows(results, langs))
    write_text_atomic(target, buf.getvalue())
    return Path(target)


def export_results(results: list[PhotoResult], target: str | os.PathLike, langs: list[str] | None = None) -> Path:
    """By the file's extension: .json or .csv."""
    suffix = Path(target).suffix.lower()
    if suffix == ".json":
        return export_json(results, target, langs)
    if suffix == ".csv":
        return export_csv(results, target, langs)
    raise ValueError(f"export to .json or .csv, not '{suffix or 'no extension'}'")
