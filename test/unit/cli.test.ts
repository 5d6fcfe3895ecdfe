import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/main.js';

describe('hycal command line', () => {
  it('cli – hycal sim (from the simulator package) is registered with --users, --rooms and --seed', () => {
    const sim = buildProgram().commands.find((c) => c.name() === 'sim');
    expect(sim?.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--users', '--rooms', '--seed']));
  });
});
