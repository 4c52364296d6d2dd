import { applyVimDefaults } from '../../../../src/config/vim.js';
import { addressStyle, deadLetterAddress, sourceAddresses } from '../../../../src/transport/amqp10/addresses.js';

describe('addressStyle', () => {
  it.each([
    ['/amq/queue/relay', 'rabbitmq-v1'],
    ['/queue/relay', 'rabbitmq-v1'],
    ['/exchange/nova/notifications.info', 'rabbitmq-v1'],
    ['/topic/notifications.info', 'rabbitmq-v1'],
    ['/queues/relay', 'rabbitmq-v2'],
    ['/exchanges/nova/notifications.info', 'rabbitmq-v2'],
    ['openstack.org/om/notify/anycast/nova/notifications.info', 'routable'],
    ['notifications.info', 'routable'],
  ])('%s is %s', (address, style) => {
    expect(addressStyle(address)).toBe(style);
  });
});

describe('sourceAddresses', () => {
  it("defaults to oslo's routable notification addresses for every topic and priority", () => {
    const vim = applyVimDefaults({ id: 'v1', transportUrl: 'amqp://h/', exchange: 'nova' });
    expect(sourceAddresses(vim)).toEqual([
      'openstack.org/om/notify/anycast/nova/notifications.info',
      'openstack.org/om/notify/anycast/nova/notifications.error',
      'openstack.org/om/notify/anycast/nova/versioned_notifications.info',
      'openstack.org/om/notify/anycast/nova/versioned_notifications.error',
    ]);
  });

  it('uses the configured addresses, once each, ignoring blanks', () => {
    const vim = applyVimDefaults({
      id: 'v1',
      transportUrl: 'amqp://h/',
      addresses: ['/amq/queue/q', ' ', '/amq/queue/q', '/amq/queue/r'],
    });
    expect(sourceAddresses(vim)).toEqual(['/amq/queue/q', '/amq/queue/r']);
  });

  it('falls back to the defaults when every configured address is blank', () => {
    const vim = applyVimDefaults({
      id: 'v1',
      transportUrl: 'amqp://h/',
      addresses: [''],
      topics: ['notifications'],
      priorities: ['info'],
    });
    expect(sourceAddresses(vim)).toEqual(['openstack.org/om/notify/anycast/nova/notifications.info']);
  });
});

describe('deadLetterAddress', () => {
  it.each([
    ['/amq/queue/relay', 'relay.dead', '/amq/queue/relay.dead'],
    ['/queue/relay', 'relay.dead', '/amq/queue/relay.dead'],
    ['/exchange/nova/notifications.info', 'relay.dead', '/amq/queue/relay.dead'],
    ['/queues/relay', 'relay dead/1', '/queues/relay%20dead%2F1'],
    ['openstack.org/om/notify/anycast/nova/notifications.info', 'relay.dead', undefined],
  ])('from %s to %s: %s', (source, dlq, expected) => {
    expect(deadLetterAddress(source, dlq)).toBe(expected);
  });
});
