#!/usr/bin/env bash
# Container lifecycle benchmark: N create+start+stop+remove cycles in one pod over the CRI socket with p50/p90
# per RPC, beside the floor (conmon + runc driven directly on an equivalent bundle), and the daemon RSS with N
# running containers. The daemon is measured as shipped: this installs the build (scripts/install.sh) and
# starts it through /usr/local/bin/crio, with the launcher's JVM flags and AOT cache.
# Usage: scripts/bench-container.sh [cycles]   (as root)
set -euo pipefail
dir="$(dirname "${BASH_SOURCE[0]}")"
source "$dir/env.sh"
(cd "$REPO_DIR" && mvn -B -q -DskipTests install >/dev/null)
"$dir/install.sh" >/dev/null
BENCH_JAVA_OPTS="-Dcrio.launcher=${PREFIX:-/usr/local}/bin/crio ${BENCH_JAVA_OPTS:-}" \
  exec "$dir/bench-run.sh" ContainerBenchmark "${1:-50}"
