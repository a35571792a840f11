/**
 * The one way Pipewise makes its logger. JSON lines with ISO times and level names ("level":"info") for log
 * collectors, the default everywhere; in development on a terminal, readable coloured lines (pino-pretty) instead.
 * LOG_FORMAT=json|pretty overrides the choice.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '../config';

export type LogFormat = 'json' | 'pretty';

export function logFormatFor(env: AppConfig['env'], isTty: boolean, override = process.env.LOG_FORMAT): LogFormat {
  if (override === 'json' || override === 'pretty') return override;
  return env === 'development' && isTty ? 'pretty' : 'json';
}

export const JSON_LOG_OPTIONS: LoggerOptions = {
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
};

export function createLogger(
  config: Pick<AppConfig, 'env' | 'logLevel'>,
  format: LogFormat = logFormatFor(config.env, Boolean(process.stdout.isTTY)),
  destination: NodeJS.WritableStream = process.stdout,
): Logger {
  if (format === 'pretty') {
    // In-process and synchronous: lines appear in order with the process's own output, and nothing is lost on exit.
    const colorize = destination === process.stdout && Boolean(process.stdout.isTTY);
    return pino({ level: config.logLevel }, pretty({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true, destination }));
  }
  return pino({ ...JSON_LOG_OPTIONS, level: config.logLevel }, destination);
}

/** Whether a logger prints for people (multi-line messages read well there, not in JSON). */
export const isPretty = (format: LogFormat) => format === 'pretty';
