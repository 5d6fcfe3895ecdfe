import type { MailboxState, MailboxStatus, MailboxStatusSnapshot } from '../ports.js';

export interface StatusQuery {
  readonly q: string;
  readonly state: MailboxState | 'all';
  readonly tenantId: string | null;
  readonly page: number;
  readonly pageSize: number;
}

export interface StatusPage {
  readonly rows: readonly MailboxStatus[];
  readonly total: number;
  readonly page: number;
  readonly pages: number;
  readonly counts: Readonly<Record<MailboxState, number>>;
}

interface Built {
  readonly version: string;
  readonly sorted: readonly MailboxStatus[];
  readonly haystack: readonly string[];
  readonly byState: ReadonlyMap<MailboxState, readonly number[]>;
  readonly counts: Record<MailboxState, number>;
}

const STATES: readonly MailboxState[] = ['not-activated', 'pending', 'activated', 'error'];

/**
 * The user status report's index: built once per snapshot version (sorted by name, a lower-case
 * search string per row, row positions per state), so search, filter and paging over 10,000
 * mailboxes are array scans in memory, not database queries (FerretDB pushes down only _id).
 */
export class StatusIndex {
  readonly #byOrg = new Map<string, Built>();

  #build(orgId: string, snapshot: MailboxStatusSnapshot): Built {
    const cached = this.#byOrg.get(orgId);
    if (cached?.version === snapshot.version) return cached;
    const sorted = [...snapshot.rows].sort((a, b) => a.displayName.localeCompare(b.displayName) || a.address.localeCompare(b.address));
    const byState = new Map<MailboxState, number[]>(STATES.map((s) => [s, []]));
    const counts = { 'not-activated': 0, pending: 0, activated: 0, error: 0 } as Record<MailboxState, number>;
    sorted.forEach((row, i) => {
      byState.get(row.state)?.push(i);
      counts[row.state] += 1;
    });
    const built: Built = { version: snapshot.version, sorted, haystack: sorted.map((r) => `${r.displayName}\u0000${r.address}`.toLowerCase()), byState, counts };
    this.#byOrg.set(orgId, built);
    return built;
  }

  query(orgId: string, snapshot: MailboxStatusSnapshot, query: StatusQuery): StatusPage {
    const built = this.#build(orgId, snapshot);
    const needle = query.q.trim().toLowerCase();
    const candidates = query.state === 'all' ? undefined : built.byState.get(query.state) ?? [];
    const matches: number[] = [];
    const consider = (i: number) => {
      const row = built.sorted[i]!;
      if (query.tenantId !== null && row.tenantId !== query.tenantId) return;
      if (needle !== '' && !built.haystack[i]!.includes(needle)) return;
      matches.push(i);
    };
    if (candidates === undefined) for (let i = 0; i < built.sorted.length; i += 1) consider(i);
    else for (const i of candidates) consider(i);
    const pages = Math.max(1, Math.ceil(matches.length / query.pageSize));
    const page = Math.min(Math.max(1, query.page), pages);
    const rows = matches.slice((page - 1) * query.pageSize, page * query.pageSize).map((i) => built.sorted[i]!);
    return { rows, total: matches.length, page, pages, counts: built.counts };
  }
}
