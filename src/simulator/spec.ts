/**
 * The simulator's ARI contract: lcr's generated model of Asterisk 22's declarations
 * (src/ari/model/asterisk22.gen.ts), served to clients as Swagger 1.1 documents the way Asterisk
 * serves /ari/api-docs, and used to check every REST request the simulator receives.
 *
 * `$LCR_ARI_DOCS` may name a folder of another Asterisk's declarations to check against instead.
 */
import * as http from 'node:http';
import { ASTERISK_22_ARI } from '../ari/model/asterisk22.gen';
import type { AriModel, AriOperationModel, AriParameterModel, AriPropertyModel } from '../ari/model/format';
import { modelFromDeclarations, readDeclarations } from '../ari/model/fromDeclarations';

export interface MatchedOperation {
  /** e.g. "channels.play" */
  name: string;
  resource: string;
  operation: AriOperationModel;
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
  operations: Map<string, AriOperationModel>;
}

type Json = Record<string, unknown>;

/** The model the simulator enforces: the committed one, or one read from `$LCR_ARI_DOCS`. */
export function defaultAriModel(): AriModel {
  const override = process.env['LCR_ARI_DOCS'];
  return override === undefined || override === ''
    ? ASTERISK_22_ARI
    : modelFromDeclarations(readDeclarations(override));
}

/** The model of an Asterisk before REST over WebSocket: the same, without its message types. */
export function withoutRestOverWebSocket(model: AriModel): AriModel {
  const gone = (name: string): boolean => name.startsWith('REST');
  const types = Object.fromEntries(
    Object.entries(model.types)
      .filter(([name]) => !gone(name))
      .map(([name, type]) => [
        name,
        type.subtypes === undefined ? type : { ...type, subtypes: type.subtypes.filter((t) => !gone(t)) },
      ]),
  );
  return {
    ...model,
    types,
    resources: model.resources.map((r) => ({ ...r, types: r.types.filter((t) => !gone(t)) })),
  };
}

export class AriSpec {
  private readonly documents = new Map<string, Json>();
  private readonly routes: CompiledRoute[] = [];
  readonly eventTypes: Set<string>;

  constructor(readonly model: AriModel = defaultAriModel()) {
    for (const resource of model.resources) {
      this.documents.set(resource.name, swaggerDocument(model, resource.name));
      const byPath = new Map<string, AriOperationModel[]>();
      for (const operation of resource.operations) {
        byPath.set(operation.path, [...(byPath.get(operation.path) ?? []), operation]);
      }
      for (const [apiPath, operations] of byPath) {
        const names: string[] = [];
        const pattern = apiPath.replace(/\{([^}]+)\}/g, (_m, name: string) => {
          names.push(name);
          return '([^/]+)';
        });
        this.routes.push({
          regex: new RegExp(`^${pattern}$`),
          names,
          resource: resource.name,
          operations: new Map(operations.map((operation) => [operation.method, operation])),
        });
      }
    }
    const events = model.resources.find((resource) => resource.name === 'events');
    this.eventTypes = new Set(events?.types ?? []);
  }

  /**
   * What is wrong with an event the simulator is about to send, by the model: an unknown type,
   * a required field missing, a field not declared, or a value of the wrong type.
   */
  checkEvent(event: Json): string[] {
    const type = typeof event['type'] === 'string' ? this.model.types[event['type']] : undefined;
    if (type === undefined || !this.eventTypes.has(type.name))
      return [`unknown event type ${String(event['type'])}`];
    return this.checkValue(event, type.name, type.name);
  }

  private checkValue(value: unknown, typeName: string, where: string): string[] {
    const list = /^List\[(.+)\]$/.exec(typeName);
    if (list !== null) {
      if (!Array.isArray(value)) return [`${where}: expected a list`];
      return value.flatMap((item, i) => this.checkValue(item, list[1]!, `${where}[${i}]`));
    }
    const scalar = SCALAR_CHECKS[typeName];
    if (scalar !== undefined)
      return scalar(value) ? [] : [`${where}: expected ${typeName}, got ${JSON.stringify(value)}`];
    const properties = this.propertiesOf(typeName);
    if (properties === undefined) return [];
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return [`${where}: expected ${typeName}`];
    const record = value as Json;
    const problems: string[] = [];
    for (const property of properties.values()) {
      const field = record[property.name];
      if (field === undefined) {
        if (property.required) problems.push(`${where}.${property.name}: required field missing`);
        continue;
      }
      problems.push(...this.checkValue(field, property.type, `${where}.${property.name}`));
      if (property.values !== undefined && !property.values.includes(String(field)))
        problems.push(
          `${where}.${property.name}: "${String(field)}" is not one of ${property.values.join(', ')}`,
        );
    }
    for (const name of Object.keys(record)) {
      if (!properties.has(name)) problems.push(`${where}.${name}: not declared`);
    }
    return problems;
  }

  private readonly propertyCache = new Map<string, Map<string, AriPropertyModel>>();

  /** A type's fields with those of the types it derives from. */
  private propertiesOf(typeName: string): Map<string, AriPropertyModel> | undefined {
    const cached = this.propertyCache.get(typeName);
    if (cached !== undefined) return cached;
    const type = this.model.types[typeName];
    if (type === undefined) return undefined;
    const parent = Object.values(this.model.types).find((candidate) =>
      candidate.subtypes?.includes(typeName),
    );
    const properties = new Map(parent === undefined ? [] : this.propertiesOf(parent.name));
    for (const property of type.properties) properties.set(property.name, property);
    this.propertyCache.set(typeName, properties);
    return properties;
  }

  /** A declaration as Asterisk serves it: basePath from the request's Host header. */
  servedDocument(file: string, host: string | undefined): unknown | undefined {
    if (file === 'resources.json') return withBasePath(resourceListing(this.model), host);
    const document = this.documents.get(file.replace(/\.json$/, ''));
    return document === undefined ? undefined : withBasePath(document, host);
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
    operation: AriOperationModel,
    pathParams: Record<string, string>,
    query: Record<string, string | string[]>,
    body: unknown,
  ): Validation {
    const params: RequestParams = { ...pathParams };
    const declared = operation.parameters;
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
      if (parameter.in === 'path') continue;
      let raw: unknown;
      if (parameter.in === 'body') {
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
      match: { name: `${resource}.${operation.name}`, resource, operation, pathParams },
      params,
      unknown,
      missing,
    };
  }
}

