// SPDX-License-Identifier: MIT
// sqlite-tsm -- load tsm, time-series metrics inside SQLite, into a
// better-sqlite3 or node-sqlite3 database.
//
//   const tsm = require('sqlite-tsm');
//   tsm.load(db);                 // better-sqlite3: synchronous
//   tsm.load(db, (err) => ...);   // node-sqlite3: queued before later statements
//   tsm.getLoadablePath();        // the extension, for other clients
'use strict';
const fs = require('fs');
const path = require('path');

// Where the extension is: lib/tsm.so inside a packed package (npm pack
// copies it there), else dist/tsm.so of the repository this directory
// belongs to (npm install <repo>/bindings/node links to it).
function getLoadablePath() {
  const candidates = [
    path.join(__dirname, 'lib', 'tsm.so'),
    path.join(__dirname, '..', '..', 'dist', 'tsm.so'),
  ];
  for (const p of candidates) {
    if (fs.existsSync(p)) return p;
  }
  throw new Error('sqlite-tsm: the tsm extension was not found (looked for '
                  + candidates.join(', ') + '): run make in the tsm repository');
}

// Load tsm into db.  Load it into every connection that touches the store.
function load(db, callback) {
  if (!db || typeof db.loadExtension !== 'function') {
    throw new TypeError('sqlite-tsm: load(db) wants a better-sqlite3 or node-sqlite3 Database');
  }
  const p = getLoadablePath();
  if (typeof db.pragma !== 'function' && typeof db.each === 'function') {
    // node-sqlite3: asynchronous, queued ahead of the statements that follow
    db.loadExtension(p, callback || ((err) => { if (err) db.emit('error', err); }));
  } else {
    // better-sqlite3
    db.loadExtension(p);
    if (callback) callback(null);
  }
  return db;
}

module.exports = { load, getLoadablePath };
