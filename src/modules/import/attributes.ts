/**
 * Type inference for lead attribute columns: numeric when every present value reads as a number, otherwise
 * categorical. Pure and incremental, so a first streaming pass over the file can feed it.
 */
import type { AttributeType } from './report';
import { parseNumber } from './values';

const MAX_CATEGORIES = 1000;

export class AttributeStats {
  present = 0;
  missing = 0;
  numeric = true;
  min = Infinity;
  max = -Infinity;
  private readonly categories = new Map<string, number>();

  constructor(readonly name: string) {}

  add(value: string | null): void {
    if (value == null) {
      this.missing++;
      return;
    }
    this.present++;
    if (this.categories.size < MAX_CATEGORIES || this.categories.has(value)) this.categories.set(value, (this.categories.get(value) ?? 0) + 1);
    if (!this.numeric) return;
    const n = parseNumber(value);
    if (!n.ok) this.numeric = false;
    else {
      this.min = Math.min(this.min, n.value);
      this.max = Math.max(this.max, n.value);
    }
  }

  get type(): AttributeType['type'] {
    return this.numeric && this.present > 0 ? 'numeric' : 'categorical';
  }

  /** The value stored in Lead.attributes: a number for numeric columns, the trimmed text otherwise. */
  convert(value: string | null): string | number | null {
    if (value == null) return null;
    if (this.type === 'numeric') {
      const n = parseNumber(value);
      return n.ok ? n.value : null;
    }
    return value;
  }

  summary(): AttributeType {
    if (this.type === 'numeric') return { name: this.name, type: 'numeric', present: this.present, missing: this.missing, min: this.min, max: this.max };
    const top = [...this.categories].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5).map(([v]) => v);
    return {
      name: this.name, type: 'categorical', present: this.present, missing: this.missing,
      distinct: this.categories.size, topValues: top,
    };
  }
}
