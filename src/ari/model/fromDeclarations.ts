/**
 * Builds lcr's ARI model from Asterisk's Swagger 1.1 declarations (`rest-api/api-docs/*.json` of an
 * Asterisk source tree, or what a running Asterisk serves under /ari/api-docs). Keeps the facts of
 * the interface; descriptions, summaries and notes are left behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type {
  AriModel,
  AriOperationModel,
  AriParameterModel,
  AriParameterPlace,
  AriPropertyModel,
  AriResourceModel,
  AriTypeModel,
} from './format';

type Json = Record<string, unknown>;

export interface AriDeclarations {
  /** resources.json, which lists the resource documents in Asterisk's order. */
  listing: Json;
  /** Each resource document by its name (channels, bridges, ...). */
  documents: Map<string, Json>;
}

/**
 * Reads declarations from a folder: either one holding `resources.json` and `api-docs/`, or the
 * `api-docs` folder itself (resources.json then beside it, or the documents taken in name order).
 */
export function readDeclarations(folder: string): AriDeclarations {
  const docsDir = fs.existsSync(path.join(folder, 'api-docs')) ? path.join(folder, 'api-docs') : folder;
  const files = fs
    .readdirSync(docsDir)
    .filter((file) => file.endsWith('.json') && file !== 'resources.json')
    .sort();
  if (files.length === 0) throw new Error(`${docsDir}: no ARI declaration (*.json) found`);
  const documents = new Map<string, Json>();
  for (const file of files) documents.set(file.replace(/\.json$/, ''), readJson(path.join(docsDir, file)));
  const listingFile = [
    path.join(docsDir, 'resources.json'),
    path.join(path.dirname(docsDir), 'resources.json'),
  ].find((candidate) => fs.existsSync(candidate));
  const listing =
    listingFile === undefined
      ? { apiVersion: documents.values().next().value?.['apiVersion'], apis: files.map(listed) }
      : readJson(listingFile);
  return { listing, documents };
}

const listed = (file: string): Json => ({ path: `/api-docs/${file.replace(/\.json$/, '')}.{format}` });

function readJson(file: string): Json {
  const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!isObject(value)) throw new Error(`${file}: expected a JSON object`);
  return value;
}

export function modelFromDeclarations({ listing, documents }: AriDeclarations): AriModel {
  const order = array(listing['apis'], 'resources.json apis').map((entry) => {
    const match = /\/api-docs\/([^./]+)\./.exec(text(field(entry, 'path'), 'resources.json path'));
    if (match === null)
      throw new Error(`resources.json: unexpected api path ${String(field(entry, 'path'))}`);
    return match[1]!;
  });
  // Documents present but not listed (an older resources.json) still count, after the listed ones.
  for (const name of documents.keys()) if (!order.includes(name)) order.push(name);
  const resources: AriResourceModel[] = [];
  const types: Record<string, AriTypeModel> = {};
  let resourceApiVersion = '';
  for (const name of order) {
    const document = documents.get(name);
    if (document === undefined) throw new Error(`resources.json lists ${name}, but ${name}.json is missing`);
    resourceApiVersion ||= text(document['apiVersion'] ?? '', `${name}.json apiVersion`);
    const resource = resourceOf(name, document);
    for (const [typeName, declared] of Object.entries(
      object(document['models'] ?? {}, `${name}.json models`),
    )) {
      if (types[typeName] !== undefined) throw new Error(`${name}.json: model ${typeName} is declared twice`);
      types[typeName] = typeOf(typeName, declared, `${name}.json ${typeName}`);
      resource.types.push(typeName);
    }
    resources.push(resource);
  }
  return {
    apiVersion: text(listing['apiVersion'] ?? '', 'resources.json apiVersion'),
    resourceApiVersion,
    resources,
    types,
  };
}

