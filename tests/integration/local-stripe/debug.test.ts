import { it, expect } from 'vitest';
import { catalog, customerWith, startHarness, DAY } from './harness';
it('debug', async () => {
  const h = await startHarness();
  const prices = await catalog(h.stripe);
  const customer = await customerWith(h.stripe);
  const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: prices.proMonthly.id }] });
  await h.advance(10 * DAY);
  const s1 = await h.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
  await h.stripe.subscriptionSchedules.release(s1.id);
  const s2 = await h.stripe.subscriptionSchedules.create({ from_subscription: sub.id });
  const start = s2.current_phase?.start_date ?? 0;
  const upd = await h.stripe.subscriptionSchedules.update(s2.id, { phases: [
    { items: [{ price: prices.proMonthly.id }], start_date: start, end_date: 'now' },
    { items: [{ price: prices.starterMonthly.id }], proration_behavior: 'create_prorations' },
  ] });
  console.log(upd.current_phase, upd.phases.map((p) => [p.start_date, p.end_date]));
  const after = await h.stripe.subscriptions.retrieve(sub.id);
  console.log(after.items.data[0]?.price.id === prices.starterMonthly.id, (await h.stripe.invoiceItems.list({ pending: true })).data.map((i) => [i.amount, i.description]));
  const preview = await h.stripe.invoices.createPreview({ subscription: sub.id });
  console.log(preview.id, preview.lines.data.map((l) => [l.amount, l.description]), preview.amount_due);
  await h.stripe.subscriptionSchedules.cancel(s2.id);
  console.log((await h.stripe.subscriptions.retrieve(sub.id)).status);
  await h.local.idle();
  console.log(h.receiver.types().slice(-12));
  expect(h.receiver.rejected).toEqual([]);
  await h.close();
});
