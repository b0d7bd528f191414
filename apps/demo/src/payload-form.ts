import type { JobTypeInfo } from '@jobcast/contracts';

/** The part of a JSON Schema property a form field can express. */
interface PropertySchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
}

/** How a field's text becomes a payload value. */
type FieldKind = 'number' | 'boolean' | 'string' | 'json';

const INPUT_TYPE_OF_FORMAT: Record<string, string> = { uri: 'url', email: 'email', date: 'date' };

/**
 * One fieldset per registered job type, built from its payload JSON Schema as `GET /job-types` lists it: a
 * field per property with the schema's constraints (type, bounds, length, pattern, enum, default,
 * required), so the browser checks what it can before the gateway does. Arrays and objects take JSON.
 */
export function payloadFieldset(type: JobTypeInfo): HTMLFieldSetElement {
  const fieldset = document.createElement('fieldset');
  fieldset.className = 'payload';
  fieldset.dataset.jobType = type.name;
  const legend = document.createElement('legend');
  legend.textContent = `Payload: ${type.description}`;
  fieldset.append(legend);
  const properties = (type.payloadSchema.properties ?? {}) as Record<string, PropertySchema>;
  const required = new Set((type.payloadSchema.required ?? []) as string[]);
  for (const [name, property] of Object.entries(properties)) {
    fieldset.append(...field(type.name, name, property, required.has(name)));
  }
  if (Object.keys(properties).length === 0) {
    const none = document.createElement('p');
    none.className = 'subtle';
    none.textContent = 'No payload.';
    fieldset.append(none);
  }
  return fieldset;
}

/** The payload the fieldset's fields hold; an empty optional field is left out. Throws on bad JSON. */
export function readPayload(fieldset: HTMLFieldSetElement): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const control of fieldset.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-kind]')) {
    const kind = control.dataset.kind as FieldKind;
    if (control instanceof HTMLInputElement && control.type === 'checkbox') {
      if (control.checked || control.required) payload[control.name] = control.checked;
    } else if (control.value !== '') {
      payload[control.name] = valueOf(kind, control.value, control.name);
    }
  }
  return payload;
}

function valueOf(kind: FieldKind, text: string, name: string): unknown {
  if (kind === 'number') return Number(text);
  if (kind !== 'json') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${name}: not valid JSON`);
  }
}

function field(typeName: string, name: string, property: PropertySchema, required: boolean): HTMLElement[] {
  const id = `payload-${typeName}-${name}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const kind = kindOf(property);
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = name;
  if (!required) label.append(' ', subtle('(optional)'));
  if (property.description) label.title = property.description;
  const control = kind === 'string' && property.enum ? select(property.enum) : input(kind, property);
  control.id = id;
  control.name = name;
  control.required = required;
  control.dataset.kind = kind;
  control.dataset.testid = `payload-${name}`;
  if (property.default !== undefined) setDefault(control, kind, property.default);
  if (control instanceof HTMLInputElement && control.type === 'checkbox') {
    const wrapper = document.createElement('label');
    wrapper.className = 'check';
    wrapper.append(control, ` ${name}`);
    if (property.description) wrapper.title = property.description;
    return [wrapper];
  }
  return [label, control];
}

function kindOf(property: PropertySchema): FieldKind {
  const type = Array.isArray(property.type) ? property.type.find((t) => t !== 'null') : property.type;
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'boolean') return 'boolean';
  if (type === 'string' || (property.enum?.every((value) => typeof value === 'string') ?? false)) return 'string';
  return 'json';
}

function input(kind: FieldKind, property: PropertySchema): HTMLInputElement {
  const element = document.createElement('input');
  if (kind === 'boolean') {
    element.type = 'checkbox';
    return element;
  }
  if (kind === 'number') {
    element.type = 'number';
    const type = Array.isArray(property.type) ? property.type : [property.type];
    element.step = type.includes('integer') ? '1' : 'any';
    const min = property.minimum ?? property.exclusiveMinimum;
    const max = property.maximum ?? property.exclusiveMaximum;
    // zod writes an unbounded integer's range as ±MAX_SAFE_INTEGER: no bound a person needs to see.
    if (min !== undefined && Math.abs(min) < Number.MAX_SAFE_INTEGER) element.min = String(min);
    if (max !== undefined && Math.abs(max) < Number.MAX_SAFE_INTEGER) element.max = String(max);
    return element;
  }
  if (kind === 'json') {
    element.placeholder = 'JSON';
    return element;
  }
  element.type = INPUT_TYPE_OF_FORMAT[property.format ?? ''] ?? 'text';
  if (property.minLength !== undefined) element.minLength = property.minLength;
  if (property.maxLength !== undefined) element.maxLength = property.maxLength;
  if (property.pattern !== undefined) element.pattern = property.pattern;
  return element;
}

function select(options: unknown[]): HTMLSelectElement {
  const element = document.createElement('select');
  for (const value of options) element.append(new Option(String(value), String(value)));
  return element;
}

function setDefault(control: HTMLInputElement | HTMLSelectElement, kind: FieldKind, value: unknown): void {
  if (control instanceof HTMLInputElement && control.type === 'checkbox') control.checked = value === true;
  else control.value = kind === 'json' ? JSON.stringify(value) : String(value);
}

function subtle(text: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = 'subtle';
  span.textContent = text;
  return span;
}
