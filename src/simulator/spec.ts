/**
 * The official ARI declarations of Asterisk 22 (Swagger 1.1): served to clients the way Asterisk
 * serves them, and used to check every REST request the simulator receives.
 *
 * The declarations are not copied into this repository; they are read from `$LCR_ARI_DOCS` or from
 * `../shared/ari` beside the project (where the project's CI and developers have them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface SwaggerParameter {
  name: string;
  paramType: 'path' | 'query' | 'body';
  dataType: string;
  required?: boolean;
  allowMultiple?: boolean;
  allowableValues?:
    { valueType: 'LIST'; values: string[] } | { valueType: 'RANGE'; min?: number; max?: number };
}

interface SwaggerOperation {
  httpMethod: string;
  nickname: string;
  responseClass?: string;
  parameters?: SwaggerParameter[];
  errorResponses?: Array<{ code: number; reason: string }>;
}

interface SwaggerApi {
  path: string;
  operations: SwaggerOperation[];
}

export interface ApiDeclaration {
  basePath?: string;
  resourcePath: string;
  apis: SwaggerApi[];
  models: Record<string, { properties?: Record<string, unknown> }>;
}

export interface MatchedOperation {
  /** e.g. "channels.play" */
  name: string;
  resource: string;
  operation: SwaggerOperation;
  pathParams: Record<string, string>;
}

/** The parameters of a request once checked: strings as sent, numbers and booleans converted. */
export type RequestParams = Record<string, string | number | boolean | string[] | Record<string, unknown>>;

export type Validation =
  | { ok: true; match: MatchedOperation; params: RequestParams; unknown: string[]; missing: string[] }
  | { ok: false; status: number; message: string };

interface CompiledRoute {
  regex: RegExp;
  names: string[];
  resource: string;
  operations: Map<string, SwaggerOperation>;
}

export function findAriDocs(): string {
  const candidates = [
    process.env['LCR_ARI_DOCS'],
    path.resolve(__dirname, '../../../shared/ari'),
    path.resolve(__dirname, '../../../../shared/ari'),
    path.resolve(process.cwd(), '../shared/ari'),
  ].filter((candidate): candidate is string => candidate !== undefined);
  for (const candidate of candidates) {
    if (fs.existsSync(path.join(candidate, 'resources.json'))) return candidate;
  }
  throw new Error(
    `cannot find the ARI declarations (resources.json and api-docs/*.json of Asterisk 22): set LCR_ARI_DOCS to their folder (looked in ${candidates.join(', ')})`,
  );
}

export class AriSpec {
  readonly resources: Record<string, unknown>;
  readonly declarations = new Map<string, ApiDeclaration>();
  private readonly routes: CompiledRoute[] = [];
  readonly eventTypes: Set<string>;

  constructor(readonly docsDir: string = findAriDocs()) {
    this.resources = JSON.parse(fs.readFileSync(path.join(docsDir, 'resources.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    for (const file of fs.readdirSync(path.join(docsDir, 'api-docs'))) {
      if (!file.endsWith('.json')) continue;
      const declaration = JSON.parse(
        fs.readFileSync(path.join(docsDir, 'api-docs', file), 'utf8'),
      ) as ApiDeclaration;
      const resource = file.replace(/\.json$/, '');
      this.declarations.set(resource, declaration);
      for (const api of declaration.apis) {
        const names: string[] = [];
        const pattern = api.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
          names.push(name);
          return '([^/]+)';
        });
        this.routes.push({
          regex: new RegExp(`^${pattern}$`),
          names,
          resource,
          operations: new Map(api.operations.map((op) => [op.httpMethod.toUpperCase(), op])),
        });
      }
    }
    this.eventTypes = new Set(Object.keys(this.declarations.get('events')?.models ?? {}));
  }

  /** A declaration as Asterisk serves it: basePath rewritten from the request's Host header. */
  servedDocument(file: string, host: string | undefined): unknown | undefined {
    const source =
      file === 'resources.json' ? this.resources : this.declarations.get(file.replace(/\.json$/, ''));
    if (source === undefined) return undefined;
    const copy = { ...(source as Record<string, unknown>) };
    if ('basePath' in copy) {
      if (host === undefined) delete copy['basePath'];
      else copy['basePath'] = `http://${host}/ari`;
    }
    return copy;
  }

