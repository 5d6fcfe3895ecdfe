import {
  dockerEngineAvailable,
  localConnections,
  stackHealth,
  stackUp,
  StackPortBusyError,
  type ConnectionStrings,
} from '../../stack/index.js';
import { stackTarget } from '../../app/index.js';
import { startContainerStack, type ContainerStack } from './containers.js';

/**
 * Finds the real stack for the integration tests, once per run:
 * 1. KAFKA_BROKERS, SCHEMA_REGISTRY_URL and MONGODB_URI set → use that stack, start nothing;
 * 2. a Docker engine answers → testcontainers starts Kafka, Apicurio and mongo:7;
 * 3. otherwise → the local stack (`hycal stack up`; reused when it already runs; when another
 *    checkout's stack holds the ports and answers, that one, as an external stack).
 * Workers inherit the variables. HYCAL_TEST_STACK tells tests which one they got (a broker restart
 * is possible with 'local' and 'containers', not with 'external').
 */
let containers: ContainerStack | undefined;

function expose(connections: ConnectionStrings, kind: 'external' | 'containers' | 'local'): void {
  for (const [key, value] of Object.entries(connections)) process.env[key] = value;
  process.env['HYCAL_TEST_STACK'] = kind;
}

export default async function setup(): Promise<() => Promise<void>> {
  const env = process.env;
  if (env['KAFKA_BROKERS'] && env['SCHEMA_REGISTRY_URL'] && env['MONGODB_URI']) {
    process.env['HYCAL_TEST_STACK'] = env['HYCAL_TEST_STACK'] ?? 'external';
  } else if (env['HYCAL_STACK_MODE'] !== 'local' && (await dockerEngineAvailable())) {
    containers = await startContainerStack();
    expose(containers.connections, 'containers');
    process.env['HYCAL_TEST_KAFKA_CONTAINER'] = containers.kafkaContainerId;
  } else {
    try {
      const result = await stackUp({ ...stackTarget(), provision: false });
      expose(result.connections, 'local');
    } catch (error) {
      // Another checkout's local stack holds the ports: use it when it answers, but as an external
      // stack (its broker is not ours to restart).
      const connections = localConnections(stackTarget().options);
      const health = await stackHealth(connections);
      if (!(error instanceof StackPortBusyError) || !Object.values(health).every((part) => part.ok)) throw error;
      expose(connections, 'external');
    }
  }
  return async () => {
    await containers?.stop();
  };
}
