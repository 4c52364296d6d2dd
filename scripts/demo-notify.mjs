#!/usr/bin/env node
// Publishes the captured oslo.messaging samples (test/fixtures/oslo-wire) to a VIM's broker
// exactly as nova's notifier does (exchange "nova", routing key <topic>.<priority>, the same
// AMQP properties), each with a fresh message_id and timestamp, so `npm start` has events to relay.
// Usage: npm run demo:notify [-- AMQP_URL [EXCHANGE]]
import { readFileSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';

const url = process.argv[2] ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const exchange = process.argv[3] ?? 'nova';
const dir = new URL('../test/fixtures/oslo-wire/', import.meta.url);
const osloTime = (d) => d.toISOString().replace('T', ' ').replace('Z', '000');

const conn = await amqp.connect(url);
// Use the exchange as it is if it exists (a declare with other flags would fail with 406);
// otherwise declare it as oslo does. checkExchange closes its channel on 404, hence a probe.
const probe = await conn.createChannel();
probe.on('error', () => {});
const exists = await probe.checkExchange(exchange).then(
  () => true,
  () => false,
);
if (exists) await probe.close();
else await (await conn.createChannel()).assertExchange(exchange, 'topic', { durable: false });
const pub = await conn.createConfirmChannel();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const sample = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  const stamp = (m) => ({ ...m, message_id: randomUUID(), timestamp: osloTime(new Date()) });
  const body = sample.body['oslo.message']
    ? { 'oslo.version': '2.0', 'oslo.message': JSON.stringify(stamp(JSON.parse(sample.body['oslo.message']))) }
    : stamp(sample.body);
  pub.publish(exchange, sample.delivery_info.routing_key, Buffer.from(JSON.stringify(body)), {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    priority: 0,
  });
  const inner = body['oslo.message'] ? JSON.parse(body['oslo.message']) : body;
  console.log(`published ${inner.event_type} on ${exchange}/${sample.delivery_info.routing_key} (${file})`);
}
await pub.waitForConfirms();
await conn.close();
