import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type DatasetScalar, NOT_A_SCALAR, type ProductCells, StratechMappingError } from './stratech.mapper';

export type LosParseRequest = { type: 'chunk'; bytes: Uint8Array } | { type: 'end' };

/** A product's cells as the parser thread sends them: numbers in typed arrays (moved, not copied), dates by number. */
export interface ParsedProduct {
  externalId: string;
  name: string | null;
  dates: Int32Array;
  lengthsOfStay: Int16Array;
  units: Int32Array;
  /** NaN: no price. */
  prices: Float64Array;
}

export type DatasetScalars = Partial<Record<DatasetScalar, string | number | boolean | null | typeof NOT_A_SCALAR>>;

/** Scalars as sent: `{}` for NOT_A_SCALAR (a symbol does not cross threads). */
export type SentScalars = Partial<Record<DatasetScalar, string | number | boolean | null | Record<string, never>>>;

export type LosParseReply =
  | { products: ParsedProduct[]; newDates: string[]; scalars: SentScalars }
  | { error: string; mapping: boolean };

/**
 * The worker's script: the compiled one beside this file, or, when the server runs from its TypeScript sources
 * (tests, which start it through SWC), those sources through the same SWC hook.
 */
function startWorker(maxHeapMb: number): Worker {
  const options = { resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } };
  const compiled = join(__dirname, 'los-parse.worker.js');
  if (existsSync(compiled)) return new Worker(compiled, options);
  const hook = resolve(__dirname, '..', '..', '..', 'test', 'support', 'swc-register.cjs');
  const source = join(__dirname, 'los-parse.worker.ts');
  return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(source)});`, { ...options, eval: true });
}

/**
 * The parser thread's heap: it holds one product's cells at a time (a year × 28 stays is ~10,000 cells, well under
 * 1 MB), so this bounds only a document built to exhaust memory — one product with millions of cells — which then
 * fails the load, not the process.
 */
export const LOS_PARSER_HEAP_MB = 128;

/**
 * One dataset document parsed in a worker thread (stream-json's tokenizer and `LosDatasetReader`), so a load costs
 * the thread that serves reads only the handing over: bytes out, each product's columns back. Chunks may be pushed
 * without waiting; each `push` resolves, in order, with the products its chunk completed. The first error (a
 * StratechMappingError as the reader words it) rejects that push and every later one. `close()` ends the thread.
 */
export class LosParseThread {
  /** The dataset's top-level scalars as of the last chunk answered. */
  scalars: DatasetScalars = {};
  private readonly worker: Worker;
  private readonly waiting: Array<{ resolve: (p: ProductCells[]) => void; reject: (e: Error) => void }> = [];
  private readonly dates: string[] = [];
  private failure: Error | null = null;
  private closed = false;

  constructor(options: { maxHeapMb?: number } = {}) {
    const maxHeapMb = options.maxHeapMb ?? LOS_PARSER_HEAP_MB;
    this.worker = startWorker(maxHeapMb);
    this.worker.on('message', (m: LosParseReply) => this.answer(m));
    this.worker.on('error', (e: Error & { code?: string }) => this.fail(e.code === 'ERR_WORKER_OUT_OF_MEMORY'
      // The same document would exhaust it again: a mapping error, so the event is dead at once, not retried.
      ? new StratechMappingError(`a product of the dataset holds more cells than the parser's ${maxHeapMb} MB can take`)
      : new Error('the dataset parser thread failed')));
    this.worker.on('exit', () => {
      if (!this.closed) this.fail(new Error('the dataset parser thread stopped'));
    });
  }

  /** The parser's thread (not this one). */
  get threadId(): number {
    return this.worker.threadId;
  }

  /** The next bytes of the document (copied, then moved: the caller's buffer may be shared or reused). */
  push(chunk: Uint8Array): Promise<ProductCells[]> {
    // Not chunk.slice(): on a Buffer that is a view of the same memory, and moving it would detach the caller's.
    const bytes = new Uint8Array(chunk);
    return this.ask({ type: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
  }

  /** The end of the document: the last products, or the error of a document that ends early or has no products. */
  end(): Promise<ProductCells[]> {
    return this.ask({ type: 'end' }, []);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new Error('the dataset parser was closed'));
    await this.worker.terminate();
  }

  private ask(request: LosParseRequest, transfer: ArrayBuffer[]): Promise<ProductCells[]> {
    if (this.failure) return Promise.reject(this.failure);
    const answered = new Promise<ProductCells[]>((resolve, reject) => this.waiting.push({ resolve, reject }));
    // A push left unawaited when an earlier one failed must not become an unhandled rejection.
    answered.catch(() => undefined);
    this.worker.postMessage(request, transfer);
    return answered;
  }

  private answer(m: LosParseReply): void {
    const next = this.waiting.shift();
    if ('error' in m) {
      this.fail(m.mapping ? new StratechMappingError(m.error) : new Error(m.error), next);
      return;
    }
    for (const d of m.newDates) this.dates.push(d);
    const scalars: DatasetScalars = {};
    for (const [k, v] of Object.entries(m.scalars)) scalars[k as DatasetScalar] = v !== null && typeof v === 'object' ? NOT_A_SCALAR : v;
    this.scalars = scalars;
    next?.resolve(m.products.map((p) => this.decode(p)));
  }

  private fail(e: Error, first?: { reject: (e: Error) => void }): void {
    this.failure ??= e;
    first?.reject(this.failure);
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  private decode(p: ParsedProduct): ProductCells {
    const n = p.dates.length;
    const arrivalDates = new Array<string>(n);
    const lengthsOfStay = new Array<number>(n);
    const units = new Array<number>(n);
    const prices = new Array<number | null>(n);
    for (let i = 0; i < n; i++) {
      arrivalDates[i] = this.dates[p.dates[i]];
      lengthsOfStay[i] = p.lengthsOfStay[i];
      units[i] = p.units[i];
      const price = p.prices[i];
      prices[i] = Number.isNaN(price) ? null : price;
    }
    return { externalId: p.externalId, name: p.name, arrivalDates, lengthsOfStay, units, prices };
  }
}
