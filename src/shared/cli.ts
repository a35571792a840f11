/**
 * The CLI convention every `pipewise` command follows (README "CLI conventions"):
 * exit 0 on success, 1 when the work failed, 2 for a usage error (unknown option, bad value, unknown id), with a
 * message that names the flag and an accepted example; `--json` for scripts, tables for people.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config';
import { AppError } from './errors';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A value the command cannot accept: exit 2. Say which flag and give an example of what works. */
export class UsageError extends Error {}

/** Commands of the `pipewise` program: strict about options, with suggestions, and usage errors exit 2. */
export class PipewiseCommand extends Command {
  constructor(name?: string) {
    super(name);
    this.allowUnknownOption(false).showSuggestionAfterError().showHelpAfterError('(add --help for the accepted options and examples)');
  }

  override createCommand(name?: string): Command {
    return new PipewiseCommand(name);
  }

  /**
   * Commander checks required options before unknown ones, so a typo (`--perod`) was reported as a missing
   * `--period`. Skip that check here; `checkRequiredOptions` (a preAction hook) runs it once unknown options
   * have been refused.
   */
  _checkForMissingMandatoryOptions(): void {}
}

/** preAction hook of the program: the required-option check commander would have made, after the unknown-option one. */
export function checkRequiredOptions(_program: Command, action: Command): void {
  for (let cmd: Command | null = action; cmd; cmd = cmd.parent) {
    for (const option of cmd.options) {
      if (option.mandatory && cmd.getOptionValue(option.attributeName()) === undefined) {
        cmd.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue', exitCode: EXIT_USAGE });
      }
    }
  }
}

/** Maps what an action threw to the exit code and a message on stderr. */
export function exitCodeFor(error: unknown, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE; // commander printed it already
  if (error instanceof UsageError || error instanceof ConfigError) {
    write(`error: ${error.message}`);
    return EXIT_USAGE;
  }
  if (error instanceof AppError) {
    const { code, field } = error.extensions as { code: string; field?: string };
    write(`error: ${error.message}${field ? ` (${field})` : ''}`);
    return code === 'BAD_USER_INPUT' || code === 'NOT_FOUND' ? EXIT_USAGE : EXIT_FAILURE;
  }
  write(`error: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT_FAILURE;
}

// Option parsers: each refuses what it cannot read with a message that names what works.

export const wholeNumber =
  (example: number, min = 0) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number${min > 0 ? ` from ${min}` : ''}, e.g. ${example}`);
    return n;
  };

/** YYYY-MM-DD that exists on the calendar (2026-02-30 is refused, not rolled over to March). */
export function calendarDate(value: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!match || !date || date.getUTCFullYear() !== Number(match[1]) || date.getUTCMonth() !== Number(match[2]) - 1 || date.getUTCDate() !== Number(match[3])) {
    throw new InvalidArgumentError(`expected a calendar date YYYY-MM-DD, e.g. 2026-10-01`);
  }
  return date;
}

/** A calendar date, or an ISO 8601 instant with a time (2026-10-01T12:00:00Z). */
export function dateOrInstant(value: string): Date {
  if (!value.includes('T')) return calendarDate(value);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected a date YYYY-MM-DD or an ISO 8601 instant, e.g. 2026-10-01 or 2026-10-01T12:00:00Z');
  calendarDate(value.slice(0, 10)); // the day part must exist too
  return date;
}

/** One of a few words, case-insensitive; returns it upper-cased (enum style). */
export const oneOf =
  <T extends string>(values: readonly T[]) =>
  (value: string): T => {
    const upper = value.trim().toUpperCase() as T;
    if (!values.includes(upper)) throw new InvalidArgumentError(`expected one of ${values.map((v) => v.toLowerCase()).join(', ')}, e.g. ${values[0].toLowerCase()}`);
    return upper;
  };

/** A database id as the API prints it. */
export const idValue = (value: string): string => {
  if (!/^[1-9]\d{0,15}$/.test(value.trim())) throw new InvalidArgumentError('expected an id (a positive whole number), e.g. 1');
  return value.trim();
};

export const JSON_HELP = 'print JSON (for scripts) instead of tables';

/** `--json` prints the value as JSON; otherwise the table people read. */
export function printOutput(json: boolean | undefined, value: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : human());
}

/** A plain-text table: first column left-aligned, the others right-aligned (numbers). */
export function formatTable(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c == null ? '-' : typeof c === 'number' ? c.toLocaleString('en-US') : String(c))))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
