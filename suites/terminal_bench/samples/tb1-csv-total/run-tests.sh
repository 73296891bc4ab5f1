#!/bin/bash
# Terminal-Bench 1 runs this from /tests (TEST_DIR); a zero exit means the tests passed.
bash "$TEST_DIR/test_total.sh"
