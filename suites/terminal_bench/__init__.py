"""Terminal-Bench 2.0 run as Harbor runs it: Harbor (and Terminal-Bench 1) task directories, verifier rewards."""
