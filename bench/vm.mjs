// vm.mjs -- the VictoriaMetrics contender of `make bench`, run by bench.c.
//
// Starts Debian's victoria-metrics on 127.0.0.1 (a free port, its own data
// directory under --out, removed afterwards), loads the workload bench.c
// wrote (workload.mjs) through /api/v1/import (JSON lines, one per series),
// flushes (/internal/force_flush) and waits until no merge is running and
// the directory stops changing, then counts the bytes of every file under
// the data directory (whole) and under its data/ subdirectory alone (the
// samples; indexdb/ holds the series index).  Then q1-q3 over HTTP (timed
// as a client sees them: the HTTP round trip and the JSON are included),
// with the response cache off (-search.disableCache), each run until
// --min-seconds and --min-runs, at most --budget seconds; the median
// counts.  The NAB data, if given, goes to a second instance: bytes only.
//
// Output, one line each (bench.c parses it like duckdb.mjs's):
//   version <text>
//   skip <reason>          victoria-metrics is not installed or not usable
//   load <s>               the W1 import, HTTP included
//   bytes <n>, data_bytes <n>, nab_bytes <n>, nab_data_bytes <n>
//   q1 <s>, q2 <s>, q3 <s>
//   r1 <s> <b> <n> <min> <max> <avg>, r2 ..., r3 <s> <value>
//   error <text>
//
// Queries (MetricsQL), a window (t - d, t] per point t:
//   q1  aggr_over_time(("avg_over_time", "min_over_time", "max_over_time",
//       "count_over_time"), <series 0>[1m]) at t = b + 59.999 s for every
//       1 m bucket b (query_range, step 1m)
//   q2  the same over {__name__=~"app_.+"}[1h], 1 h buckets
//   q3  last_over_time({__name__=~"app_.+"}[1h]) at the end of W1 (query)
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { readWorkload } from './workload.mjs';

const BIN = 'victoria-metrics';
const now = () => Number(process.hrtime.bigint()) / 1e9;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) o[argv[i].slice(2)] = argv[++i];
  }
  return o;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Bytes of every regular file under dir.
function dirBytes(dir) {
  let n = 0;
  let ents;
  try { ents = fs.readdirSync(dir, { withFileTypes: true }); } catch { return 0; }
  for (const e of ents) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += dirBytes(p);
    else if (e.isFile()) n += fs.statSync(p).size;
  }
  return n;
}

