"""SWE-bench Pro (public set): Scale AI's instances, images, run scripts and parsers; Scale's grading procedure."""

from harness.extras import require_extra

require_extra("swe_pro", "swe", "datasets")
