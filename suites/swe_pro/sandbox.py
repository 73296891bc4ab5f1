"""The sandboxes of an instance: an agent container and a fresh evaluation container, both from the instance image.

Scale's images are `jefzda/sweap-images:<dockerhub_tag>` (`[images]` in config.toml), pulled with retry and an
optional mirror or namespace; a local image under the same name is used as it is. Their ENTRYPOINT is bash, so the
containers start with the entrypoint cleared. The offline fixtures build an environment image FROM the harness base
with Debian packages only (python3-pytest, golang-go, nodejs + mocha), then one image per fixture with its
repository at /app.
"""

from __future__ import annotations

import os

from inspect_ai.util import SandboxEnvironmentSpec

from harness import fixture_repo
from harness.images import ImageBuild, ImagePull, ImageSpec, rewrite_ref
from harness.paths import SANDBOXES
from harness.sandbox import SandboxLimits, agent_and_eval_spec
from suites.swe_pro.config import settings
from suites.swe_pro.dataset import FIXTURES_DIR, Instance

ENV_BUILD = ImageBuild(name="harness-swepro-env", context=SANDBOXES / "swe_pro" / "env")


def official_ref(instance: Instance) -> str:
    return f"{settings().images.repository}:{instance.image_tag}"


def fixture_build(instance: Instance) -> ImageBuild:
    """The local build of a fixture instance image (source folder: the repository's name)."""
    return ImageBuild(
        name=f"harness-swepro-{instance.repo.split('/')[-1]}",
        context=FIXTURES_DIR,
        build_args={"ENV_IMAGE": ENV_BUILD.tag, "SRC": instance.repo.split("/")[-1]},
        extra_files=((fixture_repo.CONTEXT_NAME, fixture_repo.BUILD_REPO),),
    )


def image_specs(instances: list[Instance], *, fixtures: bool, mirror: str | None) -> list[ImageSpec]:
    """What must exist before the run: fixture builds, or one pull per official image."""
    if fixtures:
        return [ENV_BUILD, *(fixture_build(i) for i in instances)]
    refs = dict.fromkeys(rewrite_ref(official_ref(i), mirror) for i in instances)
    return [ImagePull(ref) for ref in refs]


def run_image(instance: Instance, *, fixtures: bool, mirror: str | None) -> str:
    """The image both containers of the sample run."""
    return fixture_build(instance).tag if fixtures else rewrite_ref(official_ref(instance), mirror)


def _limits(network: bool) -> SandboxLimits:
    cfg = settings().sandbox
    return SandboxLimits(
        network=network,
        cpus=min(cfg.cpus, float(os.cpu_count() or 1)),
        memory_mb=cfg.memory_mb,
        pids=cfg.pids,
        workdir=cfg.workdir,
        entrypoint=[],
    )


def spec(image: str, *, eval_network: bool) -> SandboxEnvironmentSpec:
    """Agent container (`default`, no network) and evaluation container (`eval`) from the same image."""
    return agent_and_eval_spec(image, _limits(False), _limits(eval_network))
