"""Terminal-Bench 2.0 in Harbor's task-directory format."""
