"""`harness doctor`: one line per check, exit 0 on this machine, non-zero with a one-line cause without an engine."""

from __future__ import annotations

import pytest

from harness import doctor, images
from harness.cli import main


@pytest.mark.docker
def test_doctor_passes_here_with_one_line_per_check(docker_engine, capsys) -> None:
    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[1] for line in lines]
    for check in ("engine", "compose", "buildx", "disk", "ca", "registry", "api", "sandboxes", "limits"):
        assert check in names, check
    assert all(line.split()[0] in {"ok", "warn", "skip"} for line in lines), lines


def test_doctor_fails_in_one_line_when_no_engine_answers(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # never the real dockerd
    assert main(["doctor", "--blocking"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("FAIL  engine") and "no Docker engine answers" in out[0]
    assert "unix:///nonexistent/docker.sock" in out[0]


def test_doctor_names_the_fallback_when_docker_hub_is_unreachable(monkeypatch) -> None:
    monkeypatch.setattr(images, "image_id", lambda ref: None)  # no raw base yet
    offline = {"https://registry-1.docker.io/v2/"}
    checks = doctor.registries(True, probe=lambda url: "timed out" if url in offline else None)
    assert checks[0].status is doctor.Status.WARN and "debootstrap" in checks[0].detail
    checks = doctor.registries(True, probe=lambda url: "timed out" if "debian" in url or url in offline else None)
    assert checks[0].status is doctor.Status.FAIL


def test_doctor_reports_a_missing_ca_bundle_and_key_names_only(monkeypatch) -> None:
    monkeypatch.setenv(images.CA_BUNDLE_ENV, "/nonexistent/bundle.pem")
    assert doctor.ca(False).status is doctor.Status.FAIL
    monkeypatch.setenv("DEEPSEEK_API_KEY", "sk-secret-value")
    check = doctor.api_keys()
    assert "DEEPSEEK_API_KEY" in check.detail and "sk-secret-value" not in check.detail
