/**
 * Teams online meetings as Outlook creates them: an event with `isOnlineMeeting` (provider
 * `teamsForBusiness`) gets `onlineMeeting` (joinUrl, conferenceId, tollNumber, tollFreeNumbers,
 * quickDial) and a Teams block appended to its HTML body in the organizer's language, so a
 * connector's parsing of join links, dial-ins and conference ids meets what it meets in production.
 * A body that already carries a Teams block (the scenario generator writes its own) is kept, and
 * `onlineMeeting` is read from it.
 */
import type { StoredEvent, TeamsBlock, TeamsMeeting } from './event.js';
import { intern, internKeyed } from './intern.js';
import { fnv1a } from './mailbox.js';

export type { TeamsMeeting } from './event.js';


interface TeamsStrings { title: string; join: string; click: string; meetingId: string; callIn: string; conferenceId: string; tollFree: string; learnMore: string; options: string }

const STRINGS: Record<string, TeamsStrings> = {
  en: { title: 'Microsoft Teams meeting', join: 'Join on your computer, mobile app or room device', click: 'Click here to join the meeting', meetingId: 'Meeting ID', callIn: 'Or call in (audio only)', conferenceId: 'Phone Conference ID', tollFree: '(Toll-free)', learnMore: 'Learn More', options: 'Meeting options' },
  de: { title: 'Microsoft Teams-Besprechung', join: 'Nehmen Sie über Ihren Computer, Ihre mobile App oder Ihr Raumgerät teil', click: 'Klicken Sie hier, um an der Besprechung teilzunehmen', meetingId: 'Besprechungs-ID', callIn: 'Oder rufen Sie an (nur Audio)', conferenceId: 'Telefonkonferenz-ID', tollFree: '(Gebührenfrei)', learnMore: 'Weitere Infos', options: 'Besprechungsoptionen' },
  fr: { title: 'Réunion Microsoft Teams', join: "Rejoindre à partir de votre ordinateur, de votre application mobile ou d'un appareil de salle", click: 'Cliquez ici pour participer à la réunion', meetingId: 'ID de réunion', callIn: 'Ou appelez (audio uniquement)', conferenceId: 'ID de conférence téléphonique', tollFree: '(Numéro gratuit)', learnMore: 'En savoir plus', options: 'Options de réunion' },
  es: { title: 'Reunión de Microsoft Teams', join: 'Unirse desde el equipo, la aplicación móvil o el dispositivo de sala', click: 'Haga clic aquí para unirse a la reunión', meetingId: 'Id. de reunión', callIn: 'O llamar (solo audio)', conferenceId: 'Id. de conferencia telefónica', tollFree: '(Gratuito)', learnMore: 'Más información', options: 'Opciones de reunión' },
  ja: { title: 'Microsoft Teams 会議', join: 'コンピュータ、モバイルアプリケーション、またはルームデバイスで参加する', click: 'ここをクリックして会議に参加してください', meetingId: '会議 ID', callIn: 'または電話で参加 (音声のみ)', conferenceId: '電話会議 ID', tollFree: '(フリーダイヤル)', learnMore: '詳細情報', options: '会議のオプション' },
};

/** The strings of a locale ("de-DE" → German), English when unknown. */
export function teamsStrings(locale: string): TeamsStrings {
  return STRINGS[locale.slice(0, 2).toLowerCase()] ?? (STRINGS['en'] as TeamsStrings);
}

const JOIN_URL = /https:\/\/teams\.microsoft\.com\/l\/meetup-join\/[^"'<>\s]+/;

/** Reads joinUrl, conference id and toll number from a body that carries a Teams block. */
export function teamsFromBody(content: string): TeamsMeeting | undefined {
  const join = JOIN_URL.exec(content);
  if (join === null) return undefined;
  const conference = /(\d[\d ]{6,})#/.exec(content.slice(join.index));
  const toll = /(?:^|[>\s])(\+\d[\d -]{6,}\d),,\d+#/.exec(content.slice(join.index));
  return {
    joinUrl: join[0].replace(/&amp;/g, '&'),
    conferenceId: conference?.[1]?.replace(/ /g, '') ?? null,
    tollNumber: toll?.[1] ?? null,
    tollFreeNumbers: [],
  };
}

function digits(seed: number, n: number): string {
  let out = '';
  let h = seed;
  while (out.length < n) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    out += String(h % 1_000_000).padStart(6, '0');
  }
  return out.slice(0, n);
}

/**
 * A new meeting's details, stable for the event (seeded by its iCalUId when created): kept as
 * the seed, tenant and organizer (strings the store holds anyway) and rendered when read.
 */
