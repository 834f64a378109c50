import type { PublishedFigure, Summary } from './types.js';

/**
 * Section 7: the published Docker Hub figures of docs/metrics.md beside ours. Only figures defined the
 * same way are compared; each names its source.
 */
/**
 * Below this many repositories a dataset is too small to set beside Docker Hub: every figure of the comparison
 * (distinct files, file dedup) is driven by the content repositories share, and a handful of them says more
 * about which images were picked than about a registry. The study's sample held hundreds of thousands; at 100,
 * one repository more or less moves a share by about 1%.
 */
export const comparableRepositories = 100;

export function dockerHubFigures(s: Omit<Summary, 'docker_hub'>): PublishedFigure[] {
  const elf = s.file.by_class.find((c) => c.file_class === 'elf');
  const allRatio = s.layer.compression_ratio.find((c) => c.compression === 'all');
  return [
    {
      figure: 'distinct_file_fraction',
      ours: s.file.files_total > 0 ? s.file.distinct_file_fraction : null,
      docker_hub: 0.03,
      source: 'Zhao et al., Large-Scale Analysis of the Docker Hub Dataset (CLUSTER 2019), abstract: only 3% of files are unique',
    },
    {
      figure: 'file_dedup_ratio',
      ours: s.file.files_total > 0 ? s.file.file_dedup_ratio : null,
      docker_hub: 6.9,
      source: 'DupHunter (USENIX ATC 2020), abstract: up to 6.9x storage reduction on Docker Hub layers',
    },
    {
      figure: 'compression_ratio (median)',
      ours: allRatio?.median ?? null,
      docker_hub: 2.6,
      source: 'secondary notes on the Docker Hub study: median layer compression ratio near 2.6',
    },
    {
      figure: 'elf bytes_share',
      ours: s.file.files_total > 0 ? (elf?.bytes_share ?? 0) : null,
      docker_hub: 0.37,
      source: 'secondary notes on the Docker Hub study: executables and libraries hold about 37% of bytes',
    },
  ];
}
