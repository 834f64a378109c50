import { ImgscanError } from '../../errors.js';

export type ReportFormat = 'md' | 'html' | 'csv' | 'json';
export const reportFormats: readonly ReportFormat[] = ['md', 'html', 'csv', 'json'];

/** "md,html,csv,json" to the report formats, each known. */
export function parseFormats(text: string): ReportFormat[] {
  const items = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const i of items) if (!reportFormats.includes(i as ReportFormat)) throw new ImgscanError('USAGE', `unknown report format ${JSON.stringify(i)}; use ${reportFormats.join(', ')}`);
  if (items.length === 0) throw new ImgscanError('USAGE', `give at least one report format: ${reportFormats.join(', ')}`);
  return [...new Set(items)] as ReportFormat[];
}
