// Drives a Streamable HTTP server with the official TypeScript SDK v2 client (@modelcontextprotocol/client 2.4.0),
// one tool call per command, for tests that change the servers between calls (protocol-tests/scale_out.rs).
//
// Usage: node v2_steps.mjs MODE URL
// MODE is the client's versionNegotiation mode: legacy (initialize era) or auto (server/discover, which ends in
// 2026-07-28 on this server). MCP_AUTH is sent as the Authorization header of every request. Prints one JSON line
// when connected ({"ready": ...}), then reads commands from stdin:
//   call TOOL   calls TOOL with no arguments and prints {"call": N, "tool": ..., "ok": ..., "error": ...}
//   quit        closes the session (DELETE in the initialize era) and prints {"done": true, "calls": N, "failed": M}
import { createInterface } from 'node:readline';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const [mode, url] = process.argv.slice(2);
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: process.env.MCP_AUTH } },
});
const client = new Client(
  { name: 'pingera-scale-out-v2', version: '1.0.0' },
  { capabilities: {}, versionNegotiation: { mode } },
);
await client.connect(transport);
say({
  ready: true,
  client: 'ts-sdk-v2',
  mode,
  protocol_version: client.getNegotiatedProtocolVersion() ?? null,
  session_id: transport.sessionId ?? null,
});
let calls = 0;
let failed = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const [command, tool] = line.trim().split(/\s+/);
  if (command !== 'call') break;
  calls += 1;
  let ok;
  let error = null;
  try {
    const res = await client.callTool({ name: tool, arguments: {} });
    ok = !res.isError;
    if (!ok) error = res.content?.[0]?.text ?? 'isError';
  } catch (e) {
    // A failed call is reported, never fatal: the test counts them.
    ok = false;
    error = String(e);
  }
  if (!ok) failed += 1;
  say({ call: calls, tool, ok, error });
}
if (transport.sessionId) await transport.terminateSession();
await client.close();
say({ done: true, calls, failed });
// stdin stays referenced after the loop; the script is done.
process.exit(0);
