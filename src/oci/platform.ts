import { ImgscanError } from '../errors.js';
import { isAttestation } from './artifact.js';
import type { Descriptor, Platform } from './types.js';

/** Platforms of multi-platform images: parsing selectors, matching and choosing index entries. */

/**
 * Platforms to take from an index: "default" (linux/amd64 when the index has it, else all), "all", or
 * selectors "os/arch[/variant]" (a selector without a variant matches every variant).
 */
export type PlatformSelection = 'default' | 'all' | string | string[];

/** Parses "os/arch[/variant]". */
export function parsePlatform(selector: string): Platform {
  const parts = selector.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
    throw new ImgscanError('USAGE', `bad platform "${selector}": expected os/arch[/variant], e.g. linux/arm64/v8`);
  }
  return { os: parts[0], architecture: parts[1], ...(parts[2] ? { variant: parts[2] } : {}) };
}

export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

export function platformMatches(p: Platform | undefined, want: Platform): boolean {
  if (!p) return false;
  if (p.os !== want.os || p.architecture !== want.architecture) return false;
  return want.variant === undefined || (p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined)) === want.variant;
}

/** The index entries a selection takes, in index order. */
export function selectPlatforms(entries: Descriptor[], selection: PlatformSelection): Descriptor[] {
  const images = entries.filter((d) => !isAttestation(d));
  if (selection === 'all') return images;
  if (selection === 'default') {
    const amd64 = images.filter((d) => platformMatches(d.platform, { os: 'linux', architecture: 'amd64' }));
    return amd64.length > 0 ? amd64.slice(0, 1) : images;
  }
  const wanted = (Array.isArray(selection) ? selection : [selection]).map(parsePlatform);
  return images.filter((d) => wanted.some((w) => platformMatches(d.platform, w)));
}

/** True when a single-platform image (no index) fits the selection. */
export function platformSelected(p: Platform, selection: PlatformSelection): boolean {
  if (selection === 'all' || selection === 'default') return true;
  return (Array.isArray(selection) ? selection : [selection]).map(parsePlatform).some((w) => platformMatches(p, w));
}
