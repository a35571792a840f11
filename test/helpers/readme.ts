import fs from 'node:fs';
import path from 'node:path';
import { parse, type OperationDefinitionNode } from 'graphql';

export const README_FILE = path.join(__dirname, '..', '..', 'README.md');
export const README = fs.readFileSync(README_FILE, 'utf8');

export interface GraphqlBlock {
  /** The operation's name: every README block names its operation, so the test can say which one failed. */
  name: string;
  query: string;
}

/** Every ```graphql block of the README, in order. */
export function graphqlBlocks(markdown = README): GraphqlBlock[] {
  return [...markdown.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => {
    const query = match[1].trim();
    const operations = parse(query).definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
    if (operations.length !== 1 || !operations[0].name) throw new Error(`A README GraphQL block must hold one named operation:\n${query}`);
    return { name: operations[0].name.value, query };
  });
}

/** Every `npx pipewise ...` line of the README's ```bash blocks, in order, without its trailing comment. */
export function cliLines(markdown = README): string[] {
  return [...markdown.matchAll(/```bash\n([\s\S]*?)```/g)]
    .flatMap((match) => match[1].split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('npx pipewise'));
}

/** `npx pipewise ...` code spans in the prose (placeholders like `<command>` excepted). */
export function inlineCliMentions(markdown = README): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/`(npx pipewise[^`]*)`/g)].map((m) => m[1].trim()).filter((span) => !span.includes('<'));
}
