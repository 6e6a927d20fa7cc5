// The demo's inventory: a coworking location on Syncaroo, an escape room on Lockme, a holiday park on Stratech.
// Ids and shapes follow /work/shared/fixtures (connection 555, location 11980, org_12345 / rst_54321 / dc_jdy39,
// Lockme room 12 and reservation 555001); dates are relative to today so the console shows upcoming bookings.

const DAY = 86_400_000;
const today = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()));
const dateAt = (days) => new Date(today.getTime() + days * DAY).toISOString().slice(0, 10);
/** An instant `days` from today at `hh:mm` wall time in `timeZone`. */
function zoned(days, hhmm, timeZone) {
  const wall = Date.parse(`${dateAt(days)}T${hhmm}:00Z`);
  return new Date(wall - offsetMinutes(new Date(wall), timeZone) * 60_000);
}
function offsetMinutes(instant, timeZone) {
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
}
/** `YYYY-MM-DDT00:00:00+02:00`: midnight of that calendar date with the resort's offset, as Stratech sends it. */
function stratechArrival(date, timeZone) {
  const minutes = offsetMinutes(new Date(`${date}T00:00:00Z`), timeZone);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${date}T00:00:00${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Syncaroo: Acme Coworking, Amsterdam Zuid (connection 555, our location 11980)

export const syncaroo = {
  connectionId: 555,
  connectionName: 'Acme Coworking (Syncaroo)',
  locationId: '11980',
  locationName: 'Acme Coworking Amsterdam Zuid',
  timezone: 'Europe/Amsterdam',
  /** Syncaroo's own id of the location, in every apiUrl. */
  syncarooLocation: '61116b1ad9fa63170734b694',
  resources: [
    { id: '61116c0bab789b6cc1feec23', type: 'meeting-room', name: 'Boardroom Amstel', capacity: 12, size: 38, description: 'Oval table, 75" screen, Jabra video bar, whiteboard wall' },
    { id: '6140afff1da7a718a6076cea', type: 'meeting-room', name: 'Studio Zuidas', capacity: 8, size: 24, description: 'Workshop room with movable tables and a view on the Zuidas' },
    { id: '61116c0bab789b6cc1feec24', type: 'meeting-room', name: 'Focus room Vondel', capacity: 4, size: 11, description: 'Quiet room for small meetings and calls' },
    { id: '61116c0bab789b6cc1feec31', type: 'hot-desk', name: 'Flex desks, 2nd floor', capacity: 1, units: 24, description: 'First come, first served; lockers available' },
    { id: '61116c0bab789b6cc1feec32', type: 'dedicated-desk', name: 'Dedicated desk D-14', capacity: 1, units: 1, description: 'Your own desk with a monitor and a drawer unit' },
    { id: '61116c0bab789b6cc1feec41', type: 'office', name: 'Private office 3.02', capacity: 6, size: 28, description: 'Lockable office for a team of six, canal side' },
  ],
  /** The resource update Syncaroo sends after the boardroom was refurbished. */
  update: { id: '61116c0bab789b6cc1feec23', name: 'Boardroom Amstel (refurbished)', capacity: 14, description: 'Oval table for 14, 86" screen, Jabra video bar, whiteboard wall' },
  bookings: [
    { resource: '61116c0bab789b6cc1feec23', objectId: '61c18cf515e22a061cf589b1', start: zoned(1, '09:00', 'Europe/Amsterdam'), end: zoned(1, '10:30', 'Europe/Amsterdam'), status: 'confirmed' },
    { resource: '6140afff1da7a718a6076cea', objectId: '61c18cf515e22a061cf589c7', start: zoned(2, '13:00', 'Europe/Amsterdam'), end: zoned(2, '17:00', 'Europe/Amsterdam'), status: 'confirmed' },
    { resource: '61116c0bab789b6cc1feec24', objectId: '61c18cf515e22a061cf589d2', start: zoned(3, '11:00', 'Europe/Amsterdam'), end: zoned(3, '12:00', 'Europe/Amsterdam'), status: 'tentative' },
  ],
};

const syncarooBase = (apiUrl) => `${apiUrl}/${syncaroo.connectionId}/locations/${syncaroo.syncarooLocation}`;

/** Resource JSON as Syncaroo's API answers it: `{id, name, type, description, capacity, units, size, bookable, availableFrom}`. */
export function syncarooResourceDoc(r) {
  return { id: r.id, name: r.name, type: r.type, description: r.description, capacity: r.capacity, units: r.units ?? 1, size: r.size ?? null, bookable: true, availableFrom: dateAt(-90) };
}

export const syncarooBookingId = (b) => `${b.objectId}*${b.start.getTime()}*${b.end.getTime()}`;

/** Paths (under the fake's host) and documents the fake serves. */
export function syncarooDocs(apiUrl) {
  const path = (url) => new URL(url).pathname;
  const docs = [];
  for (const r of syncaroo.resources) docs.push([path(`${syncarooBase(apiUrl)}/resources/${r.id}`), syncarooResourceDoc(r)]);
  for (const b of syncaroo.bookings) {
    docs.push([path(`${syncarooBase(apiUrl)}/resources/${b.resource}/bookings/${syncarooBookingId(b)}`), { id: syncarooBookingId(b), start: b.start.toISOString(), end: b.end.toISOString(), status: b.status }]);
  }
  return docs;
}

/** A webhook body with the members in the order of the seed's examples (the order matters for the hash). */
export function syncarooResourceWebhook(apiUrl, r, { resourceId = '', action } = {}) {
  const url = `${syncarooBase(apiUrl)}/resources/${r.id}`;
  return {
    connectionId: syncaroo.connectionId,
    webhookType: 'data',
    locationId: syncaroo.locationId,
    metaData: { syncarooId: r.id, resourceType: r.type, resourceId, attributeType: 'resources', apiUrl: url },
    ...(action === 'new' ? { action: 'new', actionCallback: `${url}/mapped` } : {}),
  };
}

export function syncarooBookingWebhook(apiUrl, b, resourceId) {
  const r = syncaroo.resources.find((x) => x.id === b.resource);
  return {
    connectionId: syncaroo.connectionId,
    webhookType: 'data',
    locationId: syncaroo.locationId,
    metaData: {
      syncarooId: syncarooBookingId(b),
      resourceType: r.type,
      resourceId,
      attributeType: 'bookings',
      apiUrl: `${syncarooBase(apiUrl)}/resources/${b.resource}/bookings/${syncarooBookingId(b)}`,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Lockme: Escape Kraków, Old Town (rooms 12 and 14)

export const lockme = {
  externalId: 'escape-krakow',
  connectionName: 'Escape Kraków (Lockme)',
  locationId: 'escape-krakow-old-town',
  locationName: 'Escape Kraków, Old Town',
  timezone: 'Europe/Warsaw',
  rooms: [
    { roomid: 12, room: "The Alchemist's Lab", department: 3 },
    { roomid: 14, room: 'Prison Break', department: 3 },
  ],
  /** Lockme message bodies (fixtures/lockme-message-add.json and -edit.json, then a second booking). */
  messages: () => [
    {
      action: 'add', roomid: 12, reservationid: 555001,
      data: {
        roomid: 12, date: dateAt(3), hour: '18:30:00', name: 'Jan', surname: 'Kowalski', email: 'jan@example.com', phone: '+48 600 000 000',
        people: 4, price: 180, comment: '', extid: '', status: 1, source: 'web', language: 'pl', invoice: 0, time: `${dateAt(0)} 12:00:00`,
      },
    },
    {
      action: 'edit', roomid: 12, reservationid: 555001,
      data: { roomid: 12, date: dateAt(4), hour: '10:00:00', people: 4, price: 180, status: 1, source: 'panel', from_date: dateAt(3), from_hour: '18:30:00' },
    },
    {
      action: 'add', roomid: 14, reservationid: 555002,
      data: {
        roomid: 14, date: dateAt(5), hour: '20:00:00', name: 'Anna', surname: 'Nowak', email: 'anna@example.com', phone: '+48 601 000 000',
        people: 5, price: 225, comment: 'Urodziny', extid: '', status: 0, source: 'web', language: 'pl', invoice: 0, time: `${dateAt(0)} 12:05:00`,
      },
    },
  ],
};

// ---------------------------------------------------------------------------------------------------------------
// Stratech: Holiday park De Veluwe (org_12345, resort rst_54321, channel dc_jdy39)

export const stratech = {
  organizationReference: 'org_12345',
  resortReference: 'rst_54321',
  channelReference: 'dc_jdy39',
  redirectUri: 'https://example.stratechbooking.nl/login-client-callback',
  locationId: 'park-veluwe',
  locationName: 'Holiday park De Veluwe',
  timezone: 'Europe/Amsterdam',
  days: 60,
  stays: 7,
  products: [
    { productId: 'prod_46fphyv', name: 'Forest lodge 4p', units: 15, nightly: 129 },
    { productId: 'prod_8k2mwq1', name: 'Lake villa 6p', units: 6, nightly: 219 },
    { productId: 'prod_3xq7tzn', name: 'Wellness cottage 2p', units: 9, nightly: 159 },
  ],
};

/** 3 products × 60 arrival days (from today) × stays of 1–7 nights. Weekends cost more, longer stays less per night. */
export function stratechDataset(key) {
  const s = stratech;
  const products = s.products.map((p, pi) => ({
    productId: p.productId,
    name: p.name,
    losPriceAvailability: Array.from({ length: s.days }, (_, d) => {
      const date = dateAt(d);
      const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
      return Array.from({ length: s.stays }, (_, i) => {
        const nights = i + 1;
        const weekend = weekday === 5 || weekday === 6 ? 1.25 : 1;
        const discount = nights >= 7 ? 0.8 : nights >= 4 ? 0.9 : 1;
        return {
          arrivalDate: stratechArrival(date, s.timezone),
          lengthOfStay: nights,
          unitsAvailable: Math.max(0, p.units - ((d * 7 + nights * 3 + pi * 5) % (p.units + 1))),
          price: Math.round(p.nightly * nights * weekend * discount),
        };
      });
    }).flat(),
  }));
  return { key, organizationReference: s.organizationReference, resortReference: s.resortReference, channelReference: s.channelReference, currency: 'EUR', products };
}

export const stratechCodeCreated = (code) => ({
  eventType: 'Authorization.code.created',
  eventData: { organizationReference: stratech.organizationReference, code, redirectUri: stratech.redirectUri },
});

export const stratechLosCreated = (key) => ({
  eventType: 'PriceAvailability.los.created',
  eventData: { organizationReference: stratech.organizationReference, resortReference: stratech.resortReference, channelReference: stratech.channelReference, key },
});

/** A partial (fixtures/stratech-los-updated.json): the forest lodges for the next two arrival days are sold out. */
export const stratechLosUpdated = (losKey) => ({
  eventType: 'PriceAvailability.los.updated',
  eventData: {
    losKey,
    organizationReference: stratech.organizationReference,
    resortReference: stratech.resortReference,
    channelReference: stratech.channelReference,
    products: [
      {
        losPriceAvailability: [0, 1].flatMap((d) => [1, 2].map((nights) => ({ arrivalDate: stratechArrival(dateAt(d), stratech.timezone), lengthOfStay: nights, unitsAvailable: 0 }))),
        productId: 'prod_46fphyv',
      },
    ],
  },
});