function resourceOf(name: string, document: Json): AriResourceModel {
  const operations: AriOperationModel[] = [];
  for (const api of array(document['apis'], `${name}.json apis`)) {
    const apiPath = text(field(api, 'path'), `${name}.json path`);
    for (const operation of array(field(api, 'operations'), `${name}.json ${apiPath}`)) {
      operations.push(operationOf(apiPath, operation, `${name}.json ${apiPath}`));
    }
  }
  return {
    name,
    since: strings(document['since'] ?? []),
    requiresModules: strings(document['requiresModules'] ?? []),
    swaggerVersion: text(document['swaggerVersion'] ?? '1.1', `${name}.json swaggerVersion`),
    operations,
    types: [],
  };
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;

function operationOf(apiPath: string, value: unknown, where: string): AriOperationModel {
  const operation = object(value, where);
  const method = text(operation['httpMethod'], `${where} httpMethod`).toUpperCase();
  if (!(METHODS as readonly string[]).includes(method)) throw new Error(`${where}: unknown method ${method}`);
  const model: AriOperationModel = {
    name: text(operation['nickname'], `${where} nickname`),
    method: method as AriOperationModel['method'],
    path: apiPath,
    since: strings(operation['since'] ?? []),
    returns: text(operation['responseClass'] ?? 'void', `${where} responseClass`),
    parameters: array(operation['parameters'] ?? [], `${where} parameters`).map((parameter) =>
      parameterOf(parameter, `${where} ${method}`),
    ),
    errors: array(operation['errorResponses'] ?? [], `${where} errorResponses`).map((error) =>
      Number(field(error, 'code')),
    ),
  };
  if (operation['upgrade'] !== undefined) {
    model.upgrade = {
      to: 'websocket',
      protocol: text(operation['websocketProtocol'] ?? '', `${where} websocketProtocol`),
    };
  }
  return model;
}

const PLACES = ['path', 'query', 'body'] as const;

function parameterOf(value: unknown, where: string): AriParameterModel {
  const parameter = object(value, where);
  const name = text(parameter['name'], `${where} parameter name`);
  const place = text(parameter['paramType'], `${where} ${name} paramType`);
  if (!(PLACES as readonly string[]).includes(place))
    throw new Error(`${where} ${name}: unknown place ${place}`);
  const model: AriParameterModel = {
    name,
    in: place as AriParameterPlace,
    type: text(parameter['dataType'], `${where} ${name} dataType`),
    required: parameter['required'] === true,
    multiple: parameter['allowMultiple'] === true,
  };
  Object.assign(model, allowed(parameter['allowableValues'], `${where} ${name}`));
  const fallback = parameter['defaultValue'];
  if (typeof fallback === 'string' || typeof fallback === 'number' || typeof fallback === 'boolean') {
    model.default = fallback;
  }
  return model;
}

function typeOf(name: string, value: unknown, where: string): AriTypeModel {
  const declared = object(value, where);
  const properties: AriPropertyModel[] = Object.entries(object(declared['properties'] ?? {}, where)).map(
    ([propertyName, property]) => {
      const fields = object(property, `${where}.${propertyName}`);
      const model: AriPropertyModel = {
        name: propertyName,
        type: text(fields['type'], `${where}.${propertyName} type`),
        required: fields['required'] === true,
      };
      const values = allowed(fields['allowableValues'], `${where}.${propertyName}`).values;
      if (values !== undefined) model.values = values;
      return model;
    },
  );
  const model: AriTypeModel = { name, properties };
  if (declared['discriminator'] !== undefined) model.discriminator = text(declared['discriminator'], where);
  if (declared['subTypes'] !== undefined) model.subtypes = strings(declared['subTypes']);
  return model;
}

function allowed(
  value: unknown,
  where: string,
): { values?: string[]; range?: { min?: number; max?: number } } {
  if (value === undefined) return {};
  const declared = object(value, where);
  if (declared['valueType'] === 'LIST') return { values: strings(declared['values']) };
  if (declared['valueType'] === 'RANGE') {
    const range: { min?: number; max?: number } = {};
    if (typeof declared['min'] === 'number') range.min = declared['min'];
    if (typeof declared['max'] === 'number') range.max = declared['max'];
    return { range };
  }
  throw new Error(`${where}: unknown allowableValues ${String(declared['valueType'])}`);
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function object(value: unknown, where: string): Json {
  if (!isObject(value)) throw new Error(`${where}: expected an object`);
  return value;
}

function field(value: unknown, name: string): unknown {
  return isObject(value) ? value[name] : undefined;
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list`);
  return value;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where}: expected text`);
  return value;
}

function strings(value: unknown): string[] {
  return array(value, 'list of names').map((item) => text(item, 'name'));
}
