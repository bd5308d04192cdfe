import { z } from 'zod';
import { configSchema } from '../../config/schema';
import type { CliIo } from '../io';

/** JSON Schema of the YAML file, for editors (e.g. the YAML language server's `# yaml-language-server: $schema=`). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-7' });
  return { ...schema, title: 'lcr routing configuration', $id: 'https://lcr.local/schema/routes.json' };
}

export function schemaCommand(io: CliIo): void {
  io.out(JSON.stringify(configJsonSchema(), null, 2));
}
