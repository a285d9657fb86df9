/** `npm run clock -- +31d` (or `npm run clock` to read it): moves the local stack's simulated clock. */
export {};
const arg = process.argv[2];
const port = process.env.PORT ?? '3000';
const url = `http://127.0.0.1:${port}/__local/clock`;
const res = await fetch(url, arg ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: arg }) } : {}).catch(
  (error: unknown) => {
    console.error(`cannot reach the local stack at ${url}: is npm start running? (${String(error)})`);
    process.exit(1);
  },
);
const body = (await res.json()) as { now?: string; from?: string; error?: { message: string } };
if (!res.ok) {
  console.error(body.error?.message ?? `clock route answered ${res.status}`);
  process.exit(1);
}
console.log(body.from ? `simulated time: ${body.from} -> ${body.now}` : `simulated time: ${body.now}`);
