import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JoinBlockText, WritebackOrgSettings } from './settings.js';

/** The join block's fixed texts, one JSON file per language in `locales/` (data, not code). */
export interface JoinTexts {
  readonly doNotEdit: string;
  readonly titlePersonalRoom: string;
  readonly titleSpace: string;
  readonly titleOneTime: string;
  readonly joinLink: string;
  readonly videoAddress: string;
  readonly meetingNumber: string;
  readonly dialIn: string;
}

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'locales');
const KEYS: readonly (keyof JoinTexts)[] = ['doNotEdit', 'titlePersonalRoom', 'titleSpace', 'titleOneTime', 'joinLink', 'videoAddress', 'meetingNumber', 'dialIn'];

function load(): ReadonlyMap<string, JoinTexts> {
  const out = new Map<string, JoinTexts>();
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
    const raw = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, unknown>;
    for (const key of KEYS) if (typeof raw[key] !== 'string' || raw[key] === '') throw new TypeError(`locales/${file}: "${key}" is missing.`);
    out.set(file.slice(0, -5), raw as unknown as JoinTexts);
  }
  return out;
}

const TEXTS = load();
export const SUPPORTED_LANGUAGES: readonly string[] = [...TEXTS.keys()];

/** The supported language for a BCP 47 tag: exact (any case), else the first with the same language subtag. */
export function supportedLanguage(tag: string | null | undefined): string | null {
  if (tag === null || tag === undefined || tag.trim() === '') return null;
  const t = tag.trim().replace(/_/g, '-').toLowerCase();
  const exact = SUPPORTED_LANGUAGES.find((l) => l.toLowerCase() === t);
  if (exact !== undefined) return exact;
  const lang = t.split('-')[0];
  return SUPPORTED_LANGUAGES.find((l) => l.toLowerCase().split('-')[0] === lang) ?? null;
}

/** The block's language: the mailbox's `language.locale`, else the org default, else its fallback, else en-US. */
export function chooseLanguage(mailboxLocale: string | null, settings: WritebackOrgSettings): string {
  return supportedLanguage(mailboxLocale) ?? supportedLanguage(settings.defaultLanguage) ?? supportedLanguage(settings.fallbackLanguage) ?? 'en-US';
}

export function textsOf(language: string): JoinTexts {
  return TEXTS.get(language) ?? TEXTS.get('en-US')!;
}

/** The org's header/footer for a language: exact tag, same language subtag, then the fallback language's. */
export function headerFooterOf(language: string, settings: WritebackOrgSettings): JoinBlockText {
  const entries = Object.entries(settings.joinBlock);
  const find = (tag: string): JoinBlockText | undefined => {
    const t = tag.toLowerCase();
    return entries.find(([k]) => k.toLowerCase() === t)?.[1] ?? entries.find(([k]) => k.toLowerCase() === t.split('-')[0])?.[1]
      ?? entries.find(([k]) => k.toLowerCase().split('-')[0] === t.split('-')[0])?.[1];
  };
  return find(language) ?? find(settings.fallbackLanguage) ?? { header: '', footer: '' };
}
