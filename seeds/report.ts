import { formatTable } from '../src/shared/cli';
import type { SeedReport } from './index';

/** The seed report for people: what was written, table by table. */
export function formatSeedReport(report: SeedReport): string {
  return [
    `Seeded the demo world (seed ${report.seed}, history up to ${report.end.slice(0, 10)}) in ${report.totalSeconds.toFixed(1)} s`,
    '',
    formatTable(['table', 'rows'], Object.entries(report.counts)),
  ].join('\n');
}
