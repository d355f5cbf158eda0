/**
 * A kind is declared once: its names, its schema (type, defaults and validation in one zod
 * object), its CLI columns and the foreign dialects converted into it. Everything else (the
 * store, the API routes, OpenAPI, the CLI) reads these declarations.
 */
import { z } from 'zod';
import type { KubeObject } from './meta.js';

/** A column of `capstan get` output, computed from the object. */
export interface KindColumn {
  name: string;
  value: (obj: KubeObject) => string;
  /** Shown only with `-o wide`. */
  wide?: boolean;
}

/** A foreign manifest (KServe, Kubeflow, Kueue, Kubernetes) converted into a Capstan kind. */
export interface KindConversion {
  apiVersion: string;
  kind: string;
  /** Returns the Capstan object, or throws an ApiError naming any unsupported field. */
  convert: (obj: Record<string, unknown>) => Record<string, unknown>;
}

/** What a kind module declares. */
export interface KindDefinition<Body extends z.ZodObject = z.ZodObject> {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  namespaced: boolean;
  /** Top-level fields besides apiVersion/kind/metadata: usually `{spec, status}`. */
  body: Body;
  /** Schema of `status`, validated on writes to the /status subresource. Absent: no status subresource. */
  status?: z.ZodType;
  columns?: KindColumn[];
  conversions?: KindConversion[];
  /** Finalizers the server adds to every new object of this kind. */
  defaultFinalizers?: string[];
  /** A short description for OpenAPI and `capstan explain`. */
  description: string;
}

/** A declared kind with derived names. */
export interface Kind<Body extends z.ZodObject = z.ZodObject> extends KindDefinition<Body> {
  apiVersion: string;
  /** Key used by the store: `group/plural`. */
  resource: string;
}

/** Declares a kind; the returned value is what the registry takes. */
export function defineKind<Body extends z.ZodObject>(def: KindDefinition<Body>): Kind<Body> {
  return { ...def, apiVersion: `${def.group}/${def.version}`, resource: `${def.group}/${def.plural}` };
}

/** The group every Capstan kind lives in. */
export const CAPSTAN_GROUP = 'capstan.dev';
/** The version every Capstan kind is served at. */
export const CAPSTAN_VERSION = 'v1alpha1';
