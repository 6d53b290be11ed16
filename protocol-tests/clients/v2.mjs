// Drives a server with the official TypeScript SDK v2 client (@modelcontextprotocol/client 2.4.0) and prints one
// JSON summary line on stdout.
//
// Usage: node v2.mjs MODE stdio COMMAND [ARGS...] | node v2.mjs MODE http URL
// MODE is the client's versionNegotiation mode: legacy (plain initialize, the SDK default) or auto (probe
// server/discover: 2026-07-28 when the server offers it, else fall back to initialize; on stdio the probe runs in a
// second, short-lived server process).
// stdio: the PINGERA_* variables of this process are passed to the server (the SDK starts stdio servers with a
// minimal environment). http: MCP_AUTH, when set, is sent as the Authorization header of every request.
// The imports resolve through protocol-tests/clients/node_modules, a link to .mcp-tools/node/node_modules that the
// Rust test creates.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';

const [mode, kind, target, ...rest] = process.argv.slice(2);
if (mode !== 'legacy' && mode !== 'auto') throw new Error(`unknown mode ${mode}`);
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
} else {
  throw new Error(`unknown transport ${kind}`);
}

const client = new Client(
  { name: 'pingera-protocol-tests-v2', version: '1.0.0' },
  { capabilities: {}, versionNegotiation: { mode } },
);
await client.connect(transport);
const sessionId = transport.sessionId ?? null;
const protocolVersion = client.getNegotiatedProtocolVersion() ?? null;
const serverName = client.getServerVersion()?.name ?? null; // both are cleared by close()
// ping is a handshake-era method; the v2 client refuses it on a 2026-07-28 connection.
if (client.getProtocolEra() !== 'modern') await client.ping();
const { tools } = await client.listTools();
// callTool validates structuredContent against the tool's outputSchema, as v1 does.
const res = await client.callTool({ name: 'list_pages', arguments: {} });
// The workflow prompts: list them, and get one with an id argument (the SDK checks both results' shapes).
const { prompts } = await client.listPrompts();
const prompt = await client.getPrompt({ name: 'investigate_check', arguments: { check_id: 'chkweb000001' } });
if (kind === 'http' && transport.sessionId) await transport.terminateSession(); // stateless era: no session
await client.close();
console.log(
  JSON.stringify({
    client: 'ts-sdk-v2',
    mode,
    transport: kind,
    protocol_version: protocolVersion,
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
