"""Load SWE-bench Verified instances (swebench 5.x schema) from the hub, a local file or the bundled fixtures.

Every row carries its own `eval_script`, `log_parser`, `eval_type` and `image`, so the suite has no per-repository
code. Filters (`--instance-ids`, `--repo`, `--difficulty`, `--limit`, then the harness's `--shard`) apply before
any image is pulled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import HarnessError
from suites.swe_verified.config import settings

FIXTURES_DIR = Path(__file__).parent / "samples"
FIXTURES_FILE = FIXTURES_DIR / "instances.jsonl"
PROMPT_FILE = Path(__file__).parent / "prompt.md"
SCHEMA_FIELDS = (
    "repo",
    "instance_id",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "hints_text",
    "created_at",
    "version",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
    "environment_setup_commit",
    "difficulty",
    "eval_script",
    "log_parser",
    "eval_type",
    "image",
)
FIVE_X_FIELDS = ("eval_script", "log_parser", "eval_type", "image")


class Instance(BaseModel):
    """One SWE-bench instance in the swebench 5.x schema (extra upstream columns are kept)."""

    model_config = ConfigDict(extra="allow")

    repo: str
    instance_id: str
    base_commit: str
    patch: str
    test_patch: str
    problem_statement: str
    hints_text: str
    created_at: str
    version: str
    FAIL_TO_PASS: str | list[str]
    PASS_TO_PASS: str | list[str]
    environment_setup_commit: str
    difficulty: str
    eval_script: str
    log_parser: str
    eval_type: str
    image: str

    @property
    def fail_to_pass(self) -> list[str]:
        return _tests(self.FAIL_TO_PASS)

    @property
    def pass_to_pass(self) -> list[str]:
        return _tests(self.PASS_TO_PASS)


def _tests(value: str | list[str]) -> list[str]:
    return list(json.loads(value) if isinstance(value, str) else value)


@dataclass(frozen=True)
class Source:
    """Where instances come from, as recorded in the run manifest."""

    kind: str
    """fixtures, file or hub."""
    location: str
    revision: str | None = None
    split: str | None = None
    sha256: str | None = None


# ---------------------------------------------------------------------------------------------------------------
# reading


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_file(path: Path) -> list[dict[str, Any]]:
    """Rows of a local .parquet, .jsonl or .json file."""
    if not path.is_file():
        raise HarnessError(f"--dataset {path}: no such file (a .parquet, .jsonl or .json file, or a hub id)")
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pandas as pd

            return [dict(r) for r in pd.read_parquet(path).to_dict(orient="records")]
        if suffix == ".jsonl":
            return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if suffix == ".json":
            data = json.loads(path.read_text())
            return list(data.values()) if isinstance(data, dict) else list(data)
    except (json.JSONDecodeError, ValueError, OSError) as ex:
        raise HarnessError(f"--dataset {path}: cannot read it ({ex})") from ex
    raise HarnessError(f"--dataset {path}: unsupported file type {suffix!r}; use .parquet, .jsonl or .json")


def _read_hub(dataset_id: str, revision: str, split: str) -> list[dict[str, Any]]:
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


def _validate(rows: list[dict[str, Any]], origin: str) -> list[Instance]:
    from swebench.harness.constants import EvalType
    from swebench.harness.log_parsers import PARSER_REGISTRY

    instances = []
    eval_types = {e.value for e in EvalType}
    for index, row in enumerate(rows):
        label = f"{origin}: row {index} ({row.get('instance_id', '?')})"
        missing = [f for f in SCHEMA_FIELDS if f not in row or row[f] is None]
        if missing:
            hint = (
                "; this is the pre-5.x schema: use a revision or file with the swebench 5.x columns "
                f"({', '.join(FIVE_X_FIELDS)})"
                if set(missing) & set(FIVE_X_FIELDS)
                else ""
            )
            raise HarnessError(f"{label}: missing field {', '.join(missing)}{hint}")
        try:
            instance = Instance.model_validate(row)
        except ValidationError as ex:
            err = ex.errors()[0]
            raise HarnessError(f"{label}: field {'.'.join(map(str, err['loc']))}: {err['msg']}") from ex
        if instance.log_parser not in PARSER_REGISTRY:
            raise HarnessError(f"{label}: log_parser {instance.log_parser!r} is not in swebench's PARSER_REGISTRY")
        if instance.eval_type not in eval_types:
            raise HarnessError(f"{label}: eval_type {instance.eval_type!r}; valid: {', '.join(sorted(eval_types))}")
        try:
            instance.fail_to_pass, instance.pass_to_pass  # noqa: B018 - parse check
        except (json.JSONDecodeError, TypeError) as ex:
            raise HarnessError(f"{label}: FAIL_TO_PASS/PASS_TO_PASS must be JSON lists of test names") from ex
        instances.append(instance)
    ids = [i.instance_id for i in instances]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise HarnessError(f"{origin}: duplicate instance_id {', '.join(dup[:5])}")
    return instances


@cache
def _load_cached(kind: str, location: str, revision: str | None, split: str | None) -> tuple[Instance, ...]:
    hub = kind == "hub"
    rows = _read_hub(location, revision or "main", split or "test") if hub else _read_file(Path(location))
    return tuple(_validate(rows, location))


def source(data: str, dataset: str | None, revision: str | None, split: str | None) -> Source:
    """Resolve the options to a source: the fixtures, a local file, or the hub at the pinned revision."""
    cfg = settings().dataset
    if data == "sample" and dataset is None:
        return Source("fixtures", str(FIXTURES_FILE), sha256=_digest(FIXTURES_FILE))
    location = dataset or cfg.hf_id
    path = Path(location).expanduser()
    if path.suffix.lower() in (".parquet", ".jsonl", ".json") or path.exists():
        return Source("file", str(path.resolve()), sha256=_digest(path) if path.is_file() else None)
    return Source("hub", location, revision=revision or cfg.revision, split=split or cfg.split)


def load(src: Source) -> list[Instance]:
    """All instances of a source, validated against the 5.x schema (cached per process)."""
    return list(_load_cached(src.kind, src.location, src.revision, src.split))


# ---------------------------------------------------------------------------------------------------------------
# selection


def _keep(
    selected: list[Instance], instances: list[Instance], option: str, field: str, wanted: list[str]
) -> list[Instance]:
    """The selected instances whose `field` is one of `wanted`; values the dataset lacks are an error."""
    known = sorted({getattr(i, field) for i in instances})
    unknown = [w for w in wanted if w not in known]
    if unknown:
        listing = f"; valid: {', '.join(known)}" if len(known) <= 20 else ""
        raise HarnessError(f"{option} {', '.join(unknown[:10])}: not in the dataset{listing}")
    return [i for i in selected if getattr(i, field) in set(wanted)]


def select(
    instances: list[Instance],
    *,
    instance_ids: list[str] | None = None,
    repo: list[str] | None = None,
    difficulty: list[str] | None = None,
    limit: int | None = None,
) -> list[Instance]:
    """Apply the user's filters in dataset order; unknown ids, repos or difficulties are errors listing what exists."""
    selected = instances
    for option, field, wanted in (
        ("--instance-ids", "instance_id", instance_ids),
        ("--repo", "repo", repo),
        ("--difficulty", "difficulty", difficulty),
    ):
        if wanted:
            selected = _keep(selected, instances, option, field, wanted)
    if limit:
        selected = selected[:limit]
    return selected


@cache
def prompt_template() -> str:
    return PROMPT_FILE.read_text()


def prompt(instance: Instance, workdir: str) -> str:
    """The task the agent sees: the problem statement only (no hints), in the suite's fixed template."""
    return prompt_template().format(problem_statement=instance.problem_statement.strip(), workdir=workdir)
