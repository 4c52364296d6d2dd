/** VES events for tests: the onset of VM `n` ("stopped" after a power off) of VIM vio-1, distinct per n. */
import { vmOnset } from '../../src/ves/events.js';

export const vmFault = (n: number): ReturnType<typeof vmOnset> =>
  vmOnset({
    vimId: 'vio-1',
    instanceId: `i-${n}`,
    displayName: `vm-${n}`,
    tenantId: 't',
    vmState: 'stopped',
    host: 'h',
    eventType: 'instance.power_off.end',
    messageId: `m${n}`,
    atMicros: 1_700_000_000_000_000 + n,
  });
