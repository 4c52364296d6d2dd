/** The VES events: exactly the fields the fault contract lists, and valid VES 7.2, every one. */
import { alarmOf, vimClear, vimOnset, vmClear, vmOnset, type VesFaultEvent } from '../../../src/ves/events.js';
import { decideFault, type VmFacts } from '../../../src/ves/fault-rule.js';
import { checkVesBody, vesEventErrors } from '../../../src/ves/schema.js';
import { loadJson } from '../../helpers/fixtures.js';
import { AT_MICROS, agent, legacy, versioned, wirePowerOff } from './support.js';

const VIM = 'vio-1';

function onsetFacts(n = versioned('instance-power_off-end.json', 'mid-off')): VmFacts {
  const d = decideFault({ vimId: VIM, agent: agent(), n, alarm: undefined });
  if (d.kind !== 'onset') throw new Error(`expected an onset, got ${d.kind}`);
  return d.vm;
}

function clearFacts(
  n = versioned('instance-power_on-end.json', 'mid-on', new Date(AT_MICROS / 1000 + 60_000)),
): VmFacts {
  const open = alarmOf(vmOnset(onsetFacts()), {
    state: 'stopped',
    eventType: 'instance.power_off.end',
    messageId: 'mid-off',
  });
  const d = decideFault({ vimId: VIM, agent: agent(), n, alarm: open });
  if (d.kind !== 'clear') throw new Error(`expected a clear, got ${d.kind}`);
  return d.vm;
}

describe('VM failure onset and clear', () => {
  const onset = vmOnset(onsetFacts());
  const alarm = alarmOf(onset, { state: 'stopped', eventType: 'instance.power_off.end', messageId: 'mid-off' });
  const clear = vmClear(clearFacts(), alarm);

  it('onset: the contract fields', () => {
    expect(onset).toEqual({
      commonEventHeader: {
        domain: 'fault',
        eventId: `${VIM}:178b0921-8f85-4257-88b6-2e743b5a975c:${AT_MICROS}:0`,
        eventName: 'Fault_MultiCloud_VMFailure',
        eventType: 'MultiCloud',
        priority: 'High',
        reportingEntityName: VIM,
        sourceId: '178b0921-8f85-4257-88b6-2e743b5a975c',
        sourceName: 'some-server',
        sequence: 0,
        startEpochMicrosec: AT_MICROS,
        lastEpochMicrosec: AT_MICROS,
        version: '4.1',
        vesEventListenerVersion: '7.2.1',
      },
      faultFields: {
        faultFieldsVersion: '4.0',
        eventSeverity: 'CRITICAL',
        eventSourceType: 'virtualMachine',
        alarmCondition: 'Guest_Os_Failure',
        specificProblem: 'VM some-server is stopped (instance.power_off.end)',
        vfStatus: 'Active',
        alarmAdditionalInformation: {
          vim_id: VIM,
          tenant_id: '6f70656e737461636b20342065766572',
          instance_id: '178b0921-8f85-4257-88b6-2e743b5a975c',
          vm_state: 'stopped',
          event_type: 'instance.power_off.end',
          message_id: 'mid-off',
          host: 'compute',
        },
      },
    });
  });

  it("clear: Normal, sequence 1, the onset's startEpochMicrosec, its own eventId and time", () => {
    const h = clear.commonEventHeader;
    expect(h).toMatchObject({
      eventName: 'Fault_MultiCloud_VMFailureCleared',
      priority: 'Normal',
      sequence: 1,
      startEpochMicrosec: AT_MICROS,
      lastEpochMicrosec: AT_MICROS + 60_000_000,
    });
    expect(h.eventId).not.toBe(onset.commonEventHeader.eventId);
    expect(h.eventId).toBe(onset.commonEventHeader.eventId.replace(/:0$/, ':1'));
    expect(clear.faultFields).toMatchObject({
      eventSeverity: 'NORMAL',
      alarmCondition: 'Guest_Os_Failure',
      specificProblem:
        'VM some-server is active again (instance.power_on.end); it was stopped since instance.power_off.end',
    });
    expect(clear.faultFields.alarmAdditionalInformation).toMatchObject({
      vm_state: 'active',
      message_id: 'mid-on',
      onset_event_id: onset.commonEventHeader.eventId,
    });
  });

  it('a clear by deletion says so', () => {
    const del = vmClear(clearFacts(versioned('instance-delete-end.json')), alarm);
    expect(del.faultFields.specificProblem).toMatch(/^VM some-server was deleted \(instance.delete.end\)/);
  });

  it('the same notification builds the same onset (a resend after a crash is recognisable)', () => {
    expect(vmOnset(onsetFacts())).toEqual(onset);
  });
});

