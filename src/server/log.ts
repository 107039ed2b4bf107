// JSON log lines (`level`, `msg`, `time`, then fields), one per line on stderr, as Argo's servers write
// with --log-format json.
import type { Logger } from '../workflow/controller.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface JsonLogger extends Logger {
  debug(msg: string, fields?: object): void;
  /** False when debug lines are dropped, so callers can skip building their fields. */
  readonly debugEnabled?: boolean;
}

export function jsonLogger(level: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): JsonLogger {
  const emit = (lvl: LogLevel, msg: string, fields?: object) => {
    if (ORDER[lvl] < ORDER[level]) return;
    write(JSON.stringify({ level: lvl, msg, time: new Date().toISOString(), ...(fields ?? {}) }) + '\n');
  };
  return {
    debugEnabled: ORDER[level] <= ORDER.debug,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentJsonLogger: JsonLogger = { debugEnabled: false, debug() {}, info() {}, warn() {}, error() {} };
