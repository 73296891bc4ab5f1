"""LiveCodeBench code generation: official prompts and grading rules in a sandbox; an agentic variant."""

from harness.extras import require_extra

require_extra("livecodebench", "lcb", "huggingface_hub", "docker")
