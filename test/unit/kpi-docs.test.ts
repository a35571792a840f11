import fs from 'node:fs';
import path from 'node:path';
import { KPI_DOCS_FILE, renderKpiDocs } from '../../src/modules/kpi/kpi.docs';
import { kpiDefinitions } from '../../src/modules/kpi/kpi.service';

describe('docs/kpis.md', () => {
  const definitions = kpiDefinitions();
  const rendered = renderKpiDocs(definitions);

  it('is current (run `npx pipewise docs --write` after changing the catalogue)', () => {
    expect(fs.readFileSync(KPI_DOCS_FILE, 'utf8')).toBe(rendered);
  });

  it('documents every KPI with its formula and health ranges', () => {
    for (const d of definitions) {
      const section = rendered.split(`\n### ${d.key}\n`)[1]?.split('\n### ')[0];
      expect(section).toContain(`- Formula: ${d.formula}`);
      expect(section?.includes('- Health: ')).toBe(d.healthRules.length > 0);
    }
    const winRate = rendered.split('\n### winRate\n')[1].split('\n### ')[0];
    expect(winRate).toMatch(/- Health: ALARM when value < \d+ %; WARNING when \d+ % ≤ value < \d+ %; HEALTHY when value ≥ \d+ %/);
  });

  it('is what the README links, with the count the README states', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain('](docs/kpis.md)');
    expect(readme).not.toContain('kpi-catalogue.md'); // the reference lives in the repository, not in ../shared
    expect(readme).toContain(`Every KPI of the catalogue (${definitions.length}:`);
  });
});
