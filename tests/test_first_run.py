"""The newcomer's path behind a TLS-intercepting proxy: with no harness variable set, builds trust the host CA.

A base labelled with no CA (an earlier first run) is rebuilt by the next implicit build under the default CA, and
an npm install and a pip install through the proxy succeed in an image built on it. The base is built under its
own name (HARNESS_BASE_IMAGE), so the shared `harness-base:bookworm` is never touched.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import images

pytestmark = pytest.mark.docker

TOOLS_DOCKERFILE = f"""\
FROM {images.BASE_IMAGE}
RUN apt-get update -qq \\
 && apt-get install -y -qq --no-install-recommends nodejs npm python3-venv >/dev/null \\
 && rm -rf /var/lib/apt/lists/*
RUN set -e; cd /tmp; npm install --no-audit --no-fund --loglevel=error is-number@7.0.0; \\
    test -f node_modules/is-number/package.json; \\
    python3 -m venv /opt/v; /opt/v/bin/pip install -q six==1.16.0; /opt/v/bin/python -c 'import six'
"""


_built: list[str] = []


@pytest.fixture()
def own_base(docker_engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A base image name of this test's own; removed afterwards with the images built on it."""
    name = f"harness-test-base-{os.getpid()}:bookworm"
    monkeypatch.setenv(images.BASE_IMAGE_ENV, name)
    monkeypatch.setattr(images, "_BASE_ID", [])
    yield name
    for ref in [*_built, name]:
        subprocess.run(["docker", "rmi", "-f", ref], capture_output=True)
    _built.clear()


def test_a_base_without_ca_is_rebuilt_under_the_default_ca_and_npm_and_pip_work_through_the_proxy(
    own_base: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    default = images.ca_setting()
    if default.path is None:
        pytest.skip("this host has no system CA bundle")

    monkeypatch.setenv(images.CA_BUNDLE_ENV, "none")  # an earlier first run: no CA in the base
    images.ensure_base()
    assert images._label(own_base, images.CA_LABEL) == "none"
    stale = images.image_id(own_base)

    monkeypatch.delenv(images.CA_BUNDLE_ENV)  # the newcomer: no harness variable set
    (tmp_path / "Dockerfile").write_text(TOOLS_DOCKERFILE)
    spec = images.ImageBuild(name="harness-test-first-run", context=tmp_path)
    capsys.readouterr()
    tags = images.ensure_built([spec])  # implicit: no `harness images base`
    _built.extend(tags)
    err = capsys.readouterr().err
    assert f"{own_base} was built with CA none, the CA in force is {default.label}" in err
    assert images._label(own_base, images.CA_LABEL) == default.label
    assert images.image_id(own_base) != stale
    assert images.image_id(tags[0])  # npm and pip installs through the proxy succeeded in the build
    assert images.ensure_built([spec]) == tags  # and a second build does nothing
    assert "up to date; nothing to do" in capsys.readouterr().err


def test_a_failed_build_shows_its_failing_step_and_names_the_ca_option(
    own_base: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(images.CA_BUNDLE_ENV, "none")
    images.ensure_base()
    (tmp_path / "Dockerfile").write_text(
        f"FROM {images.BASE_IMAGE}\nRUN echo step-output; for i in $(seq 1 60); do echo line $i; done; "
        "echo 'npm error code SELF_SIGNED_CERT_IN_CHAIN' >&2; exit 1\n"
    )
    with pytest.raises(images.HarnessError) as failure:
        images.ensure_built([images.ImageBuild(name="harness-test-failing", context=tmp_path)])
    message = str(failure.value)
    assert re.search(r"failed at step \d+/\d+ RUN echo step-output", message)
    assert "line 60" in message and "line 10\n" not in message  # the step's last 40 lines, not all of them
    assert "SELF_SIGNED_CERT_IN_CHAIN" in message
    assert message.splitlines()[-1].startswith("hint: a TLS/certificate error") and "HARNESS_CA_BUNDLE" in message
