import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoSettingsStore } from '../../../api/index.js';
import { WritebackSettingsBridge } from '../../../app/api.js';
import { ManualClock } from '../../../common/clock.js';
import { MongoWritebackSettings, setWritebackSettings } from '../../../processors/writeback/index.js';

describe('api – the org settings page configures write-back (real FerretDB)', () => {
  let client: MongoClient;
  let db: Db;
  beforeAll(async () => {
    client = await MongoClient.connect(process.env['MONGODB_URI']!);
    db = client.db(`hycal_bridge_${randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('api – saving the org settings reaches write-back for every tenant of the org, keeping the meeting site', async () => {
    await setWritebackSettings(db, 'tenant-a', { siteDomain: 'contoso.webex.com' });
    const bridge = new WritebackSettingsBridge(new MongoSettingsStore(db), db, (orgId) => Promise.resolve(orgId === 'org-1' ? ['tenant-a', 'tenant-b'] : []));
    const saved = { ...(await bridge.get('org-1')), meetKeywordAction: 'one-time' as const, defaultLanguage: 'de-DE', joinBlock: { 'de-DE': { header: 'Kopf', footer: 'Fuß' } } };
    await bridge.put('org-1', saved);
    expect((await bridge.get('org-1')).meetKeywordAction).toBe('one-time');
    const source = new MongoWritebackSettings({ db, clock: new ManualClock(0), cacheMs: 0 });
    for (const tenant of ['tenant-a', 'tenant-b']) {
      const wb = await source.settingsOf(tenant);
      expect(wb).toMatchObject({ meetKeywordAction: 'one-time', defaultLanguage: 'de-DE', joinBlock: { 'de-DE': { header: 'Kopf', footer: 'Fuß' } } });
    }
    expect((await source.settingsOf('tenant-a')).siteDomain).toBe('contoso.webex.com');
    expect((await source.settingsOf('tenant-b')).siteDomain).toBeNull();
    expect(await source.settingsOf('tenant-other')).toMatchObject({ meetKeywordAction: 'space', defaultLanguage: 'en-US' });
  });
});
