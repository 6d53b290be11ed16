// Starts an unpacked MCP bundle the way an MCPB host does and drives it with the official TypeScript SDK v1 client;
// prints one JSON summary line on stdout.
//
// Usage: node run-bundle.mjs UNPACKED_DIR USER_CONFIG_JSON
// The bundle's mcp_config is resolved by mcpb's own getMcpConfigForManifest (the code hosts use to substitute
// ${__dirname} and ${user_config.*}), and the server is started with exactly that command, those arguments and
// that environment on top of the SDK's default one (PATH, HOME, ...), as a desktop host does.
// Imports resolve through protocol-tests/bundle/node_modules, a link to .mcp-tools/node-bundle/node_modules that
// the Rust test creates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getMcpConfigForManifest } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

const [dir, userConfigJson] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const config = await getMcpConfigForManifest({
  manifest,
  extensionPath: dir,
  systemDirs: { HOME: process.env.HOME ?? '/' },
  userConfig: JSON.parse(userConfigJson),
  pathSeparator: '/',
});
if (!config) throw new Error('mcpb resolved no mcp_config: required user_config missing?');

const transport = new StdioClientTransport({
  command: config.command,
  args: config.args ?? [],
  env: { ...getDefaultEnvironment(), ...(config.env ?? {}) },
  stderr: 'inherit',
});
const client = new Client({ name: 'pingera-bundle-test', version: '1.0.0' }, { capabilities: {} });
await client.connect(transport);
const serverName = client.getServerVersion()?.name ?? null;
const { tools } = await client.listTools();
const res = await client.callTool({ name: 'list_pages', arguments: {} });
await client.close();
console.log(
  JSON.stringify({
    config,
    server_name: serverName,
    tools: tools.map((t) => t.name),
    is_error: res.isError ?? false,
    structured: res.structuredContent ?? null,
    text: res.content?.[0]?.text ?? null,
  }),
);
