"""inspect's entry point for this package: registers the `harness/<alias>` model API and the `suite_task` task, so
`inspect eval harness/suite_task -T suite=... --model harness/<alias>` finds them."""

from harness import provider, tasks  # noqa: F401  (registration happens on import)
