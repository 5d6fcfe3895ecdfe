import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { TopicCodec } from '../schemas/index.js';
import { DeviceView, type DeviceChange } from './device-view.js';

export interface FollowDeviceOptions {
  readonly kafka: Kafka;
  readonly codec: TopicCodec;
  readonly deviceId: string;
  /** Deployment topic prefix (stack.topicPrefix). */
  readonly prefix: string;
  /** Called after each event that changed the device's view. */
  readonly onChange: (view: DeviceView, change: DeviceChange) => void;
}

/**
 * The reference device gateway: follows `obtp.devices.v1` for one device from the beginning of the
 * topic's retention, in a consumer group of its own (it never takes partitions from another
 * consumer), and keeps that device's bookings and Join button. Returns a stop function.
 */
export async function followDevice(options: FollowDeviceOptions): Promise<() => Promise<void>> {
  const view = new DeviceView(options.deviceId);
  const consumer = options.kafka.consumer({ groupId: `gateway-${options.deviceId.slice(0, 40)}-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [`${options.prefix}obtp.devices.v1`], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value || message.key?.toString() !== options.deviceId) return;
      const change = view.apply(await options.codec.decode('obtp.devices.v1', message.value));
      if (change !== 'ignored') options.onChange(view, change);
    },
  });
  return async () => {
    await consumer.disconnect();
  };
}

/** What a terminal gateway prints for the device: the Join button state and the next bookings. */
export function renderDevice(view: DeviceView, now: number, limit = 8): string {
  const hhmm = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const lines = [`device ${view.deviceId}   ${view.joinShowing ? '[ JOIN ]  (button showing)' : '(no Join button)'}`];
  const bookings = view.bookings(now);
  for (const b of bookings.slice(0, limit)) {
    const marker = view.joinShowing === b.bookingId ? '▶' : ' ';
    lines.push(` ${marker} ${hhmm(b.start)} – ${hhmm(b.end).slice(11)}  ${b.isPrivate ? 'Private meeting' : 'Meeting'}  ${b.providerKind}${b.hasJoinDetails ? '' : ' (no join details)'}`);
  }
  if (bookings.length === 0) lines.push('   no bookings');
  else if (bookings.length > limit) lines.push(`   … ${bookings.length - limit} more`);
  return lines.join('\n');
}
