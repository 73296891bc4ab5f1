"""Load Terminal-Bench task directories: Harbor format (TB 2.x) and Terminal-Bench 1 format, into one shape.

Harbor format: instruction.md, task.toml, environment/Dockerfile (+ optional environment/docker-compose.yaml),
solution/solve.sh, tests/test.sh (+ test files). TB1 format: task.yaml, Dockerfile, docker-compose.yaml,
run-tests.sh, solution.sh or solution.yaml, tests/. The task directory is the contract; a malformed one is a
one-line error naming the task and the file or field.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from inspect_ai.dataset import Sample
from pydantic import BaseModel, ValidationError

from harness.errors import HarnessError
from suites.terminal_bench.config import TaskConfig, Tb1SolutionStep, Tb1TaskConfig

SAMPLES_DIR = Path(__file__).parent / "samples"
TaskFormat = Literal["harbor", "tb1"]


class TbTask(BaseModel):
    """One task directory, parsed and normalised to Harbor's semantics."""

    name: str
    path: Path
    format: TaskFormat
    instruction: str
    config: TaskConfig
    build_context: Path | None
    """Docker build context of the task container (None: no Dockerfile; `config.environment.docker_image`)."""
    dockerfile: str = "Dockerfile"
    """Dockerfile path relative to `build_context`."""
    compose_file: Path | None = None
    """Extra services and task-container overrides (Harbor: environment/docker-compose.yaml)."""
    tests_dir: Path
    test_script: Path
    """Harbor: tests/test.sh. TB1: run-tests.sh (copied into /tests next to the tests)."""
    solution_dir: Path | None = None
    """Harbor: solution/ (copied to /solution). TB1: None (the single script is generated)."""
    solution_script: str = "solve.sh"
    """Harbor: the script inside solution/. TB1: unused."""

    def solution_text(self) -> str | None:
        """TB1 only: solution.sh, or solution.yaml's commands as a bash script (as Harbor's mapper does)."""
        if self.format != "tb1":
            return None
        sh = self.path / "solution.sh"
        if sh.is_file():
            return sh.read_text()
        steps = _tb1_solution_steps(self.path / "solution.yaml", self.name)
        return "\n".join(["#!/bin/bash", "", *[step.command for step in steps], ""])


def _fail(task: str, message: str) -> HarnessError:
    return HarnessError(f"task {task}: {message}")


def _field_error(task: str, file: Path, ex: ValidationError) -> HarnessError:
    err = ex.errors()[0]
    where = ".".join(map(str, err["loc"])) or "(root)"
    return _fail(task, f"{file.name} field {where}: {err['msg']} ({file})")


def _read_toml(task: str, file: Path) -> dict[str, Any]:
    try:
        with file.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as ex:
        raise _fail(task, f"{file} is not valid TOML ({ex})") from ex
    except UnicodeDecodeError as ex:
        raise _fail(task, f"{file} is not UTF-8 text (byte {ex.start})") from ex


def _read_yaml(task: str, file: Path) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as ex:
        raise _fail(task, f"{file} is not UTF-8 text (byte {ex.start})") from ex
    except yaml.YAMLError as ex:
        raise _fail(task, f"{file} is not valid YAML ({str(ex).splitlines()[0]})") from ex


def _require(task: str, root: Path, *relative: str) -> None:
    for rel in relative:
        if not (root / rel).is_file():
            raise _fail(task, f"missing {rel} in {root}")


def _tb1_solution_steps(file: Path, task: str) -> list[Tb1SolutionStep]:
    data = _read_yaml(task, file)
    if not isinstance(data, list) or not data:
        raise _fail(task, f"{file.name} must be a non-empty list of {{command: ...}} entries ({file})")
    try:
        return [Tb1SolutionStep.model_validate(item) for item in data]
    except ValidationError as ex:
        raise _field_error(task, file, ex) from ex


def load_harbor_task(path: Path) -> TbTask:
    name = path.name
    _require(name, path, "instruction.md", "task.toml", "tests/test.sh", "solution/solve.sh")
    raw = _read_toml(name, path / "task.toml")
    if "schema_version" in raw:
        raw.setdefault("version", str(raw.pop("schema_version")))
    try:
        config = TaskConfig.model_validate(raw)
    except ValidationError as ex:
        raise _field_error(name, path / "task.toml", ex) from ex
    instruction = (path / "instruction.md").read_text()
    if not instruction.strip():
        raise _fail(name, f"instruction.md is empty ({path / 'instruction.md'})")
    env_dir = path / "environment"
    compose = env_dir / "docker-compose.yaml"
    has_dockerfile = (env_dir / "Dockerfile").is_file()
    if not config.environment.docker_image and not has_dockerfile:
        raise _fail(name, f"missing environment/Dockerfile in {path} (or set [environment].docker_image in task.toml)")
    return TbTask(
        name=name,
        path=path,
        format="harbor",
        instruction=instruction,
        config=config,
        build_context=env_dir if has_dockerfile else None,
        compose_file=compose if compose.is_file() else None,
        tests_dir=path / "tests",
        test_script=path / "tests" / "test.sh",
        solution_dir=path / "solution",
    )


