// duckdb.mjs -- the DuckDB contender of `make bench`, run by bench.c.
//
// bench.c writes the workload (W1, and the NAB data) to a binary file and
// runs this script; it loads the same samples in the same interleaved order
// into DuckDB, measures what bench.c measures for the SQLite contenders, and
// prints one "key value" line per figure and one line per query result row:
//
//   version <duckdb version>
//   ingest <s>        all of W1, appender, flushed every --batch samples;
//                     the best of --rounds loads
//   rss_kb <kB>       peak RSS growth of this process during that ingest
//   rss_peak_kb <kB>  peak RSS of this (node) process
//   autocommit <s>    --autocommit samples, one INSERT per transaction
//   bytes <n>         database file size after CHECKPOINT
//   nab_bytes <n>     the same for the NAB data
//   q1 <s>, q2 <s>, q3 <s>   median time of each query
//   retention <s>     DELETE of the samples before --cutoff
//   r1 <s> <b> <n> <min> <max> <avg>   q1 rows (s is the workload index)
//   r2 <s> <b> <n> <min> <max> <avg>   q2 rows
//   r3 <s> <value>                     q3 rows
//   error <text>
//
// The workload file is read by workload.mjs.
//
// Schema: the hand-written layout, series(id, metric, labels) and
// samples(series_id, ts, value), without a primary key (DuckDB's usual
// shape: a key would add an ART index).  DuckDB uses its default threads.
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { readWorkload } from './workload.mjs';

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) o[argv[i].slice(2)] = argv[++i];
  }
  return o;
}

function removeDb(path) {
  for (const p of [path, path + '.wal']) {
    try { fs.unlinkSync(p); } catch { /* absent */ }
  }
}

