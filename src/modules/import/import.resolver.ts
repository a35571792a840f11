import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { AccessRole } from '../auth/identity';
import { BadInputError, ForbiddenError } from '../../shared/errors';
import { textSource } from './csv-source';
import { runImport } from './import.service';
import { ImportInput, ImportReportType } from './import.types';
import { formatReport } from './report';

/** Total size of the files one mutation accepts; larger exports go through `pipewise import`. */
export const IMPORT_MAX_BYTES = 5 * 1024 * 1024;

@Resolver()
export class ImportResolver {
  @Mutation(() => ImportReportType, {
    description: `Imports a CRM export (same mapping as \`pipewise import\`; files sent as text, ${IMPORT_MAX_BYTES / 1024 / 1024} MB in total at most; the server's request body limit applies too). ADMIN only. One transaction: all or nothing.`,
  })
  async importCrmExport(@Arg('input', () => ImportInput) input: ImportInput, @Ctx() ctx: Context): Promise<ImportReportType> {
    if (ctx.identity.role !== AccessRole.ADMIN) throw new ForbiddenError('Only an administrator can import CRM data');
    const total = input.files.reduce((sum, f) => sum + Buffer.byteLength(f.content, 'utf8'), 0);
    if (total > IMPORT_MAX_BYTES) {
      throw new BadInputError('input.files', `The files total ${(total / 1024 / 1024).toFixed(1)} MB; the limit is ${IMPORT_MAX_BYTES / 1024 / 1024} MB: use \`pipewise import\` for larger exports`);
    }
    const report = await runImport(ctx.em, ctx.config.database.kind, input.mapping, (file, section) => {
      const wanted = file.split(/[\\/]/).pop()!;
      const match = input.files.find((f) => f.name === file || f.name === wanted);
      if (!match) throw new BadInputError(`mapping.${section}.file`, `The mapping names "${file}" but no file of that name was sent (sent: ${input.files.map((f) => f.name).join(', ')})`);
      return textSource(match.name, match.content);
    }, { dryRun: input.dryRun, strict: input.strict });
    return { ...report, status: report.status as ImportReportType['status'], text: formatReport(report) };
  }
}
