"""SWE-bench Pro (public set): Scale AI's instances, images, run scripts and parsers; Scale's grading procedure."""
