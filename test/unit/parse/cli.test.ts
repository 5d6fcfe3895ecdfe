import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/main.js';
import { parseCommandInput, parseOptionsSchema, ParseInputError } from '../../../processors/parse/index.js';

const none = parseOptionsSchema.parse({});

describe('parse – hycal parse', () => {
  it('parse – is registered as a hycal command', () => {
    expect(buildProgram().commands.map((c) => c.name())).toContain('parse');
  });

  it('parse – reads a Graph event JSON and reports provider, join URL, SIP URI, dial-ins, intent, reason and alternatives', () => {
    const event = { location: { displayName: '@meet:space' }, body: { contentType: 'text', content: 'https://contoso.webex.com/meet/ola\ncall +47 21 00 00 00\nold: https://zoom.us/j/91234567890' } };
    const result = parseCommandInput(JSON.stringify(event), {}, none);
    expect(result).toMatchObject({ provider: 'WEBEX', joinUrl: 'https://contoso.webex.com/meet/ola', sipUri: 'ola@contoso.webex.com', intent: { keyword: 'MEET', modifier: 'SPACE' } });
    expect(result.dialIns).toHaveLength(1);
    expect(result.alternatives).toMatchObject([{ service: 'zoom' }]);
    expect(result.reason).toContain('Webex');
  });

  it('parse – with --body reads a bare HTML or text body', () => {
    expect(parseCommandInput('<a href="https://meet.google.com/abc-defg-hij?hs=1">join</a>', { body: true }, none)).toMatchObject({ service: 'google-meet', joinUrl: 'https://meet.google.com/abc-defg-hij' });
    expect(parseCommandInput('sip:4455@vc.fabrikam.com', { body: true, text: true }, none)).toMatchObject({ provider: 'SIP', sipUri: '4455@vc.fabrikam.com' });
  });

  it('parse – refuses what is not a Graph event with a message saying what to pipe', () => {
    expect(() => parseCommandInput('not json', {}, none)).toThrow(ParseInputError);
    expect(() => parseCommandInput('[1]', {}, none)).toThrow(/Graph event/);
  });
});
