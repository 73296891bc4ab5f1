"""`--sandbox k8s`: the sandboxes of every bundled task of every suite, rendered as inspect-k8s-sandbox chart values
from the same compose configs docker runs, validate against the chart's own values.schema.json; network and
privilege settings come out right."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from inspect_ai.util import SandboxEnvironmentSpec

from harness import k8s
from harness.errors import HarnessError
from harness.sandbox import SandboxLimits, sandbox_spec
from harness.suite import suite_names
from harness.tasks import suite_task

pytest.importorskip("k8s_sandbox", reason="inspect-k8s-sandbox is a dev dependency: make setup")


def _specs(suite: str) -> list[tuple[str, SandboxEnvironmentSpec]]:
    task = suite_task(suite=suite, agent="oracle", data="sample")
    specs = [(str(s.id), s.sandbox) for s in task.dataset if isinstance(s.sandbox, SandboxEnvironmentSpec)]
    return specs + ([("(task)", task.sandbox)] if task.sandbox is not None else [])


@pytest.mark.parametrize("suite", suite_names())
def test_every_bundled_sandbox_validates_against_the_chart_schema(suite: str, tmp_path: Path) -> None:
    specs = _specs(suite)
    if suite == "livecodebench":
        assert not specs  # single turn: no sample sandbox; its grader pool stays on Docker (README)
        return
    assert specs, f"{suite}: no sandboxes rendered"
    image_map = {"images": {"unused:tag": "registry.example.com/unused@sha256:" + "0" * 64}, "pull_secret": "reg"}
    for sample_id, spec in specs:
        converted = k8s.k8s_spec(spec, tmp_path, image_map, runtime_class=None)  # validates, or raises
        values = yaml.safe_load(Path(converted.config.values).read_text())
        for name, service in values["services"].items():
            assert service["securityContext"] == {**service["securityContext"], **k8s.NO_PRIVILEGE}, (sample_id, name)
            assert "privileged" not in {k for k, v in service.items() if v is True}
        assert values["automountServiceAccountToken"] is False and values["imagePullSecrets"] == [{"name": "reg"}]
        compose = spec.config.model_dump(by_alias=True, exclude_none=True)
        assert values["services"]["default"]["image"] == compose["services"]["default"]["image"]


def test_network_only_where_the_task_asks(tmp_path: Path) -> None:
    isolated = k8s.helm_values(sandbox_spec("img:1").config)
    assert isolated["services"]["default"]["networkIsolated"] is True and "allowEntities" not in isolated
    online = k8s.helm_values(sandbox_spec("img:1", SandboxLimits(network=True)).config)
    assert online["allowEntities"] == ["world"] and "networkIsolated" not in online["services"]["default"]
    # SWE-bench: the agent's container has no network; the evaluation container has one (official harness)
    swe = dict(_specs("swe_verified"))
    values = k8s.helm_values(next(iter(swe.values())).config)
    assert values["services"]["default"]["networkIsolated"] is True
    assert "networkIsolated" not in values["services"]["eval"] and values["allowEntities"] == ["world"]
    # Terminal-Bench's sidecar task without internet: an internal network the two services share, no egress
    sidecar = k8s.helm_values(dict(_specs("terminal_bench"))["kv-sidecar"].config)
    assert sidecar["networks"] == {"tb-internal": {}} and "allowEntities" not in sidecar
    assert {s["networks"][0] for s in sidecar["services"].values()} == {"tb-internal"}
    for name in ("hello-file", "sum-numbers"):
        assert "allowEntities" not in k8s.helm_values(dict(_specs("terminal_bench"))[name].config)


def test_limits_images_and_runtime_class_carry_over() -> None:
    spec = sandbox_spec("harness-x:h1", SandboxLimits(cpus=2, memory_mb=4096, pids=64))
    values = k8s.helm_values(spec.config, {"harness-x:h1": "reg:5000/harness-x@sha256:ab"}, runtime_class="runc")
    default = values["services"]["default"]
    assert default["image"] == "reg:5000/harness-x@sha256:ab" and default["runtimeClassName"] == "runc"
    assert default["resources"]["limits"] == {"cpu": 2.0, "memory": "4096Mi"}


def test_values_the_schema_refuses_are_one_line_errors() -> None:
    values = k8s.helm_values(sandbox_spec("img:1").config)
    values["services"]["Bad_Name"] = values["services"]["default"]
    with pytest.raises(HarnessError, match="k8s values: services: 'Bad_Name' does not match"):
        k8s.validate(values)
