import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../auth/access.decorator';
import type { Tenant } from '../auth/principal';
import { PageQuery } from '../common/pagination';
import { WebhookAnswerView } from '../ingestion/dto/event.dto';
import { IntakeService } from '../ingestion/intake.service';
import { ConnectionsService } from './connections.service';
import {
  ConnectionIdParam, ConnectionListQuery, ConnectionPage, ConnectionView, CreateConnectionDto, CreateMappingDto,
  MappingPage, MappingParams, MappingView, UpdateConnectionDto,
} from './dto/connection.dto';

@ApiTags('admin: connections')
@Controller('admin/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService, private readonly intake: IntakeService) {}

  @Post()
  @Access('connections:write')
  @ApiCreatedResponse({ type: ConnectionView })
  @ApiConflictResponse({ description: 'same (provider, externalId) exists' })
  create(@CurrentPrincipal() tenant: Tenant, @Body() dto: CreateConnectionDto): Promise<ConnectionView> {
    return this.connections.create(tenant, dto);
  }

  @Get()
  @Access('connections:read')
  @ApiOkResponse({ type: ConnectionPage })
  list(@CurrentPrincipal() tenant: Tenant, @Query() query: ConnectionListQuery): Promise<ConnectionPage> {
    return this.connections.list(tenant, query);
  }

  @Get(':id')
  @Access('connections:read')
  @ApiOkResponse({ type: ConnectionView })
  @ApiNotFoundResponse()
  get(@CurrentPrincipal() tenant: Tenant, @Param() { id }: ConnectionIdParam): Promise<ConnectionView> {
    return this.connections.get(tenant, id);
  }

  @Patch(':id')
  @Access('connections:write')
  @ApiOkResponse({ type: ConnectionView })
  @ApiNotFoundResponse()
  update(@CurrentPrincipal() tenant: Tenant, @Param() { id }: ConnectionIdParam, @Body() dto: UpdateConnectionDto): Promise<ConnectionView> {
    return this.connections.update(tenant, id, dto);
  }

  @Post(':id/resync')
  @Access('connections:write')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: WebhookAnswerView, description: 'a resync event was queued; follow it in /admin/events' })
  @ApiNotFoundResponse()
  async resync(@CurrentPrincipal() tenant: Tenant, @Param() { id }: ConnectionIdParam): Promise<WebhookAnswerView> {
    const connection = await this.connections.get(tenant, id);
    return this.intake.requestResync(connection.provider, connection.id);
  }

  @Post(':id/locations')
  @Access('connections:write')
  @ApiCreatedResponse({ type: MappingView })
  @ApiConflictResponse({ description: 'the location is mapped to another connection' })
  addMapping(@CurrentPrincipal() tenant: Tenant, @Param() { id }: ConnectionIdParam, @Body() dto: CreateMappingDto): Promise<MappingView> {
    return this.connections.addMapping(tenant, id, dto);
  }

  @Get(':id/locations')
  @Access('connections:read')
  @ApiOkResponse({ type: MappingPage })
  listMappings(@CurrentPrincipal() tenant: Tenant, @Param() { id }: ConnectionIdParam, @Query() query: PageQuery): Promise<MappingPage> {
    return this.connections.listMappings(tenant, id, query);
  }

  @Delete(':id/locations/:locationId')
  @Access('connections:write')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  removeMapping(@CurrentPrincipal() tenant: Tenant, @Param() { id, locationId }: MappingParams): Promise<void> {
    return this.connections.removeMapping(tenant, id, locationId);
  }
}
