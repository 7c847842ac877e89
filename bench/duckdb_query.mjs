// Runs one SQL statement in DuckDB (npm @duckdb/node-api) REPEAT times and prints the best wall time
// as JSON. Used by bench scripts to time the peer on the same files in the same run.
// usage: node bench/duckdb_query.mjs "SQL" [REPEAT] [THREADS]
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const dir = new URL('../tools/duckdb/node_modules/@duckdb/node-api', import.meta.url).pathname;
const { DuckDBInstance } = require(dir);
const [sql, repeat = '3', threads = ''] = process.argv.slice(2);
const opts = threads ? { threads } : {};
const inst = await DuckDBInstance.create(':memory:', opts);
const con = await inst.connect();
let best = Infinity, result = null;
for (let i = 0; i < Number(repeat); i++) {
  const t0 = process.hrtime.bigint();
  const reader = await con.runAndReadAll(sql);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  best = Math.min(best, secs);
  result = reader.getRowsJson();
}
console.log(JSON.stringify({ seconds: best, result }));
