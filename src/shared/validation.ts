import { BadInputError } from './errors';

/** A name or label a person reads: trimmed, and refused when blank (only spaces) or longer than `max`. */
export function requiredText(value: string, field: string, max: number): string {
  const text = value.trim();
  if (!text) throw new BadInputError(field, `${field} cannot be blank`);
  if (text.length > max) throw new BadInputError(field, `${field} is at most ${max} characters`);
  return text;
}

/** Clock skew allowed between a client and the server for "not in the future". */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** Something that happened (an activity, a stage move, a close) cannot be dated in the future. */
export function assertNotInFuture(at: Date, field: string, what: string): void {
  if (at.getTime() > Date.now() + FUTURE_TOLERANCE_MS) throw new BadInputError(field, `${what} cannot be dated in the future`);
}
