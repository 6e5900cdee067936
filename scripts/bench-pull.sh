#!/usr/bin/env bash
# Pull throughput benchmark: our daemon's CRI PullImage against Debian's skopeo copy into
# containers-storage, of a ~200 MB 8-layer image from a local docker-registry on 127.0.0.1, into an empty
# store each round (order alternating). Prints seconds and MB/s per round and the medians.
# Usage: scripts/bench-pull.sh [rounds]   (as root; needs docker-registry, skopeo and busybox-static)
# BENCH_JAVA_OPTS adds options for the benchmark JVM, e.g. -Dbench.logDir=/tmp/pull-logs to keep the logs.
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
  io.crio.bench.PullBenchmark "${1:-3}"