def _tb1_main_service(name: str, compose: dict[str, Any], file: Path) -> tuple[str, dict[str, Any]]:
    services = compose.get("services") if isinstance(compose, dict) else None
    if not isinstance(services, dict) or not services:
        raise _fail(name, f"{file.name} field services: must define the task container ({file})")
    main = "client" if "client" in services else next(iter(services))  # as Harbor's TerminalBenchMapper
    return main, services[main] or {}


def load_tb1_task(path: Path) -> TbTask:
    name = path.name
    _require(name, path, "task.yaml", "docker-compose.yaml", "run-tests.sh")
    if not (path / "solution.sh").is_file() and not (path / "solution.yaml").is_file():
        raise _fail(name, f"missing solution.sh (or solution.yaml) in {path}")
    data = _read_yaml(name, path / "task.yaml")
    if not isinstance(data, dict):
        raise _fail(name, f"task.yaml must be a mapping ({path / 'task.yaml'})")
    try:
        tb1 = Tb1TaskConfig.model_validate(data)
    except ValidationError as ex:
        raise _field_error(name, path / "task.yaml", ex) from ex
    compose_file = path / "docker-compose.yaml"
    _, main = _tb1_main_service(name, _read_yaml(name, compose_file), compose_file)
    build = main.get("build", {"context": "."})
    if isinstance(build, str):
        build = {"context": build}
    context = (path / str(build.get("context", "."))).resolve()
    dockerfile = str(build.get("dockerfile", "Dockerfile"))
    if not (context / dockerfile).is_file():
        raise _fail(name, f"docker-compose.yaml: the task container's build needs {context / dockerfile}")
    tests = path / "tests"
    return TbTask(
        name=name,
        path=path,
        format="tb1",
        instruction=tb1.instruction,
        config=tb1.to_harbor(),
        build_context=context,
        dockerfile=dockerfile,
        compose_file=compose_file,
        tests_dir=tests,
        test_script=path / "run-tests.sh",
    )


def load_task(path: Path) -> TbTask:
    """Parse one task directory (format detected from task.toml or task.yaml)."""
    path = path.resolve()
    if (path / "task.toml").is_file():
        return load_harbor_task(path)
    if (path / "task.yaml").is_file():
        task = load_tb1_task(path)
        task.solution_text()  # validate solution.yaml now, not mid-run
        return task
    raise _fail(path.name, f"neither task.toml (Harbor) nor task.yaml (Terminal-Bench 1) in {path}")


def is_task_dir(path: Path) -> bool:
    return (
        path.is_dir()
        and not path.name.startswith(".")
        and ((path / "task.toml").is_file() or (path / "task.yaml").is_file())
    )


def load_tasks(tasks_dir: Path) -> list[TbTask]:
    """Every task under `tasks_dir` (sorted by name). `tasks_dir` may itself be one task."""
    if not tasks_dir.is_dir():
        raise HarnessError(f"--tasks-dir {tasks_dir}: no such directory")
    if is_task_dir(tasks_dir):
        return [load_task(tasks_dir)]
    tasks = [load_task(p) for p in sorted(tasks_dir.iterdir()) if is_task_dir(p)]
    if not tasks:
        raise HarnessError(f"--tasks-dir {tasks_dir}: holds no task directories (each needs task.toml or task.yaml)")
    return tasks


def tree_digest(tasks: list[TbTask]) -> str:
    """sha256 over every file of every task (relative path + bytes), so a changed task changes the digest."""
    digest = hashlib.sha256()
    for task in sorted(tasks, key=lambda t: t.name):
        for file in sorted(p for p in task.path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{task.name}/{file.relative_to(task.path)}".encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def git_revision(path: Path) -> str | None:
    """The commit of a git checkout holding `path` (e.g. a terminal-bench-2 clone), else None."""
    try:
        result = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def infer_version(tasks_dir: Path) -> str | None:
    """A dataset version from the checkout's directory name (`terminal-bench-2.1` -> `2.1`), else None."""
    for part in (tasks_dir.name, tasks_dir.parent.name):
        match = re.search(r"(\d+\.\d+)(?:\.\d+)?$", part)
        if match:
            return match.group(1)
    return None


def to_sample(task: TbTask) -> Sample:
    return Sample(
        id=task.name,
        input=task.instruction,
        metadata={**task.config.metadata, "task_dir": str(task.path), "task_format": task.format},
    )
