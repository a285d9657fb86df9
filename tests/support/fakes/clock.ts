import type { Clock } from '../../../src/platform/clock';

/** A clock that stands still until a test moves it. */
export class SettableClock implements Clock {
  private current: Date;

  constructor(start: Date | string = '2027-01-15T12:00:00.000Z') {
    this.current = new Date(start);
  }

  now(): Date {
    return new Date(this.current.getTime());
  }

  set(at: Date | string): void {
    this.current = new Date(at);
  }

  advance(ms: number): Date {
    this.current = new Date(this.current.getTime() + ms);
    return this.now();
  }
}
