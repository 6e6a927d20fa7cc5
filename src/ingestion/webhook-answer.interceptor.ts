import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { map, Observable } from 'rxjs';
import type { WebhookAnswer } from './intake.service';

/** 202 for a new or coalesced event, 200 for a duplicate (CONTRACT.md section 4), without @Res(). */
@Injectable()
export class WebhookAnswerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler<WebhookAnswer>): Observable<WebhookAnswer> {
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((answer) => {
        res.status(answer.status === 'duplicate' ? 200 : 202);
        return answer;
      }),
    );
  }
}
