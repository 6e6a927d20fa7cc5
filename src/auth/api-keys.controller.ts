import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PageQuery } from '../common/pagination';
import { Access } from './access.decorator';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyIdParam, ApiKeyPage, CreateApiKeyDto, CreatedApiKeyView } from './dto/api-key.dto';

@ApiTags('admin: API keys')
@Access('admin')
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  create(@Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    return this.keys.create(dto);
  }

  @Get()
  @ApiOkResponse({ type: ApiKeyPage })
  list(@Query() query: PageQuery): Promise<ApiKeyPage> {
    return this.keys.list(query);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'revoked: the key gets 401 from now on (other processes within 5 s)' })
  @ApiNotFoundResponse()
  revoke(@Param() { id }: ApiKeyIdParam): Promise<void> {
    return this.keys.revoke(id);
  }
}
