#!/usr/bin/env bash
# Pod sandbox lifecycle benchmark: RunPodSandbox/StopPodSandbox/RemovePodSandbox over the CRI socket,
# N cycles sequentially and N over 10 concurrent clients, with p50/p90/max per RPC, the daemon's split of
# RunPodSandbox (namespaces, CNI ADD, state write) and the floor (the same conflist's ADD/DEL run directly).
# Usage: scripts/bench-sandbox.sh [cycles]   (as root; needs the CNI plugins in /usr/lib/cni)
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
  io.crio.bench.SandboxBenchmark "${1:-50}"
