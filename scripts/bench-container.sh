#!/usr/bin/env bash
# Container lifecycle benchmark: N create+start+stop+remove cycles in one pod over the CRI socket with p50/p90
# per RPC, beside the floor (conmon + runc driven directly on an equivalent bundle), and the daemon RSS with N
# running containers. Usage: scripts/bench-container.sh [cycles]   (as root)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_DIR"
mvn -B -q -DskipTests install >/dev/null
mvn -B -q -f e2e-pom.xml -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/e2e/bench.classpath -Dmdep.includeScope=test >/dev/null
exec java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dcrio.jar="$REPO_DIR/daemon/target/crio-daemon.jar" -Dcrio.java="$JAVA_HOME/bin/java" \
  ${BENCH_JAVA_OPTS:-} \
  -cp "target/e2e/test-classes:$(cat target/e2e/bench.classpath)" \
  io.crio.bench.ContainerBenchmark "${1:-50}"
