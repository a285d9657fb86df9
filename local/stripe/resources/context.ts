import type Stripe from 'stripe';
import type { Clock } from '../../../src/platform/clock';
import { type BillingContext, testClockOfCustomer, type TimeScope } from '../billing/context';
import { clone } from '../clone';
import type { WebhookDeliverer } from '../events/webhooks';
import { expandPaths } from '../expand';
import type { ParamMap } from '../http/form';
import { Params } from '../http/params';

/** What an endpoint handler gets: the billing context plus rendering and the clock hooks. */
export interface ApiContext extends BillingContext {
  readonly clock: Clock;
  /** Whose time `now()` reads: a request about a test clock's customer runs on that clock. */
  readonly scope: TimeScope;
  readonly deliverer: WebhookDeliverer;
}

export interface ApiRequest {
  readonly params: ParamMap;
  /** `:id` and friends from the route path. */
  readonly path: Readonly<Record<string, string>>;
}

export type Handler = (ctx: ApiContext, req: ApiRequest) => unknown;

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** `/v1/customers/:id` */
  readonly path: string;
  readonly handler: Handler;
}

const ownerOf = (ctx: BillingContext, id: string): string | { id: string } | null | undefined => {
  const s = ctx.state;
  if (s.customers.has(id)) return id;
  return (
    s.subscriptions.get(id)?.customer ??
    s.invoices.get(id)?.customer ??
    s.invoiceItems.get(id)?.customer ??
    s.schedules.get(id)?.customer ??
    s.paymentMethods.get(id)?.customer
  );
};

/**
 * The test clock a request runs on: that of the customer it concerns, named by a parameter
 * (`customer`, `subscription`, `from_subscription`, `invoice`, or `test_clock` on customer
 * create) or owning the object in the path. Null: the shared clock.
 */
export const requestClock = (ctx: BillingContext, req: ApiRequest): string | null => {
  const param = (name: string): string | undefined => {
    const v = req.params[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const clock = param('test_clock');
  if (clock && ctx.state.testClocks.has(clock)) return clock;
  for (const name of ['customer', 'subscription', 'from_subscription', 'invoice']) {
    const id = param(name);
    const found = id === undefined ? null : testClockOfCustomer(ctx.state, ownerOf(ctx, id));
    if (found) return found;
  }
  for (const id of Object.values(req.path)) {
    const found = testClockOfCustomer(ctx.state, ownerOf(ctx, id));
    if (found) return found;
  }
  return null;
};

export const pathParam = (req: ApiRequest, name: string): string => req.path[name] ?? '';

/** An invoice as the API shows it: the embedded `lines` list holds the first 10 lines. */
export const presentInvoice = (invoice: Stripe.Invoice): Stripe.Invoice => {
  const out = clone(invoice);
  if (out.lines.data.length > 10) out.lines = { ...out.lines, data: out.lines.data.slice(0, 10), has_more: true };
  return out;
};

/**
 * A discount as the API shows it: its record keeps the coupon it was made from (so a deleted
 * coupon keeps applying); `source.coupon` is the coupon's id, expandable on its own.
 */
const publicDiscount = (s: ApiContext['state'], id: string): Stripe.Discount | undefined => {
  const record = s.discounts.get(id);
  if (!record) return undefined;
  const coupon = record.source.coupon;
  return { ...record, source: { coupon: coupon === null || typeof coupon === 'string' ? coupon : coupon.id, type: 'coupon' } };
};

const resolver =
  (ctx: ApiContext) =>
  (field: string, id: string): object | undefined | null => {
    const s = ctx.state;
    switch (field) {
      case 'customer':
        return s.deletedCustomers.has(id) ? { id, object: 'customer', deleted: true } : s.customers.get(id);
      case 'subscription':
        return s.subscriptions.get(id);
      case 'latest_invoice':
      case 'invoice': {
        const invoice = s.invoices.get(id);
        return invoice ? presentInvoice(invoice) : undefined;
      }
      case 'default_payment_method':
      case 'payment_method':
        return s.paymentMethods.get(id);
      case 'product':
        return s.products.get(id);
      case 'price':
        return s.prices.get(id);
      case 'schedule':
        return s.schedules.get(id);
      case 'test_clock':
        return s.testClocks.get(id);
      case 'refund':
        return s.refunds.get(id);
      case 'discounts':
      case 'discount':
        return publicDiscount(s, id);
      case 'promotion_code':
        return s.promotionCodes.get(id);
      case 'coupon':
        return s.coupons.get(id);
      default:
        return null;
    }
  };

/** Applies the request's `expand[]` to a response object (or to each item of a list, as `data.x`). */
export const render = <T>(ctx: ApiContext, value: T, expand: readonly string[] | undefined): T =>
  expand && expand.length > 0 ? expandPaths(value, expand, resolver(ctx)) : clone(value);

export const expandOf = (p: Params): string[] | undefined => p.stringList('expand');

export { Params };