describe('VIM unreachable onset and clear', () => {
  const since = AT_MICROS;
  const onset = vimOnset(
    { vimId: VIM, sinceMicros: since, reason: 'ECONNREFUSED 127.0.0.1:5672', atMicros: since + 30_000_000 },
    30_000,
  );
  const clear = vimClear(
    { vimId: VIM, sinceMicros: since, reason: 'back', atMicros: since + 90_000_000 },
    alarmOf(onset, { state: 'UNREACHABLE', eventType: 'listener.status', messageId: 'x' }),
  );

  it('the VIM is the source, the onset time is when it became unreachable', () => {
    expect(onset.commonEventHeader).toMatchObject({
      eventName: 'Fault_MultiCloud_VIMUnreachable',
      sourceId: VIM,
      sourceName: VIM,
      reportingEntityName: VIM,
      sequence: 0,
      startEpochMicrosec: since,
      lastEpochMicrosec: since + 30_000_000,
    });
    expect(onset.faultFields).toMatchObject({
      eventSeverity: 'CRITICAL',
      eventSourceType: 'VIM',
      specificProblem: "VIM vio-1's message broker has been unreachable for over 30 s: ECONNREFUSED 127.0.0.1:5672",
    });
    expect(clear.commonEventHeader).toMatchObject({
      eventName: 'Fault_MultiCloud_VIMUnreachableCleared',
      priority: 'Normal',
      sequence: 1,
      startEpochMicrosec: since,
      lastEpochMicrosec: since + 90_000_000,
    });
  });
});

describe('every event built validates against CommonEventFormat_30.2.1_ONAP.json', () => {
  const notifications = [
    ['versioned power_off', () => versioned('instance-power_off-end.json')],
    ['versioned shelve', () => versioned('instance-shelve-end.json')],
    ['legacy wire power_off', wirePowerOff],
    ['legacy error, no display name', () => legacy('searchlight/servers__instance-update-error-final.json')],
    ['legacy resized', () => legacy('ceilometer/compute.instance.finish_resize.end.json')],
  ] as const;
  const built: [string, VesFaultEvent][] = [];
  for (const [name, n] of notifications) {
    const onset = vmOnset(onsetFacts(n()));
    built.push([`${name} onset`, onset]);
    const alarm = alarmOf(onset, { state: 'x', eventType: 'y', messageId: 'z' });
    built.push([`${name} clear`, vmClear(clearFacts(), alarm)]);
  }
  const vim = vimOnset({ vimId: VIM, sinceMicros: 1, reason: 'r', atMicros: 2 }, 1000);
  built.push(
    ['VIM onset', vim],
    [
      'VIM clear',
      vimClear(
        { vimId: VIM, sinceMicros: 1, reason: 'r', atMicros: 3 },
        alarmOf(vim, { state: 'U', eventType: 'l', messageId: 'm' }),
      ),
    ],
  );

  it.each(built)('%s', (_name, event) => {
    expect(vesEventErrors(event)).toBeUndefined();
  });

  it('as one batch too', () => {
    expect(checkVesBody({ eventList: built.map(([, e]) => e) }, 'eventList')).toMatchObject({ ok: true });
  });
});

describe('the validator', () => {
  it("accepts the collector's own valid batch and refuses its mixed-domain one", () => {
    expect(checkVesBody(loadJson('ves/ves7_batch_valid.json'), 'eventList')).toMatchObject({
      ok: true,
      kind: 'eventList',
    });
    expect(checkVesBody(loadJson('ves/ves7_batch_valid_two_different_domain.json'), 'eventList')).toEqual({
      ok: false,
      reason: 'eventList mixes domains (fault, stndDefined); send one domain per batch',
    });
  });

  it.each<[string, (e: any) => unknown, RegExp]>([
    [
      'a missing sourceName',
      (e) => {
        delete e.commonEventHeader.sourceName;
        return e;
      },
      /event\.commonEventHeader\.sourceName is required/,
    ],
    [
      'VES 5 versions',
      (e) => {
        e.commonEventHeader.version = '3.0';
        return e;
      },
      /event\.commonEventHeader\.version "3.0" must be one of 4.0, 4.0.1, 4.1/,
    ],
    [
      'an unknown header field',
      (e) => {
        e.commonEventHeader.colour = 'red';
        return e;
      },
      /colour is not a known property/,
    ],
    [
      'a non-string additional information',
      (e) => {
        e.faultFields.alarmAdditionalInformation.n = 1;
        return e;
      },
      /alarmAdditionalInformation\.n must be a string/,
    ],
  ])('refuses %s', (_name, spoil, reason) => {
    expect(vesEventErrors(spoil(structuredClone(vmOnset(onsetFacts()))))).toMatch(reason);
  });

  it.each<[unknown, 'event' | 'eventList', RegExp]>([
    [[], 'event', /must be a JSON object/],
    [{}, 'event', /exactly one key, "event" \(got none\)/],
    [{ eventList: [] }, 'event', /exactly one key, "event" \(got "eventList"\)/],
    [{ eventList: [] }, 'eventList', /eventList is empty/],
  ])('refuses the body %j as %s', (body, kind, reason) => {
    const r = checkVesBody(body, kind);
    expect(r.ok ? 'ok' : r.reason).toMatch(reason);
  });
});
