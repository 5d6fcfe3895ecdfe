import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, findKeywordIntent, parseEvent, parseOptionsSchema, regexProblem, unwrapUrl } from '../../../processors/parse/index.js';

const zoom = 'https://us02web.zoom.us/j/82233445566?pwd=eHl6MTIz';
const teamsBlock = (url: string): string =>
  `<div class="me-email-text"><span>Microsoft Teams meeting</span><div><a class="me-email-headline" href="${url}">Click here to join the meeting</a></div><span>Meeting ID: 345 678 901 234</span></div>`;
const teams = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_QUJD%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d';

describe('parse – link rewriters', () => {
  it('parse – unwraps Safe Links, Proofpoint v1/v2/v3, Barracuda, Cisco Secure Email and Google redirects, also nested', () => {
    const v2 = `https://urldefense.proofpoint.com/v2/url?u=${encodeURIComponent(zoom).replace(/-/g, '-2D').replace(/_/g, '-5F').replace(/%/g, '-').replace(/\//g, '_')}&d=DwMGaQ&e=`;
    const wrapped = [
      `https://eur03.safelinks.protection.outlook.com/?url=${encodeURIComponent(zoom)}&data=05%7C02&reserved=0`,
      `https://urldefense.proofpoint.com/v1/url?u=${encodeURIComponent(zoom)}&k=abc`,
      v2,
      // v3: '?' and '=' replaced by '*' with their bytes base64url-encoded after '__;'
      `https://urldefense.com/v3/__https://us02web.zoom.us/j/82233445566*pwd*eHl6MTIz__;Pz0!!Ab1!sig$`,
      `https://linkprotect.cudasvc.com/url?a=${encodeURIComponent(zoom)}&c=E,1,x,&typo=1`,
      `https://secure-web.cisco.com/1AbCdEf/${encodeURIComponent(zoom)}`,
      `https://www.google.com/url?q=${encodeURIComponent(zoom)}&sa=D`,
      `https://nam11.safelinks.protection.outlook.com/?url=${encodeURIComponent(v2)}&reserved=0`,
    ];
    for (const link of wrapped) expect(unwrapUrl(link).url).toBe(zoom);
    expect(unwrapUrl(wrapped[7]!).rewriters).toEqual(['safelinks', 'proofpoint-v2']);
  });

  it('parse – an opaque or damaged rewritten link is reported as unresolved, never guessed', () => {
    const mimecast = parseEvent({ body: { contentType: 'html', content: '<a href="https://protect-eu.mimecast.com/s/AbCd?domain=zoom.us">Join</a>' } });
    expect(mimecast).toMatchObject({ provider: 'NONE', joinUrl: null });
    expect(mimecast.unresolved).toEqual([{ rewriter: 'mimecast', url: 'https://protect-eu.mimecast.com/s/AbCd?domain=zoom.us', domainHint: 'zoom.us', foundIn: 'body' }]);
    expect(mimecast.reason).toContain('could not be unwrapped');
    expect(unwrapUrl('https://urldefense.com/v3/__https://zoom.us/j/1*pwd*x__;!!A$').unresolved?.rewriter).toBe('proofpoint-v3');
  });
});

describe('parse – keyword intents', () => {
  it('parse – finds @webex and @meet with any modifier, case and spacing, among other text', () => {
    expect(findKeywordIntent('@webex')).toMatchObject({ keyword: 'WEBEX', modifier: 'NONE' });
    expect(findKeywordIntent('Room 5; @Meet : Space')).toMatchObject({ keyword: 'MEET', modifier: 'SPACE' });
    expect(findKeywordIntent('@WEBEX:onetime, 3rd floor')).toMatchObject({ keyword: 'WEBEX', modifier: 'ONETIME' });
    expect(findKeywordIntent('@meet:myroom')).toMatchObject({ keyword: 'MEET', modifier: 'MYROOM' });
    expect(findKeywordIntent('@webex:later')).toMatchObject({ modifier: 'OTHER' });
    for (const none of ['bob@meet.example.org', 'team@webex.com', '@meeting', '@webexteams', 'no keyword']) expect(findKeywordIntent(none)).toBeNull();
  });

  it('parse – a keyword on one occurrence of a series applies to that occurrence', () => {
    const occurrence = parseEvent({ type: 'exception', seriesMasterId: 'master', location: { displayName: '@webex:space' } });
    expect(occurrence.intent).toEqual({ keyword: 'WEBEX', modifier: 'SPACE' });
    expect(parseEvent({ type: 'occurrence', seriesMasterId: 'master', location: { displayName: 'Room 1' } }).intent).toBeNull();
  });

  it('parse – reads every entry of locations[] too', () => {
    expect(parseEvent({ location: { displayName: 'Oslo' }, locations: [{ displayName: 'Oslo' }, { displayName: '@meet' }] }).intent).toEqual({ keyword: 'MEET', modifier: 'NONE' });
  });
});

