/** Collection views of a calendar: list events, calendarView, instances of a series, delta (with paging and tokens). */
import { SimGraphError } from '../model.js';
import { overlaps, renderEvent, type EventView, type Mailbox, type RenderOptions } from '../store/index.js';
import {
  CAL_READ, CV_UNSELECTABLE, badRequest, checkUnknownOptions, need, renderOptions, selectSuffix, calendarContext,
  type ApiResponse, type Ctx, type GraphApiDeps,
} from './api-context.js';
import type { DeltaState, DeltaTokens } from './delta-token.js';
import { checkFilter, intOption, parseEventFilter, parseOrderBy, parseWindowBound } from './odata.js';

export function listEvents(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox): ApiResponse {
  need(ctx, CAL_READ);
  checkUnknownOptions(ctx, ['$top', '$skip', '$select', '$filter', '$orderby', '$expand', '$count']);
  const { top, skip } = pageBounds(ctx);
  const filter = parseEventFilter(ctx.query.get('$filter'));
  const order = parseOrderBy(ctx.query.get('$orderby'));
  const opts = renderOptions(ctx);
  let views = d.store.masters(mbx).map((ev) => ({
    event: ev, type: ev.type, id: ev.id, startMs: ev.startMs, endMs: ev.endMs, startLocal: ev.startLocal, endLocal: ev.endLocal, iCalUId: ev.iCalUId,
  }));
  checkFilter(filter, views[0]);
  if (filter !== undefined) views = views.filter(filter);
  if (order !== undefined) views.sort(order);
  return page(ctx, views, skip, top, `${calendarContext(ctx, mbx)}/events${selectSuffix(opts)}`, opts, ctx.query.get('$count') === 'true');
}

export function page(ctx: Ctx, views: EventView[], skip: number, top: number, context: string, opts: RenderOptions, count = false): ApiResponse {
  const page = views.slice(skip, skip + top);
  const body: Record<string, unknown> = { '@odata.context': context };
  if (count) body['@odata.count'] = views.length;
  body['value'] = page.map((v) => renderEvent(v, opts));
  if (skip + top < views.length) {
    const parts: string[] = [];
    for (const [k, v] of ctx.query) if (k !== '$skip') parts.push(`${k.replace(/[^$\w.-]/g, encodeURIComponent)}=${encodeURIComponent(v)}`);
    parts.push(`$skip=${skip + top}`);
    body['@odata.nextLink'] = `${ctx.base}${ctx.path}?${parts.join('&')}`;
  }
  return { status: 200, headers: {}, body };
}

export function instances(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox, id: string): ApiResponse {
  need(ctx, CAL_READ);
  checkUnknownOptions(ctx, ['$top', '$skip', '$select', '$filter', '$orderby', '$expand']);
  const { start, end } = windowBounds(ctx);
  const { top, skip } = pageBounds(ctx);
  const opts = renderOptions(ctx);
  let views = d.store.instances(mbx, id, start, end);
  const filter = parseEventFilter(ctx.query.get('$filter'));
  if (filter !== undefined) views = views.filter(filter);
  const order = parseOrderBy(ctx.query.get('$orderby'));
  if (order !== undefined) views.sort(order);
  return page(ctx, views, skip, top, `${calendarContext(ctx, mbx)}/events('${id}')/instances${selectSuffix(opts)}`, opts);
}

export function calendarView(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox): ApiResponse {
  need(ctx, CAL_READ);
  checkUnknownOptions(ctx, ['$top', '$skip', '$select', '$filter', '$orderby', '$expand', '$count']);
  const { start, end } = windowBounds(ctx);
  if (end < start) throw new SimGraphError(400, 'ErrorInvalidParameter', 'The end of the time window must be after its start.');
  const { top, skip } = pageBounds(ctx);
  const opts = renderOptions(ctx, CV_UNSELECTABLE);
  let views = d.store.expand(mbx, start, end);
  const filter = parseEventFilter(ctx.query.get('$filter'));
  checkFilter(filter, views[0]);
  if (filter !== undefined) views = views.filter(filter);
  const order = parseOrderBy(ctx.query.get('$orderby'));
  if (order !== undefined) views.sort(order);
  return page(ctx, views, skip, top, `${calendarContext(ctx, mbx)}/calendarView${selectSuffix(opts)}`, opts, ctx.query.get('$count') === 'true');
}

