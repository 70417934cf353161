#!/usr/bin/env bash
# Quiet-window measurements at the end of session 4, in the order BENCHMARKS.md reports them. Usage:
# bench/final-session4.sh kudustart latency kudutput kcreate kuduwipe client tablet create loadgen (needs the class paths of BENCHMARKS.md "Commands")
set -u
cd "$(dirname "$0")/.."
out=/tmp/final; mkdir -p $out
log() { echo "=== $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg) $*"; }
. bin/select-jdk.sh >/dev/null 2>&1
CP="basalt-itest/target/classes:$(cat /tmp/basalt-itest.cp)"
KCP="bench/kudu-latency/target/classes:$(cat /tmp/kudu-cp.txt)"
KM=127.0.0.1:18051,127.0.0.1:18052,127.0.0.1:18053
blat() { log "basalt one-row latency"; java -cp "$CP" basalt.itest.bench.TabletWriteBench --parts=b --latency_warmup=30000 --latency_writes=10000 2>&1 | grep -v WARN | tail -1; }
klat() { log "kudu one-row latency"; /usr/bin/java -cp "$KCP" bench.KuduLatencyBench $KM 30000 10000 120 2>&1 | tail -2; }
for step in "$@"; do case $step in
kudustart) log "kudu start (fsync on every write)"; KUDU_EXTRA_FLAGS=--log_force_fsync_all=true ../shared/peers/kudu/cluster.sh start > $out/kudu.out 2>&1;;
latency) blat; klat; blat; klat; blat; klat;;
kudutput)
  for i in 1 2 3; do log "kudu loadgen 1 thread run $i"; ../shared/peers/kudu/cluster.sh kudu perf loadgen $KM --num_threads=1 --num_rows_per_thread=1000000 --table_num_replicas=3 2>&1 | grep -iE "time total" | tail -1; done
  for i in 1 2; do log "kudu Java client batched inserts run $i"; /usr/bin/java -cp "$KCP" bench.KuduInsertThroughputBench $KM 10 20 2>&1 | tail -2; done;;
kuduwipe) ../shared/peers/kudu/cluster.sh wipe > /dev/null 2>&1; log "kudu wiped";;
client) log "ClientBench a"; java -cp "$CP" basalt.itest.bench.ClientBench --parts=a --warmup=50 --seconds=20 --trials=3 --server_jvm=c2 2>&1 | grep -v WARN | tail -4;;
create) for i in 1 2 3; do log "CreateTable rate run $i"; java -cp "$CP" basalt.itest.bench.MasterFailoverBench --parts=b --seconds=20 --warmup=5 2>&1 | grep -v WARN | tail -1; done;;
kcreate) for i in 1 2; do log "kudu CreateTable rate run $i"; /usr/bin/java -cp "$KCP" bench.KuduCreateTableRateBench $KM 5 20 2>&1 | tail -1; done;;
tablet) log "TabletWriteBench a"; java -cp "$CP" basalt.itest.bench.TabletWriteBench --parts=a --warmup=45 --seconds=20 2>&1 | grep -v WARN | tail -3;;
loadgen)
  rm -rf $out/lc; log "local-cluster start"; t0=$(date +%s.%N)
  bin/basalt local-cluster --data $out/lc --server_jvm_options "-Xms1g -Xmx1g" > $out/lc.out 2>&1 &
  LC=$!
  for i in $(seq 1 600); do [ -f $out/lc/cluster.json ] && break; sleep 0.1; done
  M=$(python3 -c "import json;print(','.join(p['rpc_address'] for p in json.load(open('$out/lc/cluster.json')) if p['kind']=='master'))")
  for i in $(seq 1 600); do bin/basalt cluster ksck -m $M > $out/ksck.out 2>&1 && break; sleep 0.2; done
  log "local-cluster healthy (ksck exit 0) after $(python3 -c "import time;print(round(time.time()-$t0,1))") s"
  bin/basalt perf loadgen -m $M --seconds 20 --threads 1 --batch 1000 --format json > /dev/null 2>&1   # warm-up
  for i in 1 2 3; do log "basalt loadgen 1 thread batch 1000 run $i"; bin/basalt perf loadgen -m $M --rows 1000000 --threads 1 --batch 1000 --format json 2>&1 | tail -1; done
  bin/basalt perf loadgen -m $M --seconds 10 --threads 16 --batch 1 --format json > /dev/null 2>&1   # warm-up
  for i in 1 2; do log "basalt loadgen 16 threads batch 1 run $i"; bin/basalt perf loadgen -m $M --seconds 20 --threads 16 --batch 1 --format json 2>&1 | tail -1; done
  kill -TERM $LC; wait $LC; log "local-cluster stopped";;
esac; done
