import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../../common/index.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logger – redaction walks the whole log object', () => {
  it('logger – a subject, an address or a token nested three levels down or inside an array never reaches the log', () => {
    const out = capture();
    const logger = createLogger({ name: 'redaction', level: 'trace', destination: out.stream });
    const cyclic: Record<string, unknown> = { meetingId: 'm-1' };
    cyclic['self'] = cyclic;
    logger.info(
      {
        tenantId: 't-1',
        a: { b: { c: { subject: 'CANARY-SUBJECT-3-DEEP', count: 3 } } },
        list: [{ x: [{ emailAddress: { address: 'CANARY-ADDRESS@IN-ARRAY.example', name: 'CANARY NAME' } }] }],
        meta: { graph: { subscription: { clientState: 'CANARY-CLIENT-STATE' } } },
        request: { headers: { Authorization: 'Bearer CANARY-TOKEN' } },
        deep: { one: { two: { three: { accessToken: 'CANARY-ACCESS-TOKEN', body: { content: 'CANARY-BODY' } } } } },
        cyclic,
      },
      'a line with nested data',
    );
    logger.child({ location: { displayName: 'CANARY-ROOM' } }).warn({ attendees: [{ address: 'CANARY-ATTENDEE' }] }, 'child line');
    const text = out.text();
    expect(text).not.toMatch(/CANARY/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a log line is free-form JSON
    const [first, second] = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
    // Ids and counts stay readable; only the sensitive fields are censored.
    expect(first).toMatchObject({ tenantId: 't-1', a: { b: { c: { subject: '[redacted]', count: 3 } } }, msg: 'a line with nested data' });
    expect(first!['list'][0].x[0]).toEqual({ emailAddress: '[redacted]' });
    expect(first!['meta'].graph.subscription.clientState).toBe('[redacted]');
    expect(first!['request'].headers.Authorization).toBe('[redacted]');
    expect(first!['cyclic']).toEqual({ meetingId: 'm-1', self: '[circular]' });
    expect(second).toMatchObject({ location: '[redacted]', attendees: '[redacted]', name: 'redaction' });
  });

  it('logger – redact copies: the object logged is left as it was', () => {
    const event = { subject: 'kept', nested: [{ password: 'kept too' }] };
    expect(redact(event)).toEqual({ subject: '[redacted]', nested: [{ password: '[redacted]' }] });
    expect(event).toEqual({ subject: 'kept', nested: [{ password: 'kept too' }] });
  });
});
