/**
 * How long DuckDB's allocator (its own jemalloc) keeps memory it freed before giving it back to the system.
 * DuckDB sets one second: an analysis frees and allocates again from statement to statement, so its pages are
 * handed back and faulted in anew over and over. A page fault costs 15-20 us on a virtual machine like the one
 * `npm run bench` runs on: analyzing 10 M file rows took about 690 k of them, a third of its CPU time. Keeping
 * freed memory for 30 s saves about 250 k faults at the same peak RSS (docs/analyze.md).
 *
 * jemalloc reads this variable once, when libduckdb is loaded: every module that imports `@duckdb/node-api`
 * imports this one first. A value the user set is kept.
 */
process.env.DUCKDB_JE_MALLOC_CONF ??= 'dirty_decay_ms:30000,muzzy_decay_ms:30000';
