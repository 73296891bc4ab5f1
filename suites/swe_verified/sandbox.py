"""The sandboxes of an instance: an agent container and a fresh evaluation container, both from the instance image.

Official instance images are pulled by the name in the row's `image` column (optionally through a mirror or another
namespace). The offline fixtures build their images locally: an environment image FROM the harness base, then one
image per fixture with its repository. Every sample gets two compose services from the same image: `default`, where
the agent works (no network), and `eval`, which nobody touches until grading applies the patch and runs the tests.
"""

from __future__ import annotations

import os

from inspect_ai.util import SandboxEnvironmentSpec

from harness import fixture_repo
from harness.images import ImageBuild, ImagePull, ImageSpec, rewrite_ref
from harness.paths import SANDBOXES
from harness.sandbox import SandboxLimits, agent_and_eval_spec
from suites.swe_verified.config import settings
from suites.swe_verified.dataset import FIXTURES_DIR, Instance

ENV_BUILD = ImageBuild(name="harness-swe-env", context=SANDBOXES / "swe_verified" / "env")


def fixture_build(instance: Instance) -> ImageBuild:
    """The local build of a fixture instance image; its repository name is the row's `image` without the tag."""
    return ImageBuild(
        name=instance.image.rsplit(":", 1)[0],
        context=FIXTURES_DIR,
        build_args={"ENV_IMAGE": ENV_BUILD.tag, "INSTANCE": instance.instance_id},
        extra_files=((fixture_repo.CONTEXT_NAME, fixture_repo.BUILD_REPO),),
    )


def image_specs(instances: list[Instance], *, fixtures: bool, mirror: str | None) -> list[ImageSpec]:
    """What must exist before the run: fixture builds (environment first), or one pull per official image."""
    if fixtures:
        return [ENV_BUILD, *(fixture_build(i) for i in instances)]
    refs = dict.fromkeys(rewrite_ref(i.image, mirror) for i in instances)
    return [ImagePull(ref) for ref in refs]


def run_image(instance: Instance, *, fixtures: bool, mirror: str | None) -> str:
    """The image both containers of the sample run."""
    return fixture_build(instance).tag if fixtures else rewrite_ref(instance.image, mirror)


def _limits(network: bool) -> SandboxLimits:
    cfg = settings().sandbox
    return SandboxLimits(
        network=network,
        cpus=min(cfg.cpus, float(os.cpu_count() or 1)),
        memory_mb=cfg.memory_mb,
        pids=cfg.pids,
        workdir=cfg.workdir,
    )


def spec(image: str, *, eval_network: bool) -> SandboxEnvironmentSpec:
    """Agent container (`default`, no network) and evaluation container (`eval`) from the same image."""
    return agent_and_eval_spec(image, _limits(False), _limits(eval_network))
