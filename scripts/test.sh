#!/usr/bin/env bash
# Sets everything up and runs all tests: unit tests of every module and the end-to-end tests against
# the real daemon, runc, conmon and CNI plugins.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
SETUP_SKIP_BUILD=1 bash "$REPO_DIR/scripts/setup.sh"
cd "$REPO_DIR"
mvn -B verify "$@"
