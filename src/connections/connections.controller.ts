import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth.guard';
import { PageQuery } from '../common/pagination';
import { WebhookAnswerView } from '../ingestion/dto/event.dto';
import { IntakeService } from '../ingestion/intake.service';
import { ConnectionsService } from './connections.service';
import {
  ConnectionIdParam, ConnectionListQuery, ConnectionPage, ConnectionView, CreateConnectionDto, CreateMappingDto,
  MappingPage, MappingParams, MappingView, UpdateConnectionDto,
} from './dto/connection.dto';

@ApiTags('admin: connections')
@Access('admin')
@Controller('admin/connections')
export class ConnectionsController {
  constructor(private readonly connections: ConnectionsService, private readonly intake: IntakeService) {}

  @Post()
  @ApiCreatedResponse({ type: ConnectionView })
  @ApiConflictResponse({ description: 'same (provider, externalId) exists' })
  create(@Body() dto: CreateConnectionDto): Promise<ConnectionView> {
    return this.connections.create(dto);
  }

  @Get()
  @ApiOkResponse({ type: ConnectionPage })
  list(@Query() query: ConnectionListQuery): Promise<ConnectionPage> {
    return this.connections.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: ConnectionView })
  @ApiNotFoundResponse()
  get(@Param() { id }: ConnectionIdParam): Promise<ConnectionView> {
    return this.connections.get(id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: ConnectionView })
  @ApiNotFoundResponse()
  update(@Param() { id }: ConnectionIdParam, @Body() dto: UpdateConnectionDto): Promise<ConnectionView> {
    return this.connections.update(id, dto);
  }

  @Post(':id/resync')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: WebhookAnswerView, description: 'a resync event was queued; follow it in /admin/events' })
  @ApiNotFoundResponse()
  async resync(@Param() { id }: ConnectionIdParam): Promise<WebhookAnswerView> {
    const connection = await this.connections.get(id);
    return this.intake.requestResync(connection.provider, connection.id);
  }

  @Post(':id/locations')
  @ApiCreatedResponse({ type: MappingView })
  @ApiConflictResponse({ description: 'the location is mapped to another connection' })
  addMapping(@Param() { id }: ConnectionIdParam, @Body() dto: CreateMappingDto): Promise<MappingView> {
    return this.connections.addMapping(id, dto);
  }

  @Get(':id/locations')
  @ApiOkResponse({ type: MappingPage })
  listMappings(@Param() { id }: ConnectionIdParam, @Query() query: PageQuery): Promise<MappingPage> {
    return this.connections.listMappings(id, query);
  }

  @Delete(':id/locations/:locationId')
  @HttpCode(204)
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  removeMapping(@Param() { id, locationId }: MappingParams): Promise<void> {
    return this.connections.removeMapping(id, locationId);
  }
}
