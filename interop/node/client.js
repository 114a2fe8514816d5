// Drive the npm package asterisk-manager against an AMI server.
//
// Run by ../node_test.go as:
//
//	node client.js HOST PORT USERNAME SECRET
//
// It speaks the driver protocol of ../helpers_test.go on stdout and stdin:
// "PUBLISH <name>" asks the Go test to publish a UserEvent named <name> and
// waits for a line on stdin; "RESULT <json>" is the report, printed last.
// Every message in the report is {lowercased header: [values]}, as the
// library parsed it. The library sorts an action's header lines and
// capitalizes only their first letter ("Eventmask"), and it sends its own
// action names in lower case ("Action: ping").
'use strict';

const readline = require('readline');
const AsteriskManager = require('asterisk-manager');

const TIMEOUT = 10000; // ms for any one step
const [host, port, username, secret] = process.argv.slice(2);

function norm(message) {
  const out = {};
  for (const [key, value] of Object.entries(message)) {
    out[key.toLowerCase()] = Array.isArray(value) ? value.map(String) : [String(value)];
  }
  return out;
}

function timeout(promise, what) {
  let timer;
  const expire = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout waiting for ' + what)), TIMEOUT);
  });
  return Promise.race([promise, expire]).finally(() => clearTimeout(timer));
}

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function publish(name) {
  console.log('PUBLISH ' + name);
  const { value } = await timeout(lines.next(), 'driver');
  if (value !== 'published') throw new Error('driver answered ' + JSON.stringify(value));
}

async function main() {
  const report = { steps: {}, userevents: [] };
  const steps = report.steps;
  const ami = AsteriskManager(); // no port: connect and login by hand below
  Object.assign(ami.options, { port: Number(port), host, username, password: secret, events: true });

  const booted = new Promise((resolve) => ami.once('fullybooted', resolve));
  let gotOn;
  const on = new Promise((resolve) => { gotOn = resolve; });
  ami.on('userevent', (ev) => {
    report.userevents.push(norm(ev));
    if (ev.userevent === 'InteropOn') gotOn(ev);
  });
  const closed = new Promise((resolve) => ami.once('close', resolve));

  // action resolves with the response, whether Success or Error.
  const action = (step, fields) => timeout(new Promise((resolve) => {
    ami.action(fields, (err, res) => resolve(res || err));
  }), step).then((res) => { steps[step] = norm(res); });

  await timeout(new Promise((resolve) => ami.connect(ami.options.port, host, resolve)), 'connect');
  const loginResp = new Promise((resolve) => ami.once('response', resolve));
  await timeout(new Promise((resolve, reject) => ami.login((err) => (err ? reject(new Error('login: ' + JSON.stringify(err))) : resolve()))), 'login');
  steps.login = norm(await timeout(loginResp, 'login response'));
  report.fullybooted = norm(await timeout(booted, 'FullyBooted'));

  await action('ping', { action: 'ping' });
  // Sorted, "Account: interop" goes out before "Action: ping".
  await action('ping_action_second', { action: 'ping', account: 'interop' });
  await action('command', { action: 'command', command: 'core show version' });
  await action('badcommand', { action: 'command', command: 'core show nosuchthing' });
  await action('listcommands', { action: 'listcommands' });
  await action('coresettings', { action: 'coresettings' });
  await action('corestatus', { action: 'corestatus' });

  await action('events_off', { action: 'events', eventmask: 'off' });
  await publish('InteropOff');
  await action('events_on', { action: 'events', eventmask: 'on' });
  await publish('InteropOn');
  await timeout(on, 'UserEvent InteropOn');

  await action('logoff', { action: 'logoff' });
  await timeout(closed, 'server close after Logoff');
  report.closed = true;
  console.log('RESULT ' + JSON.stringify(report));
  process.exit(0);
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
