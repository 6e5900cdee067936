#!/usr/bin/env bash
# Pull throughput benchmark: our daemon's CRI PullImage against Debian's skopeo copy into
# containers-storage, of a ~200 MB 8-layer image from a local docker-registry on 127.0.0.1, into an empty
# store each round (order alternating). Prints seconds and MB/s per round and the medians.
# Usage: scripts/bench-pull.sh [rounds]   (as root; needs docker-registry, skopeo and busybox-static)
# BENCH_JAVA_OPTS adds options for the benchmark JVM, e.g. -Dbench.logDir=/tmp/pull-logs to keep the logs.
exec "$(dirname "${BASH_SOURCE[0]}")/bench-run.sh" PullBenchmark "${1:-3}"
