#!/usr/bin/env bash
# Sets everything up, installs the daemon and runs it in the foreground with its embedded defaults
# (plus the installed, fully commented /etc/crio/crio.conf, which changes nothing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$REPO_DIR/scripts/setup.sh"
bash "$REPO_DIR/scripts/install.sh"
exec /usr/local/bin/crio "$@"
