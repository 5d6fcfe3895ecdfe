import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BuiltinMeetingProvider, chooseLanguage, headerFooterOf, HTML_BEGIN, HTML_END, normalizeSettings, removeBlocks, renderBlock, renderText,
  SUPPORTED_LANGUAGES, TEXT_BEGIN, TEXT_END, textsOf, upsertBlock, type BlockInput, type BodyType,
} from '../../../processors/writeback/index.js';

const MARKERS = [HTML_BEGIN, HTML_END, TEXT_BEGIN, TEXT_END];
const userText = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '\n', '\r', '<', '>', '/', '&', "'", '"', '-', '!', 'é', '日', '\u00a0', 'body', '</body>', '<p>', '<!--', '-->', 'hycal'), maxLength: 60 })
  .filter((s) => MARKERS.every((m) => !s.includes(m)));
const settings = normalizeSettings({ siteDomain: 'contoso.webex.com', joinBlock: { fr: { header: 'En-tête', footer: 'Pied' } }, fallbackLanguage: 'fr-FR' }, undefined);

async function block(type: BodyType, language = 'en-US', kind: 'personal-room' | 'space' | 'one-time' = 'one-time'): Promise<string> {
  const details = await new BuiltinMeetingProvider().issue({ tenantId: 't', mailboxId: 'm', meetingKey: 'k', kind, keyword: 'WEBEX', hostAddress: "o'brien@contoso.com", start: 0, end: 1, settings });
  const input: BlockInput = { details, texts: textsOf(language), headerFooter: headerFooterOf(language, settings), language };
  return renderBlock(type, input);
}

describe('writeback – join block', () => {
  it('writeback – the user\'s text outside our block stays byte for byte through insert, user edits around it, replace and removal', async () => {
    const blocks = { html: await block('html'), text: await block('text') };
    const other = { html: await block('html', 'ja-JP', 'space'), text: await block('text', 'ja-JP', 'space') };
    fc.assert(fc.property(fc.constantFrom<BodyType>('html', 'text'), userText, userText, userText, (type, body, before, after) => {
      const decorated = upsertBlock(type, body, blocks[type]);
      expect(removeBlocks(type, decorated)).toBe(body);
      expect(upsertBlock(type, decorated, blocks[type])).toBe(decorated);
      // The user types before and after our block; we then replace the block (language changed).
      const edited = before + decorated + after;
      const replaced = upsertBlock(type, edited, other[type]);
      expect(replaced.split(type === 'html' ? HTML_BEGIN : TEXT_BEGIN).length).toBe(2);
      expect(removeBlocks(type, replaced)).toBe(removeBlocks(type, edited));
      expect(removeBlocks(type, edited)).toBe(before + body + after);
    }), { numRuns: 500 });
  });

  it('writeback – an HTML block goes before the last </body>; a duplicated block is folded into one', async () => {
    const b = await block('html');
    const body = '<html><body><p>x</p></body></html>';
    const once = upsertBlock('html', body, b);
    expect(once).toBe(`<html><body><p>x</p>${b}</body></html>`);
    const twice = once.replace('</body>', `${b}</body>`);
    expect(upsertBlock('html', twice, b)).toBe(once);
  });

  it('writeback – ten languages from data files, the mailbox locale first, then the org default and its fallback', () => {
    for (const lang of ['en-US', 'tr-TR', 'de-DE', 'fr-FR', 'es-ES', 'ja-JP', 'zh-CN', 'pt-BR', 'it-IT', 'nl-NL']) expect(SUPPORTED_LANGUAGES).toContain(lang);
    expect(new Set(SUPPORTED_LANGUAGES.map((l) => textsOf(l).doNotEdit)).size).toBe(SUPPORTED_LANGUAGES.length);
    expect(chooseLanguage('de-CH', settings)).toBe('de-DE');
    expect(chooseLanguage('PT_br', settings)).toBe('pt-BR');
    expect(chooseLanguage('sv-SE', { ...settings, defaultLanguage: 'nl' })).toBe('nl-NL');
    expect(chooseLanguage(null, { ...settings, defaultLanguage: 'xx' })).toBe('fr-FR');
    // Header/footer: the language's own, else the fallback language's.
    expect(headerFooterOf('de-DE', settings)).toEqual({ header: 'En-tête', footer: 'Pied' });
    expect(normalizeSettings({ joinBlock: { en: { header: 'h'.repeat(2000), footer: '' } } }, undefined).joinBlock['en']?.header.length).toBe(1024);
  });

  it('writeback – text and HTML carry link, video address, number and dial-in; HTML escapes what the org and the address hold', async () => {
    const s = normalizeSettings({ siteDomain: 'contoso.webex.com', dialIn: { number: '+44 20 5555 0100', label: 'UK <toll>' }, joinBlock: { en: { header: 'Say "hi" & <b>', footer: '' } } }, undefined);
    const details = await new BuiltinMeetingProvider().issue({ tenantId: 't', mailboxId: 'm', meetingKey: 'k', kind: 'one-time', keyword: 'WEBEX', hostAddress: 'a@b', start: 0, end: 1, settings: s });
    const input: BlockInput = { details, texts: textsOf('en-US'), headerFooter: headerFooterOf('en-US', s), language: 'en-US' };
    const html = renderBlock('html', input);
    expect(html).toContain('Say &quot;hi&quot; &amp; &lt;b&gt;');
    expect(html).toContain('UK &lt;toll&gt;');
    expect(renderText(input)).toContain('Join by phone: +44 20 5555 0100 (UK <toll>)');
    expect(renderText(input)).toMatch(/Video address: \d+@contoso\.webex\.com/);
  });
});
