"""Drives a server with the official Python MCP client (mcp 2.3.0) and prints one JSON summary line.

Usage: python py_client.py MODE stdio COMMAND [ARGS...]
       python py_client.py MODE http URL        (Streamable HTTP)
       python py_client.py legacy sse URL       (the 2024-11-05 HTTP+SSE transport, handshake era only)
MODE is auto (probe server/discover, fall back to initialize) or legacy (initialize directly).
stdio: the PINGERA_* variables of this process are passed to the server, since the SDK starts stdio servers with a
minimal environment. http / sse: MCP_AUTH, when set, is sent as the Authorization header of every request.
"""

import asyncio
import contextlib
import json
import os
import sys

from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def main(mode: str, kind: str, target: str, *rest: str) -> None:
    headers = {"Authorization": os.environ["MCP_AUTH"]} if os.environ.get("MCP_AUTH") else {}
    async with contextlib.AsyncExitStack() as stack:
        if kind == "stdio":
            env = {k: v for k, v in os.environ.items() if k.startswith("PINGERA_") or k == "PATH"}
            server = StdioServerParameters(command=target, args=list(rest), env=env)
        elif kind == "http":
            # An httpx2.AsyncClient with the SDK's default MCP timeouts and our headers; we own (and close) it.
            http = await stack.enter_async_context(create_mcp_http_client(headers=headers))
            server = streamable_http_client(target, http_client=http)
        elif kind == "sse":
            if mode != "legacy":
                raise SystemExit("the HTTP+SSE transport is handshake era only: use MODE legacy")
            server = sse_client(target, headers=headers or None)
        else:
            raise SystemExit(f"unsupported transport {kind}")
        async with Client(server, mode=mode) as c:
            protocol_version = c.protocol_version
            server_name = getattr(c.server_info, "name", None)
            tools = (await c.list_tools()).tools
            res = await c.call_tool("list_pages", {})
            prompts = (await c.list_prompts()).prompts
            prompt = await c.get_prompt("investigate_check", {"check_id": "chkweb000001"})
    text = res.content[0].text if res.content else None
    print(json.dumps({
        "client": "python-sdk",
        "mode": mode,
        "transport": kind,
        "protocol_version": protocol_version,
        "server_name": server_name,
        "tools": [t.name for t in tools],
        "is_error": res.is_error,
        "structured": res.structured_content,
        "text": text,
        "prompts": [p.name for p in prompts],
        "prompt_text": prompt.messages[0].content.text if prompt.messages else None,
    }))


asyncio.run(main(*sys.argv[1:]))
