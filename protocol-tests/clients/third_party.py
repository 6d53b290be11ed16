"""Drives a third-party server with the official Python MCP client (mcp 2.3.0, handshake era) through a fixed
scenario and prints one JSON line with everything the client got, so that two runs (against the real server and
against `mcp-transcript serve`) can be compared.

Usage: python third_party.py SCENARIO stdio COMMAND [ARGS...]
       python third_party.py SCENARIO http URL
SCENARIO is memory (@modelcontextprotocol/server-memory) or git (mcp-server-git). stdio: the whole environment of
this process is passed to the server (the SDK would pass a minimal one).
"""

import asyncio
import json
import os
import sys

from mcp import Client
from mcp.client.stdio import StdioServerParameters

SCENARIOS = {
    "memory": [
        ("create_entities", {"entities": [
            {"name": "Ada", "entityType": "person", "observations": ["wrote the first program"]},
            {"name": "Engine", "entityType": "machine", "observations": ["analytical"]},
        ]}),
        ("create_relations", {"relations": [{"from": "Ada", "to": "Engine", "relationType": "programmed"}]}),
        ("search_nodes", {"query": "Ada"}),
        ("read_graph", {}),
    ],
    "git": [
        ("git_status", {"repo_path": "."}),
        ("git_log", {"repo_path": ".", "max_count": 1}),
        ("git_show", {"repo_path": ".", "revision": "HEAD"}),
        ("git_branch", {"repo_path": ".", "branch_type": "local"}),
    ],
}


def summary(res):
    return {
        "is_error": res.is_error,
        "content": [getattr(c, "text", None) for c in res.content],
        "structured": res.structured_content,
    }


async def main(scenario: str, kind: str, target: str, *rest: str) -> None:
    if kind == "stdio":
        server = StdioServerParameters(command=target, args=list(rest), env=dict(os.environ), cwd=os.getcwd())
    elif kind == "http":
        server = target
    else:
        raise SystemExit(f"unsupported transport {kind}")
    results = []
    async with Client(server, mode="legacy") as c:
        tools = sorted(t.name for t in (await c.list_tools()).tools)
        for name, args in SCENARIOS[scenario]:
            results.append([name, summary(await c.call_tool(name, args))])
    print(json.dumps({"tools": tools, "results": results}, sort_keys=True))


asyncio.run(main(*sys.argv[1:]))
