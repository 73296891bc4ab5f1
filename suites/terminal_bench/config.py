"""Typed task configs: Harbor's `task.toml` (Terminal-Bench 2.x) and Terminal-Bench 1's `task.yaml`.

Field names, types and defaults follow Harbor's `harbor.models.task.config` (TaskConfig, AgentConfig,
VerifierConfig, EnvironmentConfig, SolutionConfig) and terminal-bench 0.x's `TrialHandler.Task` / Harbor's
`TerminalBenchMapper`. Unknown keys are kept (Harbor adds fields between releases), never rejected.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="allow")


class AgentSection(_Section):
    """`[agent]`."""

    timeout_sec: float = Field(default=600.0, gt=0)
    """Seconds the agent may work; multiplied by the run's timeout_multiplier."""


class VerifierSection(_Section):
    """`[verifier]`."""

    timeout_sec: float = Field(default=600.0, gt=0)
    """Seconds tests/test.sh may run; multiplied by the run's timeout_multiplier."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment for tests/test.sh."""


class EnvironmentSection(_Section):
    """`[environment]`."""

    docker_image: str | None = None
    """A prebuilt image; when set it is used instead of building environment/Dockerfile."""
    build_timeout_sec: float = Field(default=600.0, gt=0)
    """Seconds the environment image may take to build."""
    cpus: float = Field(default=1, gt=0)
    """CPU limit of the task container."""
    memory_mb: int = Field(default=2048, gt=0)
    """Memory limit of the task container (MiB)."""
    storage_mb: int = Field(default=10240, gt=0)
    """Disk the task expects (MiB); recorded, not enforced (Harbor's Docker environment does not either)."""
    allow_internet: bool = True
    """False: the task container gets no network (sidecar services stay reachable on an internal network)."""

    @field_validator("docker_image")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if isinstance(value, str) else value


class SolutionSection(_Section):
    """`[solution]`."""

    env: dict[str, str] = Field(default_factory=dict)
    """Environment for solution/solve.sh (the oracle)."""


class TaskConfig(_Section):
    """A Harbor `task.toml`."""

    version: str | None = None
    """Schema version (Harbor renamed it `schema_version`; both are accepted)."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    agent: AgentSection = Field(default_factory=AgentSection)
    verifier: VerifierSection = Field(default_factory=VerifierSection)
    environment: EnvironmentSection = Field(default_factory=EnvironmentSection)
    solution: SolutionSection = Field(default_factory=SolutionSection)


class Tb1TaskConfig(_Section):
    """A Terminal-Bench 1 (terminal-bench-core 0.1.x) `task.yaml`."""

    instruction: str = Field(min_length=1)
    difficulty: str = "unknown"
    category: str = "software_engineering"
    tags: list[str] = Field(default_factory=list)
    max_agent_timeout_sec: float = Field(default=360.0, gt=0)
    """Terminal-Bench 1's agent timeout (its default: 360 s)."""
    max_test_timeout_sec: float = Field(default=60.0, gt=0)
    """Terminal-Bench 1's test timeout (its default: 60 s)."""
    run_tests_in_same_shell: bool = False

    def to_harbor(self) -> TaskConfig:
        """The equivalent Harbor config (TB1 had no per-task resource limits and allowed the internet)."""
        return TaskConfig(
            metadata={"difficulty": self.difficulty, "category": self.category, "tags": self.tags},
            agent=AgentSection(timeout_sec=self.max_agent_timeout_sec),
            verifier=VerifierSection(timeout_sec=self.max_test_timeout_sec),
        )


class Tb1SolutionStep(BaseModel):
    """One entry of a TB1 `solution.yaml`: keystrokes the TB1 oracle typed into its tmux session."""

    model_config = ConfigDict(extra="allow")

    command: str
    min_timeout_sec: float = 30.0
    block: bool = True
    append_enter: bool = True
