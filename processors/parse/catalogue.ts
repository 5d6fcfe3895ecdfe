import type { ProviderKind } from '../../schemas/index.js';

/**
 * The catalogue of video meeting services parse recognises: data only, one entry per service.
 *
 * - `hosts`: domain suffixes of join links (`zoom.us` also matches `acme.zoom.us`); `*` = any host
 *   (the path then identifies the service, as for self-hosted Pexip and Cisco Meeting Server).
 * - `paths`: regular expressions over path + query + fragment (anchored at the start) that make a
 *   link on those hosts a join link; absent = any path but `/`. `notHosts`: help and marketing hosts.
 * - `sipDomains`: domain suffixes of the service's video (SIP) addresses.
 * - `number`: a group-1 regex over path + query that yields the meeting number from a join link.
 * - `alias`: a group-1 regex over path + query + fragment that yields a conference alias (a SIP
 *   address when it holds an `@`; otherwise the local part of a video address on the link's domain).
 * - `videoAddress`: how a join link maps to its video address (Webex personal rooms).
 * - `dropQuery`: the query is tracking only (Meet's `hs=`), not part of the join address.
 * - `bare`: hosts printed without `https://` in invitations (found in text as `host/…`).
 *
 * Every regex here is applied to one capped link at a time and has no nested quantifiers.
 */
