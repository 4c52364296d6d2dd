#!/usr/bin/env node
// For the VES demo: publishes the captured legacy compute.instance.power_off.end of VM vm-0000
// (test/fixtures/oslo-wire), or the same VM powered on again, to a VIM's broker as nova does
// (exchange "nova", routing key notifications.info, oslo's AMQP properties), with a fresh
// message_id and timestamp. A VES agent configuration selecting the VM turns "off" into a
// Fault_MultiCloud_VMFailure onset and "on" into its clear.
// Usage: npm run demo:ves -- off|on [AMQP_URL [EXCHANGE]]
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';

const [what, urlArg, exchangeArg] = process.argv.slice(2);
if (what !== 'off' && what !== 'on') {
  console.error('usage: npm run demo:ves -- off|on [AMQP_URL [EXCHANGE]]');
  process.exit(2);
}
const url = urlArg ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const exchange = exchangeArg ?? 'nova';
const sample = JSON.parse(
  readFileSync(new URL('../test/fixtures/oslo-wire/sample-wire-legacy-messagingv2.json', import.meta.url), 'utf8'),
);
const osloTime = (d) => d.toISOString().replace('T', ' ').replace('Z', '000');

const inner = JSON.parse(sample.body['oslo.message']);
inner.message_id = randomUUID();
inner.timestamp = osloTime(new Date());
if (what === 'on') {
  inner.event_type = 'compute.instance.power_on.end';
  inner.payload = { ...inner.payload, state: 'active', state_description: '' };
}
const body = { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(inner) };

const conn = await amqp.connect(url);
// As demo-notify: use the exchange as it is when it exists (a declare with other flags fails with 406).
const probe = await conn.createChannel();
probe.on('error', () => {});
const exists = await probe.checkExchange(exchange).then(
  () => true,
  () => false,
);
if (exists) await probe.close();
else await (await conn.createChannel()).assertExchange(exchange, 'topic', { durable: false });
const pub = await conn.createConfirmChannel();
pub.publish(exchange, sample.delivery_info.routing_key, Buffer.from(JSON.stringify(body)), {
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  deliveryMode: 2,
  priority: 0,
});
await pub.waitForConfirms();
await conn.close();
console.log(
  `published ${inner.event_type} of ${inner.payload.display_name} (${inner.payload.instance_id}, tenant ${inner.payload.tenant_id}, vm_state ${inner.payload.state}) on ${exchange}/${sample.delivery_info.routing_key}`,
);
