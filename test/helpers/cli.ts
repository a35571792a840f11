import { execFile } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');
/** The real binary: what `npx pipewise` runs (jest's global setup builds dist/ first). */
export const BIN = path.join(ROOT, 'bin', 'pipewise.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `pipewise <args>` in a child process with the given environment on top of a clean one (no inherited
 * DATABASE_URL or MODELS_DIR), so a CLI test writes only where it says.
 */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<CliResult> {
  // no forecast fact file unless a test names one: PostgreSQL's default is the checkout's data/ folder
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', NODE_ENV: 'development', FORECAST_FACTS_FILE: 'off' };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...base, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** Splits a README line into arguments (no quoting is used there). */
export const argsOf = (line: string): string[] => line.replace(/^npx pipewise\s*/, '').split(/\s+/).filter(Boolean);
