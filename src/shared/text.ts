import { BadInputError } from './errors';

/** A name or label a person reads: trimmed, and refused when blank (only spaces) or longer than `max`. */
export function requiredText(value: string, field: string, max: number): string {
  const text = value.trim();
  if (!text) throw new BadInputError(field, `${field} cannot be blank`);
  if (text.length > max) throw new BadInputError(field, `${field} is at most ${max} characters`);
  return text;
}
