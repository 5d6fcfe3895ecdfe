import type { GraphEventInput, ScenarioSink } from '../model.js';

/** A sink that only counts what it is given (generator-alone measurements, dry runs). */
export class CountingSink implements ScenarioSink {
  tenants = 0;
  mailboxes = 0;
  events = 0;
  exceptions = 0;
  bodyChars = 0;
  attendees = 0;

  addTenant(): void {
    this.tenants += 1;
  }

  addMailbox(): void {
    this.mailboxes += 1;
  }

  addEvent(_tenantId: string, _mailboxId: string, event: GraphEventInput): string {
    this.events += 1;
    this.bodyChars += event.body?.content.length ?? 0;
    this.attendees += event.attendees?.length ?? 0;
    return `e${this.events}`;
  }

  addOccurrenceException(): void {
    this.exceptions += 1;
  }
}