function fileSize(path) {
  let n = 0;
  for (const p of [path, path + '.wal']) {
    try { n += fs.statSync(p).size; } catch { /* absent */ }
  }
  return n;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;

async function openDb(path) {
  removeDb(path);
  const inst = await DuckDBInstance.create(path);
  const con = await inst.connect();
  await con.run(`CREATE TABLE series(id INTEGER, metric VARCHAR, labels VARCHAR)`);
  await con.run(`CREATE TABLE samples(series_id INTEGER, ts BIGINT, value DOUBLE)`);
  return { inst, con };
}

async function closeDb(db) {
  db.con.closeSync();
  db.inst.closeSync();
}

// The series table, as the application would write it once per series.
async function addSeries(con, series) {
  const st = await con.prepare('INSERT INTO series VALUES ($1, $2, $3)');
  for (let s = 0; s < series.length; s++) {
    st.bindInteger(1, s);
    st.bindVarchar(2, series[s].metric);
    st.bindVarchar(3, series[s].labels);
    await st.run();
  }
}

// Append every sample, interleaved across series, flushing every batch rows
// (each flush commits).  Returns seconds.
async function ingest(con, series, batch) {
  const maxN = Math.max(...series.map((s) => s.n));
  const t0 = now();
  await addSeries(con, series);
  const app = await con.createAppender('samples');
  let k = 0;
  for (let i = 0; i < maxN; i++) {
    for (let s = 0; s < series.length; s++) {
      const sr = series[s];
      if (i >= sr.n) continue;
      app.appendInteger(s);
      app.appendBigInt(sr.ts[i]);
      app.appendDouble(sr.val[i]);
      app.endRow();
      if (++k % batch === 0) app.flushSync();
    }
  }
  app.flushSync();
  app.closeSync();
  return now() - t0;
}

async function autocommit(con, series, nSample) {
  const t0 = now();
  await addSeries(con, series);
  const st = await con.prepare('INSERT INTO samples VALUES ($1, $2, $3)');
  let k = 0;
  for (let i = 0; k < nSample; i++) {
    for (let s = 0; s < series.length && k < nSample; s++) {
      st.bindInteger(1, s);
      st.bindBigInt(2, series[s].ts[i]);
      st.bindDouble(3, series[s].val[i]);
      await st.run();
      k++;
    }
  }
  return now() - t0;
}

// Median seconds of a query, run until minSeconds and minRuns, but no more
// once budget seconds are spent.
async function timeQuery(con, sql, params, minSeconds, minRuns, budget) {
  const st = await con.prepare(sql);
  const bind = () => params.forEach((v, j) => {
    if (typeof v === 'bigint') st.bindBigInt(j + 1, v); else st.bindInteger(j + 1, v);
  });
  bind();
  const first = await st.runAndReadAll();   // warm-up, and the rows to check
  const times = [];
  let total = 0;
  while ((times.length < minRuns || total < minSeconds) && (times.length === 0 || total < budget)) {
    const t0 = now();
    bind();
    await st.runAndReadAll();
    const t = now() - t0;
    times.push(t);
    total += t;
  }
  times.sort((a, b) => a - b);
  return { t: times[times.length >> 1], rows: first.getRows() };
}

const num = (v) => (typeof v === 'bigint' ? v.toString() : String(v));

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const out = o.out;
  const batch = Number(o.batch);
  const minSeconds = Number(o['min-seconds']);
  const minRuns = Number(o['min-runs']);
  const cutoff = BigInt(o.cutoff);
  const q1 = Number(o.q1);
  const series = readWorkload(o.workload);

  // Figure 1 and 8: load W1 --rounds times (the best time counts; the
  // memory figures come from the first round); RSS growth from here to the
  // peak.  The last round's database is kept for the rest.
  const rounds = Math.max(1, Number(o.rounds || 1));
  let db = null;
  let tIngest = Infinity;
  for (let r = 0; r < rounds; r++) {
    if (db) { await closeDb(db); removeDb(`${out}/duck.duckdb`); }
    db = await openDb(`${out}/duck.duckdb`);
    if (r === 0) {
      const v = await db.con.runAndReadAll('SELECT version()');
      console.log(`version ${v.getRows()[0][0]}`);
    }
    const rss0 = process.memoryUsage().rss / 1024;
    tIngest = Math.min(tIngest, await ingest(db.con, series, batch));
    if (r === 0) {
      const rssPeak = process.resourceUsage().maxRSS;   // kB
      console.log(`rss_kb ${Math.max(0, rssPeak - rss0)}`);
      console.log(`rss_peak_kb ${rssPeak}`);
    }
  }
  console.log(`ingest ${tIngest}`);

  // Figure 3: size after a checkpoint.
  await db.con.run('CHECKPOINT');
  console.log(`bytes ${fileSize(`${out}/duck.duckdb`)}`);

  // Figures 4 to 6.
  const q = [
    ['q1', 'r1', `SELECT ts // 60000 * 60000 AS b, avg(value), min(value), max(value),
                         count(*) FROM samples WHERE series_id = $1 GROUP BY b`, [q1]],
    ['q2', 'r2', `SELECT series_id, ts // 3600000 * 3600000 AS b, avg(value), min(value),
                         max(value), count(*) FROM samples GROUP BY series_id, b`, []],
    ['q3', 'r3', `SELECT series_id, arg_max(value, ts) FROM samples GROUP BY series_id`, []],
  ];
  for (const [name, tag, sql, params] of q) {
    const r = await timeQuery(db.con, sql, params, minSeconds, minRuns, Number(o.budget || 1e9));
    console.log(`${name} ${r.t}`);
    for (const row of r.rows) {
      if (tag === 'r3') {
        console.log(`r3 ${num(row[0])} ${num(row[1])}`);
      } else if (tag === 'r1') {
        // b avg min max count -> s b n min max avg
        console.log(`r1 ${q1} ${num(row[0])} ${num(row[4])} ${num(row[2])} ${num(row[3])} ${num(row[1])}`);
      } else {
        console.log(`r2 ${num(row[0])} ${num(row[1])} ${num(row[5])} ${num(row[3])} ${num(row[4])} ${num(row[2])}`);
      }
    }
  }

  // Figure 7: retention.
  {
    const st = await db.con.prepare('DELETE FROM samples WHERE ts < $1');
    st.bindBigInt(1, cutoff);
    const t0 = now();
    await st.run();
    console.log(`retention ${now() - t0}`);
  }
  await closeDb(db);
  removeDb(`${out}/duck.duckdb`);

  // Figure 2: autocommit on a fresh database.
  db = await openDb(`${out}/duck-auto.duckdb`);
  const tAuto = await autocommit(db.con, series, Number(o.autocommit));
  console.log(`autocommit ${tAuto}`);
  await closeDb(db);
  removeDb(`${out}/duck-auto.duckdb`);

  // Figure 3b: NAB.
  if (o.nab) {
    const nab = readWorkload(o.nab);
    db = await openDb(`${out}/duck-nab.duckdb`);
    await ingest(db.con, nab, batch);
    await db.con.run('CHECKPOINT');
    console.log(`nab_bytes ${fileSize(`${out}/duck-nab.duckdb`)}`);
    await closeDb(db);
    removeDb(`${out}/duck-nab.duckdb`);
  }
}

main().catch((e) => {
  console.log(`error ${String(e && e.message ? e.message : e).replace(/\n/g, ' ')}`);
  process.exit(1);
});
