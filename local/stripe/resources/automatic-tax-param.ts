import { parameterInvalid, parameterMissing } from '../errors';
import type { Params } from '../http/params';

/**
 * `automatic_tax[enabled]` (required when `automatic_tax` is given) and
 * `automatic_tax[liability][type]`: only `self` is modelled (no Connect accounts).
 */
export const automaticTaxParam = (p: Params, key = 'automatic_tax'): boolean | undefined => {
  const tax = p.object(key, ['enabled', 'liability']);
  if (!tax) return undefined;
  const liability = tax.object('liability', ['type', 'account']);
  if (liability) {
    const type = liability.enum('type', ['self', 'account'] as const);
    if (type === undefined) throw parameterMissing(liability.name('type'));
    if (type === 'account' || liability.has('account'))
      throw parameterInvalid(liability.name('type'), 'automatic_tax[liability][type]=account (Connect) is not modelled by the local Stripe endpoint.');
  }
  const enabled = tax.bool('enabled');
  if (enabled === undefined) throw parameterMissing(tax.name('enabled'));
  return enabled;
};
