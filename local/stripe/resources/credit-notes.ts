import type Stripe from 'stripe';
import { type CreditNoteRequest, draftCreditNote, issueCreditNote, type LinkedRefund, netLineAmount, voidCreditNote } from '../billing/credit-notes';
import { clone } from '../clone';
import { invalidRequest, parameterInvalid, parameterMissing } from '../errors';
import { mergeMetadata } from '../http/params';
import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import type { CreditNoteLineSpec } from '../objects/credit-note';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

const REASONS: readonly Stripe.CreditNote.Reason[] = ['duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory'];
const REQUEST_PARAMS = ['invoice', 'lines', 'amount', 'credit_amount', 'out_of_band_amount', 'refund_amount', 'refunds', 'reason', 'memo', 'metadata', 'expand'] as const;

const lineSpec = (invoice: Stripe.Invoice, p: Params): CreditNoteLineSpec => {
  const type = p.enum('type', ['custom_line_item', 'invoice_line_item'] as const);
  if (!type) throw parameterMissing(p.name('type'));
  const quantity = p.int('quantity', { min: 1 });
  const metadata = mergeMetadata(null, p.metadata());
  if (type === 'custom_line_item') {
    const unitAmount = p.int('unit_amount', { min: 0 });
    if (unitAmount === undefined) throw parameterMissing(p.name('unit_amount'));
    const description = p.requiredString('description');
    return { type, invoiceLineItem: null, description, quantity: quantity ?? 1, unitAmount, amount: unitAmount * (quantity ?? 1), metadata };
  }
  const lineId = p.requiredString('invoice_line_item');
  const line = invoice.lines.data.find((l) => l.id === lineId);
  if (!line) throw invalidRequest(`No such invoice line item: '${lineId}' on invoice ${invoice.id}`, { param: p.name('invoice_line_item'), code: 'resource_missing' });
  const lineQuantity = line.quantity ?? 1;
  if (quantity !== undefined && quantity > lineQuantity)
    throw invalidRequest(`The quantity (${quantity}) cannot exceed the line's quantity (${lineQuantity}).`, { param: p.name('quantity') });
  const net = netLineAmount(line);
  const unitAmount = lineQuantity > 0 ? Math.round(net / lineQuantity) : net;
  const amount = p.int('amount', { min: 0 }) ?? (quantity === undefined ? net : Math.round((net * quantity) / lineQuantity));
  if (amount > net) throw invalidRequest(`The amount (${amount}) cannot exceed the line's amount (${net}).`, { param: p.name('amount') });
  return { type, invoiceLineItem: line.id, description: p.string('description') ?? line.description, quantity: quantity ?? lineQuantity, unitAmount, amount, metadata };
};

/** `refunds[i]`: an existing Refund to link (`type` `refund`; PaymentRecord refunds are not modelled). */
const linkedRefund = (ctx: ApiContext, p: Params, index: number): LinkedRefund => {
  const param = `refunds[${index}]`;
  const type = p.string('type') ?? 'refund';
  if (type !== 'refund') throw parameterInvalid(p.name('type'), `Only refunds of type \`refund\` can be linked by the local Stripe endpoint (not ${type}).`);
  const refund = must(ctx.state.refunds, p.requiredString('refund'), 'refund', p.name('refund'));
  return { refund, amount: p.int('amount_refunded', { min: 1 }) ?? null, param };
};

const requestOf = (ctx: ApiContext, p: Params): CreditNoteRequest => {
  const invoiceId = p.requiredString('invoice');
  const invoice = must(ctx.state.invoices, invoiceId, 'invoice', 'invoice');
  const refunds = p.objectList('refunds', ['refund', 'amount_refunded', 'type'])?.map((r, i) => linkedRefund(ctx, r, i)) ?? [];
  const lines = p.objectList('lines', ['type', 'invoice_line_item', 'quantity', 'amount', 'unit_amount', 'description', 'metadata'])?.map((l) => lineSpec(invoice, l)) ?? null;
  const amount = p.int('amount', { min: 0 }) ?? null;
  if (!lines && amount === null) throw parameterMissing('lines');
  return {
    invoice,
    lines,
    amount,
    creditAmount: p.int('credit_amount', { min: 0 }) ?? 0,
    refundAmount: p.int('refund_amount', { min: 0 }) ?? 0,
    refunds,
    outOfBandAmount: p.int('out_of_band_amount', { min: 0 }) ?? null,
    reason: p.enum('reason', REASONS) ?? null,
    memo: p.string('memo') || null,
    metadata: mergeMetadata(null, p.metadata()),
  };
};

const create = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...REQUEST_PARAMS]);
  return render(ctx, issueCreditNote(ctx, requestOf(ctx, p)), expandOf(p));
};

const preview = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...REQUEST_PARAMS]);
  return render(ctx, draftCreditNote(ctx, requestOf(ctx, p)), expandOf(p));
};

const previewLines = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...REQUEST_PARAMS, 'limit', 'starting_after', 'ending_before']);
  return render(ctx, toList(draftCreditNote(ctx, requestOf(ctx, p)).lines.data, p, '/v1/credit_notes/preview/lines'), expandOf(p));
};

const noteFromPath = (ctx: ApiContext, req: ApiRequest): Stripe.CreditNote => must(ctx.state.creditNotes, pathParam(req, 'id'), 'credit note');

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, noteFromPath(ctx, req), expandOf(p));
};

const update = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['memo', 'metadata', 'expand']);
  const note = noteFromPath(ctx, req);
  const before = clone(note);
  if (p.has('memo')) note.memo = p.string('memo') || null;
  note.metadata = mergeMetadata(note.metadata, p.metadata());
  ctx.events.emitUpdated('credit_note.updated', note, before);
  return render(ctx, note, expandOf(p));
};

const voidNote = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  const note = noteFromPath(ctx, req);
  voidCreditNote(ctx, note);
  return render(ctx, note, expandOf(p));
};

const lines = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS]);
  const note = noteFromPath(ctx, req);
  return render(ctx, toList(note.lines.data, p, `/v1/credit_notes/${note.id}/lines`), expandOf(p));
};

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'invoice', 'customer', 'created']);
  const invoice = p.string('invoice');
  const customer = p.string('customer');
  const created = p.range('created');
  const items = newestFirst(ctx.state.creditNotes).filter(
    (n) =>
      (invoice === undefined || (typeof n.invoice === 'string' ? n.invoice : n.invoice.id) === invoice) &&
      (customer === undefined || (typeof n.customer === 'string' ? n.customer : n.customer.id) === customer) &&
      inRange(n.created, created),
  );
  return render(ctx, toList(items, p, '/v1/credit_notes'), expandOf(p));
};

export const creditNoteRoutes: readonly Route[] = [
  { method: 'POST', path: '/v1/credit_notes', handler: create },
  { method: 'GET', path: '/v1/credit_notes', handler: list },
  { method: 'GET', path: '/v1/credit_notes/preview', handler: preview },
  { method: 'GET', path: '/v1/credit_notes/preview/lines', handler: previewLines },
  { method: 'GET', path: '/v1/credit_notes/:id', handler: retrieve },
  { method: 'POST', path: '/v1/credit_notes/:id', handler: update },
  { method: 'POST', path: '/v1/credit_notes/:id/void', handler: voidNote },
  { method: 'GET', path: '/v1/credit_notes/:id/lines', handler: lines },
];
