// Drives a server with the official TypeScript SDK v1 client (@modelcontextprotocol/sdk 1.32.2) and prints one JSON
// summary line on stdout.
//
// Usage: node v1.mjs stdio COMMAND [ARGS...] | node v1.mjs http URL | node v1.mjs sse URL
// stdio: the PINGERA_* variables of this process are passed to the server (the SDK starts stdio servers with a
// minimal environment). http / sse: MCP_AUTH, when set, is sent as the Authorization header of every request.
// The imports resolve through protocol-tests/clients/node_modules, a link to .mcp-tools/node/node_modules that the
// Rust test creates.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

const [kind, target, ...rest] = process.argv.slice(2);
const headers = process.env.MCP_AUTH ? { Authorization: process.env.MCP_AUTH } : {};
const pingera = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('PINGERA_')));

let transport;
if (kind === 'stdio') {
  transport = new StdioClientTransport({
    command: target,
    args: rest,
    env: { ...getDefaultEnvironment(), ...pingera },
    stderr: 'inherit',
  });
} else if (kind === 'http') {
  transport = new StreamableHTTPClientTransport(new URL(target), { requestInit: { headers } });
} else if (kind === 'sse') {
  // The 2024-11-05 HTTP+SSE transport; requestInit.headers also go on the GET of the stream.
  transport = new SSEClientTransport(new URL(target), { requestInit: { headers } });
} else {
  throw new Error(`unknown transport ${kind}`);
}

// The v1 client has no getter for the negotiated version; it hands it to the transport after initialize.
let protocolVersion;
const setVersion = transport.setProtocolVersion?.bind(transport);
transport.setProtocolVersion = (v) => {
  protocolVersion = v;
  setVersion?.(v);
};

const client = new Client({ name: 'pingera-protocol-tests-v1', version: '1.0.0' }, { capabilities: {} });
await client.connect(transport);
const sessionId = transport.sessionId ?? null;
const serverName = client.getServerVersion()?.name ?? null;
await client.ping();
const { tools } = await client.listTools();
// callTool validates structuredContent against the tool's outputSchema (cached from listTools) and throws on a
// mismatch, so a successful call is also a check of the server's schemas.
const res = await client.callTool({ name: 'list_pages', arguments: {} });
// The workflow prompts: list them, and get one with an id argument (the SDK checks both results' shapes).
const { prompts } = await client.listPrompts();
const prompt = await client.getPrompt({ name: 'investigate_check', arguments: { check_id: 'chkweb000001' } });
if (kind === 'http') await transport.terminateSession();
await client.close();
console.log(
  JSON.stringify({
    client: 'ts-sdk-v1',
    transport: kind,
    protocol_version: protocolVersion ?? null,
    server_name: serverName,
    session_id: sessionId,
    tools: tools.map((t) => t.name),
    is_error: res.isError ?? false,
    structured: res.structuredContent ?? null,
    text: res.content?.[0]?.text ?? null,
    prompts: prompts.map((p) => p.name),
    prompt_text: prompt.messages?.[0]?.content?.text ?? null,
  }),
);
