// STUB (sim-core branch): replaced by the real notification hub when the lead merges sim/graph/notifications.
import type { Clock } from '../../../common/clock.js';
import { SimGraphError, type ResourceChange } from '../model.js';

export interface SubscriptionCaller { tenantId: string; appId: string; userId?: string; scopes: readonly string[]; roles: readonly string[] }
export interface NotificationHubOptions { clock: Clock; graphBaseUrl: string; resolveMailbox(tenantId: string, idOrUpn: string): string | undefined; caCertPem?: string }

export class NotificationHub {
  readonly published: ResourceChange[] = [];
  constructor(readonly options: NotificationHubOptions) {}
  create(_caller: SubscriptionCaller, _body: unknown): Promise<Record<string, unknown>> {
    return Promise.reject(new SimGraphError(501, 'NotImplemented', 'Subscriptions are not available in this build.'));
  }
  get(_caller: SubscriptionCaller, id: string): Record<string, unknown> {
    throw new SimGraphError(404, 'ResourceNotFound', `The object was not found: ${id}`);
  }
  list(_caller: SubscriptionCaller): Record<string, unknown>[] {
    return [];
  }
  update(_caller: SubscriptionCaller, id: string, _body: unknown): Record<string, unknown> {
    throw new SimGraphError(404, 'ResourceNotFound', `The object was not found: ${id}`);
  }
  delete(_caller: SubscriptionCaller, id: string): void {
    throw new SimGraphError(404, 'ResourceNotFound', `The object was not found: ${id}`);
  }
  reauthorize(_caller: SubscriptionCaller, id: string): void {
    throw new SimGraphError(404, 'ResourceNotFound', `The object was not found: ${id}`);
  }
  publish(change: ResourceChange): void {
    if (this.published.length < 1000) this.published.push(change);
  }
  setFaults(_faults: Partial<{ dropRate: number; duplicateRate: number; reorder: boolean; outage: boolean; extraLatencyMs: number }>): void {}
  onTokenRevoked(_tenantId: string, _appId: string): void {}
  start(): void {}
  stop(): Promise<void> {
    return Promise.resolve();
  }
}
