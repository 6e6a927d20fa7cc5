import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountUsersRepository } from '../accounts/account-users.repository';
import { AccountsController } from '../accounts/accounts.controller';
import { AccountsRepository } from '../accounts/accounts.repository';
import { AccountsService } from '../accounts/accounts.service';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyVerifier } from './api-key.verifier';
import { AuthController } from './auth.controller';
import { AuthHousekeepingService } from './auth-housekeeping.service';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { LoginThrottleRepository } from './login-throttle.repository';
import { SessionsService } from './sessions.service';

/** Accounts, their users and keys, sessions, and the one guard every route passes. */
@Global()
@Module({
  controllers: [AccountsController, ApiKeysController, AuthController],
  providers: [
    AccountsRepository, AccountUsersRepository, AccountsService,
    ApiKeysRepository, ApiKeyVerifier, ApiKeysService,
    SessionsService, LoginThrottleRepository, AuthService, AuthHousekeepingService,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AccountsRepository, AccountsService, ApiKeysService, AuthService, SessionsService],
})
export class AuthModule {}
