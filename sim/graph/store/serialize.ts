import type { DateTimeTimeZone } from '../model.js';
import { utcMsToZoned } from '../time/index.js';
import type { EventView } from './event.js';
import { NO_TIME } from './event.js';

export interface RenderOptions {
  /** `Prefer: outlook.timezone`; UTC when absent. */
  timeZone?: string | undefined;
  /** Create/PATCH without Prefer: start and end in the zones the request used (Prefer wins). */
  startTimeZone?: string | undefined;
  endTimeZone?: string | undefined;
  /** `Prefer: outlook.body-content-type`; html when absent. */
  bodyType?: 'text' | 'html' | undefined;
  /** `$select`: property names (id and @odata.etag always come back). */
  select?: ReadonlySet<string> | undefined;
  /** `$expand=singleValueExtendedProperties($filter=id eq '...')`: ids (lower-case) to include. */
  extendedPropertyIds?: ReadonlySet<string> | undefined;
  /** Properties not selectable here (calendarView drops createdDateTime/lastModifiedDateTime from $select). */
  unselectable?: ReadonlySet<string> | undefined;
}

export function graphDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

function zoned(ms: number, local: string, isAllDay: boolean, timeZone: string): DateTimeTimeZone {
  if (isAllDay) return { dateTime: local, timeZone };
  if (timeZone === 'UTC') return { dateTime: new Date(ms).toISOString().replace(/\.\d{3}Z$/, '.0000000'), timeZone };
  return utcMsToZoned(ms, timeZone);
}

