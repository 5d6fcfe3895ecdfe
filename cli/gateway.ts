import type { Command } from 'commander';
import { buildCodec, buildKafka, createAppContext } from '../app/index.js';
import { followDevice, renderDevice } from '../gateway/index.js';
import { stopSignal } from './serve.js';

/** `hycal gateway --device ID`: the reference device gateway, following one device's bookings and Join button. */
export function registerGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description('follow obtp.devices.v1 for one device and show its bookings and Join button as they change')
    .requiredOption('--device <id>', 'device id (as registered for a room or a user)')
    .action(async (opts: { device: string }) => {
      const context = createAppContext();
      const stop = await followDevice({
        kafka: buildKafka(context, 'hycal-gateway'),
        codec: await buildCodec(context),
        deviceId: opts.device,
        prefix: context.config.stack.topicPrefix,
        onChange: (view, change) => console.log(`\n[${new Date(context.clock.now()).toISOString()}] ${change}\n${renderDevice(view, context.clock.now())}`),
      });
      console.log(`hycal gateway: following device ${opts.device} (Ctrl-C stops)`);
      await stopSignal();
      await stop();
    });
}
