// Loaded with `node --import` into a process whose peak RSS we want: writes it (KiB) at exit.
import { writeFileSync } from 'node:fs';
const out = process.env.ARGOSY_BENCH_MAXRSS_FILE;
if (out) process.on('exit', () => writeFileSync(out, String(process.resourceUsage().maxRSS)));
