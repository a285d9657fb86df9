/** The contract of the `stripe-webhook` route (see `define.ts`): Stripe's events, signature-verified. */
import * as z from 'zod';
import { contract, type OperationContract } from './define';

/** The part of a Stripe Event the document shows; Stripe sends more, and the signature covers it all. */
const stripeEventSchema = z
  .looseObject({
    id: z.string().meta({ description: '`evt_...`: each event is acted on once' }),
    object: z.literal('event'),
    type: z.string().meta({ description: 'E.g. `invoice.paid`, `customer.subscription.updated`' }),
    created: z.int(),
    data: z.looseObject({ object: z.looseObject({ id: z.string(), object: z.string() }) }),
  })
  .meta({ id: 'StripeEvent', description: 'A Stripe Event (see Stripe\'s API reference)' });

export const stripeWebhookApi = {
  receiveStripeEvent: contract({
    summary: "Stripe's webhook",
    description:
      'No token: the `Stripe-Signature` header over the raw body is the authentication (400 when it does not verify or is ' +
      'older than 5 minutes). Each event is acted on once; a duplicate answers 200 without acting again.',
    rawBody: {
      contentType: 'application/json',
      description: 'The event exactly as Stripe sent it (the signature covers these bytes).',
      schema: stripeEventSchema,
    },
    headers: { 'Stripe-Signature': { description: "Stripe's signature over the timestamp and the raw body (`t=...,v1=...`)", required: true } },
    responses: () => ({
      200: {
        description: 'Received: acted on, a duplicate, or a type billing does not act on.',
        schema: z.strictObject({ received: z.literal(true), outcome: z.enum(['processed', 'duplicate', 'ignored']) }),
      },
    }),
    errors: { 400: 'The signature is missing, does not verify, or is older than 5 minutes.', 503: 'Stripe could not be read; Stripe retries.' },
    example: {
      body: {
        id: 'evt_1Q2w3E4r5T6y7U8i',
        object: 'event',
        type: 'invoice.paid',
        created: 1_798_761_600,
        data: { object: { id: 'in_1Q2w3E4r5T6y7U8i', object: 'invoice' } },
      },
    },
  }),
} as const satisfies Record<string, OperationContract>;
