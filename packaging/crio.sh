#!/bin/sh
# The crio launcher: runs the daemon's jar on JDK 25 with flags tuned for a small, fast-starting daemon.
# CRIO_JAVA_OPTS adds JVM options (e.g. from /etc/sysconfig/crio).
LIB="@LIB@"
JAVA="${CRIO_JAVA:-@JAVA@}"
AOT=""
if [ -n "$CRIO_AOT_OUTPUT" ]; then
  # training run of the installer: the JVM writes the cache when the daemon stops
  AOT="-XX:AOTCacheOutput=$CRIO_AOT_OUTPUT"
elif [ -f "$LIB/crio.aot" ]; then
  AOT="-XX:AOTCache=$LIB/crio.aot"
fi
# Small footprint: few malloc arenas trimmed periodically, a serial-collected heap that starts small
# (and may grow to hold two messages of the 80 MiB gRPC limit), the C1
# compiler only, unpooled network buffers (the CRI socket carries little traffic) and no JFR hooks.
# Reflection calls through the JVM's native accessors: the method-handle accessors it would otherwise spin
# for each record constructor the configuration mapper calls cost start-up ~40 ms and 1.3 MiB.
# Methods are compiled after 3% of the JVM's usual invocation counts: a CRI call's path (transport,
# handlers, spec, runtime calls) is compiled within the first few calls instead of after hundreds, while
# start-up stays under half a second (READY ~370–390 ms on 2 cores; ~340 ms without the lowered thresholds).
# The JVM raises those thresholds further while methods wait in the compile queue: by one more multiple of
# them for every 5 queued methods by default, for every 50 here. Each of the first CreateContainer calls
# queues tens of methods at once, so with the default a method a container runs once needed tens of
# containers before it was compiled (create+start ~2 ms slower over the first 50); READY does not change
# measurably.
# Thread priorities become nice values (ThreadPriorityPolicy=1; the daemon runs as root): the compiler
# thread runs at nice 2, below the threads that serve calls (nice 0), and the threads the JDK and Netty make
# with a raised priority (the VM thread, Netty's event loops) get a negative nice. While pods are being
# created, the compiler gives way to the call's threads, conmon and the runtime instead of holding a CPU
# they are waiting for (create+start ~2 ms faster on 2 CPUs).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec "$JAVA" -XX:+UseSerialGC -Xms8m -Xmn2m -Xmx512m -XX:+ExitOnOutOfMemoryError -Xss512k -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 \
  -XX:CompileThresholdScaling=0.03 -XX:Tier3LoadFeedback=50 -XX:ThreadPriorityPolicy=1 -XX:CompilerThreadPriority=2 \
  -XX:MaxMetaspaceSize=128m -XX:ReservedCodeCacheSize=32m -XX:TrimNativeHeapInterval=5000 -XX:-UsePerfData \
  -Dio.netty.jfr.enabled=false -Dio.grpc.netty.useCustomAllocator=false -Dio.netty.allocator.type=unpooled \
  -Djdk.reflect.useNativeAccessorOnly=true \
  $AOT -Xlog:aot=off -Xlog:cds=off --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  $CRIO_JAVA_OPTS \
  -jar "$LIB/crio-daemon.jar" "$@"
