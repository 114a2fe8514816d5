"""Drive panoramisk (Debian's python3-panoramisk) against an AMI server.

Run by ../panoramisk_test.go as:

    /usr/bin/python3 panoramisk_client.py HOST PORT USERNAME SECRET

It speaks the driver protocol of ../helpers_test.go on stdout and stdin:
"PUBLISH <name>" asks the Go test to publish a UserEvent named <name> and
waits for a line on stdin; "RESULT <json>" is the report, printed last.
Every message in the report is {lowercased header: [values]}, as panoramisk
parsed it.
"""

import asyncio
import json
import sys

from panoramisk import Manager

TIMEOUT = 10  # seconds for any one step


def norm(message):
    """Return the message's headers as {lowercased key: [values]}."""
    out = {}
    for key, value in message.items():
        if key == "content":
            continue
        out[key.lower()] = value if isinstance(value, list) else [value]
    return out


async def publish(loop, name):
    """Ask the Go test to publish UserEvent name; wait until it has."""
    print("PUBLISH " + name, flush=True)
    line = await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), TIMEOUT)
    if line.strip() != "published":
        raise RuntimeError("driver answered %r" % line)


async def main(host, port, username, secret):
    loop = asyncio.get_running_loop()
    report = {"steps": {}, "userevents": []}
    steps = report["steps"]

    login = loop.create_future()
    booted = loop.create_future()
    got_on = loop.create_future()

    def on_connect(manager):
        # connection_made has just sent Login; keep its future.
        manager.authenticated_future.add_done_callback(
            lambda f: login.done() or login.set_result(f.result()))

    manager = Manager(loop=loop, host=host, port=int(port), username=username,
                      secret=secret, ping_delay=600, on_connect=on_connect)

    @manager.register_event("FullyBooted")
    def on_booted(_, event):
        if not booted.done():
            booted.set_result(event)

    @manager.register_event("UserEvent")
    def on_user_event(_, event):
        report["userevents"].append(norm(event))
        if event.userevent == "InteropOn" and not got_on.done():
            got_on.set_result(event)

    async def action(step, fields):
        resp = await asyncio.wait_for(manager.send_action(fields), TIMEOUT)
        steps[step] = norm(resp)

    await asyncio.wait_for(manager.connect(), TIMEOUT)
    steps["login"] = norm(await asyncio.wait_for(login, TIMEOUT))
    report["fullybooted"] = norm(await asyncio.wait_for(booted, TIMEOUT))
    report["authenticated"] = manager.authenticated
    report["version"] = manager.protocol.version

    await action("ping", {"Action": "Ping"})
    steps["command"] = norm(await asyncio.wait_for(
        manager.send_command("core show version"), TIMEOUT))
    steps["badcommand"] = norm(await asyncio.wait_for(
        manager.send_command("core show nosuchthing"), TIMEOUT))
    await action("listcommands", {"Action": "ListCommands"})
    await action("coresettings", {"Action": "CoreSettings"})
    await action("corestatus", {"Action": "CoreStatus"})

    await action("events_off", {"Action": "Events", "EventMask": "off"})
    await publish(loop, "InteropOff")
    await action("events_on", {"Action": "Events", "EventMask": "on"})
    await publish(loop, "InteropOn")
    await asyncio.wait_for(got_on, TIMEOUT)

    await action("logoff", {"Action": "Logoff"})
    manager.close()
    print("RESULT " + json.dumps(report), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
