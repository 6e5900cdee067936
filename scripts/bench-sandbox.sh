#!/usr/bin/env bash
# Pod sandbox lifecycle benchmark: RunPodSandbox/StopPodSandbox/RemovePodSandbox over the CRI socket,
# N cycles sequentially and N over 10 concurrent clients, with p50/p90/max per RPC, the daemon's split of
# RunPodSandbox (namespaces, CNI ADD, state write) and the floor (the same conflist's ADD/DEL run directly).
# Usage: scripts/bench-sandbox.sh [cycles]   (as root; needs the CNI plugins in /usr/lib/cni)
exec "$(dirname "${BASH_SOURCE[0]}")/bench-run.sh" SandboxBenchmark "${1:-50}"
