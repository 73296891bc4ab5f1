"""SWE-bench Verified with official-grading parity: the swebench 5.x schema, graded by the swebench package."""
