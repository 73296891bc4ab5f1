"""SWE-bench Verified with official-grading parity: the swebench 5.x schema, graded by the swebench package."""

from harness.extras import require_extra

require_extra("swe_verified", "swe", "swebench", "datasets")
