import { describe, expect, it } from 'vitest';
import { loadInvitations, mismatches, parseInvitation } from './corpus.js';

/**
 * The invitation corpus. `tuning/` is what parse was developed against: every invitation must be
 * parsed right. `held-out/` was written and committed before the parser and is never tuned on: its
 * score is reported (and must stay at or above the floor set before it was first measured).
 */
const HELD_OUT_FLOOR = 0.8;

describe('parse – invitation corpus', () => {
  const tuning = loadInvitations('tuning');
  const heldOut = loadInvitations('held-out');

  it('parse – the corpus holds at least 150 invitations, of which at least 30 are held out', () => {
    expect(tuning.length + heldOut.length).toBeGreaterThanOrEqual(150);
    expect(heldOut.length).toBeGreaterThanOrEqual(30);
  });

  it.each(tuning.map((invitation) => [invitation.id, invitation] as const))('parse – tuning invitation %s is parsed as expected', (_id, invitation) => {
    expect(mismatches(invitation, parseInvitation(invitation))).toEqual([]);
  });

  it('parse – reports the score on both sets, the held-out one at or above its floor', () => {
    const score = (set: typeof tuning): { ok: number; failed: string[] } => {
      const failed = set.filter((invitation) => mismatches(invitation, parseInvitation(invitation)).length > 0).map((invitation) => invitation.id);
      return { ok: set.length - failed.length, failed };
    };
    const t = score(tuning);
    const h = score(heldOut);
    console.info(
      `parse corpus: tuning ${t.ok}/${tuning.length} (${((100 * t.ok) / tuning.length).toFixed(1)}%), held-out ${h.ok}/${heldOut.length} (${((100 * h.ok) / heldOut.length).toFixed(1)}%)` +
        (h.failed.length > 0 ? `; held-out misses: ${h.failed.join(', ')}` : ''),
    );
    expect(t.ok).toBe(tuning.length);
    expect(h.ok / heldOut.length).toBeGreaterThanOrEqual(HELD_OUT_FLOOR);
  });
});
