import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access } from '../auth/access.decorator';
import { PageQuery } from '../common/pagination';
import { AccountsService } from './accounts.service';
import {
  AccountIdParam, AccountLocationPage, AccountLocationParams, AccountLocationView, AccountPage, AccountView, CreateAccountDto,
  CreateUserDto, PutAccountLocationDto, UpdateAccountDto, UserIdParam, UserPage, UserView,
} from './dto/account.dto';

@ApiTags('admin: accounts')
@Access('admin')
@Controller('admin')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post('accounts')
  @ApiCreatedResponse({ type: AccountView })
  @ApiConflictResponse({ description: 'an account with this externalId exists' })
  create(@Body() dto: CreateAccountDto): Promise<AccountView> {
    return this.accounts.create(dto);
  }

  @Get('accounts')
  @ApiOkResponse({ type: AccountPage })
  list(@Query() query: PageQuery): Promise<AccountPage> {
    return this.accounts.list(query);
  }

  @Get('accounts/:id')
  @ApiOkResponse({ type: AccountView })
  @ApiNotFoundResponse()
  get(@Param() { id }: AccountIdParam): Promise<AccountView> {
    return this.accounts.get(id);
  }

  @Patch('accounts/:id')
  @ApiOkResponse({ type: AccountView })
  @ApiNotFoundResponse()
  update(@Param() { id }: AccountIdParam, @Body() dto: UpdateAccountDto): Promise<AccountView> {
    return this.accounts.update(id, dto);
  }

  @Put('accounts/:id/locations/:locationId')
  @ApiCreatedResponse({ type: AccountLocationView, description: 'the listing is new' })
  @ApiOkResponse({ type: AccountLocationView, description: 'the listing was the account\'s or had no account' })
  @ApiConflictResponse({ description: 'the location belongs to another account' })
  async putLocation(@Param() { id, locationId }: AccountLocationParams, @Body() dto: PutAccountLocationDto,
    @Res({ passthrough: true }) res: Response): Promise<AccountLocationView> {
    const { view, created } = await this.accounts.putLocation(id, locationId, dto);
    res.status(created ? 201 : 200);
    return view;
  }

  @Get('accounts/:id/locations')
  @ApiOkResponse({ type: AccountLocationPage })
  listLocations(@Param() { id }: AccountIdParam, @Query() query: PageQuery): Promise<AccountLocationPage> {
    return this.accounts.listLocations(id, query);
  }

  @Delete('accounts/:id/locations/:locationId')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiConflictResponse({ description: 'a connection maps the location' })
  removeLocation(@Param() { id, locationId }: AccountLocationParams): Promise<void> {
    return this.accounts.removeLocation(id, locationId);
  }

  @Post('accounts/:id/users')
  @ApiCreatedResponse({ type: UserView })
  @ApiConflictResponse({ description: 'the e-mail is taken (in any account, any letter case)' })
  createUser(@Param() { id }: AccountIdParam, @Body() dto: CreateUserDto): Promise<UserView> {
    return this.accounts.createUser(id, dto);
  }

  @Get('accounts/:id/users')
  @ApiOkResponse({ type: UserPage })
  listUsers(@Param() { id }: AccountIdParam, @Query() query: PageQuery): Promise<UserPage> {
    return this.accounts.listUsers(id, query);
  }

  @Delete('users/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'deleted; the user\'s sessions end' })
  @ApiNotFoundResponse()
  deleteUser(@Param() { id }: UserIdParam): Promise<void> {
    return this.accounts.deleteUser(id);
  }
}
