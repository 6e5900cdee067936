#!/usr/bin/env bash
# Container lifecycle benchmark: N create+start+stop+remove cycles in one pod over the CRI socket with p50/p90
# per RPC, beside the floor (conmon + runc driven directly on an equivalent bundle), and the daemon RSS with N
# running containers. Usage: scripts/bench-container.sh [cycles]   (as root)
exec "$(dirname "${BASH_SOURCE[0]}")/bench-run.sh" ContainerBenchmark "${1:-50}"
