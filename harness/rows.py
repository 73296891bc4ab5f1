"""Dataset rows for the suites that load a hub dataset: a local file or the Hugging Face hub at a pinned revision,
and the selection helpers every such suite shares (filters that name what exists; `--shard` is harness.shard's).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import HarnessError

FILE_TYPES = (".parquet", ".jsonl", ".json")
T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """Where instances come from, as recorded in the run manifest."""

    kind: str
    """fixtures, file or hub."""
    location: str
    revision: str | None = None
    split: str | None = None
    sha256: str | None = None


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def resolve(
    dataset: str | None,
    default_id: str,
    revision: str | None,
    split: str | None,
    pin: tuple[str, str],
    types: Sequence[str] = FILE_TYPES,
) -> Source:
    """`--dataset` as a local file (by suffix or because it exists) or a hub id at `revision` (default: the pin)."""
    location = dataset or default_id
    path = Path(location).expanduser()
    if path.suffix.lower() in (*types, *FILE_TYPES) or path.exists():
        return Source("file", str(path.resolve()), sha256=digest(path) if path.is_file() else None)
    return Source("hub", location, revision=revision or pin[0], split=split or pin[1])


def read_file(path: Path, types: Sequence[str] = FILE_TYPES) -> list[dict[str, Any]]:
    """Rows of a local file of one of `types` (.parquet, .jsonl, .json, and .csv where a suite takes it)."""
    kinds = "a " + ", ".join(types[:-1]) + f" or {types[-1]} file"
    if not path.is_file():
        raise HarnessError(f"--dataset {path}: no such file ({kinds}, or a hub id)")
    suffix = path.suffix.lower()
    if suffix not in types:
        raise HarnessError(f"--dataset {path}: unsupported file type {suffix!r}; use {kinds}")
    try:
        if suffix in (".parquet", ".csv"):
            import pandas as pd

            frame = pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path, keep_default_na=False)
            return [dict(r) for r in frame.to_dict(orient="records")]
        if suffix == ".jsonl":
            return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if suffix == ".json":
            data = json.loads(path.read_text())
            return list(data.values()) if isinstance(data, dict) else list(data)
    except (json.JSONDecodeError, ValueError, OSError) as ex:
        raise HarnessError(f"--dataset {path}: cannot read it ({ex})") from ex
    raise HarnessError(f"--dataset {path}: unsupported file type {suffix!r}; use {kinds}")


def read_hub(dataset_id: str, revision: str, split: str) -> list[dict[str, Any]]:
    """Rows of a Hugging Face dataset at a pinned revision."""
    try:
        from datasets import load_dataset

        rows = load_dataset(dataset_id, split=split, revision=revision)
    except Exception as ex:  # the hub client raises many types; all mean "could not load"
        message = str(ex).strip().splitlines()[0] if str(ex).strip() else type(ex).__name__
        raise HarnessError(
            f"--dataset {dataset_id} (revision {revision}, split {split}): cannot load it from the "
            f"Hugging Face hub ({message}); offline, pass --dataset PATH to a local .parquet or "
            ".jsonl copy"
        ) from ex
    return [dict(r) for r in rows]


def read(src: Source, types: Sequence[str] = FILE_TYPES) -> list[dict[str, Any]]:
    """The rows of a file or hub source."""
    if src.kind == "hub":
        return read_hub(src.location, src.revision or "main", src.split or "test")
    return read_file(Path(src.location), types)


def keep(
    selected: list[T], instances: list[T], option: str, value: Callable[[T], str], wanted: Sequence[str]
) -> list[T]:
    """The selected instances whose `value` is one of `wanted`; values the dataset lacks are an error listing the
    valid ones."""
    known = sorted({value(i) for i in instances})
    unknown = [w for w in wanted if w not in known]
    if unknown:
        listing = f"; valid: {', '.join(known)}" if len(known) <= 20 else ""
        raise HarnessError(f"{option} {', '.join(unknown[:10])}: not in the dataset{listing}")
    return [i for i in selected if value(i) in set(wanted)]