class SeededTeamsMeeting implements TeamsMeeting {
  constructor(readonly uid: string, readonly tenantId: string, readonly organizerId: string) {}

  get joinUrl(): string {
    const thread = Buffer.from(this.uid.slice(-36)).toString('base64url').slice(0, 48);
    return `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${thread}%40thread.v2/0?context=%7b%22Tid%22%3a%22${this.tenantId}%22%2c%22Oid%22%3a%22${this.organizerId}%22%7d`;
  }

  get conferenceId(): string {
    return digits(fnv1a(this.uid), 9);
  }

  get tollNumber(): string {
    return `+1 323-555-0${this.conferenceId.slice(0, 3)}`;
  }

  get tollFreeNumbers(): readonly string[] {
    return [`+1 833-555-0${this.conferenceId.slice(3, 6)}`];
  }
}

export function newTeamsMeeting(ev: StoredEvent, tenantId: string, organizerId: string): TeamsMeeting {
  return new SeededTeamsMeeting(ev.iCalUId, tenantId, organizerId);
}

/** The block Outlook appends to the body, in the organizer's language. */
export function teamsBlock(meeting: TeamsMeeting, locale: string, tenantId: string, organizerId: string): string {
  const t = teamsStrings(locale);
  const conf = meeting.conferenceId ?? '';
  const grouped = conf.replace(/(\d{3})(?=\d)/g, '$1 ');
  const tel = (n: string) => `<a href="tel:${n.replace(/[ -]/g, '')},,${conf}#">${n},,${conf}#</a>`;
  const rule = '<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36">________________________________________________________________________________</span></div>\r\n';
  return rule + `<div class="me-email-text" lang="${locale}">\r\n<div><span style="font-size:24px">${t.title}</span></div>\r\n`
    + `<div><span style="font-weight:bold">${t.join}</span></div>\r\n<a class="me-email-headline" href="${meeting.joinUrl.replace(/&/g, '&amp;')}" target="_blank" rel="noreferrer noopener">${t.click}</a>\r\n`
    + `<div><span>${t.meetingId}: </span><span>${grouped}</span></div>\r\n`
    + (meeting.tollNumber === null ? '' : `<div><span style="font-weight:bold">${t.callIn}</span></div>\r\n<div>${tel(meeting.tollNumber)}<span>   United States, Los Angeles</span></div>\r\n`)
    + meeting.tollFreeNumbers.map((n) => `<div>${tel(n)}<span>   United States ${t.tollFree}</span></div>\r\n`).join('')
    + `<div><span>${t.conferenceId}: </span><span>${grouped}#</span></div>\r\n`
    + `<div><a href="https://aka.ms/JoinTeamsMeeting?omkt=${locale}">${t.learnMore}</a> | <a href="https://teams.microsoft.com/meetingOptions/?organizerId=${organizerId}&amp;tenantId=${tenantId}&amp;language=${locale}">${t.options}</a></div>\r\n</div>\r\n` + rule;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>\r\n');
}

/** The Teams block of one organizer's meetings in one language (one shared recipe per mailbox and locale). */
class TeamsBlockRecipe implements TeamsBlock {
  constructor(readonly locale: string, readonly tenantId: string, readonly organizerId: string) {}

  render(meeting: TeamsMeeting): string {
    return teamsBlock(meeting, this.locale, this.tenantId, this.organizerId);
  }
}

/**
 * Gives an online Teams meeting its details once (later PATCHes keep them, as Graph ignores
 * changes once `onlineMeeting` exists); adds the Teams block unless the body has one. The block
 * is stored as its recipe and rendered with the body on read (`StoredEvent.bodyContent`).
 */
export function attachTeamsMeeting(ev: StoredEvent, tenantId: string, organizerId: string, locale: string): void {
  if (!ev.isOnlineMeeting || ev.onlineMeetingProvider !== 'teamsForBusiness') return;
  // The block added earlier is still on the body (a new body clears it): nothing to do.
  if (ev.teamsBlock !== undefined && ev.teams !== undefined) return;
  const fromBody = teamsFromBody(ev.body);
  if (fromBody !== undefined) {
    if (ev.teams === undefined || ev.teams.joinUrl !== fromBody.joinUrl) ev.teams = ev.teams?.joinUrl === fromBody.joinUrl ? ev.teams : fromBody;
    return;
  }
  ev.teams ??= newTeamsMeeting(ev, tenantId, organizerId);
  if (ev.bodyType !== 'html') ev.body = intern(escapeText(ev.body));
  ev.bodyType = 'html';
  ev.teamsBlock = internKeyed(`tb|${locale}|${tenantId}|${organizerId}`, () => new TeamsBlockRecipe(locale, tenantId, organizerId));
}
