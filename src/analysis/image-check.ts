import { ImgscanError } from '../errors.js';
import { checkDataDirs } from './analyze.js';
import { AnalysisDb } from './db.js';
import { fraction } from './figures.js';
import { imageRefCondition } from './image-ref.js';
import { imageWaste } from './images.js';
import type { ImageWaste } from './types.js';

/** CI thresholds (dive's CI mode, content-based as well as path-based); an image fails when any is crossed. */
export interface Thresholds {
  /** image_efficiency must be at least this (dive: lowestEfficiency). */
  min_image_efficiency?: number;
  /** path_waste at most this many bytes (dive: highestWastedBytes). */
  max_path_waste?: number;
  /** path_waste / files_size at most this. */
  max_path_waste_fraction?: number;
  max_content_waste?: number;
  max_content_waste_fraction?: number;
  /** The image's manifest lists at most this many layers (layer_refs). */
  max_layers?: number;
}

export interface GateCheck {
  rule: keyof Thresholds;
  limit: number;
  value: number;
  passed: boolean;
}

export interface WastedPath {
  path: string;
  wasted: number;
  reason: string;
}

export interface ImageCheckResult extends ImageWaste {
  os: string | null;
  architecture: string | null;
  content_waste_fraction: number;
  path_waste_fraction: number;
  /** The paths behind path_waste, most wasted bytes first. */
  wasted_paths: WastedPath[];
  checks: GateCheck[];
  passed: boolean;
}

export interface ImageCheck {
  ref: string;
  images: ImageCheckResult[];
  /** True when every image passed every threshold (and trivially without thresholds). */
  passed: boolean;
}

export interface ImageCheckOptions {
  dataDirs: string[];
  ref: string;
  thresholds?: Thresholds;
  /** Wasted paths listed per image. */
  top?: number;
}

/** `imgscan analyze --image REF`: one image's (or one index's images') efficiency and waste, against the thresholds. */
export async function checkImage(options: ImageCheckOptions): Promise<ImageCheck> {
  checkDataDirs(options.dataDirs);
  let found: { manifest_digest: string; os: string | null; architecture: string | null }[] = [];
  const a = await AnalysisDb.open(options.dataDirs, async (db) => {
    found = await db.query('image_lookup', { where: imageRefCondition(options.ref) });
    return found.map((f) => f.manifest_digest);
  });
  try {
    if (found.length === 0) throw new ImgscanError('NOT_FOUND', `no image in the dataset matches ${JSON.stringify(options.ref)}`);
    const rows = await imageWaste(a);
    const paths = await a.query<WastedPath & { manifest_digest: string }>('image_paths', { top: options.top ?? 10 });
    const images = rows.map((w) => {
      const meta = found.find((f) => f.manifest_digest === w.manifest_digest)!;
      const result = {
        ...w,
        os: meta.os,
        architecture: meta.architecture,
        content_waste_fraction: fraction(w.content_waste, w.files_size),
        path_waste_fraction: fraction(w.path_waste, w.files_size),
        wasted_paths: paths.filter((p) => p.manifest_digest === w.manifest_digest).map(({ path, wasted, reason }) => ({ path, wasted, reason })),
      };
      const checks = gateChecks(result, options.thresholds ?? {});
      return { ...result, checks, passed: checks.every((c) => c.passed) };
    });
    return { ref: options.ref, images, passed: images.every((i) => i.passed) };
  } finally {
    await a.close();
  }
}

/** Each threshold given, checked against one image. */
export function gateChecks(w: Pick<ImageCheckResult, 'layer_refs' | 'image_efficiency' | 'path_waste' | 'path_waste_fraction' | 'content_waste' | 'content_waste_fraction'>, t: Thresholds): GateCheck[] {
  const checks: GateCheck[] = [];
  const atMost = (rule: keyof Thresholds, value: number) => {
    const limit = t[rule];
    if (limit !== undefined) checks.push({ rule, limit, value, passed: value <= limit });
  };
  if (t.min_image_efficiency !== undefined) checks.push({ rule: 'min_image_efficiency', limit: t.min_image_efficiency, value: w.image_efficiency, passed: w.image_efficiency >= t.min_image_efficiency });
  atMost('max_path_waste', w.path_waste);
  atMost('max_path_waste_fraction', w.path_waste_fraction);
  atMost('max_content_waste', w.content_waste);
  atMost('max_content_waste_fraction', w.content_waste_fraction);
  atMost('max_layers', w.layer_refs);
  return checks;
}
