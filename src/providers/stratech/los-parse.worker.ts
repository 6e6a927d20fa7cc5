import { parentPort } from 'node:worker_threads';
import { LosDatasetReader, NOT_A_SCALAR, type ProductCells, StratechMappingError } from './stratech.mapper';
import type { LosParseReply, LosParseRequest, ParsedProduct, SentScalars } from './los-parse.thread';

// A dataset's JSON is tokenized here, off the server's event loop: its CPU and its garbage (millions of tokens) are
// this thread's, not the thread that answers reads. One dataset per thread (LosParseThread), in order: a chunk in,
// the products it completes out, with the arrival dates not sent before.

const reader = new LosDatasetReader();
let datesSent = 0;
let failed = false;

function encode(cells: ProductCells): ParsedProduct {
  const n = cells.arrivalDates.length;
  const dates = new Int32Array(n);
  const lengthsOfStay = new Int16Array(n);
  const units = new Int32Array(n);
  const prices = new Float64Array(n);
  // A price is never NaN (the mapper refuses non-finite numbers): NaN carries "no price".
  for (let i = 0; i < n; i++) {
    dates[i] = reader.dateNumber(cells.arrivalDates[i]);
    lengthsOfStay[i] = cells.lengthsOfStay[i];
    units[i] = cells.units[i];
    const p = cells.prices[i];
    prices[i] = p === null ? NaN : p;
  }
  return { externalId: cells.externalId, name: cells.name, dates, lengthsOfStay, units, prices };
}

function reply(products: ProductCells[]): void {
  const all = reader.arrivalDates;
  const newDates = all.slice(datesSent);
  datesSent = all.length;
  const encoded = products.map(encode);
  // A symbol cannot be sent: a field that held an object or array goes as `{}`.
  const scalars: SentScalars = {};
  for (const [k, v] of Object.entries(reader.scalars)) scalars[k as keyof SentScalars] = v === NOT_A_SCALAR ? {} : v;
  const message: LosParseReply = { products: encoded, newDates, scalars };
  const transfer = encoded.flatMap((p) => [p.dates.buffer, p.lengthsOfStay.buffer, p.units.buffer, p.prices.buffer]);
  parentPort!.postMessage(message, transfer as ArrayBuffer[]);
}

parentPort!.on('message', (m: LosParseRequest) => {
  // After an error the dataset is lost: later chunks are not parsed (the caller stops at the first error anyway).
  if (failed) return;
  try {
    if (m.type === 'chunk') reply(reader.push(m.bytes));
    else reply(reader.end());
  } catch (e) {
    failed = true;
    const mapping = e instanceof StratechMappingError;
    const error: LosParseReply = { error: mapping ? e.message : 'the dataset parser failed', mapping };
    parentPort!.postMessage(error);
  }
});
