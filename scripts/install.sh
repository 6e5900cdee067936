#!/usr/bin/env bash
# Installs the built daemon: /usr/local/lib/crio (jar, libraries, AOT cache), the /usr/local/bin/crio
# launcher, the systemd unit and, when absent, /etc/crio/crio.conf.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PREFIX="${PREFIX:-/usr/local}"
LIB="$PREFIX/lib/crio"
JAR="$REPO_DIR/daemon/target/crio-daemon.jar"
[ -f "$JAR" ] || { echo "error: $JAR not built; run scripts/setup.sh first" >&2; exit 1; }

rm -rf "$LIB.new"
mkdir -p "$LIB.new/lib"
cp "$JAR" "$LIB.new/"
cp "$REPO_DIR"/daemon/target/lib/*.jar "$LIB.new/lib/"
rm -rf "$LIB"
mv "$LIB.new" "$LIB"
sed -e "s|@JAVA@|$JAVA_HOME/bin/java|" -e "s|@LIB@|$LIB|" "$REPO_DIR/packaging/crio.sh" > "$PREFIX/bin/crio.new"
chmod 0755 "$PREFIX/bin/crio.new"
mv "$PREFIX/bin/crio.new" "$PREFIX/bin/crio"

# Train the JVM's ahead-of-time cache on a real start-up: start, answer the first call every client makes
# (Version) 500 times, stop; the JVM writes the cache at exit. Every class in the cache is loaded at each
# start, so only what every daemon needs is trained: start-up and the path of a call. The repeated call gets
# the call path (HTTP/2, gRPC, protobuf, the interceptor) compiled during training; the cache records that,
# and a started daemon compiles those methods on their first calls instead of after hundreds. Training more
# kinds of calls (listing, images, containers) would cost more idle memory than their first call saves.
# Training runs at the JVM's usual compile thresholds: at the launcher's lowered ones it would record most of
# start-up as compiled too, and every start would then compile it all before serving.
train="$(mktemp -d)"
rm -f "$LIB/crio.aot"
CRIO_JAVA_OPTS="-XX:CompileThresholdScaling=1" CRIO_AOT_OUTPUT="$LIB/crio.aot" "$PREFIX/bin/crio" --config "" --config-dir "" \
  --listen "$train/crio.sock" --root "$train/root" --runroot "$train/runroot" \
  --cni-config-dir "$train/net.d" >"$train/log" 2>&1 &
pid=$!
for _ in $(seq 1 400); do
  grep -q "Using conmon\|conmon not found" "$train/log" 2>/dev/null && break
  sleep 0.05
done
if ! "$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 --enable-native-access=ALL-UNNAMED \
    --sun-misc-unsafe-memory-access=allow -cp "$LIB/crio-daemon.jar" io.crio.daemon.cli.TrainingCall \
    "$train/crio.sock" 500 >"$train/call" 2>&1; then
  echo "install: warning: the training call failed (the cache holds start-up only):"; cat "$train/call"
fi
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" || true
if [ -f "$LIB/crio.aot" ]; then
  echo "install: AOT cache $LIB/crio.aot"
else
  echo "install: warning: no AOT cache was written (start-up will be slower):"; cat "$train/log"
fi
rm -rf "$train"

install -D -m 0644 "$REPO_DIR/systemd/crio.service" /etc/systemd/system/crio.service
if [ ! -f /etc/crio/crio.conf ]; then
  install -D -m 0644 "$REPO_DIR/config/crio.conf" /etc/crio/crio.conf
fi
mkdir -p /etc/crio/crio.conf.d
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
echo "install: $PREFIX/bin/crio ($("$PREFIX/bin/crio" --version))"