export function delta(d: GraphApiDeps, tokens: DeltaTokens, ctx: Ctx, mbx: Mailbox): ApiResponse {
  need(ctx, CAL_READ);
  for (const key of ['$select', '$expand', '$filter', '$orderby', '$search']) {
    if (ctx.query.has(key)) throw badRequest(`Query option '${key}' is not supported with delta.`);
  }
  const deltaUrl = `${ctx.base}${ctx.path}`;
  const skipToken = ctx.query.get('$skiptoken');
  const deltaToken = ctx.query.get('$deltatoken');
  const maxPage = Number(ctx.prefer.get('odata.maxpagesize') ?? '');
  let state: DeltaState;
  if (skipToken !== undefined || deltaToken !== undefined) {
    let decoded: DeltaState;
    try {
      decoded = tokens.decode(skipToken ?? deltaToken ?? '', mbx.id, deltaUrl);
    } catch (error) {
      if (error instanceof SimGraphError) throw error;
      throw new SimGraphError(410, 'syncStateNotFound', 'The sync state is not found or has expired. Please restart the sync.', { Location: `${deltaUrl}?$deltatoken=` });
    }
    if ((decoded.g ?? 0) !== d.faults.syncEpoch) {
      throw new SimGraphError(410, 'syncStateNotFound', 'The sync state is not found or has expired. Please restart the sync.', { Location: `${deltaUrl}?$deltatoken=` });
    }
    state = deltaToken !== undefined ? { ...decoded, f: decoded.t, t: mbx.seq, k: '', i: 0 } : decoded;
  } else {
    const { start, end } = windowBounds(ctx);
    state = { m: mbx.id, s: start, e: end, f: 0, t: mbx.seq, k: '', i: 0, p: 10, ...(d.faults.syncEpoch === 0 ? {} : { g: d.faults.syncEpoch }) };
  }
  if (Number.isInteger(maxPage) && maxPage > 0) {
    state.p = Math.min(maxPage, 1000);
    ctx.applied.push(`odata.maxpagesize=${state.p}`);
  }
  const opts = renderOptions(ctx);
  const store = d.store;
  const candidates = (state.f === 0 ? store.masters(mbx) : store.changedSince(mbx, state.f)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const items: Record<string, unknown>[] = [];
  let k = state.k;
  let i = state.i;
  let done = true;
  for (const ev of candidates) {
    if (k !== '' && ev.id < k) continue;
    const own: Record<string, unknown>[] = [];
    const removed = (id: string) => own.push({ '@odata.type': '#microsoft.graph.event', id, '@removed': { reason: 'deleted' } });
    if (ev.deleted) {
      if (ev.recurrence === null) removed(ev.id);
      else {
        const views: EventView[] = [];
        store.expandOne(ev, state.s, state.e, views);
        for (const v of views) removed(v.id);
      }
    } else if (ev.recurrence === null) {
      if (overlaps(ev.startMs, ev.endMs, state.s, state.e)) own.push({ '@odata.type': '#microsoft.graph.event', ...renderEvent(store.getView(mbx, ev.id), opts) });
      else if (state.f > 0) removed(ev.id);
    } else {
      const views: EventView[] = [];
      store.expandOne(ev, state.s, state.e, views);
      views.sort((x, y) => x.startMs - y.startMs);
      for (const v of views) own.push({ '@odata.type': '#microsoft.graph.event', ...renderEvent(v, opts) });
      if (state.f > 0) for (const id of store.cancelledIn(ev, state.s, state.e)) removed(id);
    }
    const from = ev.id === k ? i : 0;
    for (let j = from; j < own.length; j += 1) {
      if (items.length >= state.p) {
        done = false;
        k = ev.id;
        i = j;
        break;
      }
      items.push(own[j] ?? {});
    }
    if (!done) break;
  }
  const body: Record<string, unknown> = { '@odata.context': `${ctx.base}/$metadata#Collection(event)`, value: items };
  if (done) body['@odata.deltaLink'] = `${deltaUrl}?$deltatoken=${tokens.encode({ ...state, k: '', i: 0 })}`;
  else body['@odata.nextLink'] = `${deltaUrl}?$skiptoken=${tokens.encode({ ...state, k, i })}`;
  return { status: 200, headers: {}, body };
}

/** `startDateTime` / `endDateTime` of a windowed request (either spelling), start first. */
function windowBounds(ctx: Ctx): { start: number; end: number } {
  const start = parseWindowBound(ctx.query.get('startDateTime') ?? ctx.query.get('startdatetime'), 'startDateTime');
  const end = parseWindowBound(ctx.query.get('endDateTime') ?? ctx.query.get('enddatetime'), 'endDateTime');
  return { start, end };
}

/** `$top` (1..1000, default 10) and `$skip` (default 0), top first. */
function pageBounds(ctx: Ctx): { top: number; skip: number } {
  const top = intOption(ctx.query, '$top', 1, 1000) ?? 10;
  const skip = intOption(ctx.query, '$skip', 0, Number.MAX_SAFE_INTEGER) ?? 0;
  return { top, skip };
}