describe('parse – join details and ranking', () => {
  it('parse – structured fields beat the Location, the Location beats the body, and the result says why and lists the rest', () => {
    const result = parseEvent({
      onlineMeeting: { joinUrl: teams },
      location: { displayName: 'https://contoso.webex.com/meet/ola' },
      body: { contentType: 'text', content: `old: ${zoom}` },
    });
    expect(result).toMatchObject({ provider: 'TEAMS', service: 'teams', joinUrl: teams, foundIn: 'onlineMeeting' });
    expect(result.reason).toContain("online meeting fields rank above");
    expect(result.alternatives.map((a) => [a.service, a.foundIn])).toEqual([['webex', 'location'], ['zoom', 'body']]);
  });

  it('parse – the join block of the message beats one in a forwarded or quoted part', () => {
    const body = `<p>Moved to Zoom: <a href="${zoom}">join</a></p><div id="divRplyFwdMsg"><b>From:</b> Kari</div><div>${teamsBlock(teams)}</div>`;
    const result = parseEvent({ body: { contentType: 'html', content: body } });
    expect(result).toMatchObject({ service: 'zoom', quoted: false, joinUrl: zoom });
    expect(result.alternatives).toMatchObject([{ service: 'teams', quoted: true }]);
  });

  it('parse – Zoom SIP, Webex video addresses and meeting numbers, Teams VTC through a gateway', () => {
    const z = parseEvent({ body: { contentType: 'text', content: `Join Zoom Meeting\n${zoom}\nMeeting ID: 822 3344 5566\nPasscode: 7391\nJoin by SIP\n• 82233445566@zoomcrc.com` } });
    expect(z).toMatchObject({ service: 'zoom', sipUri: '82233445566@zoomcrc.com', meetingNumber: '82233445566', passcode: '7391' });
    const w = parseEvent({ location: { displayName: 'https://contoso.webex.com/meet/ola.nordmann' } });
    expect(w).toMatchObject({ service: 'webex', sipUri: 'ola.nordmann@contoso.webex.com' });
    const t = parseEvent({ body: { contentType: 'text', content: `Click here: ${teams}\nJoin with a video conferencing device\ncontoso@m.webex.com\nVideo Conference ID: 123 456 789 0` } });
    expect(t).toMatchObject({ service: 'teams', joinUrl: teams, sipUri: '1234567890.contoso@m.webex.com' });
  });

  it('parse – tel: links and printed numbers are dial-ins, never video addresses; e-mail addresses are neither', () => {
    const result = parseEvent({ body: { contentType: 'html', content: '<a href="tel:+4721000000,,123%23">call</a> or +1 (415) 555-0134; mail helpdesk@fabrikam.com' } });
    expect(result).toMatchObject({ provider: 'NONE', sipUri: null });
    expect(result.dialIns.map((d) => d.number)).toEqual(['+14155550134', '+4721000000']);
  });

  it('parse – the catalogue holds about 50 services, each with a URL pattern or SIP domain', () => {
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(45);
    expect(new Set(CATALOGUE.map((entry) => entry.id)).size).toBe(CATALOGUE.length);
    for (const entry of CATALOGUE) expect(entry.hosts.length + (entry.sipDomains?.length ?? 0)).toBeGreaterThan(0);
  });
});

