import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import type { ConnectionStrings } from '../../stack/index.js';

/**
 * The same stack as docker-compose.yml, started by testcontainers when a Docker engine answers and
 * no stack variables are set. Host ports are fixed to the local stack's so advertised listeners
 * and connection strings are identical in both modes.
 */
export interface ContainerStack {
  readonly connections: ConnectionStrings;
  readonly kafkaContainerId: string;
  stop(): Promise<void>;
}

const KAFKA_PORT = 19092;
const REGISTRY_PORT = 18081;
const MONGO_PORT = 27018;

export async function startContainerStack(): Promise<ContainerStack> {
  const kafka = new GenericContainer('apache/kafka:3.9.1')
    .withExposedPorts({ container: KAFKA_PORT, host: KAFKA_PORT })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${KAFKA_PORT},CONTROLLER://0.0.0.0:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${KAFKA_PORT}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/));
  const registry = new GenericContainer('apicurio/apicurio-registry:3.3.3')
    .withExposedPorts({ container: 8080, host: REGISTRY_PORT })
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080).forStatusCode(200));
  const mongo = new GenericContainer('mongo:7')
    .withExposedPorts({ container: 27017, host: MONGO_PORT })
    .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/));

  const started: StartedTestContainer[] = await Promise.all([kafka.start(), registry.start(), mongo.start()]);
  const [kafkaContainer] = started;
  return {
    connections: {
      KAFKA_BROKERS: `127.0.0.1:${KAFKA_PORT}`,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${REGISTRY_PORT}/apis/ccompat/v7`,
      MONGODB_URI: `mongodb://127.0.0.1:${MONGO_PORT}/`,
    },
    kafkaContainerId: kafkaContainer!.getId(),
    async stop() {
      await Promise.all(started.map((container) => container.stop()));
    },
  };
}
