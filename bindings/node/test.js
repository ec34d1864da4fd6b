// SPDX-License-Identifier: MIT
// test.js -- tests of sqlite-tsm with better-sqlite3 and node-sqlite3 (each
// when it can be required).  Prints "N passed, N failed[, N skipped]".
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const tsm = require('sqlite-tsm');

let passed = 0, failed = 0, skipped = 0;
const pending = [];
function test(name, fn) {
  pending.push(Promise.resolve().then(fn).then(
    () => { passed++; },
    (e) => { failed++; console.log(`! test.js ${name} failed: ${e && e.stack || e}`); }));
}
function skip(name, why) { skipped++; console.log(`- test.js ${name} skipped: ${why}`); }
function tryRequire(name) { try { return require(name); } catch (e) { return null; } }

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-tsm-'));
const version = require('sqlite-tsm/package.json').version;

test('getLoadablePath', () => {
  const p = tsm.getLoadablePath();
  assert.ok(path.isAbsolute(p) && fs.existsSync(p), p);
});
test('load rejects what is not a database', () => {
  assert.throws(() => tsm.load({}), /better-sqlite3 or node-sqlite3/);
});

const Better = tryRequire('better-sqlite3');
if (Better) {
  test('better-sqlite3', () => {
    const file = path.join(dir, 'better.db');
    const db = new Better(file);
    assert.strictEqual(tsm.load(db), db);
    assert.strictEqual(db.prepare('SELECT tsm_version() AS v').get().v, version);
    const insert = db.prepare('INSERT INTO tsm_samples(metric, ts, value) VALUES (?, ?, ?)');
    db.transaction(() => { for (let i = 0; i < 10; i++) insert.run('up', i * 1000, i); })();
    // a second connection, loaded the same way, reads it back
    const other = tsm.load(new Better(file));
    assert.deepStrictEqual(
      other.prepare("SELECT count FROM tsm_query('up', 0, 10000, '5s')").all(),
      [{ count: 5 }, { count: 5 }]);
    // a rolled back transaction records nothing
    assert.throws(() => db.transaction(() => {
      insert.run('up', 20000, 1);
      throw new Error('boom');
    })(), /boom/);
    assert.strictEqual(other.prepare('SELECT count(*) AS n FROM tsm_samples').get().n, 10);
    db.close();
    other.close();
  });
} else {
  skip('better-sqlite3', 'better-sqlite3 is not installed');
}

const sqlite3 = tryRequire('sqlite3');
if (sqlite3) {
  test('node-sqlite3', () => new Promise((resolve, reject) => {
    const db = new sqlite3.Database(path.join(dir, 'node.db'));
    tsm.load(db, (err) => { if (err) reject(err); });
    db.serialize(() => {
      db.run('BEGIN');
      for (let i = 0; i < 10; i++) {
        db.run('INSERT INTO tsm_samples(metric, ts, value) VALUES (?, ?, ?)', ['up', i * 1000, i]);
      }
      db.run('COMMIT');
      db.all("SELECT count, increase FROM tsm_query('up', 0, 10000, '5s')", (err, rows) => {
        if (err) return reject(err);
        try {
          assert.deepStrictEqual(rows, [{ count: 5, increase: 4 }, { count: 5, increase: 5 }]);
        } catch (e) { return reject(e); }
        db.close((e) => (e ? reject(e) : resolve()));
      });
    });
  }));
} else {
  skip('node-sqlite3', 'sqlite3 is not installed');
}

Promise.all(pending).then(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
  process.exitCode = failed ? 1 : 0;
});
