import { inRange, LIST_PARAMS, newestFirst, toList } from '../lists';
import { must } from '../store';
import { type ApiContext, type ApiRequest, expandOf, Params, pathParam, render, type Route } from './context';

const list = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, [...LIST_PARAMS, 'type', 'types', 'created', 'delivery_success']);
  const type = p.nonEmptyString('type');
  const types = p.stringList('types');
  const created = p.range('created');
  const delivered = p.bool('delivery_success');
  // `type` takes a `*` wildcard, as in `invoice.*`.
  const pattern = type ? new RegExp(`^${type.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`) : null;
  const items = newestFirst(ctx.state.events).filter(
    (e) =>
      (!pattern || pattern.test(e.type)) &&
      (!types || types.includes(e.type)) &&
      inRange(e.created, created) &&
      (delivered === undefined || (e.pending_webhooks === 0) === delivered),
  );
  return render(ctx, toList(items, p, '/v1/events'), expandOf(p));
};

const retrieve = (ctx: ApiContext, req: ApiRequest): unknown => {
  const p = Params.strict(req.params, ['expand']);
  return render(ctx, must(ctx.state.events, pathParam(req, 'id'), 'event'), expandOf(p));
};

export const eventRoutes: readonly Route[] = [
  { method: 'GET', path: '/v1/events', handler: list },
  { method: 'GET', path: '/v1/events/:id', handler: retrieve },
];
