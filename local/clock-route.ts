import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseDuration, type SimulatedClock } from './clock';
import { readBody } from './http-api';

export const CLOCK_PATH = '/__local/clock';

const reply = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/**
 * The local-only clock route (SPEC section 9): `GET /__local/clock` reads the simulated time,
 * `POST /__local/clock {"advance": "+31d"}` (or `{"to": "<iso>"}`) moves it forward and answers
 * once everything due in that time has happened.
 */
export const clockRoute =
  (clock: SimulatedClock, afterAdvance: () => Promise<void>) =>
  async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== CLOCK_PATH) return false;
    if (req.method === 'GET') {
      reply(res, 200, { now: clock.now().toISOString() });
      return true;
    }
    if (req.method !== 'POST') {
      reply(res, 405, { error: { code: 'method_not_allowed', message: 'GET or POST' } });
      return true;
    }
    let target: Date;
    try {
      const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { advance?: string; to?: string };
      target = body.to ? new Date(body.to) : new Date(clock.now().getTime() + parseDuration(body.advance ?? ''));
      if (Number.isNaN(target.getTime()) || target.getTime() < clock.now().getTime()) throw new Error('the clock only moves forward');
    } catch (error) {
      reply(res, 400, { error: { code: 'invalid_request', message: error instanceof Error ? error.message : 'bad request' } });
      return true;
    }
    const from = clock.now();
    await clock.advanceTo(target);
    await afterAdvance();
    reply(res, 200, { from: from.toISOString(), now: clock.now().toISOString() });
    return true;
  };