const ENTITIES: Record<string, string> = { '&nbsp;': ' ', '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

export function htmlToText(html: string): string {
  return html
    .replace(/<head[\s\S]*?<\/head>/gi, '')
    .replace(/<br\s*\/?>/gi, '\r\n')
    .replace(/<\/(p|div|tr|li)>/gi, '\r\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&(nbsp|amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m] ?? m)
    .trim();
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>\r\n');
}

function wrapHtml(content: string): string {
  if (/^\s*<html/i.test(content)) return content;
  return `<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>\r\n<body>\r\n${content}\r\n</body>\r\n</html>\r\n`;
}

function preview(bodyType: 'text' | 'html', content: string): string {
  const text = bodyType === 'html' ? htmlToText(content) : content;
  return text.replace(/\s+/g, ' ').trim().slice(0, 255);
}

const EMPTY_LOCATION = { displayName: '', locationType: 'default', uniqueIdType: 'unknown', address: {}, coordinates: {} };

/** Renders an event (or computed occurrence) in Graph's JSON shape and property order. */
export function renderEvent(view: EventView, options: RenderOptions = {}): Record<string, unknown> {
  const ev = view.event;
  const tz = options.timeZone ?? 'UTC';
  const occurrence = view.type === 'occurrence';
  const wantBody = options.bodyType ?? 'html';
  let bodyContent: string;
  if (wantBody === 'html') bodyContent = ev.bodyType === 'html' ? wrapHtml(ev.bodyContent) : wrapHtml(escapeHtml(ev.bodyContent));
  else bodyContent = ev.bodyType === 'html' ? htmlToText(ev.bodyContent) : ev.bodyContent;
  const out: Record<string, unknown> = {
    '@odata.etag': `W/"${ev.changeKey}"`,
    id: view.id,
    createdDateTime: graphDateTime(ev.createdMs),
    lastModifiedDateTime: graphDateTime(ev.modifiedMs),
    changeKey: ev.changeKey,
    categories: [...ev.categories],
  };
  if (ev.transactionId !== undefined) out['transactionId'] = ev.transactionId;
  Object.assign(out, {
    originalStartTimeZone: ev.startTz,
    originalEndTimeZone: ev.endTz,
    iCalUId: view.iCalUId,
    uid: ev.iCalUId,
    reminderMinutesBeforeStart: ev.reminderMinutesBeforeStart,
    isReminderOn: ev.isReminderOn,
    hasAttachments: false,
    subject: ev.subject,
    bodyPreview: preview(ev.bodyType, ev.bodyContent),
    importance: ev.importance,
    sensitivity: ev.sensitivity,
    isAllDay: ev.isAllDay,
    isCancelled: ev.isCancelled,
    isOrganizer: ev.isOrganizer,
    responseRequested: ev.responseRequested,
    seriesMasterId: view.seriesMasterId ?? null,
    showAs: ev.showAs,
    type: view.type,
    webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(view.id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: null,
    isOnlineMeeting: ev.isOnlineMeeting,
    onlineMeetingProvider: ev.onlineMeetingProvider,
    allowNewTimeProposals: ev.allowNewTimeProposals,
    isDraft: false,
    hideAttendees: ev.hideAttendees,
    responseStatus: { response: ev.response, time: ev.responseTime === NO_TIME ? NO_TIME : ev.responseTime },
    body: { contentType: wantBody, content: bodyContent },
    start: zoned(view.startMs, view.startLocal, ev.isAllDay, options.timeZone ?? options.startTimeZone ?? tz),
    end: zoned(view.endMs, view.endLocal, ev.isAllDay, options.timeZone ?? options.endTimeZone ?? tz),
  });
  if (view.originalStartMs !== undefined) out['originalStart'] = new Date(view.originalStartMs).toISOString().replace('.000Z', 'Z');
  Object.assign(out, {
    location: ev.location ?? EMPTY_LOCATION,
    locations: ev.locations ?? [],
    recurrence: occurrence || view.type === 'exception' ? null : ev.recurrence,
    attendees: ev.attendees,
    organizer: ev.organizer ?? null,
    onlineMeeting: ev.teams !== undefined
      ? {
        joinUrl: ev.teams.joinUrl, conferenceId: ev.teams.conferenceId, tollNumber: ev.teams.tollNumber, tollFreeNumbers: [...ev.teams.tollFreeNumbers],
        quickDial: ev.teams.tollNumber === null || ev.teams.conferenceId === null ? null : `${ev.teams.tollNumber},,${ev.teams.conferenceId}#`,
      }
      : ev.isOnlineMeeting
        ? { joinUrl: `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${ev.iCalUId.slice(-24)}%40thread.v2/0`, conferenceId: null, tollNumber: null }
        : null,
  });
  if (options.extendedPropertyIds !== undefined) {
    const props = (ev.extendedProperties ?? []).filter((p) => options.extendedPropertyIds?.has(p.id.toLowerCase()) === true);
    if (props.length > 0) out['singleValueExtendedProperties'] = props.map((p) => ({ id: p.id, value: p.value }));
  }
  if (options.select === undefined) return out;
  const selected: Record<string, unknown> = { '@odata.etag': out['@odata.etag'], id: out['id'] };
  for (const name of options.select) {
    if (options.unselectable?.has(name) === true) continue;
    if (name in out) selected[name] = out[name];
  }
  if (out['singleValueExtendedProperties'] !== undefined) selected['singleValueExtendedProperties'] = out['singleValueExtendedProperties'];
  return selected;
}

/** Every property name an event can be `$select`ed by. */
export const EVENT_PROPERTIES: ReadonlySet<string> = new Set([
  'id', 'createdDateTime', 'lastModifiedDateTime', 'changeKey', 'categories', 'transactionId', 'originalStartTimeZone',
  'originalEndTimeZone', 'iCalUId', 'uid', 'reminderMinutesBeforeStart', 'isReminderOn', 'hasAttachments', 'subject', 'bodyPreview',
  'importance', 'sensitivity', 'isAllDay', 'isCancelled', 'isOrganizer', 'responseRequested', 'seriesMasterId', 'showAs', 'type',
  'webLink', 'onlineMeetingUrl', 'isOnlineMeeting', 'onlineMeetingProvider', 'allowNewTimeProposals', 'isDraft', 'hideAttendees',
  'responseStatus', 'body', 'start', 'end', 'originalStart', 'location', 'locations', 'recurrence', 'attendees', 'organizer', 'onlineMeeting',
  'cancelledOccurrences', 'occurrenceId',
]);
