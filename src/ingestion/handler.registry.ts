import { Injectable } from '@nestjs/common';
import type { ProviderHandler } from './provider-handler';

/** Provider modules register their handler here at start; ingestion dispatches through it. */
@Injectable()
export class HandlerRegistry {
  private readonly handlers = new Map<string, ProviderHandler>();

  register(handler: ProviderHandler): void {
    this.handlers.set(handler.provider, handler);
  }

  get(provider: string): ProviderHandler | undefined {
    return this.handlers.get(provider);
  }
}
