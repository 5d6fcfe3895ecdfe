/**
 * Join information as meeting clients write it into invitations: Teams, Zoom (incl. ZoomGov),
 * Webex (personal room, /join/, j.php?MTID=), Google Meet, SIP/SIPS/H.323 and numeric video
 * addresses, a few other services, and link rewriters (Microsoft Safe Links, Proofpoint v2/v3,
 * Mimecast, Barracuda, Cisco Secure Email, Google redirects) that wrap them.
 *
 * Blocks are built from interned fragments plus short parameters, so a body costs a handful of
 * string concatenations rather than a fresh copy of its template.
 */
import type { Rng } from './rng.js';

export type JoinKind =
  | 'teams'
  | 'teamsMeetShort'
  | 'zoom'
  | 'zoomgov'
  | 'webexPersonal'
  | 'webexJoin'
  | 'webexMtid'
  | 'meet'
  | 'sip'
  | 'sips'
  | 'numericVideo'
  | 'h323'
  | 'goto'
  | 'bluejeans'
  | 'chime'
  | 'jitsi'
  | 'whereby'
  | 'ringcentral';

export const JOIN_KINDS: readonly JoinKind[] = [
  'teams', 'teamsMeetShort', 'zoom', 'zoomgov', 'webexPersonal', 'webexJoin', 'webexMtid', 'meet', 'sip', 'sips',
  'numericVideo', 'h323', 'goto', 'bluejeans', 'chime', 'jitsi', 'whereby', 'ringcentral',
];
export const JOIN_KIND_WEIGHTS: readonly number[] = [
  30, 4, 12, 1, 7, 3, 5, 5, 2, 1, 1, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5,
];

export type WrapperKind = 'safelinks' | 'proofpointV2' | 'proofpointV3' | 'mimecast' | 'barracuda' | 'ciscoSecure' | 'googleRedirect';
export const WRAPPER_KINDS: readonly WrapperKind[] = ['safelinks', 'proofpointV2', 'proofpointV3', 'mimecast', 'barracuda', 'ciscoSecure', 'googleRedirect'];
export const WRAPPER_WEIGHTS: readonly number[] = [70, 8, 6, 5, 4, 4, 3];

/** What the organiser's context provides to the link builders. */
export interface LinkOwner {
  tenantId: string;
  userId: string;
  /** URL-safe short handle of the person (personal room name). */
  handle: string;
  displayName: string;
  mail: string;
  /** Site or org label used in provider hosts (`contoso` -> contoso.webex.com, contoso.zoom.us). */
  site: string;
  /** Domain for SIP / numeric video addresses. */
  domain: string;
}

export interface JoinInfo {
  kind: JoinKind;
  /** The primary join URL or URI, before any rewriting. */
  url: string;
  html: string;
  text: string;
}

/** Where the invitation's links go when a rewriter is on (receives the original URL). */
export type Rewrite = (url: string) => string;

const SAFELINK_REGIONS = ['nam02', 'nam04', 'nam10', 'nam11', 'nam12', 'eur01', 'eur02', 'eur03', 'eur04', 'eur05', 'gbr01', 'apc01', 'jpn01', 'aus01', 'ind01', 'can01', 'bra01'];
const SAFELINK_MAILFLOW = 'TWFpbGZsb3d8eyJFbXB0eU1hcGkiOnRydWUsIlYiOiIwLjAuMDAwMCIsIlAiOiJXaW4zMiIsIkFOIjoiTWFpbCIsIldUIjoyfQ%3D%3D';

