import type { Keyring } from '../../kms/index.js';
import { defineTopology, type Topology } from '../../runtime/index.js';
import { createOooProcessor } from './processor.js';

export const OOO_TOPOLOGY_NAME = 'ooo';

/** mailbox.settings.raw.v1 → ooo → presence.v1 (+ the presence view), keyed per mailbox. */
export function defineOooTopology(options: { keyring: Keyring; name?: string; maxConcurrentKeys?: number }): Topology {
  return defineTopology({
    name: options.name ?? OOO_TOPOLOGY_NAME,
    inputs: [{ topic: 'mailbox.settings.raw.v1' }],
    stages: [createOooProcessor({ keyring: options.keyring })],
    outputs: ['presence.v1'],
    ...(options.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: options.maxConcurrentKeys }),
  });
}
