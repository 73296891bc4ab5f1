"""`harness images push` against a real local registry (Debian's docker-registry package on 127.0.0.1), then the
images pulled back by digest."""

from __future__ import annotations

import json
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import images
from harness.cli import main

pytestmark = pytest.mark.docker
REGISTRY_CONTEXT = Path(__file__).parent / "fixtures" / "registry"


def test_repository_keeps_a_registry_port() -> None:
    assert images.repository("127.0.0.1:5000/harness-base:bookworm") == "127.0.0.1:5000/harness-base"
    assert images.repository("reg.example.com/a/b@sha256:00") == "reg.example.com/a/b"
    assert images.repository("harness-lcb:h1") == "harness-lcb"


@pytest.fixture(scope="module")
def registry(docker_engine: None) -> Iterator[str]:
    """A registry container on 127.0.0.1 (Docker trusts plain HTTP on loopback); removed afterwards."""
    (tag,) = images.ensure_built([images.ImageBuild(name="harness-test-registry", context=REGISTRY_CONTEXT)])
    cid = images.docker("run", "-d", "--rm", "-p", "127.0.0.1::5000", tag).stdout.strip()
    try:
        port = images.docker("port", cid, "5000").stdout.split()[0].rsplit(":", 1)[1]
        address = f"127.0.0.1:{port}"
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://{address}/v2/", timeout=2)
                break
            except OSError:
                subprocess.run(["sleep", "0.2"], check=True)
        yield address
    finally:
        images.docker("rm", "-f", cid, check=False)


def _manifest_status(remote: str) -> int:
    """The registry's answer to GET /v2/<name>/manifests/<digest> for `host:port/name@sha256:...`."""
    host, _, rest = remote.partition("/")
    name, _, digest = rest.partition("@")
    request = urllib.request.Request(
        f"http://{host}/v2/{name}/manifests/{digest}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_push_is_idempotent_and_pulls_back_by_digest(
    registry: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hello.txt").write_text(f"hello {uuid.uuid4()}\n")  # a new image each run
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /\n")
    local = f"harness-test-tiny:{uuid.uuid4().hex[:8]}"
    images.docker("build", "-q", "-t", local, str(tmp_path))
    local_id = images.image_id(local)
    remote = images.push([local], registry)[local]
    assert remote.startswith(f"{registry}/harness-test-tiny@sha256:")
    assert images.push([local], registry)[local] == remote  # again: the same digest, nothing uploaded
    assert "already in the registry" in capfd.readouterr().err
    images.docker("rmi", local, images.rewrite_ref(local, registry))  # gone from the local store
    assert images.image_id(local_id or "") is None
    images.docker("pull", "-q", remote)
    assert images.image_id(remote) == local_id
    images.docker("rmi", remote, check=False)


def test_cli_pushes_base_and_suite_images_and_writes_the_map(registry: str, tmp_path: Path) -> None:
    image_map = tmp_path / "image-map.json"
    args = ["images", "push", "--registry", registry, "--suite", "livecodebench", "--map", str(image_map)]
    assert main(args) == 0
    data = json.loads(image_map.read_text())
    assert data["registry"] == registry
    assert set(data["images"]) == {images.BASE_IMAGE, *(s.tag for s in _lcb_specs())}
    for remote in data["images"].values():
        assert remote.startswith(f"{registry}/") and "@sha256:" in remote
        assert _manifest_status(remote) == 200  # the registry serves each image by its digest
    assert main(args) == 0 and json.loads(image_map.read_text()) == data  # idempotent
    for ref in data["images"]:
        images.docker("rmi", images.rewrite_ref(ref, registry), check=False)  # only our registry tags


def _lcb_specs() -> list[images.ImageBuild]:
    from suites.livecodebench.task import SUITE, Options

    return [s for s in SUITE.images(Options()) if isinstance(s, images.ImageBuild)]
