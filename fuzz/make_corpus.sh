#!/bin/sh
# Regenerates the DuckDB-written seeds of corpus/parquet (needs `npm install --prefix tools/duckdb`).
# Fixture files copied from the HATS fixtures and files from our writer are added by hand.
set -e
cd "$(dirname "$0")/.."
out=fuzz/corpus/parquet
mkdir -p "$out"
q=$(mktemp)
cat > "$q" <<SQL
["CREATE TABLE t AS SELECT i::BIGINT AS id, (i * 7 % 100)::INTEGER AS small, sin(i) * 1000 AS d, (i / 3)::FLOAT AS f, CASE WHEN i % 5 = 0 THEN NULL ELSE 'str_' || (i * 31 % 17) END AS s, 'cat' || (i % 3) AS dict, TIMESTAMP '2020-01-01' + INTERVAL (i) SECOND AS ts, DATE '2000-01-01' + i::INTEGER AS dt, i % 2 = 0 AS b, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 7 = 1 THEN [] ELSE [i * 0.5, NULL, i * 1.5] END AS l, (i % 250)::UTINYINT AS u8 FROM range(200) r(i)",
 "COPY t TO '$out/duckdb_default.parquet' (FORMAT parquet)",
 "COPY t TO '$out/duckdb_zstd_rg.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 64)",
 "COPY t TO '$out/duckdb_snappy.parquet' (FORMAT parquet, COMPRESSION snappy)",
 "COPY t TO '$out/duckdb_gzip.parquet' (FORMAT parquet, COMPRESSION gzip)",
 "COPY t TO '$out/duckdb_uncompressed_v2.parquet' (FORMAT parquet, COMPRESSION uncompressed, PARQUET_VERSION v2)",
 "COPY t TO '$out/duckdb_lz4.parquet' (FORMAT parquet, COMPRESSION lz4_raw)",
 "SELECT 1"]
SQL
AL_DUCKDB_MODULES="$PWD/tools/duckdb/node_modules" node tests/parquet/duckdb/query.mjs "$q" > /dev/null
rm -f "$q"
