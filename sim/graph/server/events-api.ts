/** Event CRUD routes: GET / POST / PATCH / DELETE of one event, accept / decline / tentativelyAccept, and cancel. */
import { SimGraphError, type GraphEventInput } from '../model.js';
import { toIanaZone } from '../time/index.js';
import { parseCancelInput, parseEventInput, parseRespondInput, renderEvent, type Mailbox, type OccurrenceException, type RenderOptions } from '../store/index.js';
import {
  CAL_READ, CAL_WRITE, badRequest, checkUnknownOptions, header, need, readJson, renderOptions, selectSuffix, calendarContext,
  type ApiResponse, type Ctx, type GraphApiDeps,
} from './api-context.js';

export function getEvent(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox, id: string): ApiResponse {
  need(ctx, CAL_READ);
  checkUnknownOptions(ctx, ['$select', '$expand']);
  const opts = renderOptions(ctx);
  const view = d.store.getView(mbx, id);
  const body: Record<string, unknown> = { '@odata.context': `${calendarContext(ctx, mbx)}/events${selectSuffix(opts)}/$entity`, ...renderEvent(view, opts) };
  if (opts.select === undefined) {
    body['calendar@odata.associationLink'] = `${ctx.base}/users('${mbx.id}')/calendars('AAMkAGI${mbx.index}')/$ref`;
    body['calendar@odata.navigationLink'] = `${ctx.base}/users('${mbx.id}')/calendars('AAMkAGI${mbx.index}')`;
  }
  if (opts.select?.has('cancelledOccurrences') === true && view.type === 'seriesMaster') {
    body['cancelledOccurrences'] = [...(view.event.exceptions ?? new Map<number, OccurrenceException>()).entries()].filter(([, ex]) => ex.cancelled).map(([ms]) => `OID.${view.id}.${new Date(ms).toISOString().slice(0, 10)}`);
  }
  return { status: 200, headers: {}, body };
}

export function createEvent(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox): ApiResponse {
  need(ctx, CAL_WRITE);
  const input = parseEventInput(readJson(ctx));
  const ev = d.store.insertEvent(mbx, input);
  const opts = requestZones(renderOptions(ctx), input);
  opts.select = undefined;
  const body = { '@odata.context': `${calendarContext(ctx, mbx)}/events/$entity`, ...renderEvent(d.store.getView(mbx, ev.id), opts) };
  return { status: 201, headers: { Location: `${ctx.base}/Users('${mbx.id}')/Events('${ev.id}')`, ETag: `W/"${ev.changeKey}"` }, body };
}

export function patchEvent(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox, id: string): ApiResponse {
  need(ctx, CAL_WRITE);
  const input = parseEventInput(readJson(ctx));
  const view = d.store.patchEvent(mbx, id, input, { ifMatch: header(ctx.req, 'if-match') });
  const opts = requestZones(renderOptions(ctx), input);
  opts.select = undefined;
  const body = { '@odata.context': `${calendarContext(ctx, mbx)}/events/$entity`, ...renderEvent(view, opts) };
  return { status: 200, headers: { ETag: `W/"${view.event.changeKey}"` }, body };
}

/**
 * A create or PATCH answers start/end in the zones the request wrote them in (each its own);
 * `Prefer: outlook.timezone` wins; parts the request did not send come back in UTC.
 */
function requestZones(opts: RenderOptions, input: GraphEventInput): RenderOptions {
  if (opts.timeZone !== undefined) return opts;
  const zoneOf = (dt: GraphEventInput['start']) => (dt?.timeZone !== undefined && toIanaZone(dt.timeZone) !== undefined ? dt.timeZone : undefined);
  opts.startTimeZone = zoneOf(input.start);
  opts.endTimeZone = zoneOf(input.end);
  return opts;
}

export function deleteEvent(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox, id: string): ApiResponse {
  need(ctx, CAL_WRITE);
  d.store.removeEvent(mbx, id, { ifMatch: header(ctx.req, 'if-match') });
  return { status: 204, headers: {} };
}

export function respond(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox, id: string, action: string): ApiResponse {
  need(ctx, CAL_WRITE);
  const input = parseRespondInput(readJson(ctx));
  if (input.proposedNewTime !== undefined && action === 'accept') throw badRequest("The property 'proposedNewTime' does not exist on type 'accept'.");
  if (input.proposedNewTime !== undefined && input.sendResponse === false) throw new SimGraphError(400, 'ErrorInvalidRequest', 'A proposed new time requires sendResponse to be true.');
  const response = action === 'accept' ? 'accepted' : action === 'decline' ? 'declined' : 'tentativelyAccepted';
  d.store.respond(mbx, id, response, input.proposedNewTime, input.sendResponse ?? true);
  return { status: 202, headers: {} };
}

/** `POST .../events/{id}/cancel` `{ comment? }`: organizer only; 202 without a body. */
export function cancel(d: GraphApiDeps, ctx: Ctx, mbx: Mailbox, id: string): ApiResponse {
  need(ctx, CAL_WRITE);
  parseCancelInput(readJson(ctx));
  d.store.cancelByOrganizer(mbx, id);
  return { status: 202, headers: {} };
}