function convert(
  parameter: AriParameterModel,
  raw: unknown,
): string | number | boolean | string[] | { error: string } {
  const values = Array.isArray(raw)
    ? raw.map(String)
    : String(raw).split(parameter.multiple ? ',' : '\u0000');
  const one = values.join(',');
  const check = (value: string): string | undefined => {
    if (parameter.values !== undefined && !parameter.values.includes(value)) {
      return `${parameter.name}: "${value}" is not one of ${parameter.values.join(', ')}`;
    }
    return undefined;
  };
  switch (parameter.type) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(one)) return { error: `${parameter.name}: expected an integer, got "${one}"` };
      const number = Number(one);
      const range = parameter.range;
      if (
        range !== undefined &&
        ((range.min !== undefined && number < range.min) || (range.max !== undefined && number > range.max))
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
      return parameter.multiple ? values : one;
    }
  }
}

const SCALAR_CHECKS: Record<string, (value: unknown) => boolean> = {
  string: (value) => typeof value === 'string',
  Date: (value) =>
    typeof value === 'string' && !Number.isNaN(Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))),
  int: Number.isInteger,
  long: Number.isInteger,
  double: (value) => typeof value === 'number',
  float: (value) => typeof value === 'number',
  boolean: (value) => typeof value === 'boolean',
  object: (value) => value !== null && typeof value === 'object',
};

function withBasePath(document: Json, host: string | undefined): Json {
  const copy = { ...document };
  if (host === undefined) delete copy['basePath'];
  else copy['basePath'] = `http://${host}/ari`;
  return copy;
}

/** resources.json: the list of resource documents. */
export function resourceListing(model: AriModel): Json {
  return {
    apiVersion: model.apiVersion,
    swaggerVersion: '1.1',
    basePath: '',
    apis: model.resources.map((resource) => ({ path: `/api-docs/${resource.name}.{format}` })),
  };
}

/** One resource's Swagger 1.1 document, rebuilt from the model's facts (no prose). */
export function swaggerDocument(model: AriModel, name: string): Json {
  const resource = model.resources.find((candidate) => candidate.name === name);
  if (resource === undefined) throw new Error(`no ARI resource ${name}`);
  const apis: Json[] = [];
  for (const operation of resource.operations) {
    let api = apis.find((candidate) => candidate['path'] === operation.path);
    if (api === undefined) apis.push((api = { path: operation.path, operations: [] }));
    (api['operations'] as Json[]).push(swaggerOperation(operation));
  }
  const models: Json = {};
  for (const typeName of resource.types) {
    const type = model.types[typeName]!;
    const properties: Json = {};
    for (const property of type.properties) {
      properties[property.name] = {
        type: property.type,
        required: property.required,
        ...(property.values === undefined
          ? {}
          : { allowableValues: { valueType: 'LIST', values: property.values } }),
      };
    }
    models[typeName] = {
      id: typeName,
      ...(type.discriminator === undefined ? {} : { discriminator: type.discriminator }),
      properties,
      ...(type.subtypes === undefined ? {} : { subTypes: type.subtypes }),
    };
  }
  return {
    apiVersion: model.resourceApiVersion,
    swaggerVersion: resource.swaggerVersion,
    basePath: '',
    resourcePath: `/api-docs/${resource.name}.{format}`,
    since: resource.since,
    ...(resource.requiresModules.length === 0 ? {} : { requiresModules: resource.requiresModules }),
    apis,
    models,
  };
}

function swaggerOperation(operation: AriOperationModel): Json {
  return {
    httpMethod: operation.method,
    since: operation.since,
    ...(operation.upgrade === undefined
      ? {}
      : { upgrade: operation.upgrade.to, websocketProtocol: operation.upgrade.protocol }),
    nickname: operation.name,
    responseClass: operation.returns,
    parameters: operation.parameters.map((parameter) => ({
      name: parameter.name,
      paramType: parameter.in,
      required: parameter.required,
      allowMultiple: parameter.multiple,
      dataType: parameter.type,
      ...(parameter.default === undefined ? {} : { defaultValue: parameter.default }),
      ...(parameter.values === undefined
        ? {}
        : { allowableValues: { valueType: 'LIST', values: parameter.values } }),
      ...(parameter.range === undefined
        ? {}
        : { allowableValues: { valueType: 'RANGE', ...parameter.range } }),
    })),
    // Reasons are Asterisk's prose; the status's standard phrase stands in for them.
    errorResponses: operation.errors.map((code) => ({ code, reason: http.STATUS_CODES[code] ?? 'Error' })),
  };
}
