"""Load SWE-bench Verified instances (swebench 5.x schema) from the hub, a local file or the bundled fixtures.

Every row carries its own `eval_script`, `log_parser`, `eval_type` and `image`, so the suite has no per-repository
code. Filters (`--instance-ids`, `--repo`, `--difficulty`, `--limit`, then the harness's `--shard`) apply before
any image is pulled.
"""

from __future__ import annotations

import json
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from harness import rows
from harness.errors import HarnessError
from harness.rows import Source
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
def _load_cached(src: Source) -> tuple[Instance, ...]:
    return tuple(_validate(rows.read(src), src.location))


def source(data: str, dataset: str | None, revision: str | None, split: str | None) -> Source:
    """Resolve the options to a source: the fixtures, a local file, or the hub at the pinned revision."""
    cfg = settings().dataset
    if data == "sample" and dataset is None:
        return Source("fixtures", str(FIXTURES_FILE), sha256=rows.digest(FIXTURES_FILE))
    return rows.resolve(dataset, cfg.hf_id, revision, split, (cfg.revision, cfg.split))


def load(src: Source) -> list[Instance]:
    """All instances of a source, validated against the 5.x schema (cached per process)."""
    return list(_load_cached(src))


# ---------------------------------------------------------------------------------------------------------------
# selection


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
            selected = rows.keep(selected, instances, option, attrgetter(field), wanted)
    if limit:
        selected = selected[:limit]
    return selected


@cache
def prompt_template() -> str:
    return PROMPT_FILE.read_text()


def prompt(instance: Instance, workdir: str) -> str:
    """The task the agent sees: the problem statement only (no hints), in the suite's fixed template."""
    return prompt_template().format(problem_statement=instance.problem_statement.strip(), workdir=workdir)
