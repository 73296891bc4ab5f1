"""Load Harbor-format task directories (instruction.md, task.toml, environment/, solution/, tests/)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from inspect_ai.dataset import Sample
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import HarnessError

SAMPLES_DIR = Path(__file__).parent / "samples"


class AgentSection(BaseModel):
    model_config = ConfigDict(extra="allow")
    timeout_sec: float = 600.0


class VerifierSection(BaseModel):
    model_config = ConfigDict(extra="allow")
    timeout_sec: float = 600.0


class EnvironmentSection(BaseModel):
    model_config = ConfigDict(extra="allow")
    docker_image: str | None = None
    build_timeout_sec: float = 600.0
    cpus: float = 1
    memory_mb: int = 2048
    storage_mb: int = 10240
    allow_internet: bool = True


class SolutionSection(BaseModel):
    model_config = ConfigDict(extra="allow")
    env: dict[str, str] = Field(default_factory=dict)


class TaskConfig(BaseModel):
    """`task.toml` of a Harbor task."""

    model_config = ConfigDict(extra="allow")
    metadata: dict[str, Any] = Field(default_factory=dict)
    agent: AgentSection = Field(default_factory=AgentSection)
    verifier: VerifierSection = Field(default_factory=VerifierSection)
    environment: EnvironmentSection = Field(default_factory=EnvironmentSection)
    solution: SolutionSection = Field(default_factory=SolutionSection)


class TbTask(BaseModel):
    """One task directory, parsed."""

    name: str
    path: Path
    instruction: str
    config: TaskConfig


def load_task(path: Path) -> TbTask:
    name = path.name
    instruction = path / "instruction.md"
    toml = path / "task.toml"
    for required in (instruction, toml, path / "environment" / "Dockerfile", path / "tests" / "test.sh"):
        if not required.is_file():
            raise HarnessError(f"task {name}: missing {required.relative_to(path)} in {path}")
    try:
        with toml.open("rb") as f:
            config = TaskConfig.model_validate(tomllib.load(f))
    except tomllib.TOMLDecodeError as ex:
        raise HarnessError(f"task {name}: {toml} is not valid TOML ({ex})") from ex
    except ValidationError as ex:
        err = ex.errors()[0]
        raise HarnessError(f"task {name}: task.toml field {'.'.join(map(str, err['loc']))}: {err['msg']}") from ex
    return TbTask(name=name, path=path, instruction=instruction.read_text(), config=config)


def load_tasks(tasks_dir: Path) -> list[TbTask]:
    if not tasks_dir.is_dir():
        raise HarnessError(f"--tasks-dir {tasks_dir}: no such directory")
    tasks = [load_task(p) for p in sorted(tasks_dir.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    if not tasks:
        raise HarnessError(f"--tasks-dir {tasks_dir}: holds no task directories")
    return tasks


def to_sample(task: TbTask) -> Sample:
    return Sample(id=task.name, input=task.instruction,
                  metadata={"task_dir": str(task.path), **task.config.metadata})
