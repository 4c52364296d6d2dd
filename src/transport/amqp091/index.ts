/** AMQP 0-9-1 (RabbitMQ, oslo's rabbit driver) transport. */
export { Amqp091Listener } from './listener.js';
export { Amqp091Delivery, ConsumeSession } from './delivery.js';
export { DeadLetterPublisher, RELAY_HEADERS, deadLetterProperties } from './dead-letter.js';
export { connectHost, connectionTarget } from './connect.js';
export { declareTopology } from './topology.js';
