// workload.mjs -- read the workload file that bench.c writes for the
// contenders it runs through node (duckdb.mjs, vm.mjs).
//
// Workload file (little-endian): "TSMWL01\0", int64 nSeries, then per series
// metric[64], labels[96], int64 n, int64 reserved; then per series n int64
// timestamps followed by n doubles.
import fs from 'node:fs';

export function readWorkload(file) {
  const buf = fs.readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
  const dv = new DataView(ab);
  const magic = Buffer.from(ab, 0, 7).toString('latin1');
  if (magic !== 'TSMWL01') throw new Error(`${file}: not a workload file`);
  const nSeries = Number(dv.getBigInt64(8, true));
  const cstr = (off, n) => {
    const b = Buffer.from(ab, off, n);
    const end = b.indexOf(0);
    return b.toString('utf8', 0, end < 0 ? n : end);
  };
  const series = [];
  let off = 16;
  for (let s = 0; s < nSeries; s++) {
    series.push({
      metric: cstr(off, 64),
      labels: cstr(off + 64, 96),
      n: Number(dv.getBigInt64(off + 160, true)),
    });
    off += 176;
  }
  for (const sr of series) {
    sr.ts = new BigInt64Array(ab, off, sr.n);
    off += 8 * sr.n;
    sr.val = new Float64Array(ab, off, sr.n);
    off += 8 * sr.n;
  }
  return series;
}
