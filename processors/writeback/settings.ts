import type { Db } from 'mongodb';
import type { Clock } from '../../common/index.js';
import { WritebackSettingsUnavailableError } from './errors.js';

/**
 * The org's write-back settings, read through this small port (write-back never imports api/).
 * Stored in `writeback_org_settings/{_id: tenantId}` with the same field names as the API's
 * org settings (`webexKeywordAction`, `meetKeywordAction`, `defaultLanguage`, `joinBlock`) plus the
 * built-in provider's meeting site (`siteDomain`, optional `dialIn`) and `fallbackLanguage`. The API
 * (or an admin tool) writes the document; `setWritebackSettings` is that writer.
 */
export type KeywordAction = 'personal-room' | 'space' | 'one-time';

export interface JoinBlockText {
  readonly header: string;
  readonly footer: string;
}

export interface WritebackOrgSettings {
  readonly webexKeywordAction: KeywordAction;
  readonly meetKeywordAction: KeywordAction;
  /** BCP 47; used when the mailbox has no `language.locale`. */
  readonly defaultLanguage: string;
  /** The language whose header/footer (and translations) stand in for a language without its own. */
  readonly fallbackLanguage: string;
  /** Header and footer per language (BCP 47, `de` or `de-DE`), at most 1,024 characters each. */
  readonly joinBlock: Readonly<Record<string, JoinBlockText>>;
  /** The built-in provider's meeting site, e.g. `contoso.webex.com`. */
  readonly siteDomain: string | null;
  /** Optional dial-in shown with one-time meetings: number and label (`+1 415 555 0100`, `US toll`). */
  readonly dialIn: { readonly number: string; readonly label: string } | null;
}

export interface WritebackSettingsSource {
  settingsOf(tenantId: string): Promise<WritebackOrgSettings>;
}

export const WRITEBACK_SETTINGS_COLLECTION = 'writeback_org_settings';
export const MAX_HEADER_FOOTER_CHARS = 1024;

export const DEFAULT_WRITEBACK_SETTINGS: WritebackOrgSettings = Object.freeze({
  webexKeywordAction: 'personal-room', meetKeywordAction: 'space', defaultLanguage: 'en-US', fallbackLanguage: 'en-US',
  joinBlock: {}, siteDomain: null, dialIn: null,
});

const ACTIONS: readonly string[] = ['personal-room', 'space', 'one-time'];

/** A stored document made safe: unknown actions fall back to the defaults, header/footer capped. */
export function normalizeSettings(doc: Record<string, unknown> | null, defaultSiteDomain: string | undefined): WritebackOrgSettings {
  const d = doc ?? {};
  const str = (v: unknown, fallback: string): string => (typeof v === 'string' && v.trim() !== '' ? v.trim() : fallback);
  const action = (v: unknown, fallback: KeywordAction): KeywordAction => (typeof v === 'string' && ACTIONS.includes(v) ? v as KeywordAction : fallback);
  const joinBlock: Record<string, JoinBlockText> = {};
  if (d['joinBlock'] !== null && typeof d['joinBlock'] === 'object') {
    for (const [lang, b] of Object.entries(d['joinBlock'] as Record<string, unknown>)) {
      const block = (b ?? {}) as Record<string, unknown>;
      const cap = (v: unknown): string => (typeof v === 'string' ? v.slice(0, MAX_HEADER_FOOTER_CHARS) : '');
      joinBlock[lang] = { header: cap(block['header']), footer: cap(block['footer']) };
    }
  }
  const dial = d['dialIn'] as { number?: unknown; label?: unknown } | null | undefined;
  return {
    webexKeywordAction: action(d['webexKeywordAction'], DEFAULT_WRITEBACK_SETTINGS.webexKeywordAction),
    meetKeywordAction: action(d['meetKeywordAction'], DEFAULT_WRITEBACK_SETTINGS.meetKeywordAction),
    defaultLanguage: str(d['defaultLanguage'], DEFAULT_WRITEBACK_SETTINGS.defaultLanguage),
    fallbackLanguage: str(d['fallbackLanguage'], DEFAULT_WRITEBACK_SETTINGS.fallbackLanguage),
    joinBlock,
    siteDomain: typeof d['siteDomain'] === 'string' && /^[a-z0-9.-]+$/i.test(d['siteDomain']) ? d['siteDomain'].toLowerCase() : defaultSiteDomain?.toLowerCase() ?? null,
    dialIn: dial !== null && dial !== undefined && typeof dial.number === 'string' ? { number: dial.number, label: typeof dial.label === 'string' ? dial.label : '' } : null,
  };
}

export class MongoWritebackSettings implements WritebackSettingsSource {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #cacheMs: number;
  readonly #defaultSiteDomain: string | undefined;
  readonly #cache = new Map<string, { at: number; value: WritebackOrgSettings }>();

  constructor(options: { db: Db; clock: Clock; cacheMs: number; defaultSiteDomain?: string | undefined }) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#cacheMs = options.cacheMs;
    this.#defaultSiteDomain = options.defaultSiteDomain;
  }

  async settingsOf(tenantId: string): Promise<WritebackOrgSettings> {
    const now = this.#clock.now();
    const hit = this.#cache.get(tenantId);
    if (hit !== undefined && now - hit.at < this.#cacheMs) return hit.value;
    try {
      const doc = await this.#db.collection<{ _id: string }>(WRITEBACK_SETTINGS_COLLECTION).findOne({ _id: tenantId });
      const value = normalizeSettings(doc, this.#defaultSiteDomain);
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(tenantId, { at: now, value });
      return value;
    } catch (error) {
      throw new WritebackSettingsUnavailableError('The write-back org settings (MongoDB) cannot be read; the record waits until they can.', { cause: error });
    }
  }
}

/** Writes an org's write-back settings (the API's settings page, admin tooling, the demo, tests). */
export async function setWritebackSettings(db: Db, tenantId: string, settings: Partial<WritebackOrgSettings>): Promise<void> {
  await db.collection<{ _id: string }>(WRITEBACK_SETTINGS_COLLECTION).updateOne({ _id: tenantId }, { $set: settings }, { upsert: true });
}
