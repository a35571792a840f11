import { canonical, detectKind, describeValue, encode, fitPipeline, parseNumber, MISSING, OTHER, type RawRecord } from '../../src/modules/scoring/features';

describe('value parsing', () => {
  it('treats CRM placeholders as missing and folds case and spacing', () => {
    expect(canonical('Select')).toBeNull();
    expect(canonical('  N/A ')).toBeNull();
    expect(canonical('')).toBeNull();
    expect(canonical('Google')).toBe('google');
    expect(canonical(' google  ads ')).toBe('google ads');
  });

  it('parses numbers stored as text', () => {
    expect(parseNumber('12')).toBe(12);
    expect(parseNumber(' 3,5 ')).toBe(3.5);
    expect(parseNumber('1,234.5')).toBe(1234.5);
    expect(parseNumber('40%')).toBe(40);
    expect(parseNumber('Select')).toBeNull();
    expect(parseNumber('12 visits')).toBeNull();
    expect(parseNumber(true)).toBe(1);
  });

  it('detects numeric columns from text values and categorical ones from labels', () => {
    expect(detectKind(['1', '2', '3.5', 'Select', null])).toEqual({ kind: 'numeric', parsedFromText: true });
    expect(detectKind([1, 2, 3])).toEqual({ kind: 'numeric', parsedFromText: false });
    // 1 text value in 4 is 75 % numeric: below the 95 % bar, so categorical.
    expect(detectKind(['1', '2', '3', 'many']).kind).toBe('categorical');
  });
});

describe('fitPipeline / encode', () => {
  // 40 rows: Lead Origin has "API" (20, some as "api"), "Form" (16), "Fax" (2, rare), "Select" (2, missing).
  const origins = [...Array(14).fill('API'), ...Array(6).fill('api'), ...Array(16).fill('Form'), 'Fax', 'Fax', 'Select', 'Select'];
  const records: RawRecord[] = origins.map((origin, i) => ({
    origin,
    visits: i % 10 === 0 ? null : String(i % 5), // text numbers with 10 % missing
    constant: 'No',
    id: `x${i}`,
  }));
  const pipeline = fitPipeline(records, ['origin', 'visits', 'constant'], { labels: { origin: 'Lead Origin' }, minCategoryCount: 5 });

  it('merges case duplicates, folds rare values into other, drops constant columns', () => {
    const origin = pipeline.features.find((f) => f.key === 'origin');
    expect(origin).toMatchObject({ kind: 'categorical', categories: ['api', 'form'], display: ['API', 'Form'], rareFolded: 1 });
    expect(origin!.missingRate).toBeCloseTo(2 / 40, 10);
    expect(pipeline.dropped).toEqual([{ key: 'constant', label: 'constant', reason: 'constant' }]);
    const visits = pipeline.features.find((f) => f.key === 'visits');
    expect(visits).toMatchObject({ kind: 'numeric', parsedFromText: true });
    expect(visits!.missingRate).toBeCloseTo(0.1, 12);
    expect(pipeline.columns.map((c) => c.name)).toEqual(['origin=api', 'origin=form', `origin=${OTHER}`, `origin=${MISSING}`, 'visits', 'visits:missing']);
  });

  it('encodes unseen categories as other and missing values as missing (numeric: 0 plus indicator)', () => {
    const visits = pipeline.features.find((f) => f.key === 'visits')!;
    if (visits.kind !== 'numeric') throw new Error('numeric expected');
    const x = encode(pipeline, [
      { origin: 'Carrier pigeon', visits: 'n/a' },
      { origin: 'FORM ', visits: 4 },
      { origin: 'Select' },
    ]);
    expect(Array.from(x.slice(0, 6))).toEqual([0, 0, 1, 0, 0, 1]);
    const z = (visits.transform === 'log1p' ? Math.log1p(4) - visits.mean : 4 - visits.mean) / visits.std;
    expect(x[6 + 1]).toBe(1);
    expect(x[6 + 4]).toBeCloseTo(z, 5);
    expect(x[6 + 5]).toBe(0);
    expect(Array.from(x.slice(12, 16))).toEqual([0, 0, 0, 1]);
  });

  it('has an average-record baseline equal to the training column means', () => {
    // api: 20 of 40 rows, form 16, other (Fax) 2, missing 2.
    expect(pipeline.baseline.slice(0, 4)).toEqual([0.5, 0.4, 0.05, 0.05]);
    expect(pipeline.baseline[4]).toBeCloseTo(0, 5); // standardised on the present values; missing rows encode 0
    expect(pipeline.baseline[5]).toBeCloseTo(0.1, 6);
  });

  it('describes values for people', () => {
    const origin = pipeline.features.find((f) => f.key === 'origin')!;
    expect(describeValue(origin, 'api')).toBe('API');
    expect(describeValue(origin, 'Fax')).toBe('Fax (rare)');
    expect(describeValue(origin, 'Select')).toBe('(missing)');
  });

  it('drops identifier-like columns', () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ email: `p${i}@x.com`, n: i % 3 }));
    const p = fitPipeline(many, ['email', 'n']);
    expect(p.dropped).toEqual([{ key: 'email', label: 'email', reason: 'identifier-like' }]);
  });
});
