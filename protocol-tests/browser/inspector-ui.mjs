// Drives the MCP Inspector's web UI (@modelcontextprotocol/inspector 2.12.0) in Debian's headless Chromium with
// playwright-core, as a person testing a server would: connect, Tools tab, call a tool, Resources tab, Prompts tab.
// Saves a screenshot of each step into the plan's output folder and prints one JSON summary line on stdout.
//
// Usage: node inspector-ui.mjs PLAN_JSON
//   PLAN_JSON = {"url": the Inspector URL with its token, "out": folder for screenshots, "server": server name in
//                the Inspector's config,
//                "tools": {"count": N, "call": NAME, "expect": text in the result} | null,
//                "resource": {"title": shown title, "uri": URI, "expect": text in the contents} | null,
//                "prompt": {"name": NAME, "label": its title in the list (optional, else NAME),
//                           "args": {arg: value}, "expect": text in the messages} | null}
// A null "prompt" means the server declares no prompts: then the Prompts tab must not be there either.
// Every wait is bounded; on a failure the page is saved as failed.png before the script exits non-zero.
// Imports resolve through protocol-tests/browser/node_modules, a link to .mcp-tools/node-bundle/node_modules that
// the Rust test creates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const plan = JSON.parse(process.argv[2]);
const WAIT = { timeout: 20_000 };
const shots = [];
const steps = [];

// A fresh profile per run; the flags keep Chromium off the network (this machine has none) and quiet.
const profile = mkdtempSync(join(tmpdir(), 'inspector-ui-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 900 },
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const page = context.pages()[0] ?? (await context.newPage());

async function shot(name) {
  const path = join(plan.out, `${name}.png`);
  await page.screenshot({ path });
  shots.push(path);
}

// The tabs (Servers, Tools, Prompts, Resources) are a segmented control: radio inputs behind their labels.
const tab = (name) => page.getByRole('radiogroup').first().getByText(name, { exact: true });

try {
  await page.goto(plan.url);
  await page.getByText(plan.server, { exact: true }).first().waitFor(WAIT);
  await page.getByRole('switch').first().click({ force: true });
  await page.getByText('Connected', { exact: true }).waitFor(WAIT);
  await shot('01-connected');
  steps.push('connected');

  if (plan.tools) {
    await tab('Tools').click();
    await page.getByText(`Tools (${plan.tools.count})`, { exact: true }).waitFor(WAIT);
    await page.getByText(plan.tools.call, { exact: true }).first().waitFor(WAIT);
    await shot('02-tools');
    steps.push('tools listed');
    await page.getByText(plan.tools.call, { exact: true }).first().click();
    await page.getByRole('button', { name: 'Execute Tool' }).click();
    await page.getByText('Results', { exact: true }).waitFor(WAIT);
    await page.getByText(plan.tools.expect).first().waitFor(WAIT);
    await shot('03-tool-result');
    steps.push(`${plan.tools.call} called`);
  }

  if (plan.resource) {
    await tab('Resources').click();
    await page.getByRole('button', { name: plan.resource.title, exact: true }).click();
    await page.getByText(plan.resource.uri, { exact: true }).first().waitFor(WAIT);
    await page.getByText(plan.resource.expect).first().waitFor(WAIT);
    await shot('04-resource');
    steps.push(`${plan.resource.uri} read`);
  }

  if (plan.prompt) {
    await tab('Prompts').click();
    await page.getByText(plan.prompt.label ?? plan.prompt.name, { exact: true }).first().click();
    for (const [arg, value] of Object.entries(plan.prompt.args ?? {})) {
      await page.getByPlaceholder(`Enter ${arg}...`, { exact: true }).fill(value);
    }
    const get = page.getByRole('button', { name: 'Get Prompt' });
    if (await get.count()) await get.click();
    await page.getByText('Messages', { exact: true }).waitFor(WAIT);
    await page.getByText(plan.prompt.expect).first().waitFor(WAIT);
    await shot('05-prompt');
    steps.push(`${plan.prompt.name} got`);
  } else {
    const tabs = await page.getByRole('radiogroup').first().innerText();
    if (/\bPrompts\b/.test(tabs)) throw new Error(`the server declares no prompts, yet the UI shows a Prompts tab: ${tabs}`);
    steps.push('no Prompts tab');
  }
  console.log(JSON.stringify({ ok: true, steps, screenshots: shots }));
} catch (e) {
  await page.screenshot({ path: join(plan.out, 'failed.png') }).catch(() => {});
  console.error(`failed after steps ${JSON.stringify(steps)}: ${e.message}`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
