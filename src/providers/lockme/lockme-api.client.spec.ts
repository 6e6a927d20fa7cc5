import { PermanentError } from '../../ingestion/provider-handler';
import { parseMessage, parseReservation } from './lockme-api.client';

const add = {
  action: 'add', roomid: 12, reservationid: 555001,
  data: {
    roomid: 12, date: '2026-12-05', hour: '18:30:00', name: 'Jan', surname: 'Kowalski', email: 'jan@example.com',
    phone: '+48 600 000 000', people: 4, price: 180, comment: 'call me', extid: '', status: 1, source: 'web', language: 'pl',
  },
};

describe('Lockme message parsing', () => {
  it('keeps what inventory needs and drops customer data', () => {
    const m = parseMessage(add);
    expect(m).toEqual({
      action: 'add', roomId: '12', reservationId: '555001',
      data: {
        reservationId: '555001', roomId: '12', date: '2026-12-05', hour: '18:30:00', people: 4, price: 180, status: 1,
        source: 'web', currency: null, fromDate: null, fromHour: null,
      },
    });
    const text = JSON.stringify(m);
    for (const pii of ['Kowalski', 'Jan', 'jan@example.com', '600 000', 'call me']) expect(text).not.toContain(pii);
  });

  it('reads moved reservations, string ids and missing data', () => {
    const m = parseMessage({ action: 'EDIT', roomid: '12', reservationid: '9', data: { date: '2026-12-06', hour: '10:00:00', from_date: '2026-12-05', from_hour: '18:30:00', currency: 'pln' } });
    expect(m).toMatchObject({ action: 'edit', roomId: '12', reservationId: '9', data: { roomId: '12', fromDate: '2026-12-05', fromHour: '18:30:00', currency: 'PLN' } });
    expect(parseMessage({ action: 'test' })).toEqual({ action: 'test', roomId: null, reservationId: null, data: null });
    expect(parseMessage({ action: 'delete', roomid: 12, reservationid: 1, data: [] }).data).toBeNull();
  });

  it('rejects a body that is not a message', () => {
    expect(() => parseMessage(null)).toThrow(PermanentError);
    expect(() => parseMessage({ roomid: 1 })).toThrow(PermanentError);
    expect(() => parseMessage('true')).toThrow(PermanentError);
  });

  it('parses listed reservations, taking the id from reservationid or id', () => {
    expect(parseReservation({ id: 77, date: '2026-12-05', hour: '10:00:00', email: 'x@y.z' }, undefined, '12')).toMatchObject({ reservationId: '77', roomId: '12' });
    expect(parseReservation('nope')).toBeNull();
  });
});