describe('parse – org rules', () => {
  const rules = parseOptionsSchema.parse({
    internalDomains: ['fabrikam.com'],
    rules: [{ name: 'vtc', pattern: 'Video Conference ID:\\s*([0-9 ]{9,14})', template: '{1:digits}@vtc.fabrikam.com', provider: 'TEAMS', scope: 'internal' }],
  });
  const event = (organizer: string): unknown => ({
    organizer: { emailAddress: { address: organizer } },
    body: { contentType: 'text', content: `${teams}\nVideo Conference ID: 118 226 389 7` },
  });

  it('parse – an org rule comes before the catalogue and builds the dial string from its template', () => {
    expect(parseEvent(event('kari@fabrikam.com'), rules)).toMatchObject({ foundIn: 'rule', rule: 'vtc', sipUri: '1182263897@vtc.fabrikam.com', joinUrl: teams, service: 'teams' });
  });

  it('parse – an internal-only rule is skipped for external organisers', () => {
    expect(parseEvent(event('ola@partner.example'), rules)).toMatchObject({ foundIn: 'body', rule: null, service: 'teams' });
  });

  it('parse – a rule pattern that could backtrack catastrophically is refused when the options are read', () => {
    expect(regexProblem('(a+)+$', 'i')).not.toBeNull();
    expect(regexProblem('(?:\\d+\\s?)*x', 'i')).not.toBeNull();
    expect(regexProblem('Video Conference ID:\\s*([0-9 ]{9,14})', 'i')).toBeNull();
    expect(parseOptionsSchema.safeParse({ rules: [{ name: 'x', pattern: '(a*)*', template: '{0}' }] }).success).toBe(false);
  });
});

describe('parse – hostile input', () => {
  const shapes = fc.oneof(
    fc.string({ maxLength: 2000 }),
    fc.string({ unit: 'binary', maxLength: 2000 }),
    fc.array(fc.constantFrom('<', '>', '"', '&amp;', '&#', '@', '+1', 'http://', 'https://zoom.us/j/', 'sip:', 'h323:', 'tel:', '<a href="', '<blockquote>', '</div>', '\ud800', '\udfff', '\u0000', '\n', '-----Original Message-----', 'Video Conference ID:', 'www.', '%', '*', '__;'), { maxLength: 400 }).map((parts) => parts.join('')),
  );

  it('parse – never throws on any text, markup, lone surrogate or control character, in any field', () => {
    fc.assert(
      fc.property(shapes, fc.boolean(), (content, html) => {
        const result = parseEvent({ body: { contentType: html ? 'html' : 'text', content }, location: { displayName: content }, onlineMeeting: { joinUrl: content } });
        expect(typeof result.reason).toBe('string');
        JSON.stringify(result);
      }),
      { numRuns: 300 },
    );
    for (const odd of [null, 42, 'x', [], { body: 7 }, { location: [] }, { locations: 'x' }, { body: { content: { a: 1 } } }]) expect(() => parseEvent(odd)).not.toThrow();
  });

  it('parse – every adversarial family (runs of @, schemes, +digits, unclosed tags, quote markers) parses with bounded output', () => {
    // Behaviour only; time per input size is measured in bench/parse.ts (adversarial rows).
    const units = ['a@', '@', 'http://', 'https://x ', '+1 ', '<div>', '</span>', '<blockquote>', 'sip:', 'www.', 'a.', '1', '> x\n', 'From: a\n', '&amp;', 'meet.google.com/'];
    for (const unit of units) {
      const content = unit.repeat(Math.ceil(65_536 / unit.length));
      for (const contentType of ['text', 'html']) {
        const result = parseEvent({ body: { contentType, content } });
        expect(result.alternatives.length).toBeLessThanOrEqual(20);
        expect(result.dialIns.length).toBeLessThanOrEqual(50);
      }
    }
  });

  it('parse – a 5 MB body with the join block at its end is parsed completely', () => {
    const filler = '<p>Agenda item with <b>bold</b> text, a link to https://intranet.fabrikam.com/wiki/page and &amp; entities.</p>\n';
    const content = `<html><body>${filler.repeat(Math.ceil(5_000_000 / filler.length))}${teamsBlock(teams)}</body></html>`;
    expect(content.length).toBeGreaterThan(5_000_000);
    const result = parseEvent({ body: { contentType: 'html', content } });
    expect(result).toMatchObject({ service: 'teams', joinUrl: teams, meetingNumber: '345678901234' });
  });
});