/** Proofpoint URL Defense v2 encoding: '/' -> '_', other reserved bytes -> '-XX'. */
function proofpointV2Encode(url: string): string {
  let out = '';
  for (let i = 0; i < url.length; i += 1) {
    const ch = url.charCodeAt(i);
    if ((ch >= 48 && ch <= 57) || (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122) || ch === 46 || ch === 126) out += url[i];
    else if (ch === 47) out += '_';
    else out += '-' + ch.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function makeRewriter(kind: WrapperKind, rng: Rng, recipient: string, tenantId: string): Rewrite {
  switch (kind) {
    case 'safelinks': {
      const region = rng.pick(SAFELINK_REGIONS);
      const data = `&data=05%7C02%7C${encodeURIComponent(recipient)}%7C${rng.hex(32)}%7C${tenantId.replaceAll('-', '')}%7C0%7C0%7C63${rng.digits(16)}%7CUnknown%7C${SAFELINK_MAILFLOW}%7C0%7C%7C%7C&sdata=${rng.alnum(43)}%3D&reserved=0`;
      return (url) => `https://${region}.safelinks.protection.outlook.com/?url=${encodeURIComponent(url)}${data}`;
    }
    case 'proofpointV2': {
      const tail = `&d=DwMFaQ&c=${rng.alnum(43)}&r=${rng.alnum(43)}&m=${rng.alnum(43)}&s=${rng.alnum(43)}&e=`;
      return (url) => `https://urldefense.proofpoint.com/v2/url?u=${proofpointV2Encode(url)}${tail}`;
    }
    case 'proofpointV3': {
      // v3 replaces some characters with '*' and lists them after ';'; links without such
      // characters carry an empty list, which is what we produce (query strings are dropped).
      const tail = `__;!!${rng.alnum(8)}!${rng.alnum(32)}$`;
      return (url) => `https://urldefense.com/v3/__${url.split('?')[0] ?? url}${tail}`;
    }
    case 'mimecast': {
      // Mimecast keeps the target server-side: cannot be unwrapped, only reported.
      const host = rng.pick(['protect-eu.mimecast.com', 'protect-us.mimecast.com', 'protect-au.mimecast.com']);
      const id = rng.alnum(22);
      return (url) => `https://${host}/s/${id}?domain=${new URL(url).hostname}`;
    }
    case 'barracuda': {
      const c = `E,1,${rng.alnum(40)},,&typo=1`;
      return (url) => `https://linkprotect.cudasvc.com/url?a=${encodeURIComponent(url)}&c=${c}`;
    }
    case 'ciscoSecure': {
      const token = `1${rng.alnum(60)}`;
      return (url) => `https://secure-web.cisco.com/${token}/${encodeURIComponent(url)}`;
    }
    case 'googleRedirect': {
      const tail = `&sa=D&source=calendar&ust=17${rng.digits(14)}&usg=AOvVaw${rng.alnum(22)}`;
      return (url) => `https://www.google.com/url?q=${encodeURIComponent(url)}${tail}`;
    }
  }
}

const identity: Rewrite = (url) => url;

// ---- Interned fragments -------------------------------------------------------------------

const HR_HTML = '<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36">________________________________________________________________________________</span></div>\r\n';
const TEAMS_HEAD = '<div class="me-email-text" lang="en-US" style="color:#252424;font-family:\'Segoe UI\',\'Helvetica Neue\',Helvetica,Arial,sans-serif">\r\n<div style="margin-top:24px;margin-bottom:20px"><span style="font-size:24px;color:#252424">Microsoft Teams meeting</span></div>\r\n<div style="margin-bottom:20px"><div style="margin-top:0px;margin-bottom:0px;font-weight:bold"><span style="font-size:14px;color:#252424">Join on your computer, mobile app or room device</span></div>\r\n<a class="me-email-headline" style="font-size:14px;font-family:\'Segoe UI Semibold\',\'Segoe UI\',\'Helvetica Neue\',Helvetica,Arial,sans-serif;text-decoration:underline;color:#6264a7" href="';
const TEAMS_AFTER_LINK = '" target="_blank" rel="noreferrer noopener">Click here to join the meeting</a></div>\r\n<div style="margin-bottom:20px;margin-top:20px"><div style="margin-bottom:4px"><span data-tid="meeting-code" style="font-size:14px;color:#252424">Meeting ID: <span style="font-size:16px;color:#252424">';
const TEAMS_PASSCODE = '</span></span><br><span style="font-size:14px;color:#252424">Passcode: </span><span style="font-size:16px;color:#252424">';
const TEAMS_DOWNLOAD = '</span></div>\r\n<div style="font-size:14px"><a class="me-email-link" style="font-size:14px;text-decoration:underline;color:#6264a7" href="https://www.microsoft.com/en-us/microsoft-teams/download-app" target="_blank" rel="noreferrer noopener">Download Teams</a> | <a class="me-email-link" style="font-size:14px;text-decoration:underline;color:#6264a7" href="https://www.microsoft.com/microsoft-teams/join-a-meeting" target="_blank" rel="noreferrer noopener">Join on the web</a></div></div>\r\n';
const TEAMS_VTC_HEAD = '<div style="margin-bottom:24px;margin-top:20px"><div style="margin-bottom:4px;font-weight:bold"><span style="font-size:14px;color:#252424">Join with a video conferencing device</span></div>\r\n<div style="font-size:14px;color:#252424">';
const TEAMS_VTC_ID = '</div>\r\n<div style="font-size:14px;color:#252424">Video Conference ID: ';
const TEAMS_VTC_TAIL = '</div></div>\r\n';
const TEAMS_DIAL_HEAD = '<div style="margin-top:20px;margin-bottom:20px"><div style="margin-bottom:4px;font-weight:bold"><span style="font-size:14px;color:#252424">Or call in (audio only)</span></div>\r\n<div style="margin-bottom:4px"><a class="me-email-link" style="font-size:16px;text-decoration:none;color:#6264a7" href="tel:';
const TEAMS_FOOT = '</span></div>\r\n<div style="margin-top:20px;margin-bottom:20px;font-size:14px"><a class="me-email-link" style="font-size:14px;text-decoration:underline;color:#6264a7" href="https://aka.ms/JoinTeamsMeeting?omkt=en-US" target="_blank" rel="noreferrer noopener">Learn More</a> | <a class="me-email-link" style="font-size:14px;text-decoration:underline;color:#6264a7" href="https://teams.microsoft.com/meetingOptions/?organizerId=';
const TEAMS_TEXT_HEAD = '________________________________________________________________________________\r\nMicrosoft Teams meeting\r\nJoin on your computer, mobile app or room device\r\nClick here to join the meeting<';

const ZOOM_PHONE = [['+16699006833', 'US (San Jose)'], ['+13462487799', 'US (Houston)'], ['+442034815237', 'United Kingdom'], ['+4969380979883', 'Germany'], ['+81363628317', 'Japan']] as const;
const WEBEX_PHONE = [['+1-415-655-0001', 'US Toll'], ['+44-20-7660-3210', 'UK Toll'], ['+49-619-6781-9736', 'Germany Toll'], ['+81-3-6453-8221', 'Japan Toll']] as const;
const MEET_PHONE = [['(US) +1 505-806-1234', 'US'], ['(DE) +49 30 300195123', 'DE'], ['(FR) +33 1 87 40 12 34', 'FR']] as const;

/** HTML-escapes '&' (the only special character our URLs carry), as Outlook writes hrefs. */
function esc(s: string): string {
  return s.includes('&') ? s.replace(/&/g, '&amp;') : s;
}

function a(href: string, text: string): string {
  return '<a href="' + esc(href) + '">' + esc(text) + '</a>';
}

function group3(s: string): string {
  return s.replace(/(\d{3})(?=\d)/g, '$1 ');
}

/** Builds the join block of `kind` for `owner`; `rewrite` rewrites hrefs (and text URLs in plain text). */
export function buildJoin(kind: JoinKind, rng: Rng, owner: LinkOwner, html: boolean, rewrite: Rewrite = identity): JoinInfo {
  switch (kind) {
    case 'teams': {
      const threadPart = rng.alnum(48);
      const url = `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${threadPart}%40thread.v2/0?context=%7b%22Tid%22%3a%22${owner.tenantId}%22%2c%22Oid%22%3a%22${owner.userId}%22%7d`;
      const meetingId = group3(rng.digits(12));
      const pass = rng.alnum(6);
      const vtcKey = rng.digits(9);
      const vtcId = rng.digits(10);
      const conf = rng.digits(9);
      if (!html) {
        return {
          kind, url,
          html: '',
          text: TEAMS_TEXT_HEAD + rewrite(url) + '>\r\nMeeting ID: ' + meetingId + '\r\nPasscode: ' + pass +
            '\r\nJoin with a video conferencing device\r\n' + vtcKey + '@t.plcm.vc\r\nVideo Conference ID: ' + vtcId +
            '\r\nOr call in (audio only)\r\n+1 323-555-0' + conf.slice(0, 3) + ',,' + conf + '#   United States, Los Angeles\r\nPhone Conference ID: ' + group3(conf) + '#\r\n________________________________________________________________________________\r\n',
        };
      }
      return {
        kind, url, text: '',
        html: HR_HTML + TEAMS_HEAD + esc(rewrite(url)) + TEAMS_AFTER_LINK + meetingId + TEAMS_PASSCODE + pass + TEAMS_DOWNLOAD +
          TEAMS_VTC_HEAD + vtcKey + '@t.plcm.vc' + TEAMS_VTC_ID + vtcId + TEAMS_VTC_TAIL +
          TEAMS_DIAL_HEAD + '+13235550' + conf.slice(0, 3) + ',,' + conf + '#">+1 323-555-0' + conf.slice(0, 3) + ',,' + conf + '#</a><span style="font-size:12px;color:#252424">   United States, Los Angeles</span></div>\r\n<div><span style="font-size:12px;color:#252424">Phone Conference ID: </span><span style="font-size:14px;color:#252424">' + group3(conf) + '#' +
          TEAMS_FOOT + owner.userId + '&amp;tenantId=' + owner.tenantId + '&amp;threadId=19_meeting_' + threadPart + '@thread.v2&amp;messageId=0&amp;language=en-US" target="_blank" rel="noreferrer noopener">Meeting options</a></div></div>\r\n' + HR_HTML,
      };
    }
    case 'teamsMeetShort': {
      const id = rng.digits(13);
      const url = `https://teams.microsoft.com/meet/${id}?p=${rng.alnum(16)}`;
      const line = 'Microsoft Teams meeting – Join: ';
      return html
        ? { kind, url, text: '', html: HR_HTML + '<p><b>' + line + '</b>' + a(rewrite(url), url) + '<br>Meeting ID: ' + group3(id) + '</p>' + HR_HTML }
        : { kind, url, html: '', text: line + rewrite(url) + '\r\nMeeting ID: ' + group3(id) + '\r\n' };
    }
    case 'zoom':
    case 'zoomgov': {
      const host = kind === 'zoom' ? (rng.chance(0.3) ? 'us02web.zoom.us' : owner.site + '.zoom.us') : owner.site + '.zoomgov.com';
      const mid = kind === 'zoom' ? rng.digits(11) : '16' + rng.digits(8);
      const pwd = rng.alnum(32) + '.1';
      const url = `https://${host}/j/${mid}?pwd=${pwd}`;
      const passcode = rng.digits(6);
      const phone = rng.pick(ZOOM_PHONE);
      const sipDomain = kind === 'zoom' ? 'zoomcrc.com' : 'sip.zoomgov.com';
      const lines = [
        owner.displayName + ' is inviting you to a scheduled Zoom meeting.', '', 'Join Zoom Meeting', '\u0000',
        '', 'Meeting ID: ' + mid.slice(0, 3) + ' ' + mid.slice(3, 7) + ' ' + mid.slice(7), 'Passcode: ' + passcode, '', '---', '', 'One tap mobile',
        phone[0] + ',,' + mid + '#,,,,*' + passcode + '# ' + phone[1], '', 'Join by SIP', '• ' + mid + '@' + sipDomain, '',
        'Join by H.323', '• 162.255.37.11 (US West)', '• 162.255.36.11 (US East)', '', 'Meeting ID: ' + mid, 'Passcode: ' + passcode,
      ];
      return html
        ? { kind, url, text: '', html: lines.map((l) => (l === '\u0000' ? '<p class="MsoNormal">' + a(rewrite(url), url) + '</p>' : '<p class="MsoNormal">' + (l === '' ? '&nbsp;' : l) + '</p>')).join('\r\n') }
        : { kind, url, html: '', text: lines.map((l) => (l === '\u0000' ? rewrite(url) : l)).join('\r\n') + '\r\n' };
    }
    case 'webexPersonal':
    case 'webexJoin':
    case 'webexMtid': {
      const site = owner.site;
      const meetingNo = '2' + rng.digits(10);
      let url: string;
      let video: string;
      if (kind === 'webexPersonal') {
        url = `https://${site}.webex.com/meet/${owner.handle}`;
        video = `${owner.handle}@${site}.webex.com`;
      } else if (kind === 'webexJoin') {
        url = `https://${site}.webex.com/join/${owner.handle}`;
        video = `${owner.handle}@${site}.webex.com`;
      } else {
        url = `https://${site}.webex.com/${site}/j.php?MTID=m${rng.hex(32)}`;
        video = `${meetingNo}@${site}.webex.com`;
      }
      const phone = rng.pick(WEBEX_PHONE);
      const pw = rng.alnum(11);
      const lines = [
        '-- Do not delete or change any of the following text. --', '',
        kind === 'webexPersonal' ? 'Join meeting in my Webex Personal Room' : 'When it\'s time, join your Webex meeting here.', '',
        'Meeting number (access code): ' + meetingNo.slice(0, 4) + ' ' + meetingNo.slice(4, 7) + ' ' + meetingNo.slice(7),
        'Meeting password: ' + pw, '', '\u0000', '', 'Tap to join from a mobile device (attendees only)',
        phone[0] + ',,' + meetingNo + '## ' + phone[1], '', 'Join by video system, application or Skype for Business',
        'Dial ' + video, 'You can also dial 173.243.2.68 and enter your meeting number.', '',
        'If you are a host, click here to view host information.', 'Need help? Go to https://help.webex.com',
      ];
      return html
        ? { kind, url, text: '', html: '<div>' + lines.map((l) => (l === '\u0000' ? '<p>Join meeting: ' + a(rewrite(url), url) + '</p>' : l === '' ? '<p>&nbsp;</p>' : '<p>' + l + '</p>')).join('\r\n') + '</div>' }
        : { kind, url, html: '', text: lines.map((l) => (l === '\u0000' ? 'Join meeting <' + rewrite(url) + '>' : l)).join('\r\n') + '\r\n' };
    }
    case 'meet': {
      const code = rng.lower(3) + '-' + rng.lower(4) + '-' + rng.lower(3);
      const url = `https://meet.google.com/${code}`;
      const phone = rng.pick(MEET_PHONE);
      const pin = rng.digits(9);
      const text = 'Join with Google Meet\r\n\u0000\r\nJoin by phone\r\n' + phone[0] + ' PIN: ' + group3(pin) + '#\r\nMore phone numbers: https://tel.meet/' + code + '?pin=' + pin + '\r\n';
      return html
        ? { kind, url, text: '', html: '<p>Join with Google Meet<br>' + a(rewrite(url), 'meet.google.com/' + code) + '</p><p>Join by phone<br>' + phone[0] + ' PIN: ' + group3(pin) + '#</p>' }
        : { kind, url, html: '', text: text.replace('\u0000', () => rewrite(url)) };
    }
    case 'sip':
    case 'sips': {
      const user = rng.chance(0.5) ? rng.digits(7) : 'vmr.' + owner.handle;
      const host = rng.chance(0.5) ? `${owner.site}.webex.com` : `vc.${owner.domain}`;
      const url = `${kind}:${user}@${host}`;
      const line = 'Join from a video system or SIP client: ';
      return html
        ? { kind, url, text: '', html: '<p>' + line + a(url, url) + '</p>' }
        : { kind, url, html: '', text: line + url + '\r\n' };
    }
    case 'numericVideo': {
      const url = `${rng.digits(5)}@${rng.chance(0.5) ? 'vc.' + owner.domain : owner.site + '.webex.com'}`;
      const line = 'Video call: dial ';
      return html ? { kind, url, text: '', html: '<p>' + line + url + '</p>' } : { kind, url, html: '', text: line + url + '\r\n' };
    }
    case 'h323': {
      const url = `h323:${rng.digits(6)}@198.51.100.${rng.int(2, 250)}`;
      const line = 'H.323 endpoints: ';
      return html ? { kind, url, text: '', html: '<p>' + line + url + '</p>' } : { kind, url, html: '', text: line + url + '\r\n' };
    }
    case 'goto':
    case 'bluejeans':
    case 'chime':
    case 'jitsi':
    case 'whereby':
    case 'ringcentral': {
      const url =
        kind === 'goto' ? `https://meet.goto.com/${rng.digits(9)}`
          : kind === 'bluejeans' ? `https://bluejeans.com/${rng.digits(9)}/${rng.digits(4)}`
            : kind === 'chime' ? `https://chime.aws/${rng.digits(10)}`
              : kind === 'jitsi' ? `https://meet.jit.si/${owner.site}-${rng.alnum(10)}`
                : kind === 'whereby' ? `https://whereby.com/${owner.site}-${owner.handle.replace(/[^a-z0-9]/g, '')}`
                  : `https://v.ringcentral.com/join/${rng.digits(9)}`;
      const line = 'Please join my meeting from your computer, tablet or smartphone: ';
      return html
        ? { kind, url, text: '', html: '<p>' + line + a(rewrite(url), url) + '</p>' }
        : { kind, url, html: '', text: line + rewrite(url) + '\r\n' };
    }
  }
}
