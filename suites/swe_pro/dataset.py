"""Load SWE-bench Pro instances from the hub at a pinned revision, a local file in the same columns, or the fixtures.

The columns are the ones Scale's `swe_bench_pro_eval.py` reads (`instance_id`, `repo`, `base_commit`,
`before_repo_set_cmd`, `selected_test_files_to_run`, `fail_to_pass`, `pass_to_pass`) plus the agent's inputs
(`problem_statement`, `requirements`, `interface`), the gold `patch`, the `test_patch`, `repo_language` and
`dockerhub_tag`. List columns hold Python list literals, as on the hub (Scale's script `eval`s them; this loader
reads them with `ast.literal_eval`). Filters (`--instance-ids`, `--repo`, `--language`, `--limit`, then the
harness's `--shard`) apply before any image is pulled.
"""

from __future__ import annotations

import ast
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness import rows
from harness.errors import HarnessError
from harness.rows import Source
from suites.swe_pro.config import settings

FIXTURES_DIR = Path(__file__).parent / "samples"
FIXTURES_FILE = FIXTURES_DIR / "instances.jsonl"
FIXTURE_SCRIPTS = FIXTURES_DIR / "run_scripts"
PROMPT_FILE = Path(__file__).parent / "prompt.md"
FILE_TYPES = (".parquet", ".jsonl", ".json", ".csv")
"""Scale's script reads a .csv or .jsonl --raw_sample_path; the hub serves parquet."""
REQUIRED = (
    "instance_id",
    "repo",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "requirements",
    "interface",
    "repo_language",
    "fail_to_pass",
    "pass_to_pass",
    "before_repo_set_cmd",
    "selected_test_files_to_run",
)


def test_list(value: Any) -> list[str]:
    """A list column: a Python/JSON list literal (as on the hub) or a list."""
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.strip() else []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return list(value)


class Instance(BaseModel):
    """One SWE-bench Pro row (extra upstream columns, e.g. issue_categories, are kept)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    instance_id: str
    repo: str
    base_commit: str
    patch: str
    test_patch: str
    problem_statement: str
    requirements: str
    interface: str
    repo_language: str
    fail_to_pass: list[str] = Field(validation_alias=AliasChoices("fail_to_pass", "FAIL_TO_PASS"))
    pass_to_pass: list[str] = Field(validation_alias=AliasChoices("pass_to_pass", "PASS_TO_PASS"))
    before_repo_set_cmd: str
    selected_test_files_to_run: list[str]
    dockerhub_tag: str = ""
    """Empty or absent: derived from instance_id and repo as Scale's image_uri.py does."""

    @field_validator("fail_to_pass", "pass_to_pass", "selected_test_files_to_run", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> list[str]:
        return test_list(value)

    @property
    def image_tag(self) -> str:
        return self.dockerhub_tag or dockerhub_tag(self.instance_id, self.repo)


def dockerhub_tag(instance_id: str, repo: str) -> str:
    """The Docker Hub tag of an instance image, by the rules of Scale's `helper_code/image_uri.py`."""
    repo_base, repo_name = repo.lower().split("/")
    hsh = instance_id.replace("instance_", "")
    if instance_id == "instance_element-hq__element-web-ec0f940ef0e8e3b61078f145f34dc40d1938e6c5-vnan":
        repo_name = "element-web"
    elif "element-hq" in repo.lower() and "element-web" in repo.lower():
        repo_name = "element"
        hsh = hsh.removesuffix("-vnan")
    else:
        hsh = hsh.removesuffix("-vnan")
    return f"{repo_base}.{repo_name}-{hsh}"[:128]


def _validate(records: list[dict[str, Any]], origin: str) -> list[Instance]:
    instances = []
    for index, row in enumerate(records):
        label = f"{origin}: row {index} ({row.get('instance_id', '?')})"
        present = {k.lower() if k in ("FAIL_TO_PASS", "PASS_TO_PASS") else k for k, v in row.items() if v is not None}
        missing = [f for f in REQUIRED if f not in present]
        if missing:
            raise HarnessError(f"{label}: missing column {', '.join(missing)} (the ScaleAI/SWE-bench_Pro columns)")
        if "/" not in str(row["repo"]):
            raise HarnessError(f"{label}: repo {row['repo']!r} must be owner/name")
        try:
            instances.append(Instance.model_validate(row))
        except (ValidationError, ValueError, SyntaxError) as ex:
            where = ".".join(map(str, ex.errors()[0]["loc"])) if isinstance(ex, ValidationError) else "a list"
            msg = ex.errors()[0]["msg"] if isinstance(ex, ValidationError) else str(ex)
            raise HarnessError(f"{label}: column {where}: {msg}") from ex
    ids = [i.instance_id for i in instances]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise HarnessError(f"{origin}: duplicate instance_id {', '.join(dup[:5])}")
    return instances


@cache
def _load_cached(src: Source) -> tuple[Instance, ...]:
    return tuple(_validate(rows.read(src, FILE_TYPES), src.location))


def source(data: str, dataset: str | None, revision: str | None, split: str | None) -> Source:
    """Resolve the options to a source: the fixtures, a local file, or the hub at the pinned revision."""
    cfg = settings().dataset
    if data == "sample" and dataset is None:
        return Source("fixtures", str(FIXTURES_FILE), sha256=rows.digest(FIXTURES_FILE))
    return rows.resolve(dataset, cfg.hf_id, revision, split, (cfg.revision, cfg.split), FILE_TYPES)


def load(src: Source) -> list[Instance]:
    """All instances of a source, validated (cached per process)."""
    return list(_load_cached(src))


def select(
    instances: list[Instance],
    *,
    instance_ids: list[str] | None = None,
    repo: list[str] | None = None,
    language: list[str] | None = None,
    limit: int | None = None,
) -> list[Instance]:
    """Apply the user's filters in dataset order; unknown ids, repos or languages are errors listing what exists."""
    selected = instances
    for option, field, wanted in (
        ("--instance-ids", "instance_id", instance_ids),
        ("--repo", "repo", repo),
        ("--language", "repo_language", language),
    ):
        if wanted:
            selected = rows.keep(selected, instances, option, attrgetter(field), wanted)
    return selected[:limit] if limit else selected


def task_text(instance: Instance) -> str:
    """The task as Scale assembles it (helper_code/create_problem_statement.py): statement, requirements, interface."""
    return (
        f"{instance.problem_statement}\n\nRequirements:\n{instance.requirements}\n\n"
        f"New interfaces introduced:\n{instance.interface}"
    )


@cache
def prompt_template() -> str:
    return PROMPT_FILE.read_text()


def prompt(instance: Instance, workdir: str) -> str:
    """What the agent sees: Scale's task text in the suite's fixed template."""
    return prompt_template().format(task=task_text(instance), workdir=workdir)
