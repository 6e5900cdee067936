#!/usr/bin/env bash
# Start-up benchmark of the installed daemon: time to READY / first Version and idle RSS over N runs.
# Usage: scripts/bench-startup.sh [runs] [idle-seconds]   (run scripts/install.sh first)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_DIR"
mvn -B -q -DskipTests install >/dev/null
mvn -B -q -f e2e-pom.xml -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/e2e/bench.classpath -Dmdep.includeScope=test >/dev/null
exec java --enable-native-access=ALL-UNNAMED \
  -cp "target/e2e/test-classes:$(cat target/e2e/bench.classpath)" \
  io.crio.bench.StartupBenchmark /usr/local/bin/crio "${1:-10}" "${2:-10}"
