#!/usr/bin/env bash
# Runs one benchmark program of src/test/java/io/crio/bench against a freshly built daemon jar.
# Usage: scripts/bench-run.sh <ClassName> [arguments]   (BENCH_JAVA_OPTS adds options for the benchmark JVM)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$REPO_DIR"
mvn -B -q -DskipTests install >/dev/null
mvn -B -q -f e2e-pom.xml -DskipTests test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/e2e/bench.classpath -Dmdep.includeScope=test >/dev/null
main="$1"
shift
exec java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dcrio.jar="$REPO_DIR/daemon/target/crio-daemon.jar" -Dcrio.java="$JAVA_HOME/bin/java" \
  ${BENCH_JAVA_OPTS:-} \
  -cp "target/e2e/test-classes:$(cat target/e2e/bench.classpath)" \
  "io.crio.bench.$main" "$@"
