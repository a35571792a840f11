import { UseMiddleware, type MiddlewareFn } from 'type-graphql';
import type { Context } from '../../graphql/context';

/**
 * Resolves to null for callers below MANAGER: cost, spend, margin and quota fields (which are nullable for this
 * reason). Whole KPIs are financial by their definition's `financial` flag (src/modules/kpi/catalogue), checked
 * against the same `seesFinancials` rule by the KPI resolver.
 */
export const hideBelowManager: MiddlewareFn<Context> = async ({ context }, next) => {
  if (!context.access?.seesFinancials) return null;
  return next();
};

/** Marks a field as financial (cost, spend, margin, quota): null below MANAGER. The field must be nullable. */
export const Financial = () => UseMiddleware(hideBelowManager);
