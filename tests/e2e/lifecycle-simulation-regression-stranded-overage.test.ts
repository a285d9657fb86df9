/**
 * Found by the lifecycle simulation (seed 12203, path 175): a monthly period's hourly run came
 * after Stripe had finalized the renewal draft, so its overage items waited, on the subscription,
 * for the next renewal; the tenant then cancelled at period end, no renewal came, and the final
 * invoice of the last period (customer-level) did not take them: they stayed pending, never
 * charged. The subscription's end now invoices what it left waiting. Its own file: the replay's
 * stack starts at the timeline's start (see tests/sim/replay.ts).
 */
import { expect, it } from 'vitest';
import { replayTimeline } from '../sim/replay';

it('invoices overage left pending for a renewal that never comes (a cancel at period end)', async () => {
  const problems = await replayTimeline({
    start: "2027-03-29T07:56:21.000Z",
    tenants: [{"id":"t1","currency":"usd","country":"US"}, {"id":"t2","currency":"eur","country":"US"}],
    steps: [
        {"at":"2027-03-29T07:57:21.000Z","tenant":"t1","do":"usage","records":[{"resource_type":"alerts","usage_amount":135},{"resource_type":"alerts","usage_amount":53}]},
        {"at":"2027-03-29T07:58:21.000Z","tenant":"t1","do":"create","plan_id":"professional","billing_cycle":"monthly","trial_days":0,"payment_method":"pm_card_visa"},
        {"at":"2027-03-29T07:59:21.000Z","tenant":"t2","do":"create","plan_id":"professional","billing_cycle":"monthly","trial_days":2,"payment_method":"pm_card_visa"},
        {"at":"2027-03-29T08:08:05.000Z","tenant":"t2","do":"cancel_now"},
        {"at":"2027-03-29T08:14:21.000Z","tenant":"t2","do":"create","plan_id":"msp_bundle","billing_cycle":"annual","trial_days":0,"payment_method":"pm_card_visa"},
        {"at":"2027-04-26T11:41:12.000Z","do":"advance"},
        {"at":"2027-04-26T12:25:09.000Z","tenant":"t1","do":"usage","records":[{"resource_type":"storage_gb","usage_amount":31.21},{"resource_type":"users","usage_amount":68,"timestamp":"2027-04-26T12:24:45.459Z"},{"resource_type":"devices","usage_amount":213}]},
        {"at":"2027-04-26T12:35:40.000Z","tenant":"t2","do":"usage","records":[{"resource_type":"users","usage_amount":953},{"resource_type":"storage_gb","usage_amount":516.56,"timestamp":"2027-04-26T12:38:49.000Z"},{"resource_type":"storage_gb","usage_amount":1281.19,"timestamp":"2027-04-23T19:04:24.442Z"}]},
        {"at":"2027-04-26T23:48:31.000Z","do":"advance"},
        {"at":"2027-05-03T23:45:17.000Z","do":"advance"},
        {"at":"2027-05-04T05:28:23.000Z","tenant":"t1","do":"cancel_at_period_end"},
        {"at":"2027-05-04T07:43:14.000Z","tenant":"t1","do":"usage","records":[{"resource_type":"devices","usage_amount":238,"timestamp":"2027-05-04T07:46:43.000Z"},{"resource_type":"devices","usage_amount":211,"timestamp":"2027-05-04T07:38:58.479Z"},{"resource_type":"alerts","usage_amount":4017}]},
        {"at":"2027-05-13T07:47:57.000Z","do":"advance"},
        {"at":"2027-05-13T12:06:09.000Z","tenant":"t1","do":"usage","records":[{"resource_type":"devices","usage_amount":399,"timestamp":"2027-05-12T20:58:54.189Z"}]},
        {"at":"2027-05-13T12:10:52.000Z","tenant":"t2","do":"usage","records":[{"resource_type":"devices","usage_amount":13861,"timestamp":"2027-05-13T12:06:26.466Z"},{"resource_type":"storage_gb","usage_amount":1322.68},{"resource_type":"alerts","usage_amount":941031}]},
        {"at":"2027-06-12T18:45:41.000Z","do":"advance"},
        {"at":"2027-07-13T05:28:33.000Z","do":"advance"},
        {"at":"2027-07-13T05:32:08.000Z","tenant":"t1","do":"usage","records":[{"resource_type":"devices","usage_amount":2,"timestamp":"2027-07-13T05:36:02.000Z"},{"resource_type":"storage_gb","usage_amount":1.04},{"resource_type":"alerts","usage_amount":105}]},
        {"at":"2027-07-13T07:32:08.000Z","do":"advance"},
    ],
  });
  expect(problems).toEqual([]);
}, 600_000);
