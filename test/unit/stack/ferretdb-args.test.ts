import { describe, expect, it } from 'vitest';
import { ferretDbArgs, localStackOptionsSchema } from '../../../stack/index.js';

function sqliteUrl(options: Record<string, unknown>): URL {
  const args = ferretDbArgs({ options: localStackOptionsSchema.parse(options), mongoDataDir: '/data/ferretdb' });
  const flag = args.find((a) => a.startsWith('--sqlite-url='));
  return new URL(flag!.slice('--sqlite-url='.length));
}

describe('stack – FerretDB', () => {
  it('stack – FerretDB keeps its SQLite files in the data directory with synchronous=normal unless configured otherwise', () => {
    const url = sqliteUrl({});
    expect(url.pathname).toBe('/data/ferretdb/');
    expect(url.searchParams.getAll('_pragma')).toEqual(['synchronous(normal)']);
    // FerretDB adds journal_mode(wal) itself when the URL sets no journal mode: normal is only safe in WAL mode.
    expect(url.searchParams.getAll('_pragma').some((p) => p.startsWith('journal_mode'))).toBe(false);
  });

  it('stack – FerretDB fsyncs every commit when localStack.mongoSynchronous is full', () => {
    expect(sqliteUrl({ mongoSynchronous: 'full' }).searchParams.getAll('_pragma')).toEqual(['synchronous(full)']);
  });

  it('stack – a synchronous mode other than normal or full is refused', () => {
    expect(() => localStackOptionsSchema.parse({ mongoSynchronous: 'off' })).toThrow(/mongoSynchronous/);
  });
});
