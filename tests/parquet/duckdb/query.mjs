// Runs SQL statements through DuckDB and prints their rows in a canonical text
// form that tests/parquet/duckdb_interop_test.cc produces for astrolake's own tables:
//   one line per row, fields separated by TAB; NULL is \N; integers in decimal; DOUBLE/FLOAT
//   values as 16 hex digits of their IEEE-754 double bits (FLOAT widened exactly), so the
//   comparison is bit-exact; strings and blobs as hex of their bytes; lists as [a,b,...].
// After each statement's rows comes a line `--end--`, so one run can answer many queries
// (starting node and DuckDB costs far more than a query on these small files).
// Usage: node query.mjs <file with a JSON array of SQL statements>
// The DuckDB module is found through the AL_DUCKDB_MODULES environment variable (the
// node_modules folder of `npm install --prefix tools/duckdb`).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const modules = process.env.AL_DUCKDB_MODULES;
if (!modules) {
  console.error('AL_DUCKDB_MODULES is not set');
  process.exit(2);
}
let duckdb;
try {
  duckdb = createRequire(path.resolve(modules, 'noop.js'))('@duckdb/node-api');
} catch (e) {
  console.error(`cannot load @duckdb/node-api from ${modules}: ${e.message}\n` +
                'install it with: npm install --prefix tools/duckdb');
  process.exit(3);
}

function hexDouble(x) {
  if (Number.isNaN(x)) return 'nan';
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x, true);
  return dv.getBigUint64(0, true).toString(16).padStart(16, '0');
}

function fmt(v, floating) {
  if (v === null || v === undefined) return '\\N';
  switch (typeof v) {
    case 'number': return floating ? hexDouble(v) : String(v);
    case 'bigint': return v.toString();
    case 'boolean': return v ? 'true' : 'false';
    case 'string': return Buffer.from(v, 'utf8').toString('hex');
  }
  if (Array.isArray(v.items)) return '[' + v.items.map((x) => fmt(x, floating)).join(',') + ']';
  if (v.bytes instanceof Uint8Array) return Buffer.from(v.bytes).toString('hex');
  for (const k of ['micros', 'millis', 'nanos', 'seconds', 'days']) if (k in v) return String(v[k]);
  throw new Error(`cannot format value ${String(v)} (${v.constructor && v.constructor.name})`);
}

const statements = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const instance = await duckdb.DuckDBInstance.create(':memory:', { threads: '1' });
const conn = await instance.connect();
const out = [];
for (const sql of statements) {
  let reader;
  try {
    reader = await conn.runAndReadAll(sql);
  } catch (e) {
    console.error(`DuckDB error in: ${sql}\n${e.message}`);
    process.exit(1);
  }
  const floating = reader.columnTypes().map((t) => /DOUBLE|FLOAT/.test(t.toString()));
  for (const row of reader.getRows()) out.push(row.map((v, i) => fmt(v, floating[i])).join('\t'));
  out.push('--end--');
}
process.stdout.write(out.join('\n') + '\n');
