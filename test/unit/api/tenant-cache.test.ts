import { afterEach, describe, expect, it, vi } from 'vitest';
import { DAY, ORG_A, ORG_B, T0, TENANT_A, TENANT_A2, USER_1, makeFixture, type Fixture } from './fixture.js';

const RANGE = `from=${new Date(T0 - DAY).toISOString()}&to=${new Date(T0 + 6 * DAY).toISOString()}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const NEW_TENANT = '44444444-4444-4444-8444-444444444444';

describe('api tenant check', () => {
  let f: Fixture;
  afterEach(async () => {
    await f.close();
  });

  const list = async (tenantId: string, token: string): Promise<number> =>
    (await f.app.inject({ url: `/v1/tenants/${tenantId}/users/${USER_1}/meetings?${RANGE}`, headers: bearer(token) })).statusCode;

  it("tenant check – a tenant's organisation is read once per tenantCacheMs, not on every request", async () => {
    f = await makeFixture({ tenantCacheMs: 5_000 });
    const reads = vi.spyOn(f.provisioning, 'orgOfTenant');
    const token = await f.token('user', TENANT_A, USER_1);
    for (let i = 0; i < 5; i += 1) expect(await list(TENANT_A, token)).toBe(200);
    expect(reads).toHaveBeenCalledTimes(1);
    f.clock.advance(5_000);
    expect(await list(TENANT_A, token)).toBe(200);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('tenant check – a tenant moved to another organisation is refused within tenantCacheMs; an unknown tenant is asked again on every request', async () => {
    f = await makeFixture({ tenantCacheMs: 5_000 });
    const token = await f.token('user', TENANT_A2, USER_1);
    expect(await list(TENANT_A2, token)).toBe(200);
    f.provisioning.addTenant(ORG_B, { tenantId: TENANT_A2, displayName: 'Contoso EU', state: 'authorised', reason: null, domains: ['eu.a.example'] });
    f.clock.advance(5_000);
    expect(await list(TENANT_A2, token)).toBe(403);

    const fresh = await f.token('admin', null, 'admin-1', ORG_A);
    expect(await list(NEW_TENANT, fresh)).toBe(403);
    f.provisioning.addTenant(ORG_A, { tenantId: NEW_TENANT, displayName: 'New', state: 'authorised', reason: null, domains: ['new.a.example'] });
    expect(await list(NEW_TENANT, fresh)).toBe(200);
  });

  it('tenant check – tenantCacheMs 0 asks the provisioning on every request', async () => {
    f = await makeFixture({ tenantCacheMs: 0 });
    const reads = vi.spyOn(f.provisioning, 'orgOfTenant');
    const token = await f.token('user', TENANT_A, USER_1);
    for (let i = 0; i < 3; i += 1) expect(await list(TENANT_A, token)).toBe(200);
    expect(reads).toHaveBeenCalledTimes(3);
  });
});
