// `node --import ./spawn-trace-preload.mjs`: installs the spawn trace (spawn-trace.mjs) into the
// file named by SHIMKIT_BENCH_TRACE before the shim's own modules load.
import { installSpawnTrace } from './spawn-trace.mjs';

if (process.env.SHIMKIT_BENCH_TRACE) installSpawnTrace(process.env.SHIMKIT_BENCH_TRACE);
