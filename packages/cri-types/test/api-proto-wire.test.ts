// Our api.proto against upstream's wire contract (kubernetes/cri-api's api.proto, summarised in
// upstream-wire.json: every service method, message field number and type, enum value). The
// proto is read with protobufjs's dynamic descriptors, so the check does not trust our generator.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';

interface Wire {
  services: Record<string, Record<string, string>>;
  messages: Record<string, Record<string, string>>;
  enums: Record<string, Record<string, number>>;
}

const upstream = JSON.parse(readFileSync(fileURLToPath(new URL('./upstream-wire.json', import.meta.url)), 'utf8')) as Wire;
const root = new protobuf.Root().loadSync(fileURLToPath(new URL('../proto/runtime/v1/api.proto', import.meta.url)), { keepCase: true }).resolveAll();
const name = (t: protobuf.ReflectionObject): string => t.fullName.replace(/^\./, '');

function collect(ns: protobuf.NamespaceBase, into: { types: protobuf.Type[]; enums: protobuf.Enum[]; services: protobuf.Service[] }): typeof into {
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) into.types.push(nested);
    else if (nested instanceof protobuf.Enum) into.enums.push(nested);
    else if (nested instanceof protobuf.Service) into.services.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) collect(nested, into);
  }
  return into;
}

const ours = collect(root, { types: [], enums: [], services: [] });

function fieldText(field: protobuf.Field): string {
  const type = field.resolvedType === null ? field.type : name(field.resolvedType);
  if (field instanceof protobuf.MapField) return `${field.id} map<${field.keyType},${type}>`;
  return `${field.id} ${field.repeated ? 'repeated ' : ''}${type}`;
}

describe('api.proto matches upstream CRI v1 on the wire', () => {
  it('has every service method with its request and response (and streaming)', () => {
    const services = Object.fromEntries(ours.services.map((s) => [
      name(s),
      Object.fromEntries(s.methodsArray.map((m) => [m.name, `${name(m.resolvedRequestType as protobuf.Type)} -> ${m.responseStream ? 'stream ' : ''}${name(m.resolvedResponseType as protobuf.Type)}`])),
    ]));
    expect(services).toEqual(upstream.services);
  });

  it('has every message with the same field names, numbers and types', () => {
    const messages = Object.fromEntries(ours.types.map((t) => [name(t), Object.fromEntries(t.fieldsArray.map((f) => [f.name, fieldText(f)]))]));
    expect(Object.keys(messages).sort()).toEqual(Object.keys(upstream.messages).sort());
    for (const [message, fields] of Object.entries(upstream.messages)) expect({ [message]: messages[message] }).toEqual({ [message]: fields });
  });

  it('has every enum with the same values', () => {
    expect(Object.fromEntries(ours.enums.map((e) => [name(e), e.values]))).toEqual(upstream.enums);
  });
});