// One running victoria-metrics.
async function start(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, [
    `-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`,
    '-retentionPeriod=100y', '-search.disableCache', '-loggerLevel=ERROR',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = null;
  child.stderr.on('data', (d) => { stderr += d; });
  child.on('exit', (code) => { exited = code; });
  for (let i = 0; i < 200; i++) {
    if (exited !== null) throw new Error(`${BIN} exited (${exited}): ${stderr.trim().slice(-300)}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) return { child, base, dir };
    } catch { /* not listening yet */ }
    await sleep(50);
  }
  child.kill('SIGTERM');
  throw new Error(`${BIN} did not answer on ${base} within 10 s`);
}

async function stop(vm) {
  if (vm.child.exitCode === null) {
    const done = new Promise((r) => vm.child.once('exit', r));
    vm.child.kill('SIGTERM');
    await Promise.race([done, sleep(10000)]);
    if (vm.child.exitCode === null) vm.child.kill('SIGKILL');
  }
  fs.rmSync(vm.dir, { recursive: true, force: true });
}

async function get(vm, url) {
  const r = await fetch(vm.base + url);
  const text = await r.text();
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${text.slice(0, 200)}`);
  return text;
}

// The labels of a series as a VictoriaMetrics metric object.
function metricOf(sr) {
  return { __name__: sr.metric, ...JSON.parse(sr.labels) };
}

// Import every series as JSON lines (%.17g-exact numbers: JavaScript prints
// the shortest text that reads back as the same double).  Returns seconds.
async function load(vm, series) {
  const lines = series.map((sr) => JSON.stringify({
    metric: metricOf(sr),
    values: Array.from(sr.val),
    timestamps: Array.from(sr.ts, Number),
  }));
  const body = lines.join('\n') + '\n';
  const t0 = now();
  const r = await fetch(`${vm.base}/api/v1/import`, { method: 'POST', body });
  if (!r.ok) throw new Error(`import: ${r.status} ${(await r.text()).slice(0, 200)}`);
  await get(vm, '/internal/force_flush');
  return now() - t0;
}

// Sum of the samples of a metric family of /metrics, e.g. vm_active_merges.
function metricSum(text, name) {
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(name + '{') || line.startsWith(name + ' ')) {
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return n;
}

// After the flush: wait until no merge runs, nothing is pending, data/ holds
// samples, and the bytes on disk stay the same for 6 s (victoria-metrics
// 1.79 writes the flushed rows out within about 5 s); at most 120 s.
async function settle(vm) {
  let last = -1, since = 0;
  for (let i = 0; i < 240; i++) {
    const m = await get(vm, '/metrics');
    const busy = metricSum(m, 'vm_active_merges') + metricSum(m, 'vm_pending_rows');
    const bytes = dirBytes(vm.dir);
    if (busy > 0 || bytes !== last || dirBytes(`${vm.dir}/data`) === 0) {
      last = bytes;
      since = now();
    } else if (now() - since >= 6) {
      return;
    }
    await sleep(500);
  }
  console.log('error the data directory did not settle within 120 s; bytes as they are');
}

// A label set as canonical JSON (keys sorted), without __name__ and the
// rollup label that aggr_over_time() adds: rollup functions drop the
// metric name, so results are matched to series by their labels.
function labelsKey(metric) {
  const o = {};
  for (const k of Object.keys(metric).sort()) {
    if (k !== '__name__' && k !== 'rollup') o[k] = metric[k];
  }
  return JSON.stringify(o);
}

// Rows of an aggr_over_time() range query: key "s b" -> row.
function rangeRows(json, byLabels, width) {
  const rows = new Map();
  for (const r of json.data.result) {
    const s = byLabels.get(labelsKey(r.metric));
    const f = r.metric.rollup;
    if (s === undefined || f === undefined) throw new Error(`unexpected series ${JSON.stringify(r.metric)}`);
    for (const [t, v] of r.values) {
      const b = Math.round(t * 1000) - (width - 1);
      const key = `${s} ${b}`;
      if (!rows.has(key)) rows.set(key, { s, b });
      rows.get(key)[f] = Number(v);
    }
  }
  return [...rows.values()].filter((x) => x.count_over_time > 0);
}

async function timeQuery(vm, url, minSeconds, minRuns, budget) {
  const first = JSON.parse(await get(vm, url));   // warm-up, and the rows
  if (first.status !== 'success') throw new Error(`${url}: ${first.error}`);
  const times = [];
  let total = 0;
  while ((times.length < minRuns || total < minSeconds) && (times.length === 0 || total < budget)) {
    const t0 = now();
    JSON.parse(await get(vm, url));
    const t = now() - t0;
    times.push(t);
    total += t;
  }
  times.sort((a, b) => a - b);
  return { t: times[times.length >> 1], json: first };
}

const AGGR = '("avg_over_time","min_over_time","max_over_time","count_over_time")';

function selector(sr) {
  const l = JSON.parse(sr.labels);
  const parts = Object.keys(l).map((k) => `${k}=${JSON.stringify(l[k])}`);
  return `${sr.metric}{${parts.join(',')}}`;
}

function rangeUrl(q, width, start, end) {
  const sec = (ms) => (ms / 1000).toFixed(3);
  return `/api/v1/query_range?query=${encodeURIComponent(q)}&start=${sec(start + width - 1)}`
    + `&end=${sec(end + width - 1)}&step=${width / 1000}s&nocache=1`;
}

function printRange(tag, rows) {
  for (const x of rows) {
    console.log(`${tag} ${x.s} ${x.b} ${x.count_over_time} ${x.min_over_time} `
      + `${x.max_over_time} ${x.avg_over_time}`);
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const minSeconds = Number(o['min-seconds']);
  const minRuns = Number(o['min-runs']);
  const budget = Number(o.budget);
  const iStart = Number(o.start), iEnd = Number(o.end), q1 = Number(o.q1);

  const v = spawnSync(BIN, ['-version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) {
    console.log(`skip ${BIN} is not installed (Debian package victoria-metrics)`);
    return;
  }
  // Debian's build reports no version of its own: ask dpkg.
  const d = spawnSync('dpkg-query', ['-W', '-f', '${Version}', BIN], { encoding: 'utf8' });
  console.log(`version ${(!d.error && d.status === 0 && d.stdout.trim()) || 'unknown'}`);

  const series = readWorkload(o.workload);
  const byLabels = new Map(series.map((sr, s) => [labelsKey(JSON.parse(sr.labels)), s]));
  if (byLabels.size !== series.length) throw new Error('series that differ only in their name');
  let vm = await start(`${o.out}/vm-w1`);
  try {
    console.log(`load ${await load(vm, series)}`);
    await settle(vm);
    console.log(`bytes ${dirBytes(vm.dir)}`);
    console.log(`data_bytes ${dirBytes(`${vm.dir}/data`)}`);

    let r = await timeQuery(vm, rangeUrl(`aggr_over_time(${AGGR}, ${selector(series[q1])}[1m])`,
      60000, iStart, iEnd), minSeconds, minRuns, budget);
    console.log(`q1 ${r.t}`);
    printRange('r1', rangeRows(r.json, byLabels, 60000));

    r = await timeQuery(vm, rangeUrl(`aggr_over_time(${AGGR}, {__name__=~"app_.+"}[1h])`,
      3600000, iStart, iEnd), minSeconds, minRuns, budget);
    console.log(`q2 ${r.t}`);
    printRange('r2', rangeRows(r.json, byLabels, 3600000));

    r = await timeQuery(vm, `/api/v1/query?query=${encodeURIComponent(
      'last_over_time({__name__=~"app_.+"}[1h])')}&time=${(iEnd / 1000).toFixed(3)}&nocache=1`,
    minSeconds, minRuns, budget);
    console.log(`q3 ${r.t}`);
    for (const x of r.json.data.result) {
      console.log(`r3 ${byLabels.get(labelsKey(x.metric))} ${Number(x.value[1])}`);
    }
  } finally {
    await stop(vm);
  }

  if (o.nab) {
    vm = await start(`${o.out}/vm-nab`);
    try {
      await load(vm, readWorkload(o.nab));
      await settle(vm);
      console.log(`nab_bytes ${dirBytes(vm.dir)}`);
      console.log(`nab_data_bytes ${dirBytes(`${vm.dir}/data`)}`);
    } finally {
      await stop(vm);
    }
  }
}

main().catch((e) => {
  console.log(`error ${String(e.message || e).replace(/\n/g, ' ')}`);
  process.exitCode = 1;
});
