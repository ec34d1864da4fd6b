// SPDX-License-Identifier: MIT
/** The path of the tsm loadable extension. */
export function getLoadablePath(): string;
/** Load tsm into a better-sqlite3 or node-sqlite3 Database; returns db. */
export function load<T>(db: T, callback?: (err: Error | null) => void): T;