export interface CatalogueEntry {
  readonly id: string;
  readonly name: string;
  readonly provider: ProviderKind;
  readonly hosts: readonly string[];
  readonly notHosts?: readonly string[];
  readonly paths?: readonly string[];
  readonly sipDomains?: readonly string[];
  readonly notSipDomains?: readonly string[];
  readonly number?: string;
  readonly alias?: string;
  readonly dropQuery?: boolean;
  /** The video address a join link stands for (`{1}`: the group, `{host}`: the link's host). */
  readonly videoAddress?: { readonly path: string; readonly template: string };
  readonly bare?: readonly string[];
}

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    id: 'webex',
    name: 'Webex',
    provider: 'WEBEX',
    hosts: ['webex.com', 'webex.ca', 'webex.co.uk', 'webexgov.us', 'webex.com.cn'],
    notHosts: ['help.webex.com', 'www.webex.com', 'webex.com', 'status.webex.com', 'cart.webex.com', 'apps.webex.com', 'developer.webex.com', 'settings.webex.com', 'm.webex.com'],
    paths: [
      '[^/?#]{1,64}/j\\.php\\?',
      '[^/?#]{1,64}/k2/j\\.php\\?',
      '[^/?#]{1,64}/e\\.php\\?',
      '[^/?#]{1,64}/m\\.php\\?',
      '[^/?#]{1,64}/ldr\\.php\\?',
      'meet/[^/?#]',
      'join/[^/?#]',
      '[^/?#]{1,64}/meet/[^/?#]',
      'wbxmjs/joinservice/',
      'webappng/sites/[^/?#]{1,64}/meeting/',
      'spaces/[^/?#]',
      'launch/',
    ],
    sipDomains: ['webex.com', 'webexgov.us', 'ciscospark.com', 'wbx2.com'],
    videoAddress: { path: '(?:[^/?#]{1,64}/)?(?:meet|join)/([^/?#]{1,64})', template: '{1}@{host}' },
    // m.webex.com is Cisco's gateway into Teams meetings (CVI): a Teams VTC address, not a Webex one.
    notSipDomains: ['m.webex.com'],
    bare: ['webex.com/meet/', 'webex.com/join/'],
  },
  {
    id: 'teams',
    name: 'Microsoft Teams',
    provider: 'TEAMS',
    hosts: ['teams.microsoft.com', 'teams.live.com', 'gov.teams.microsoft.us', 'dod.teams.microsoft.us', 'teams.microsoft.us', 'teams.cloud.microsoft'],
    paths: ['l/meetup-join/', 'meet/[0-9]', 'meet/[^/?#]', 'v2/\\?meetingjoin=true', '_#/l/meetup-join/', 'dl/launcher/launcher\\.html\\?url=%2F_%23%2Fl%2Fmeetup-join'],
    number: 'meet/([0-9]{9,16})',
    bare: ['teams.microsoft.com/l/meetup-join/', 'teams.microsoft.com/meet/', 'teams.live.com/meet/'],
  },
  {
    id: 'zoom',
    name: 'Zoom',
    provider: 'ZOOM',
    hosts: ['zoom.us', 'zoom.com', 'zoomgov.com', 'zoom.com.cn'],
    notHosts: ['support.zoom.us', 'support.zoom.com', 'explore.zoom.us', 'community.zoom.com', 'status.zoom.us'],
    paths: ['j/[0-9]', 'w/[0-9]', 's/[0-9]', 'wc/join/[0-9]', 'wc/[0-9]{6,14}/join', 'my/[^/?#]', 'meeting/register/', 'webinar/register/', 'rec/'],
    sipDomains: ['zoomcrc.com', 'zoomgov.com', 'zoom.us'],
    number: '(?:j|w|s|wc/join|wc)/([0-9]{9,14})',
    bare: ['zoom.us/j/', 'zoom.us/my/', 'zoomgov.com/j/'],
  },
  {
    id: 'google-meet',
    name: 'Google Meet',
    provider: 'MEET',
    hosts: ['meet.google.com'],
    paths: ['[a-z]{3}-[a-z]{4}-[a-z]{3}', 'lookup/', '[a-z]{10}'],
    dropQuery: true,
    bare: ['meet.google.com/'],
  },
  {
    id: 'goto',
    name: 'GoTo Meeting',
    provider: 'OTHER',
    hosts: ['meet.goto.com', 'gotomeeting.com', 'gotomeet.me', 'goto.com', 'app.goto.com'],
    notHosts: ['support.goto.com', 'www.goto.com', 'goto.com', 'support.logmeininc.com'],
    paths: ['[0-9]{9}', 'join/[0-9]{9}', '[A-Za-z][A-Za-z0-9_-]{2,}$', 'meeting/[0-9]{9}', '[A-Za-z][A-Za-z0-9_-]{2,}[?#]'],
    sipDomains: ['inroomlink.goto.com', 'gotomeeting.com'],
    number: '(?:join/|meeting/)?([0-9]{9})',
  },
  {
    id: 'gotowebinar',
    name: 'GoTo Webinar',
    provider: 'OTHER',
    hosts: ['gotowebinar.com', 'attendee.gotowebinar.com', 'register.gotowebinar.com'],
    paths: ['register/', 'join/', 'rt/'],
  },
  {
    id: 'bluejeans',
    name: 'BlueJeans',
    provider: 'OTHER',
    hosts: ['bluejeans.com', 'bjn.vc'],
    notHosts: ['support.bluejeans.com', 'www.bluejeans.com'],
    paths: ['[0-9]{6,}', 'j/', 'join/'],
    sipDomains: ['bjn.vc', 'sip.bjn.vc', 'bluejeans.com'],
    number: '([0-9]{6,12})',
  },
  {
    id: 'chime',
    name: 'Amazon Chime',
    provider: 'OTHER',
    hosts: ['chime.aws', 'app.chime.aws'],
    paths: ['[0-9]{10}', 'meetings/', 'portal/'],
    number: '([0-9]{10})',
  },
  {
    id: 'ringcentral',
    name: 'RingCentral Video',
    provider: 'OTHER',
    hosts: ['v.ringcentral.com', 'meetings.ringcentral.com', 'video.ringcentral.com', 'ringcentral.zoom.us'],
    paths: ['join/', 'j/', 'conf/'],
    sipDomains: ['ringcentral.com'],
    number: '(?:join|j)/([0-9]{6,14})',
  },
  { id: 'jitsi', name: 'Jitsi Meet', provider: 'OTHER', hosts: ['meet.jit.si', 'jitsi.member.fsf.org'], bare: ['meet.jit.si/'] },
  { id: 'whereby', name: 'Whereby', provider: 'OTHER', hosts: ['whereby.com', 'appear.in'], notHosts: ['www.whereby.com', 'help.whereby.com'], paths: ['[a-z0-9][a-z0-9-]{1,}'], bare: ['whereby.com/'] },
  {
    id: 'pexip',
    name: 'Pexip',
    provider: 'OTHER',
    hosts: ['*', 'pexip.me', 'pexip.com', 'videomeet.pexip.me'],
    paths: ['webapp[0-9]?/'],
    alias: '(?:webapp[0-9]?/m/|webapp[0-9]?/#/\\?conference=|webapp[0-9]?/\\?conference=|webapp[0-9]?/#/\\?.{0,200}[?&]conference=|webapp[0-9]?/conference/)([^/?&#]{1,200})',
    sipDomains: ['pexip.me', 'pexip.com', 'vc.pexip.com'],
  },
  {
    id: 'cisco-meeting-server',
    name: 'Cisco Meeting Server (web app)',
    provider: 'OTHER',
    hosts: ['*'],
    paths: ['meeting/[0-9]{3,}\\?secret=', 'meeting/[0-9]{3,}', 'invited\\.sf\\?', 'en-US/meeting/[0-9]', 'call/[0-9]{3,}\\?secret='],
    number: '(?:meeting|call)/([0-9]{3,})',
  },
  {
    id: 'lifesize',
    name: 'Lifesize',
    provider: 'OTHER',
    hosts: ['lifesizecloud.com', 'call.lifesizecloud.com', 'lifesize.com', 'guest.lifesizecloud.com'],
    notHosts: ['www.lifesize.com', 'lifesize.com'],
    paths: ['[0-9]{4,}', 'extension/', 'call/'],
    sipDomains: ['lifesizecloud.com', 'lifesizecloudbeta.com'],
    number: '(?:extension/)?([0-9]{4,})',
  },
  {
    id: 'starleaf',
    name: 'StarLeaf',
    provider: 'OTHER',
    hosts: ['meet.starleaf.com', 'starleaf.com'],
    notHosts: ['www.starleaf.com', 'support.starleaf.com'],
    paths: ['[0-9]{6,}'],
    sipDomains: ['call.sl', 'starleaf.com'],
    number: '([0-9]{6,})',
  },
  {
    id: 'vidyo',
    name: 'Vidyo',
    provider: 'OTHER',
    hosts: ['vidyocloud.com', 'vidyo.com', 'vidyo.io', 'vidyoconnect.com', 'vidyocloudstaging.com'],
    notHosts: ['www.vidyo.com', 'support.vidyocloud.com'],
    paths: ['join/', 'flex\\.html\\?', '[^/?#]{1,64}/join/'],
    sipDomains: ['vidyocloud.com'],
  },
  {
    id: 'skype-for-business',
    name: 'Skype for Business',
    provider: 'OTHER',
    hosts: ['meet.lync.com', 'lync.com', 'meet.skypeforbusiness.com'],
    paths: ['[^/?#]{1,64}/[^/?#]{1,64}/[A-Z0-9]{6,12}'],
    sipDomains: ['lync.com'],
  },
  { id: 'skype', name: 'Skype', provider: 'OTHER', hosts: ['join.skype.com'], paths: ['[A-Za-z0-9]{6,}'] },
  { id: 'zoho-meeting', name: 'Zoho Meeting', provider: 'OTHER', hosts: ['meeting.zoho.com', 'meeting.zoho.eu', 'meeting.zoho.in', 'meeting.zoho.com.au'], paths: ['meeting/', 'join', '[0-9]{6,}'] },
  { id: 'dialpad', name: 'Dialpad Meetings', provider: 'OTHER', hosts: ['meetings.dialpad.com', 'dialpad.com', 'uberconference.com'], notHosts: ['www.dialpad.com', 'help.dialpad.com'], paths: ['[^/?#]{2,}'] },
  { id: '8x8', name: '8x8 Meet', provider: 'OTHER', hosts: ['8x8.vc'], paths: ['[^/?#]{2,}'] },
  { id: 'slack-huddle', name: 'Slack huddle', provider: 'OTHER', hosts: ['app.slack.com'], paths: ['huddle/'] },
  { id: 'facetime', name: 'FaceTime', provider: 'OTHER', hosts: ['facetime.apple.com'], paths: ['join'] },
  { id: 'whatsapp', name: 'WhatsApp call', provider: 'OTHER', hosts: ['call.whatsapp.com'], paths: ['video/', 'voice/'] },
  { id: 'workplace', name: 'Workplace from Meta', provider: 'OTHER', hosts: ['workplace.com', 'fb.workplace.com'], paths: ['[^/?#]{1,64}/?meet/', 'groupcall/', 'meet/'] },
  { id: 'adobe-connect', name: 'Adobe Connect', provider: 'OTHER', hosts: ['adobeconnect.com', 'acrobat.com'], paths: ['[^/?#]{2,}'] },
  { id: 'clickmeeting', name: 'ClickMeeting', provider: 'OTHER', hosts: ['clickmeeting.com'], notHosts: ['clickmeeting.com', 'www.clickmeeting.com'], paths: ['[^/?#]{2,}'] },
  { id: 'livestorm', name: 'Livestorm', provider: 'OTHER', hosts: ['app.livestorm.co'], paths: ['[^/?#]{2,}'] },
  { id: 'lark', name: 'Lark / Feishu', provider: 'OTHER', hosts: ['vc.larksuite.com', 'vc.feishu.cn'], paths: ['j/'] },
  { id: 'tencent-meeting', name: 'Tencent Meeting / VooV', provider: 'OTHER', hosts: ['meeting.tencent.com', 'voovmeeting.com'], paths: ['dm/', 'p/', 's/'] },
  { id: 'telemost', name: 'Yandex Telemost', provider: 'OTHER', hosts: ['telemost.yandex.ru', 'telemost.yandex.com', 'telemost.360.yandex.ru'], paths: ['j/'] },
  { id: 'kmeet', name: 'Infomaniak kMeet', provider: 'OTHER', hosts: ['kmeet.infomaniak.com'], paths: ['[^/?#]{2,}'] },
  { id: 'element-call', name: 'Element Call', provider: 'OTHER', hosts: ['call.element.io'], paths: ['room/', '[^/?#]{2,}'] },
  { id: 'daily', name: 'Daily', provider: 'OTHER', hosts: ['daily.co'], notHosts: ['www.daily.co', 'docs.daily.co', 'daily.co'], paths: ['[^/?#]{2,}'] },
  { id: 'gather', name: 'Gather', provider: 'OTHER', hosts: ['app.gather.town', 'app.v2.gather.town'], paths: ['app/', 'invite'] },
  { id: 'around', name: 'Around', provider: 'OTHER', hosts: ['meet.around.co', 'around.co'], notHosts: ['www.around.co'], paths: ['r/', '[^/?#]{2,}'] },
  { id: 'bigbluebutton', name: 'BigBlueButton', provider: 'OTHER', hosts: ['*'], paths: ['bigbluebutton/api/join\\?', 'b/[a-z0-9]{3}-[a-z0-9]{3}-[a-z0-9]{3}'] },
  { id: 'avaya-spaces', name: 'Avaya Spaces', provider: 'OTHER', hosts: ['spaces.avayacloud.com', 'accounts.avayacloud.com'], paths: ['spaces/', 'space/'] },
  { id: 'vonage', name: 'Vonage Meetings', provider: 'OTHER', hosts: ['meetings.vonage.com'], paths: ['[^/?#]{2,}'] },
  { id: 'ooma', name: 'Ooma Meetings', provider: 'OTHER', hosts: ['meetings.ooma.com'], paths: ['[^/?#]{2,}'] },
  { id: 'fuze', name: 'Fuze', provider: 'OTHER', hosts: ['fuze.me', 'fuzemeeting.com'], paths: ['[0-9]{6,}', '[^/?#]{2,}'] },
  { id: 'joinme', name: 'join.me', provider: 'OTHER', hosts: ['join.me'], notHosts: ['www.join.me'], paths: ['[^/?#]{2,}'] },
  { id: 'webex-events', name: 'Webex Events (Socio)', provider: 'OTHER', hosts: ['socio.events', 'events.webex.com'], paths: ['[^/?#]{2,}'] },
  { id: 'hopin', name: 'RingCentral Events (Hopin)', provider: 'OTHER', hosts: ['app.hopin.com', 'events.ringcentral.com'], paths: ['events/'] },
  { id: 'bigmarker', name: 'BigMarker', provider: 'OTHER', hosts: ['bigmarker.com'], notHosts: ['www.bigmarker.com'], paths: ['[^/?#]{2,}/[^/?#]{2,}'] },
  { id: 'demio', name: 'Demio', provider: 'OTHER', hosts: ['event.demio.com', 'my.demio.com'], paths: ['ref/', '[^/?#]{2,}'] },
  { id: 'airmeet', name: 'Airmeet', provider: 'OTHER', hosts: ['airmeet.com'], paths: ['e/'] },
  { id: 'streamyard', name: 'StreamYard', provider: 'OTHER', hosts: ['streamyard.com'], paths: ['[a-z0-9]{8,}'] },
  { id: 'riverside', name: 'Riverside', provider: 'OTHER', hosts: ['riverside.fm'], paths: ['studio/'] },
  { id: 'pop', name: 'Pop', provider: 'OTHER', hosts: ['pop.com'], paths: ['j/'] },
  { id: 'tuple', name: 'Tuple', provider: 'OTHER', hosts: ['tuple.app'], paths: ['c/'] },
  { id: 'kaltura', name: 'Kaltura Meetings', provider: 'OTHER', hosts: ['kme.kaltura.com', 'newrow.com'], paths: ['[^/?#]{2,}'] },
  { id: 'zoom-events', name: 'Zoom Events', provider: 'ZOOM', hosts: ['events.zoom.us'], paths: ['ev/', 'e/'] },
];