  /**
   * Checks a request against the declarations. Asterisk itself ignores parameters it does not
   * know; the simulator answers the same way but reports them, so tests can insist on none.
   */
  validate(
    method: string,
    ariPath: string,
    query: Record<string, string | string[]>,
    body: unknown,
  ): Validation {
    for (const route of this.routes) {
      const match = route.regex.exec(ariPath);
      if (match === null) continue;
      const operation = route.operations.get(method.toUpperCase());
      if (operation === undefined) return { ok: false, status: 405, message: 'Method Not Allowed' };
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, i) => (pathParams[name] = decodeURIComponent(match[i + 1]!)));
      return this.checkParameters(route.resource, operation, pathParams, query, body);
    }
    return { ok: false, status: 404, message: 'Resource not found' };
  }

  private checkParameters(
    resource: string,
    operation: SwaggerOperation,
    pathParams: Record<string, string>,
    query: Record<string, string | string[]>,
    body: unknown,
  ): Validation {
    const params: RequestParams = { ...pathParams };
    const declared = operation.parameters ?? [];
    const bodyObject =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : {};
    const known = new Set(declared.map((p) => p.name));
    known.add('api_key');
    const unknown = [...Object.keys(query), ...Object.keys(bodyObject)].filter((name) => !known.has(name));
    // Asterisk's generated handlers do not enforce `required`; each operation answers a missing
    // parameter its own way. The simulator lets its handler answer and reports the request.
    const missing: string[] = [];
    for (const parameter of declared) {
      if (parameter.paramType === 'path') continue;
      let raw: unknown;
      if (parameter.paramType === 'body') {
        // Asterisk (and ari-client) wrap a body parameter in an object under its own name: {"variables": {...}}.
        raw = bodyObject[parameter.name];
        if (raw !== undefined) params[parameter.name] = raw as Record<string, unknown>;
      } else {
        raw = query[parameter.name] ?? bodyObject[parameter.name];
        if (raw === undefined) {
          if (parameter.required) missing.push(parameter.name);
          continue;
        }
        const converted = convert(parameter, raw);
        if (typeof converted === 'object' && converted !== null && 'error' in converted) {
          return { ok: false, status: 400, message: converted.error };
        }
        params[parameter.name] = converted as string | number | boolean | string[];
      }
    }
    return {
      ok: true,
      match: { name: `${resource}.${operation.nickname}`, resource, operation, pathParams },
      params,
      unknown,
      missing,
    };
  }
}

function convert(
  parameter: SwaggerParameter,
  raw: unknown,
): string | number | boolean | string[] | { error: string } {
  const values = Array.isArray(raw)
    ? raw.map(String)
    : String(raw).split(parameter.allowMultiple ? ',' : '\u0000');
  const one = values.join(',');
  const check = (value: string): string | undefined => {
    const allowed = parameter.allowableValues;
    if (allowed?.valueType === 'LIST' && !allowed.values.includes(value)) {
      return `${parameter.name}: "${value}" is not one of ${allowed.values.join(', ')}`;
    }
    return undefined;
  };
  switch (parameter.dataType) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(one)) return { error: `${parameter.name}: expected an integer, got "${one}"` };
      const number = Number(one);
      const allowed = parameter.allowableValues;
      if (
        allowed?.valueType === 'RANGE' &&
        ((allowed.min !== undefined && number < allowed.min) ||
          (allowed.max !== undefined && number > allowed.max))
      ) {
        return { error: `${parameter.name}: ${number} is out of range` };
      }
      return number;
    }
    case 'boolean':
      if (!['true', 'false'].includes(one))
        return { error: `${parameter.name}: expected true or false, got "${one}"` };
      return one === 'true';
    default: {
      for (const value of values) {
        const problem = check(value);
        if (problem !== undefined) return { error: problem };
      }
      return parameter.allowMultiple ? values : one;
    }
  }
}
