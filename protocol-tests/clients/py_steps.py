"""Drives a Streamable HTTP server with the official Python MCP client (mcp 2.3.0), one tool call per command, for
tests that change the servers between calls (protocol-tests/scale_out.rs).

Usage: python py_steps.py MODE URL
MODE is legacy (initialize era) or 2026-07-28 (stateless era). MCP_AUTH is sent as the Authorization header of
every request. Prints one JSON line when connected ({"ready": ...}), then reads commands from stdin:
  call TOOL   calls TOOL with no arguments and prints {"call": N, "tool": ..., "ok": ..., "error": ...}
  quit        closes the session (DELETE in the initialize era) and prints {"done": true, "calls": N, "failed": M}
"""

import asyncio
import json
import os
import sys

from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def say(obj) -> None:
    print(json.dumps(obj), flush=True)


async def main(mode: str, url: str) -> None:
    headers = {"Authorization": os.environ["MCP_AUTH"]}
    loop = asyncio.get_running_loop()
    calls = failed = 0
    async with create_mcp_http_client(headers=headers) as http:
        async with Client(streamable_http_client(url, http_client=http), mode=mode) as c:
            say({"ready": True, "client": "python-sdk", "mode": mode, "protocol_version": c.protocol_version})
            while True:
                line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
                if not line or line[0] == "quit":
                    break
                calls += 1
                try:
                    res = await c.call_tool(line[1], {})
                    ok, error = not res.is_error, (res.content[0].text if res.is_error and res.content else None)
                except Exception as e:  # a failed call is reported, never fatal: the test counts them
                    ok, error = False, repr(e)
                failed += not ok
                say({"call": calls, "tool": line[1], "ok": ok, "error": error})
    say({"done": True, "calls": calls, "failed": failed})


asyncio.run(main(*sys.argv[1:]))
