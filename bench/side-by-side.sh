#!/usr/bin/env bash
# The side-by-side table of issue 16: tertulia (default configuration, durable history on)
# against InspIRCd, ergo and the Node floor, with shared/tools/ircbench, in one run.
#
#   bench/side-by-side.sh                      # every scenario, 5 s windows, REPS=1
#   REPS=2 DURATION=10s bench/side-by-side.sh  # longer, two passes
#   SERVERS="inspircd tertulia" FILTER=privmsg bench/side-by-side.sh
#
# Needs: go (Debian golang-go) to build ircbench and ergo, inspircd (Debian) for that column;
# a missing peer is skipped and its column shows "—". Run as root on a quiet 2-core machine:
# each server is pinned to CPU 0 (taskset), the generator to CPU 1, one fresh server
# process per run, interleaved per scenario (all servers for one scenario, then the next),
# so the ratios within a row come from the same minutes. Everything stays under $WORK
# (default /tmp/tertulia-side-by-side); shared/ is only read. Prints the markdown table and
# keeps every raw JSON line in $WORK/results.jsonl.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
IRCBENCH_SRC=${IRCBENCH_SRC:-$ROOT/../shared/tools/ircbench}
[ -d "$IRCBENCH_SRC" ] || IRCBENCH_SRC=/work/shared/tools/ircbench
WORK=${WORK:-/tmp/tertulia-side-by-side}
REPS=${REPS:-1}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
SERVERS=${SERVERS:-inspircd ergo floor tertulia}
FILTER=${FILTER:-.}
SERVER_CPU=${SERVER_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
OUT=$WORK/results.jsonl

mkdir -p "$WORK"
[ -d "$WORK/ircbench" ] || cp -r "$IRCBENCH_SRC" "$WORK/ircbench"
IB=$WORK/ircbench
if [ ! -x "$IB/ircbench.local" ]; then
  command -v go >/dev/null || { echo "side-by-side: go is needed to build ircbench (apt-get install golang-go)" >&2; exit 2; }
  (cd "$IB/src" && go build -o ../ircbench.local .) || exit 2
fi
if [[ " $SERVERS " == *" ergo "* ]] && [ ! -x "$WORK/ergo/ergo" ]; then
  bash "$IB/peers/ergo/build.sh" "$WORK/ergo" >&2 || echo "side-by-side: ergo did not build; skipped" >&2
fi
[ -f "$ROOT/dist/src/index.js" ] || (cd "$ROOT" && npx tsc -p tsconfig.json)
sed "s|@DIR@|$IB|g" "$IB/conf/inspircd.conf.in" > "$IB/conf/inspircd.conf"
mkdir -p "$IB/run" && chown irc:irc "$IB/run" 2>/dev/null
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

port_of() { case $1 in inspircd) echo 6667;; ergo) echo 6671;; floor) echo 6672;; tertulia) echo 6670;; esac; }

# Starts $1 pinned to SERVER_CPU in the foreground of its own session; prints its PID.
start_server() {
  local name=$1 port; port=$(port_of "$1")
  case $name in
    inspircd)
      command -v /usr/sbin/inspircd >/dev/null || return 1
      setsid taskset -c "$SERVER_CPU" setpriv --reuid=irc --regid=irc --clear-groups \
        /usr/sbin/inspircd --config "$IB/conf/inspircd.conf" --nofork --nopid >"$WORK/inspircd.out" 2>&1 </dev/null &
      ;;
    ergo)
      [ -x "$WORK/ergo/ergo" ] || return 1
      setsid taskset -c "$SERVER_CPU" "$WORK/ergo/ergo" run --conf "$WORK/ergo/bench.yaml" >"$WORK/ergo.out" 2>&1 </dev/null &
      ;;
    floor)
      setsid taskset -c "$SERVER_CPU" node "$IB/floor/noderelay.mjs" "$port" >"$WORK/floor.out" 2>&1 </dev/null &
      ;;
    tertulia)
      # The default configuration (history on, SQLite in a fresh data dir); only the limits a
      # load generator trips over (flood, per-IP) are raised, as for every peer.
      rm -rf "$WORK/tertulia-data"
      setsid taskset -c "$SERVER_CPU" node "$ROOT/bin/tertulia.js" serve --host 127.0.0.1 --irc-port "$port" \
        --tls-port off --http-port off --text-port off --data-dir "$WORK/tertulia-data" \
        --flood-burst 1000000 --flood-rate 1000000 --flood-queue 1000000 --max-connections-per-ip 200000 \
        --connect-rate-per-ip 1000000 --sendq-bytes 16777216 --log-level warn >"$WORK/tertulia.out" 2>&1 </dev/null &
      ;;
  esac
  local pid=$!
  for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  [ -d "/proc/$pid" ] || return 1
  echo "$pid"
}

stop_server() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 50); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
}

# label | ircbench arguments
SCENARIOS=(
  "privmsg-50|-scenario privmsg -pairs 50"
  "privmsg-500|-scenario privmsg -pairs 500"
  "privmsg-20k|-scenario privmsg -pairs 50 -rate 20000"
  "fanout-100|-scenario fanout -clients 100 -senders 10"
  "fanout-1000|-scenario fanout -clients 1000 -senders 10"
  "fanout-1000-200|-scenario fanout -clients 1000 -senders 10 -rate 200"
  "conn-10k|-scenario conn -clients 10000 -connect-rate 2000"
)

: > "$OUT.tmp"
for rep in $(seq 1 "$REPS"); do
  for entry in "${SCENARIOS[@]}"; do
    label=${entry%%|*}; args=${entry#*|}
    [[ $label =~ $FILTER ]] || continue
    for name in $SERVERS; do
      pid=$(start_server "$name") || { echo "side-by-side: $name not available; skipped" >&2; continue; }
      echo "side-by-side: rep $rep $label $name (pid $pid)" >&2
      # shellcheck disable=SC2086
      line=$(timeout 600 taskset -c "$GEN_CPU" "$IB/ircbench.local" -port "$(port_of "$name")" -pid "$pid" \
        $args -duration "$DURATION" -warmup "$WARMUP" 2>>"$WORK/ircbench.err" | tail -1)
      stop_server "$pid"
      [ -n "$line" ] && echo "{\"server\":\"$name\",\"config\":\"$label\",\"rep\":$rep,\"run\":$line}" >> "$OUT.tmp"
    done
  done
done
mv "$OUT.tmp" "$OUT"
node "$ROOT/bench/side-by-side-table.mjs" "$OUT" $SERVERS
