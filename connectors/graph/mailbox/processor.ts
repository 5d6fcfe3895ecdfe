import type { Processor } from '../../../runtime/index.js';
import type { GraphNotification } from '../../../schemas/index.js';
import type { MailboxState } from './state.js';
import { MailboxWork, type MailboxActorDeps } from './worker.js';

/**
 * One actor per mailbox (key tenantId/mailboxId) reading `graph.notifications.v1`: commands,
 * change and lifecycle notifications, and its durable timers (renew, settings, reconcile, retry).
 */
export function createMailboxProcessor(deps: MailboxActorDeps): Processor<GraphNotification, MailboxState> {
  const work = new MailboxWork(deps);
  return {
    name: 'graph-mailbox',
    async process(record, ctx) {
      const n = record.value;
      if (n.kind === 'COMMAND') {
        if (n.command === 'ACTIVATE') await work.activate(ctx);
        else if (n.command === 'DEACTIVATE') await work.deactivate(ctx);
        else if (n.command === 'RESYNC') await work.resync(ctx);
        return;
      }
      await work.onNotification(ctx, n);
    },
    async onTimer(timer, ctx) {
      await work.onTimer(ctx, typeof timer.payload['kind'] === 'string' ? timer.payload['kind'] : timer.id);
    },
  };
}
